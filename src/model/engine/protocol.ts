/**
 * The live update protocol on the engine: the operator's steps, the old kernel going down
 * (`reboot(LINUX_REBOOT_CMD_KEXEC)` → liveupdate_reboot() → smp_send_stop() → jump), the new
 * kernel coming up (smp_init() skipping preserved pCPUs), the VMM programs (LUO ioctls in order),
 * and per vCPU the detach (IPI → known state → remove_cpu() → INIT/SIPI → Caretaker entry) and
 * adoption (IPI → known state → restore → Caretaker replaced → add_cpu() → KVM_RUN) of `converged`,
 * or the suspend of `classic`. Step numbers refer to walkthrough §2–4.
 */
import { push } from '../../base/heap.ts';
import { nextExpNs } from '../../base/prng.ts';
import { EngineBug } from '../../base/assert.ts';
import { EXIT_GAP_BIT, IPI_PURPOSE_NAMES, L } from '../eventlog.ts';
import { Disp, EXIT_IDS, EXIT_INDEX, NUM_EXITS, X } from '../exits.ts';
import { attachedDisposition, MODE_ATTACHED, MODE_GAP } from '../caretakerCore.ts';
import { INV } from '../invariants.ts';
import { designUsesCaretaker } from '../scenario.ts';
import { newPause, Q, type Engine } from './engine.ts';
import * as R from './rfcv1.ts';
import * as R0 from './rfcv0.ts';
import * as AR from './asyncRun.ts';
import type { KhoRegion, VcpuRec, VmRec, VmmRec } from './state.ts';

// VMM program opcodes
const OP = {
  P_SUSPEND: 2,
  P_SESSION: 3,
  P_MEM: 4,
  P_VCPU: 5,
  P_DONE: 6,
  P_CPU: 7,
  P_VCPU_ONCORE: 8,
  P_STATE: 9,
  R_START: 10,
  R_SESSION: 11,
  R_VCPUS_RAM: 12,
  R_VCPU: 13,
  R_RUN: 14,
  R_FINISH: 15,
  R_DONE: 16,
  R_VCPU_ONCORE: 30,
  R_ADOPTED: 31,
  R_FINISH_ONCORE: 32,
  R_CPU_UNPRESERVE: 33,
  R_FINISHED: 34,
  R_RUN_ONCORE: 35,
  C_BEGIN: 20,
  C_VCPU: 21,
  C_CLOSE: 22,
  C_RUN: 23,
  C_VCPU_ONCORE: 40,
  C_CPU: 41,
  P_VCPU_V0: 50,
  R_VCPU_V0: 51,
  R_ATTACHED_V0: 52,
  C_VCPU_V0: 53,
} as const;
const BLOCK = -1;

// kernel continuations
const K = { FREEZE_DONE: 1, STOPS_DONE: 2, SMP_INIT: 3, USERSPACE: 4, AP_ONLINE: 5 } as const;

// vCPU continuations
const V = {
  FORCED_EXIT: 1,
  KNOWN: 2,
  OFFLINED: 3,
  ENTRY: 4,
  RESTORED: 5,
  ONLINE: 6,
  RUN: 7,
  RESUME: 8,
  SUSPEND: 9,
  INVALIDATED: 10,
} as const;

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;
/** ASSUMPTION sizes of preserved regions (docs/concepts/kho.md). */
const REGION_BYTES = { vcpuState: 16 * KB, caretaker: 256 * KB, ringRecord: 32, pvclock: 4 * KB, luo: 4 * KB, ptPerGiB: 2 * MB };

const BOOT_CPU = 0;

/** The continuation that handles a released stalled exit and resumes the guest attached. */
export const VCPU_RESUME = V.RESUME;

/** vCPU machine state names per design: the thread's vcpu machine, or the prototype's vcpuOncore. */
export function vcpuStates(e: Engine) {
  if (e.st.sc.design === 'async-run') return { attached: 'KVM_RUN', suspended: 'SUSPENDED', adopted: 'KVM_RUN', custody: [] as string[] };
  return isOncore(e)
    ? { attached: 'KVM_RUN', suspended: 'PAUSED_IN_VMM', adopted: 'STOPPED', custody: ['CARETAKER_RUNNING', 'CARETAKER_PAUSED', 'STALLED'] }
    : { attached: 'ATTACHED_RUNNING', suspended: 'SUSPENDED', adopted: 'ADOPTED', custody: ['ORPHANED_RUNNING', 'ORPHANED_BLOCKED'] };
}

/** The prototype's machinery runs this design: preserved CPUs, oncore jobs (rfcv1, design-v2). */
export function isOncore(e: Engine): boolean {
  return e.st.sc.design === 'rfcv1' || e.st.sc.design === 'design-v2';
}

/** The pCPU a vCPU runs on: under a kernel its thread's CPU; in the gap its pin, or under rfcv1 its job's CPU (jobs migrate). */
export function runningCpu(e: Engine, v: number): number {
  const vc = e.st.vcpus[v];
  if (e.st.hot.mode[v] !== MODE_GAP) return vc.hostCpu;
  return vc.oncore && vc.oncore.onCpu >= 0 ? vc.oncore.onCpu : vc.pcpu;
}

/** The vCPU runs under a Caretaker (or waits in its custody), not under a kernel. */
function inCustody(e: Engine, v: number): boolean {
  return vcpuStates(e).custody.includes(e.stateOf(e.st.vcpus[v].ent));
}

// ---------------------------------------------------------------------------------------------
// building the world

export function buildWorld(e: Engine): void {
  const st = e.st;
  const sc = st.sc;
  st.kernels.push(e.addEnt('kernel', 'K (old kernel)', 'kernel', 'RUNNING'));
  st.khoEnt = e.addEnt('kho', 'KHO', 'kho');
  const oncore = isOncore(e);
  for (let c = 0; c < sc.host.cpus; c++) {
    st.pcpus.push({
      ent: e.addEnt('pcpu', `CPU ${c}`, oncore ? 'cpuPreserved' : 'pcpu'),
      id: c,
      housekeeping: sc.host.housekeeping.includes(c),
      owner: 'host',
      kernel: 0,
      vcpu: -1,
      wedged: false,
      wedgeArmed: false,
      preserved: false,
      switching: false,
      deadPending: false,
    });
  }
  const usesCt = designUsesCaretaker(sc.design);
  sc.vms.forEach((vm, i) => {
    const rec: VmRec = {
      ent: e.addEnt('vm', vm.name, null),
      idx: i,
      name: vm.name,
      vcpus: [],
      caretaker: usesCt && vm.optIn,
      session: -1,
      oldVmm: { ent: e.addEnt('vmm', `VMM ${vm.name}`, sc.design === 'async-run' ? 'vmmAsync' : 'vmm', 'RUNNING'), pc: 0, prog: [], blocked: false },
      newVmm: null,
      terminated: false,
      terminatedAt: -1,
      mismatch: 'none',
      slowRestart: 0,
      pause: newPause(0),
      tscOffset: 0x7000_0000 + i * 0x1000,
      restoredTscOffset: -1,
      tscReset: false,
      irqPosted: 0,
      irqExits: 0,
      irqHeld: 0,
      irqQueued: 0,
      irqHeldSince: -1,
      longestIrqHoldNs: 0,
      freePendingFault: -1,
      cancelling: false,
      cancelRequested: false,
      oncore: oncore && usesCt && vm.optIn ? { cpus: [...new Set(vm.pinning)].sort((a, b) => a - b), runq: [] } : null,
      pendingStops: 0,
      suspending: 0,
      adoptedVcpus: 0,
      adoptedAt: -1,
      finished: false,
    };
    st.vms.push(rec);
    for (let k = 0; k < vm.vcpus; k++) {
      const v = st.vcpus.length;
      const pcpu = vm.pinning[k];
      const vc: VcpuRec = {
        ent: e.addEnt('vcpu', `${vm.name}/vCPU${k}`, oncore ? 'vcpuOncore' : sc.design === 'async-run' ? 'vcpuAsync' : 'vcpu', oncore || sc.design === 'async-run' ? 'KVM_RUN' : undefined),
        vm: i,
        index: k,
        pcpu,
        // converged: the Caretaker C<pcpu> exists from the start; rfcv1: cb is made at preserve
        ct: rec.caretaker && !oncore ? e.addEnt('caretaker', `C${pcpu}`, sc.design === 'rfc-v0' ? 'ccb' : 'caretaker') : -1,
        executing: false,
        execSince: 0,
        execNs: 0,
        progressNs: 0,
        progressSince: 0,
        waitAcks: 0,
        waitSince: 0,
        waitNs: 0,
        pendingAcks: [],
        stallKind: -1,
        lastStallKind: -1,
        stallSince: 0,
        stalledNs: 0,
        longestStallNs: 0,
        handshake: null,
        pendingTouch: false,
        invalidated: false,
        lostExits: 0,
        stalledHandled: 0,
        kvm: 0,
        job: -1,
        oncore: null,
        hostCpu: pcpu,
      };
      st.vcpus.push(vc);
      rec.vcpus.push(v);
      if (sc.design === 'rfc-v0' && vc.ct >= 0) R0.installCaretaker(e, v);
      st.hot.ent[v] = vc.ent;
      st.hot.vm[v] = i;
      const base = v * NUM_EXITS;
      for (const [id, r] of Object.entries(vm.rates)) e.baseRates[base + EXIT_INDEX[id]] += r;
      if (vm.memory === 'lazy') e.baseRates[base + X.EPT_VIOLATION] += vm.newPageTouchesPerSec;
      for (const d of vm.devices) if (d.kind === 'emulated' && d.vcpus.includes(k)) e.baseRates[base + EXIT_INDEX[d.exit]] += d.accessesPerSec;
    }
  });
  sc.faults.forEach((f, i) => {
    if (f.kind === 'feature-mismatch') {
      for (const vm of st.vms) if (f.vm === null || f.vm === vm.name) vm.mismatch = f.when;
    } else if (f.kind === 'tsc-reset') {
      for (const vm of st.vms) if (f.vm === null || f.vm === vm.name) vm.tscReset = true;
    } else if (f.kind === 'vmm-slow-restart') {
      for (const vm of st.vms) if (vm.name === f.vm) vm.slowRestart += f.delay;
    } else if (f.kind === 'kexec-fail') {
      st.kexecFail = f.mode;
    } else {
      push(st.q, f.at, Q.FAULT, i, 0);
    }
  });
  sc.steps.forEach((s, i) => push(st.q, s.at, Q.STEP, i, 0));
  if (sc.design === 'async-run') AR.noteInapplicableFaults(e);
  for (let v = 0; v < st.vcpus.length; v++) e.resume(v, MODE_ATTACHED, 'KVM_RUN');
  sc.vms.forEach((vm, i) => {
    for (const dev of vm.devices) {
      if (dev.kind === 'passthrough') e.devices.push({ vm: i, vcpu: st.vms[i].vcpus[dev.vcpu], posted: dev.postedInterrupts, rate: dev.interruptsPerSec, name: dev.name });
    }
  });
  e.devices.forEach((d, i) => {
    if (d.rate > 0) push(st.q, nextExpNs(st.prng, 1e9 / d.rate), Q.DEVIRQ, i, 0);
  });
}

// ---------------------------------------------------------------------------------------------
// operator steps and faults

export function onStep(e: Engine, i: number): void {
  const st = e.st;
  const step = st.sc.steps[i];
  e.log.push(st.now, L.STEP, st.kernels[0], i, e.log.str(step.action));
  const vms = st.vms.filter((vm) => step.vm === null || vm.name === step.vm);
  if (st.sc.design === 'async-run') {
    if (step.action === 'preserve') for (const vm of vms) AR.stage(e, vm);
    else if (step.action === 'cancel') for (const vm of vms) AR.requestCancel(e, vm);
    else AR.upgrade(e);
    return;
  }
  switch (step.action) {
    case 'preserve':
      for (const vm of vms) startPreserve(e, vm);
      return;
    case 'kexec':
      if (st.rebootAt >= 0 || e.stateOf(st.kernels[0]) !== 'RUNNING') {
        e.message(st.kernels[0], 'kexec ignored: a reboot is already under way');
        return;
      }
      st.kexecRequested = true;
      tryReboot(e);
      return;
    case 'cancel':
      for (const vm of vms) requestCancel(e, vm);
      return;
  }
}

export function onFault(e: Engine, i: number): void {
  const st = e.st;
  const f = st.sc.faults[i];
  switch (f.kind) {
    case 'drop-ipi':
    case 'delay-ipi':
      st.armed.push({ index: i, remaining: f.count });
      e.log.push(st.now, L.FAULT, st.pcpus[f.cpu].ent, i, e.log.str(`${f.kind} armed for ${f.purpose} IPIs to CPU ${f.cpu}`));
      return;
    case 'wedge-cpu': {
      const p = st.pcpus[f.cpu];
      e.log.push(st.now, L.FAULT, p.ent, i, e.log.str(`CPU ${f.cpu} wedges`));
      if (p.owner === 'caretaker') wedge(e, f.cpu);
      else {
        p.wedgeArmed = true;
        e.message(p.ent, 'not under a Caretaker yet: wedges when a Caretaker takes it');
      }
      return;
    }
    case 'madvise-free':
      madviseFree(e, i);
      return;
    case 'host-nmi':
    case 'host-mce':
      hostException(e, i, f.kind, f.cpu);
      return;
    default:
      throw new EngineBug(`fault ${f.kind} is not timed`);
  }
}

export /**
 * An NMI or a machine check on a pCPU: under Linux it is Linux's; under a Caretaker its own
 * vectors take it. An NMI is handled (iretq). A machine check parks the core in a known state
 * (converged: the vCPU stalls until adoption) or fails the prototype's Caretaker (cb FAILED).
 */
function hostException(e: Engine, fi: number, kind: 'host-nmi' | 'host-mce', cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  const name = kind === 'host-nmi' ? 'NMI' : 'machine check';
  e.log.push(st.now, L.FAULT, p.ent, fi, e.log.str(`${name} on CPU ${cpu}`));
  if (p.owner !== 'caretaker' || p.vcpu < 0) {
    e.message(p.ent, p.owner === 'host' ? `the host kernel handles the ${name}` : `the preserved vectors take the ${name}; no vCPU runs here`);
    return;
  }
  const v = p.vcpu;
  const vc = st.vcpus[v];
  if (kind === 'host-nmi') {
    // a vCPU inside an exit is in root mode already: the NMI takes no exit of its own
    if (vc.executing && st.hot.busyUntil[v] <= st.now) e.extraExit(v, X.EXCEPTION_NMI, Disp.FASTPATH, st.dispCost[Disp.FASTPATH]);
    e.message(p.ent, "the Caretaker's NMI vector returns (iretq): nothing lost");
    return;
  }
  if (isOncore(e)) return R.failOncore(e, v);
  if (!vc.executing) {
    e.message(p.ent, 'the machine check finds the vCPU already stopped');
    return;
  }
  e.message(p.ent, "the Caretaker's #MC vector parks the core in a known state: the vCPU waits for adoption");
  st.hot.counts[(v * NUM_EXITS + X.EXCEPTION_NMI) * 5 + Disp.STALLED]++;
  st.hot.gapCounts[(v * NUM_EXITS + X.EXCEPTION_NMI) * 5 + Disp.STALLED]++;
  stall(e, v, X.EXCEPTION_NMI);
}

export function wedge(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  p.wedged = true;
  p.wedgeArmed = false;
  e.fire(p.ent, 'WEDGE');
  if (p.vcpu >= 0 && st.vcpus[p.vcpu].executing) e.halt(p.vcpu, `CPU ${cpu} wedged`);
}

// ---------------------------------------------------------------------------------------------
// VMM programs

function vmmOf(e: Engine, idx: number): VmmRec {
  const vm = e.st.vms[idx >> 1];
  const m = idx & 1 ? vm.newVmm : vm.oldVmm;
  if (!m) throw new EngineBug(`no VMM ${idx}`);
  return m;
}

function startProgram(e: Engine, vm: VmRec, role: 0 | 1, prog: number[]): void {
  const m = role ? vm.newVmm! : vm.oldVmm;
  m.prog = prog;
  m.pc = 0;
  m.blocked = false;
  e.at(0, Q.VMM, vm.idx * 2 + role, 0);
}

/** Lets a VMM blocked in an ioctl continue (the ioctl returned). */
export function vmmResume(e: Engine, vm: VmRec, role: 0 | 1): void {
  const m = role ? vm.newVmm : vm.oldVmm;
  if (!m || !m.blocked) return;
  m.blocked = false;
  e.at(0, Q.VMM, vm.idx * 2 + role, 0);
}

/** Runs a VMM's program from its program counter until an op blocks or takes time. */
export function vmmNext(e: Engine, idx: number, _b: number): void {
  const m = vmmOf(e, idx);
  const vm = e.st.vms[idx >> 1];
  const prog = m.prog;
  while (m.pc < m.prog.length) {
    const op = m.prog[m.pc];
    const arg = m.prog[m.pc + 1];
    m.pc += 2;
    const d = runOp(e, vm, m, op, arg);
    if (m.prog !== prog) return; // replaced by a cancel, which scheduled itself
    if (d === BLOCK) {
      m.blocked = true;
      return;
    }
    if (d > 0) {
      e.at(d, Q.VMM, idx, 0);
      return;
    }
  }
}

function startPreserve(e: Engine, vm: VmRec): void {
  if (vm.terminated || e.stateOf(vm.oldVmm.ent) !== 'RUNNING' || vm.session >= 0) {
    e.message(vm.ent, 'preserve ignored: the VMM is not running an unpreserved VM');
    return;
  }
  if (e.st.rebootAt >= 0 || e.stateOf(e.st.kernels[0]) !== 'RUNNING') {
    e.message(vm.ent, 'preserve refused: reboot(LINUX_REBOOT_CMD_KEXEC) is under way');
    return;
  }
  const notOnline = vm.caretaker ? [...new Set(vm.vcpus.map((v) => e.st.vcpus[v].pcpu))].filter((c) => e.stateOf(e.st.pcpus[c].ent) !== 'ONLINE') : [];
  if (notOnline.length) {
    e.message(vm.ent, `preserve refused: -EBUSY: CPU ${notOnline.join(', ')} is not online (${notOnline.map((c) => e.stateOf(e.st.pcpus[c].ent)).join(', ')})`);
    return;
  }
  // PRESERVING at once, so a kexec requested at the same instant waits for this VMM
  e.fire(vm.oldVmm.ent, 'PRESERVE');
  const prog: number[] = [];
  if (vm.oncore) {
    // NanoVMM's order: suspend, VM → RAM → CPUs → vCPUs → STATE (orphanvm.md §7.2)
    prog.push(OP.P_SUSPEND, 0, OP.P_SESSION, 0, OP.P_MEM, 0);
    for (const cpu of vm.oncore.cpus) prog.push(OP.P_CPU, cpu);
    vm.vcpus.forEach((_, k) => prog.push(OP.P_VCPU_ONCORE, k));
    prog.push(OP.P_STATE, 0);
  } else if (vm.caretaker) {
    prog.push(OP.P_SESSION, 0, OP.P_MEM, 0);
    const detach = e.st.sc.design === 'rfc-v0' ? OP.P_VCPU_V0 : OP.P_VCPU;
    vm.vcpus.forEach((_, k) => prog.push(detach, k));
  } else {
    prog.push(OP.P_SUSPEND, 0, OP.P_SESSION, 0, OP.P_MEM, 0);
  }
  prog.push(OP.P_DONE, 0);
  startProgram(e, vm, 0, prog);
}

function runOp(e: Engine, vm: VmRec, m: VmmRec, op: number, arg: number): number {
  const st = e.st;
  const t = st.sc.timing;
  switch (op) {
    case OP.P_SUSPEND:
      // walkthrough §4: vm_suspend(): immediate_exit and a signal; threads leave KVM_RUN
      // vm_suspend() returns once every thread is out of KVM_RUN: a thread in the middle of an exit
      // sees immediate_exit only when that exit is done (V.SUSPEND waits for it), so the VMM
      // never goes on to preserve a vCPU that still executes
      e.op(m.ent, 'vm_suspend()', 'immediate_exit = 1 and SIGUSR1 to every vCPU thread');
      vm.suspending = vm.vcpus.length;
      for (const v of vm.vcpus) e.at(t.vmmPauseAck, Q.VCPU, v, V.SUSPEND);
      return BLOCK;
    case OP.P_SESSION:
      e.op(m.ent, 'LIVEUPDATE_IOCTL_CREATE_SESSION', `/dev/liveupdate session "${vm.name}"`);
      vm.session = e.addEnt('session', `LUO session ${vm.name}`, 'luoSession');
      khoPreserve(e, `luo:${vm.name}`, 'luo', `session ${vm.name}`, REGION_BYTES.luo);
      return 0;
    case OP.P_MEM: {
      // step 1: PRESERVE_FD of guest memory and the vmfd (200 ms per VM)
      if (st.phases.preserve === null) {
        st.phases.preserve = st.now;
        e.log.push(st.now, L.PHASE, st.kernels[0], 0, e.log.str('preserve'));
      }
      e.op(m.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', 'memfd (guest memory)');
      e.fire(vm.session, 'PRESERVE_FD');
      e.op(m.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', 'vmfd (kvm_vm_luo_v1)');
      const mem = st.sc.vms[vm.idx].memoryGiB;
      khoPreserve(e, `mem:${vm.name}`, 'guest-memory', vm.name, Math.round(mem * GB));
      khoPreserve(e, `pvclock:${vm.name}`, 'pvclock', `${vm.name}: TSC offset and kvmclock`, REGION_BYTES.pvclock);
      if (vm.oncore) khoPreserve(e, `pt:${vm.name}`, 'page-tables', `${vm.name}: TDP roots and non-leaf pages, walked at .preserve() in RFCv1`, Math.round(mem * REGION_BYTES.ptPerGiB));
      if (!vm.caretaker) {
        // RAM-only vCPUs (cb == NULL): state serialized with the VM suspended
        if (designUsesCaretaker(st.sc.design)) {
          e.op(m.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD = -EINVAL', 'vcpufd with a Caretaker: the VMM never enabled the capability (KVM_ENABLE_CAP); falling back to RAM-only');
        }
        vm.vcpus.forEach((v, k) => {
          e.op(m.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', `vcpufd ${k} (RAM-only, cb == NULL)`);
          khoPreserve(e, `vcpu:${e.vcpuName(v)}`, 'vcpu-state', e.vcpuName(v), REGION_BYTES.vcpuState);
        });
      }
      return t.preservePerVm;
    }
    case OP.P_VCPU:
      detachStart(e, vm, arg);
      return BLOCK;
    case OP.P_VCPU_V0:
      R0.preserveVcpu(e, vm, arg);
      return BLOCK;
    case OP.R_VCPU_V0: {
      // RETRIEVE_FD: install the vcpufd, rebuild kvm_vcpu, new routing pointers (timing.adoptPerVcpu)
      if (vm.terminated) return 0;
      const r = R0.reattach(e, vm, arg, 1);
      return r === 'wait' ? BLOCK : r === 'done' ? t.adoptPerVcpu : 0;
    }
    case OP.R_ATTACHED_V0:
      // every vcpufd retrieved: the new VMM's threads attach to vCPUs that never stopped
      if (vm.terminated) return 0;
      vm.adoptedAt = st.now;
      updatePhases(e);
      e.fire(m.ent, 'RUN');
      e.op(m.ent, 'KVM_RUN', 'one thread per vCPU, attached to a vCPU that is already running');
      return 0;
    case OP.C_VCPU_V0: {
      const r = R0.reattach(e, vm, arg, 0);
      return r === 'wait' ? BLOCK : r === 'done' ? t.adoptPerVcpu : 0;
    }
    case OP.P_CPU:
      R.preserveCpu(e, vm, arg);
      return BLOCK;
    case OP.P_VCPU_ONCORE:
      R.preserveVcpu(e, vm, arg);
      return BLOCK;
    case OP.P_STATE:
      e.op(m.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', 'machine-state memfd (LUO_STATE_TOKEN)');
      e.message(m.ent, '[NVMM LUO] VM successfully prepared and preserved. Continuing on-core execution.');
      return 0;
    case OP.R_VCPU_ONCORE:
      if (vm.terminated) return 0;
      e.op(m.ent, 'LIVEUPDATE_SESSION_RETRIEVE_FD', `vcpufd ${arg} (LUO_VCPU_BASE_TOKEN+${arg})`);
      return R.reclaimVcpu(e, vm, arg, 1) ? BLOCK : 0;
    case OP.R_ADOPTED:
      if (vm.terminated) return 0;
      vm.adoptedAt = st.now;
      updatePhases(e);
      e.op(m.ent, 'LIVEUPDATE_SESSION_FINISH', 'at once (orphan mode), files finished in reverse order');
      return 0;
    case OP.R_FINISH_ONCORE:
      return t.finish;
    case OP.R_CPU_UNPRESERVE:
    case OP.C_CPU:
      // the CPUs wait for vCPUs still being stopped (the VMM is resumed when each is restored)
      if (R.vcpusBeingStopped(e, vm)) {
        m.pc -= 2;
        return BLOCK;
      }
      return R.unpreserveCpu(e, vm, arg, op === OP.R_CPU_UNPRESERVE ? 1 : 0) ? BLOCK : 0;
    case OP.R_FINISHED:
      e.fire(vm.session, 'FINISH');
      khoFreeVm(e, vm);
      if (!vm.terminated) {
        vm.finished = true;
        updatePhases(e);
      }
      return 0;
    case OP.R_RUN_ONCORE:
      if (vm.terminated) {
        e.fire(m.ent, 'EXIT');
        return 0;
      }
      e.fire(m.ent, 'RUN');
      e.op(m.ent, 'KVM_RUN', 'one thread per vCPU: the guest resumes under standard KVM');
      for (const v of vm.vcpus) e.at(t.kvmRunEntry, Q.VCPU, v, V.RUN);
      return t.kvmRunEntry;
    case OP.C_VCPU_ONCORE: {
      if (vm.terminated) return 0; // its vCPUs were stopped with the VM
      const v = vm.vcpus[arg];
      if (st.vcpus[v].ct < 0 || e.stateOf(st.vcpus[v].ct) === 'STOPPED') return 0;
      return R.reclaimVcpu(e, vm, arg, 0) ? BLOCK : 0;
    }
    case OP.P_DONE:
      e.fire(m.ent, 'PRESERVED');
      if (vm.cancelRequested) startCancel(e, vm);
      else tryReboot(e);
      return 0;
    case OP.R_START:
      if (vm.slowRestart > 0) e.message(m.ent, `the new VMM is slow to start (+${vm.slowRestart} ns)`);
      return t.vmmStart + vm.slowRestart;
    case OP.R_SESSION:
      // step 11: RETRIEVE_SESSION; RETRIEVE_FD memfd, vmfd; memslots, irqchip
      e.fire(m.ent, 'RETRIEVE');
      e.op(m.ent, 'LIVEUPDATE_IOCTL_RETRIEVE_SESSION', vm.name);
      e.fire(vm.session, 'RETRIEVE');
      if (e.stateOf(st.khoEnt) === 'HANDED_OVER') e.fire(st.khoEnt, 'RESTORE');
      e.op(m.ent, 'LIVEUPDATE_SESSION_RETRIEVE_FD', vm.oncore ? 'vmfd (LUO_VM_TOKEN), guest_memfd (LUO_RAM_TOKEN), state (LUO_STATE_TOKEN), CPU tokens (closed)' : 'memfd, vmfd');
      // kvm_caretaker_vm_pre_retrieve(): the guest stops here (RFCv1; DESIGN_V2 takes each vCPU at its own retrieve)
      if (vm.oncore && st.sc.design === 'rfcv1') R.detachWorkload(e, vm, 1);
      khoRead(e, `mem:${vm.name}`);
      khoRead(e, `luo:${vm.name}`);
      if (vm.caretaker) khoRead(e, `pt:${vm.name}`);
      return t.retrieve;
    case OP.R_VCPUS_RAM: {
      // classic: vcpufds restored from KHO with the VM still suspended: no handshake
      if (vm.mismatch === 'after-ponr') {
        e.message(m.ent, 'feature check failed at vcpufd retrieve: the new kernel cannot restore kvm_vcpu_luo_v1 state; VM terminated');
        terminateVm(e, vm, 'feature mismatch after the point of no return');
        return BLOCK;
      }
      vm.vcpus.forEach((v, k) => {
        e.op(m.ent, 'LIVEUPDATE_SESSION_RETRIEVE_FD', `vcpufd ${k}`);
        e.check(INV.KNOWN_STATE, !st.vcpus[v].executing, () => `${e.vcpuName(v)} state read while it executes`);
        khoRead(e, `vcpu:${e.vcpuName(v)}`);
        st.vcpus[v].kvm = 1;
      });
      restoreClock(e, vm);
      vm.adoptedVcpus = vm.vcpus.length;
      return 0;
    }
    case OP.R_VCPU:
      if (vm.terminated) return 0;
      adoptStart(e, vm, arg, 1);
      return BLOCK;
    case OP.R_RUN:
      // steps 15: every vcpufd retrieved; KVM_RUN on each vCPU
      vm.adoptedAt = st.now;
      updatePhases(e);
      e.fire(m.ent, 'RUN');
      e.op(m.ent, 'KVM_RUN', 'one thread per vCPU');
      for (const v of vm.vcpus) e.at(t.kvmRunEntry, Q.VCPU, v, V.RUN);
      return t.kvmRunEntry;
    case OP.R_FINISH:
      e.op(m.ent, 'LIVEUPDATE_SESSION_FINISH', !vm.caretaker ? 'free preserved pages' : st.sc.design === 'rfc-v0' ? 'free preserved pages; the old Caretaker stays: it is in the exit path' : 'free the old Caretaker, EPT folios and trace ring');
      return t.finish;
    case OP.R_DONE:
      e.fire(vm.session, 'FINISH');
      khoFreeVm(e, vm);
      khoFreeCaretaker(e);
      vm.finished = true;
      updatePhases(e);
      return 0;
    case OP.C_BEGIN:
      e.op(m.ent, 'close(session fd)', '.unpreserve() of each file in reverse order');
      return 0;
    case OP.C_VCPU: {
      const v = vm.vcpus[arg];
      const s = e.stateOf(st.vcpus[v].ent);
      if (s === 'ORPHANED_RUNNING' || s === 'ORPHANED_BLOCKED') {
        adoptStart(e, vm, arg, 0);
        return BLOCK;
      }
      return 0;
    }
    case OP.C_CLOSE:
      e.fire(vm.session, 'CLOSE');
      khoFreeVm(e, vm);
      khoFreeCaretaker(e);
      e.fire(m.ent, 'RESUME');
      st.cancelled = true;
      return 0;
    case OP.C_RUN:
      e.op(m.ent, 'KVM_RUN', 'one thread per vCPU');
      // arg 1: the vCPUs never stopped (rfc-v0), the threads attach to them
      if (!arg) for (const v of vm.vcpus) e.at(t.kvmRunEntry, Q.VCPU, v, V.RUN);
      vm.cancelling = false;
      vm.session = -1;
      tryReboot(e); // a kexec requested during the cancel goes ahead now
      return 0;
    default:
      throw new EngineBug(`unknown VMM op ${op}`);
  }
}

/**
 * adopted: the last vcpufd RETRIEVE_FD returned, over every VM being updated; finish: the last
 * LIVEUPDATE_SESSION_FINISH returned. A terminated VM no longer counts.
 */
function updatePhases(e: Engine): void {
  const st = e.st;
  const updating = st.vms.filter((vm) => vm.newVmm && !vm.terminated);
  if (!updating.length) return;
  if (st.phases.adopted === null && updating.every((vm) => vm.adoptedAt >= 0)) {
    st.phases.adopted = st.now;
    e.log.push(st.now, L.PHASE, st.kernels[1], 3, e.log.str('adopted'));
  }
  if (st.phases.finish === null && updating.every((vm) => vm.finished)) {
    st.phases.finish = st.now;
    e.log.push(st.now, L.PHASE, st.kernels[1], 4, e.log.str('finish'));
  }
}

// ---------------------------------------------------------------------------------------------
// cancel before the point of no return

function requestCancel(e: Engine, vm: VmRec): void {
  if (e.st.rebootAt >= 0) {
    e.message(vm.ent, 'cancel refused: reboot(LINUX_REBOOT_CMD_KEXEC) is under way and the sessions are frozen');
    return;
  }
  const s = e.stateOf(vm.oldVmm.ent);
  if (s === 'PRESERVING') {
    vm.cancelRequested = true;
    return;
  }
  if (s !== 'PRESERVED' || vm.cancelling) {
    e.message(vm.ent, 'cancel ignored: nothing preserved to cancel');
    return;
  }
  startCancel(e, vm);
}

function startCancel(e: Engine, vm: VmRec): void {
  vm.cancelRequested = false;
  vm.cancelling = true;
  const prog: number[] = [OP.C_BEGIN, 0];
  if (vm.oncore) {
    // luo_file_unpreserve_files(): reverse order — vcpufds, then the CPUs, then RAM and VM
    for (let k = vm.vcpus.length - 1; k >= 0; k--) prog.push(OP.C_VCPU_ONCORE, k);
    for (const cpu of [...vm.oncore.cpus].reverse()) prog.push(OP.C_CPU, cpu);
  } else {
    const undo = e.st.sc.design === 'rfc-v0' && vm.caretaker ? OP.C_VCPU_V0 : OP.C_VCPU;
    for (let k = vm.vcpus.length - 1; k >= 0; k--) prog.push(undo, k);
  }
  prog.push(OP.C_CLOSE, 0, OP.C_RUN, e.st.sc.design === 'rfc-v0' && vm.caretaker ? 1 : 0);
  startProgram(e, vm, 0, prog);
}

// ---------------------------------------------------------------------------------------------
// the old kernel goes down

function tryReboot(e: Engine): void {
  const st = e.st;
  if (!st.kexecRequested || st.rebootAt >= 0) return;
  // the agent waits for preserve ioctls in flight and for cancels
  for (const vm of st.vms) {
    if (e.stateOf(vm.oldVmm.ent) === 'PRESERVING' || vm.cancelling) return;
  }
  const k = st.kernels[0];
  if (st.kexecFail === 'no-image') {
    // kernel_kexec() checks for a staged image before liveupdate_reboot(): nothing was frozen
    st.kexecRequested = false;
    e.op(k, 'reboot(LINUX_REBOOT_CMD_KEXEC) = -EINVAL', 'no kernel was staged (kexec_load never ran); nothing was frozen');
    for (const vm of st.vms) if (vm.session >= 0 && e.stateOf(vm.oldVmm.ent) === 'PRESERVED') startCancel(e, vm);
    return;
  }
  st.rebootAt = st.now;
  e.fire(k, 'REBOOT');
  e.op(k, 'reboot(LINUX_REBOOT_CMD_KEXEC)', 'kernel_kexec() → liveupdate_reboot()');
  for (const vm of st.vms) {
    if (vm.session < 0 || e.stateOf(vm.session) !== 'PRESERVED') continue;
    e.op(vm.session, 'luo_freeze()', 'each file .freeze()');
    e.fire(vm.session, 'FREEZE');
    if (vm.caretaker) {
      const mem = st.sc.vms[vm.idx].memoryGiB;
      khoPreserve(e, `pt:${vm.name}`, 'page-tables', `${vm.name}: EPT roots and non-leaf pages (kvm_kho_folios_ser)`, Math.round(mem * REGION_BYTES.ptPerGiB));
    }
  }
  e.op(st.khoEnt, 'kho_finalize()', '');
  e.fire(st.khoEnt, 'FINALIZE');
  e.at(st.sc.timing.freeze, Q.KERNEL, K.FREEZE_DONE, 0);
}

export function kernelNext(e: Engine, phase: number, arg: number): void {
  const st = e.st;
  const t = st.sc.timing;
  switch (phase) {
    case K.FREEZE_DONE: {
      const k = st.kernels[0];
      // the prototype checks nothing before the point of no return: its mismatches surface at retrieve
      const bad = st.vms.filter((vm) => vm.session >= 0 && vm.mismatch === 'before-ponr' && !isOncore(e) && st.sc.design !== 'rfc-v0');
      if (bad.length) {
        // step 8 fails: the feature check against the staged kernel refuses the handover
        e.op(k, 'liveupdate_reboot() = -EOPNOTSUPP', `feature check failed for ${bad.map((v) => v.name).join(', ')}: the staged kernel lacks features the preserved state needs`);
        for (const vm of st.vms) if (vm.session >= 0 && e.stateOf(vm.session) === 'FROZEN') e.fire(vm.session, 'UNFREEZE');
        e.fire(st.khoEnt, 'ABORT');
        e.fire(k, 'FREEZE_FAILED');
        st.kexecRequested = false;
        st.rebootAt = -1;
        for (const vm of st.vms) if (vm.session >= 0 && e.stateOf(vm.oldVmm.ent) === 'PRESERVED') startCancel(e, vm);
        return;
      }
      // step 9: the point of no return
      st.phases.kexec = st.now;
      e.log.push(st.now, L.PHASE, k, 1, e.log.str('kexec'));
      e.fire(k, 'FROZEN');
      for (const vm of st.vms) {
        if (vm.terminated) continue;
        const preserved = vm.session >= 0 && e.stateOf(vm.session) === 'FROZEN';
        if (e.stateOf(vm.oldVmm.ent) === 'PRESERVED') e.fire(vm.oldVmm.ent, 'EXIT');
        if (!preserved) terminateVm(e, vm, 'not preserved: it dies with the old kernel');
      }
      e.op(k, 'smp_send_stop()', 'stop IPIs to the other online CPUs; preserved CPUs are not present and are skipped');
      for (const p of st.pcpus) {
        if (p.id === BOOT_CPU) continue;
        if (p.owner === 'host') e.sendIpi(BOOT_CPU, p.id, 'stop', -1, t.ipi);
        else if (p.preserved) e.message(p.ent, 'skipped by smp_send_stop(): preserved, not present');
      }
      e.at(t.ipi, Q.KERNEL, K.STOPS_DONE, 0);
      return;
    }
    case K.STOPS_DONE: {
      const k = st.kernels[0];
      for (const vc of st.vcpus) {
        if (vc.handshake && vc.handshake.by === 0 && !vc.handshake.done) {
          e.message(vc.ent, `the old kernel's ${vc.handshake.purpose} handshake ends with it`);
          vc.handshake = null;
        }
      }
      e.fire(k, 'JUMP');
      e.fire(st.khoEnt, 'HANDOVER');
      const k2 = e.addEnt('kernel', "K′ (new kernel)", 'kernel');
      st.kernels.push(k2);
      const boot = st.pcpus[BOOT_CPU];
      boot.kernel = 1;
      e.message(boot.ent, 'the boot CPU jumps into the new kernel image');
      e.op(k2, 'kho_populate()', 'the KHO tree from the old kernel');
      const hidden = st.pcpus.filter((p) => p.preserved).map((p) => p.id);
      if (st.kexecFail === 'luo-disabled') {
        e.op(k2, 'luo_early_startup() failed', 'the LUO data from the old kernel is not usable: live update is disabled for this boot; no preserved CPU is hidden, no session can be retrieved');
      } else if (hidden.length) e.op(k2, 'cpu_preserved_flb_retrieve()', `CPUs ${hidden.join(',')} are preserved: not present`);
      // the boot timeline counts from the point of no return (walkthrough §2 steps 9–10)
      const since = st.now - st.phases.kexec!;
      e.at(Math.max(0, t.earlyBoot - since), Q.KERNEL, K.SMP_INIT, 0);
      e.at(Math.max(0, t.kexecGap - since), Q.KERNEL, K.USERSPACE, 0);
      return;
    }
    case K.SMP_INIT: {
      const k2 = st.kernels[1];
      e.fire(k2, 'SMP_INIT');
      e.op(k2, 'smp_init()', 'INIT/SIPI to every present secondary CPU');
      for (const p of st.pcpus) {
        if (p.id === BOOT_CPU) continue;
        const s = e.stateOf(p.ent);
        if (s === 'STOPPED') {
          e.check(INV.NO_SIPI_PRESERVED, !p.preserved, () => `smp_init() sent INIT/SIPI to preserved CPU ${p.id}`);
          e.sendIpi(BOOT_CPU, p.id, 'init-sipi', -1, t.initSipi);
        } else if (p.preserved && st.kexecFail === 'luo-disabled') {
          // with LUO off, the kernel does not know this CPU is preserved: INIT resets it under its guest
          e.check(INV.NO_SIPI_PRESERVED, false, () => `smp_init() sent INIT/SIPI to preserved CPU ${p.id}: LUO is disabled in this boot, so the CPU was not hidden`);
          e.sendIpi(BOOT_CPU, p.id, 'init-sipi', -1, t.initSipi);
        } else {
          e.check(INV.NO_SIPI_PRESERVED, p.preserved || s === 'OFFLINE', () => `CPU ${p.id} in ${s} at smp_init()`);
        }
      }
      if (st.kexecFail !== 'luo-disabled') for (const vm of st.vms) if (vm.session >= 0 && e.stateOf(vm.session) === 'FROZEN') e.fire(vm.session, 'DESERIALIZE');
      return;
    }
    case K.AP_ONLINE: {
      const p = st.pcpus[arg];
      e.fire(p.ent, 'BOOT');
      p.owner = 'host';
      p.kernel = 1;
      return;
    }
    case K.USERSPACE: {
      const k2 = st.kernels[1];
      e.fire(k2, 'USERSPACE_UP');
      st.phases.newKernelUp = st.now;
      e.log.push(st.now, L.PHASE, k2, 2, e.log.str('newKernelUp'));
      for (const vm of st.vms) {
        if (st.kexecFail === 'luo-disabled' && !vm.terminated && vm.session >= 0) {
          abandonPreserved(e, vm);
          continue;
        }
        if (vm.terminated || vm.session < 0 || e.stateOf(vm.session) !== 'DESERIALIZED') continue;
        vm.newVmm = { ent: e.addEnt('vmm', `VMM′ ${vm.name}`, 'vmm'), pc: 0, prog: [], blocked: false };
        const prog: number[] = [OP.R_START, 0, OP.R_SESSION, 0];
        if (vm.oncore) {
          // VM (detach every CPU's workload) → RAM → STATE → CPUs (closed) → vCPUs; FINISH at once, then KVM_RUN
          vm.vcpus.forEach((_, k) => prog.push(OP.R_VCPU_ONCORE, k));
          prog.push(OP.R_ADOPTED, 0, OP.R_FINISH_ONCORE, 0);
          for (const cpu of [...vm.oncore.cpus].reverse()) prog.push(OP.R_CPU_UNPRESERVE, cpu);
          prog.push(OP.R_FINISHED, 0, OP.R_RUN_ONCORE, 0);
        } else if (vm.caretaker && st.sc.design === 'rfc-v0') {
          vm.vcpus.forEach((_, k) => prog.push(OP.R_VCPU_V0, k));
          prog.push(OP.R_ATTACHED_V0, 0, OP.R_FINISH, 0, OP.R_DONE, 0);
        } else {
          if (vm.caretaker) vm.vcpus.forEach((_, k) => prog.push(OP.R_VCPU, k));
          else prog.push(OP.R_VCPUS_RAM, 0);
          prog.push(OP.R_RUN, 0, OP.R_FINISH, 0, OP.R_DONE, 0);
        }
        startProgram(e, vm, 1, prog);
      }
      return;
    }
    default:
      throw new EngineBug(`unknown kernel phase ${phase}`);
  }
}

// ---------------------------------------------------------------------------------------------
// IPIs and handshakes

export function ipiArrive(e: Engine, id: number): void {
  const st = e.st;
  const ipi = st.ipis[id];
  const p = st.pcpus[ipi.to];
  const code = IPI_PURPOSE_NAMES.indexOf(ipi.purpose);
  if (ipi.status === 'lost' || p.wedged) {
    ipi.status = 'lost';
    e.log.push(st.now, L.IPI_LOST, p.ent, id, code);
    if (ipi.purpose === 'init-sipi' && p.preserved) {
      // a bring-up that never answers ends in smp_init()'s own timeout (LUO disabled, CPU wedged)
      e.message(p.ent, `INIT/SIPI to CPU ${p.id} lost: smp_init() gives up on it`);
      return;
    }
    if (ipi.purpose === 'stop' || ipi.purpose === 'init-sipi') {
      e.check(INV.IPI_ACCOUNTED, false, () => `${ipi.purpose} IPI to CPU ${ipi.to} lost with no timeout path`);
      return;
    }
    if (ipi.purpose === 'park' || ipi.purpose === 'kick') {
      // a lost park kick leaves the job RUNNING: the reclaim takes the slow path (STOPPING, kicks, timeout)
      e.check(INV.IPI_ACCOUNTED, true, () => '');
      e.message(p.ent, ipi.purpose === 'park' ? 'the detach_workload kick was lost: the job keeps running until a slow reclaim' : 'a scheduler kick was lost');
      return;
    }
    // a kick of a live handshake must have its re-kick armed; a kick of a finished one is moot
    const hs = ipi.vcpu >= 0 ? st.vcpus[ipi.vcpu].handshake : null;
    if (hs && hs.gen === ipi.hsGen && !hs.done) e.check(INV.IPI_ACCOUNTED, hs.timerArmed, () => `${ipi.purpose} IPI to CPU ${ipi.to} lost with no timeout path`);
    else e.check(INV.IPI_ACCOUNTED, ipi.hsGen >= 0, () => `${ipi.purpose} IPI to CPU ${ipi.to} lost outside any handshake`);
    return;
  }
  ipi.status = 'delivered';
  e.log.push(st.now, L.IPI_DELIVER, p.ent, id, code);
  switch (ipi.purpose) {
    case 'stop':
      e.fire(p.ent, 'STOP');
      p.owner = 'nobody';
      e.op(p.ent, 'stop_this_cpu()', 'VMXOFF, halt');
      return;
    case 'init-sipi':
      if (ipi.vcpu >= 0) e.at(st.sc.timing.caretakerEntry, Q.VCPU, ipi.vcpu, V.ENTRY);
      else if (p.preserved) {
        initToPreserved(e, p.id);
        e.message(p.ent, `CPU ${p.id} never reports alive: smp_init() gives up on it`);
      } else e.at(st.sc.timing.apBringup, Q.KERNEL, K.AP_ONLINE, p.id);
      return;
    case 'guest':
      return;
    case 'kick':
      return R.kickArrived(e, p.id);
    case 'park':
      return R.parkArrived(e, p.id);
    default: {
      const v = ipi.vcpu;
      const vc = st.vcpus[v];
      const hs = vc.handshake;
      if (!hs || hs.gen !== ipi.hsGen || hs.done || hs.forced) {
        e.message(p.ent, 'a kick after the forced exit: nothing to do');
        return;
      }
      if (isOncore(e)) return R.reclaimKickArrived(e, v);
      // the forced exit happens once any exit in progress is finished
      const wait = Math.max(0, st.hot.busyUntil[v] - st.now);
      e.at(wait, Q.VCPU, v, V.FORCED_EXIT);
    }
  }
}

/**
 * INIT/SIPI reaches a preserved CPU (LUO disabled in the new kernel, so it was not hidden). On x86
 * INIT is blocked in VMX root and causes a VM exit in non-root (mechanics.md §4.1): a vCPU running
 * guest code takes an INIT-signal exit its Caretaker cannot handle, and the core parks (under the
 * prototype: ONCORE_EXIT_ERROR, KVM_CARETAKER_FAILED); a CPU in root mode latches it. On arm64
 * PSCI CPU_ON finds the CPU already on. Either way the CPU never reports alive to the new kernel.
 */
function initToPreserved(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  if (st.sc.host.arch === 'arm64') {
    e.message(p.ent, `PSCI CPU_ON for CPU ${cpu}: ALREADY_ON; the Caretaker there is not disturbed`);
    return;
  }
  const v = p.vcpu;
  if (v < 0 || !st.vcpus[v].executing) {
    e.message(p.ent, `INIT latched: CPU ${cpu} is in VMX root under its Caretaker; nothing happens until it enters the guest`);
    return;
  }
  const vc = st.vcpus[v];
  if (isOncore(e)) return R.failOncore(e, v, 'INIT signal');
  e.halt(v, `INIT signal exit: the Caretaker cannot handle it and parks CPU ${cpu}`);
  e.fire(vc.ent, 'BLOCK');
  e.fire(vc.ct, 'INIT_SIGNAL');
  e.op(vc.ct, 'INIT signal exit', `exit reason 3: the Caretaker parks CPU ${cpu}; ${e.vcpuName(v)} will not run again in this boot`);
}

/**
 * LUO is disabled in the new kernel: no session can be retrieved, so each VM that was preserved is
 * lost. Its vCPUs still under a Caretaker are counted lost with it (ASSUMPTION: nothing in this
 * boot keeps the guest memory they run on); their CPUs stay with the Caretakers.
 */
function abandonPreserved(e: Engine, vm: VmRec): void {
  const st = e.st;
  e.message(vm.ent, 'no VMM can retrieve it: live update is disabled in this boot');
  // the vCPUs go first: no kernel here can run a handshake with their Caretakers
  for (const v of vm.vcpus) {
    const vc = st.vcpus[v];
    const s = e.stateOf(vc.ent);
    if (s === 'TERMINATED') continue;
    if (vc.executing) e.halt(v, 'lost: its VM cannot be retrieved in this boot');
    if (vc.job >= 0 && e.stateOf(vc.job) !== 'DEAD') e.fire(vc.job, 'DIE');
    e.fire(vc.ent, 'TERMINATE');
    lostWithVm(e, v);
  }
  if (vm.oncore) {
    vm.oncore.runq.length = 0;
    for (const c of vm.oncore.cpus) if (vm.vcpus.includes(st.pcpus[c].vcpu)) st.pcpus[c].vcpu = -1;
  }
  terminateVm(e, vm, 'its LUO session cannot be retrieved: live update is disabled in the new kernel');
}

export function beginHandshake(e: Engine, v: number, purpose: 'detach' | 'attach' | 'invalidate', by: number, cpu = e.st.vcpus[v].pcpu): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const gen = st.hsSeq++;
  vc.handshake = { purpose, gen, startedAt: st.now, kicks: 1, forced: false, timerArmed: true, done: false, by, cpu };
  e.sendIpi(BOOT_CPU, cpu, purpose, v, st.sc.timing.ipi, gen);
  e.at(rekickNs(e), Q.TIMEOUT, v, gen);
}

/** DESIGN_V2 re-kicks every 5 ms and gives a cancel 20 s (orphanvm.md §1.3e, §7.3); the others as timed. */
const V2_REKICK = 5_000_000;
const V2_CANCEL_TIMEOUT = 20_000_000_000;
function rekickNs(e: Engine): number {
  return e.st.sc.design === 'design-v2' ? V2_REKICK : e.st.sc.timing.attachRekick;
}
function handshakeLimitNs(e: Engine, by: number): number {
  return e.st.sc.design === 'design-v2' && by === 0 ? V2_CANCEL_TIMEOUT : e.st.sc.caretaker.attachTimeout;
}

/**
 * The host's wait loop: re-kick every 100 polls (1 ms) until the known state. At the attach
 * timeout the vCPU is quarantined; an invalidation stops waiting then (the pages stay mapped).
 */
export function handshakeTimeout(e: Engine, v: number, gen: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const hs = vc.handshake;
  if (!hs || hs.done || hs.gen !== gen) return;
  hs.timerArmed = false;
  if (st.now - hs.startedAt >= handshakeLimitNs(e, hs.by)) {
    if (hs.purpose === 'attach') return quarantine(e, v);
    if (hs.purpose === 'invalidate') {
      e.message(vc.ent, `CPU ${vc.pcpu} never acknowledged the invalidation: the MMU notifier gives up and the pages stay mapped`);
      vc.handshake = null;
      return;
    }
  }
  hs.kicks++;
  e.sendIpi(BOOT_CPU, hs.cpu, hs.purpose, v, st.sc.timing.ipi, gen);
  e.at(rekickNs(e), Q.TIMEOUT, v, gen);
  hs.timerArmed = true;
}

// ---------------------------------------------------------------------------------------------
// converged: detach (walkthrough §2 steps 2–5)

function detachStart(e: Engine, vm: VmRec, k: number): void {
  const st = e.st;
  const v = vm.vcpus[k];
  const vc = st.vcpus[v];
  e.op(vm.oldVmm.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', `vcpufd ${k}: KVM_CAP opt-in checked, pinned to isolated CPU ${vc.pcpu}`);
  khoPreserve(e, 'caretaker', 'caretaker', '.text/.data.cpu_preserved: Caretaker code and data', REGION_BYTES.caretaker); // once for every vCPU
  khoPreserve(e, `ring:${e.vcpuName(v)}`, 'trace-ring', `${e.vcpuName(v)}: remote trace ring (${st.sc.caretaker.traceRingRecords} records)`, st.sc.caretaker.traceRingRecords * REGION_BYTES.ringRecord);
  e.fire(vc.ent, 'DETACH');
  beginHandshake(e, v, 'detach', 0);
}

export function vcpuNext(e: Engine, v: number, action: number): void {
  const st = e.st;
  const t = st.sc.timing;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const p = st.pcpus[vc.pcpu];
  switch (action) {
    case V.FORCED_EXIT:
      return forcedExit(e, v);
    case V.INVALIDATED:
      return invalidationAcked(e, v);
    case V.KNOWN:
      return knownState(e, v);
    case V.OFFLINED:
      // step 4: remove_cpu() done: kvm_offline_cpu() turned VMX off; the CPU plays dead in the FLB
      e.fire(p.ent, 'REMOVE_CPU');
      p.owner = 'nobody';
      p.preserved = true;
      // (the prototype's cpu_preserved_park() is rfcv1's: there the CPU parks and needs no INIT/SIPI)
      e.op(p.ent, 'play_dead()', 'offline and not present, recorded in the FLB as preserved; INIT/SIPI to the Caretaker entry next');
      e.sendIpi(BOOT_CPU, p.id, 'init-sipi', v, t.initSipi);
      return;
    case V.ENTRY: {
      // step 5: own GDT/IDT/CR3/stack; VMXON, VMPTRLD, VMLAUNCH
      e.check(INV.ONE_OWNER, p.owner === 'nobody', () => `CPU ${p.id} taken by a Caretaker while owned by ${p.owner}`);
      e.fire(p.ent, 'CARETAKER_ENTRY');
      p.owner = 'caretaker';
      p.vcpu = v;
      e.fire(vc.ct, 'ENTER_DETACHED');
      e.op(vc.ct, 'Caretaker entry', 'own GDT, IDT, CR3 and stack; VMXON, VMPTRLD, VMLAUNCH');
      e.fire(vc.ent, 'ORPHAN');
      vc.handshake = null;
      st.hot.mode[v] = MODE_GAP;
      e.produce(v, 1);
      resumeChecked(e, v, MODE_GAP, 'Caretaker VMLAUNCH (detached)');
      if (p.wedgeArmed) wedge(e, p.id);
      vmmResume(e, vm, 0);
      return;
    }
    case V.RESTORED: {
      // step 13: kvm_vcpu restored from KHO, TSC offset and kvmclock kept, feature check, new Caretaker
      const by = vc.handshake ? vc.handshake.by : 1;
      khoRead(e, `vcpu:${e.vcpuName(v)}`);
      if (by === 1 && (vm.mismatch === 'after-ponr' || vm.terminated)) {
        // the feature check fails: the new kernel cannot take this state, the VM is terminated (rfc-thread.md M6)
        if (!vm.terminated) {
          e.op(st.kernels[1], 'feature negotiation failed', 'the new kernel cannot restore the preserved state; VM terminated');
          terminateVm(e, vm, 'feature mismatch after the point of no return');
        }
        retireTerminated(e, v);
        return;
      }
      if (by === 1) {
        restoreClock(e, vm);
        e.fire(vc.ct, 'REPLACE');
        e.op(vc.ct, 'Caretaker replaced', "the new kernel's own Caretaker version installed");
      } else {
        e.fire(vc.ct, 'REATTACH');
        e.op(vc.ct, '.unpreserve()', 'state back into the existing kvm_vcpu; Caretaker attached again');
      }
      e.fire(vc.ent, 'ADOPTED');
      vc.kvm = by;
      hotplug(e, v, V.ONLINE);
      return;
    }
    case V.ONLINE: {
      const by = vc.handshake ? vc.handshake.by : 1;
      const ctState = e.stateOf(vc.ct);
      e.check(INV.NO_SIPI_PRESERVED, ctState === 'REPLACED' || ctState === 'ATTACHED' || ctState === 'RETIRED', () => `CPU ${p.id} onlined while its Caretaker is ${ctState}`);
      e.op(p.ent, 'add_cpu()', `CPU ${p.id} back to the ${by ? 'new' : 'old'} kernel`);
      e.fire(p.ent, 'ADD_CPU');
      p.owner = 'host';
      p.kernel = by;
      p.vcpu = -1;
      p.preserved = false;
      vc.handshake = null;
      if (e.stateOf(vc.ent) === 'TERMINATED') {
        afterTerminationStop(e, vm);
        return;
      }
      vm.adoptedVcpus++;
      vmmResume(e, vm, by ? 1 : 0);
      return;
    }
    case V.RUN: {
      // KVM_RUN entered; a stalled exit is handled by this kernel's KVM before the guest runs
      if (vm.terminated) return;
      const s = e.stateOf(vc.ent);
      const names = vcpuStates(e);
      if (s !== names.adopted && s !== names.suspended) throw new EngineBug(`${e.vcpuName(v)} KVM_RUN in ${s}`);
      e.fire(vc.ent, 'KVM_RUN');
      if (vm.irqHeldSince >= 0) {
        vm.longestIrqHoldNs = Math.max(vm.longestIrqHoldNs, st.now - vm.irqHeldSince);
        vm.irqHeldSince = -1;
        e.log.push(st.now, L.IRQ, vm.ent, 2, vm.irqHeld);
      }
      if (vc.stallKind >= 0) {
        const d = attachedDisposition(vc.stallKind, st.core);
        const c = st.dispCost[d === Disp.NONE ? Disp.HOST : d];
        e.op(vc.ent, 'pending exit handled', `${exitName(vc.stallKind)} by the ${vc.kvm ? 'new' : 'old'} kernel's KVM`);
        e.at(c, Q.VCPU, v, V.RESUME);
        return;
      }
      resumeChecked(e, v, MODE_ATTACHED, 'KVM_RUN');
      return;
    }
    case V.RESUME:
      // the VM was terminated while KVM handled the pending exit: the exit is lost with it
      // (lostWithVm counted it), and its vCPU does not run again
      if (vm.terminated || e.stateOf(vc.ent) === 'TERMINATED') return;
      if (vc.stallKind >= 0) {
        const d = st.now - vc.stallSince;
        vc.stalledNs += d;
        if (d > vc.longestStallNs) vc.longestStallNs = d;
        vc.stallKind = -1;
        vc.stalledHandled++;
      }
      resumeChecked(e, v, MODE_ATTACHED, 'KVM_RUN');
      return;
    case V.SUSPEND:
      if (vc.executing && st.hot.busyUntil[v] > st.now) {
        e.at(st.hot.busyUntil[v] - st.now, Q.VCPU, v, V.SUSPEND);
        return;
      }
      if (e.stateOf(vc.ent) === vcpuStates(e).attached) {
        e.fire(vc.ent, 'SUSPEND');
        if (vc.executing) e.halt(v, 'vm_suspend: paused by the VMM');
      }
      if (vm.suspending > 0 && --vm.suspending === 0) vmmResume(e, vm, 0);
      return;
    default:
      throw new EngineBug(`unknown vCPU continuation ${action}`);
  }
}

function exitName(kind: number): string {
  return EXIT_IDS[kind];
}

/** resume() with invariant 2: the pCPU must be owned by a live attached KVM or by this vCPU's Caretaker. */
export function resumeChecked(e: Engine, v: number, mode: number, why: string): void {
  const st = e.st;
  const vc = st.vcpus[v];
  if (mode === MODE_ATTACHED) {
    // a thread pinned to a CPU Linux does not have runs elsewhere (select_fallback_rq())
    const pin = st.pcpus[vc.pcpu];
    const ok = (c: number) => st.pcpus[c].owner === 'host' && st.pcpus[c].kernel === vc.kvm;
    vc.hostCpu = ok(vc.pcpu) ? vc.pcpu : (st.sc.host.housekeeping.find(ok) ?? vc.pcpu);
    if (vc.hostCpu !== vc.pcpu) e.message(pin.ent, `CPU ${pin.id} is not online: ${e.vcpuName(v)}'s thread falls back to CPU ${vc.hostCpu} (select_fallback_rq())`);
  }
  st.hot.mode[v] = mode;
  const p = st.pcpus[runningCpu(e, v)];
  const kernelAlive = p.owner === 'host' && e.stateOf(st.kernels[p.kernel]) !== 'JUMP';
  // async-run has no Caretaker: its vCPUs run under the live kernel in the VMM gap too (e.kernelGap)
  const ok = mode === MODE_GAP && !e.kernelGap ? p.owner === 'caretaker' && p.vcpu === v : kernelAlive && p.kernel === vc.kvm;
  e.check(INV.EXEC_OWNER, ok, () => `${e.vcpuName(v)} executes on CPU ${p.id} owned by ${p.owner}`);
  e.resume(v, mode, why);
}

function forcedExit(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const hs = vc.handshake;
  if (!hs || hs.done || hs.forced) return;
  if (vc.executing && st.hot.busyUntil[v] > st.now) {
    e.at(st.hot.busyUntil[v] - st.now, Q.VCPU, v, V.FORCED_EXIT);
    return;
  }
  hs.forced = true;
  if (hs.purpose === 'invalidate') {
    // MMU notifier forced exit: exit, INVEPT, re-enter (rfc-thread.md M12); the notifier counts the
    // vCPU as acknowledged only once that is done (walkthrough §6.3: ≈6 µs after the IPI was sent)
    if (vc.executing) e.extraExit(v, X.EXTERNAL_INTERRUPT, Disp.FASTPATH, st.sc.timing.forcedExit);
    e.op(vc.ct, 'INVEPT', 'stale EPT entries flushed after the MMU notifier zap');
    e.at(st.sc.timing.forcedExit, Q.VCPU, v, V.INVALIDATED);
    return;
  }
  // detach or attach: the vCPU exits (EXTERNAL_INTERRUPT through the host path) and stops
  if (vc.executing) {
    e.extraExit(v, X.EXTERNAL_INTERRUPT, Disp.HOST, st.dispCost[Disp.HOST], false);
    e.halt(v, hs.purpose === 'detach' ? 'detach IPI: forced exit' : 'attach IPI: forced exit');
  }
  e.at(st.sc.timing.knownState, Q.VCPU, v, V.KNOWN);
}

/** The forced exit of an invalidation is over (INVEPT done, guest re-entered): the vCPU acknowledges. */
function invalidationAcked(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const hs = vc.handshake;
  // an attach took the handshake over, or the notifier gave up: nothing to acknowledge
  if (!hs || hs.purpose !== 'invalidate' || hs.done || !hs.forced) return;
  const p = st.pcpus[vc.pcpu];
  if (p.wedged) {
    e.message(p.ent, `CPU ${p.id} wedged before acknowledging the invalidation`);
    return; // the handshake stays open: the notifier's timeout path
  }
  hs.done = true;
  vc.invalidated = true;
  vc.handshake = null;
  e.message(vc.ct, 'invalidation acknowledged: INVEPT done, guest re-entered');
  maybeFreePages(e, st.vms[vc.vm]);
}

function knownState(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const p = st.pcpus[vc.pcpu];
  const hs = vc.handshake;
  if (!hs || hs.done) return;
  if (p.wedged) {
    e.message(p.ent, `CPU ${p.id} wedged before publishing its known state`);
    return; // the handshake stays open: re-kicks are lost, then the timeout path
  }
  hs.done = true;
  if (hs.purpose === 'detach' && st.sc.design === 'rfc-v0') return R0.detachInPlace(e, v);
  if (hs.purpose === 'detach') {
    // step 3: exit; state into KHO; control back to the host on the pCPU
    e.fire(vc.ct, 'KNOWN_STATE');
    khoPreserve(e, `vcpu:${e.vcpuName(v)}`, 'vcpu-state', `${e.vcpuName(v)}: kvm_vcpu_arch_ser, cb`, REGION_BYTES.vcpuState);
    e.op(vc.ct, 'known state', 'vCPU exited, state serialized into KHO');
    e.op(p.ent, 'remove_cpu()', 'the vCPU thread leaves KVM_RUN, IRQs and timers migrate, kvm_offline_cpu() disables VMX');
    hotplug(e, v, V.OFFLINED);
    return;
  }
  // attach (step 13): exit, serialize, last trace records, VMCLEAR, VMXOFF, park
  e.fire(vc.ct, 'STOP');
  e.produce(v, 1);
  e.op(vc.ct, 'known state', 'exit, serialize, last trace record, VMCLEAR, VMXOFF, park');
  e.check(INV.KNOWN_STATE, e.stateOf(vc.ct) === 'STOPPED' && !vc.executing, () => `${e.vcpuName(v)} adopted outside a known state`);
  if (e.ringOn) consumeRing(e, v, hs.by);
  e.fire(p.ent, 'CARETAKER_PARKED');
  p.owner = 'nobody';
  p.vcpu = -1;
  if (vm.freePendingFault >= 0) maybeFreePages(e, vm); // an attach took over an invalidation: the vCPU is out
  if (hs.by === 1 && vm.terminated) {
    // stopped because its VM was terminated: nothing to restore (rfc-thread.md M6)
    retireTerminated(e, v);
    return;
  }
  // restore and feature check (timing.adoptPerVcpu); a mismatch after the point of no return shows there
  e.at(st.sc.timing.adoptPerVcpu, Q.VCPU, v, V.RESTORED);
}

/** A stopped vCPU whose VM is terminated: its Caretaker retires without a successor, its pCPU comes back. */
function retireTerminated(e: Engine, v: number): void {
  const vc = e.st.vcpus[v];
  e.fire(vc.ct, 'RETIRE');
  e.fire(vc.ent, 'TERMINATE');
  lostWithVm(e, v);
  hotplug(e, v, V.ONLINE);
}

/** Runs a hotplug operation (remove_cpu or add_cpu) under cpu_hotplug_lock, one at a time. */
function hotplug(e: Engine, v: number, then: number): void {
  const st = e.st;
  const dur = then === V.OFFLINED ? st.sc.timing.hotplugOffline : st.sc.timing.apBringup;
  const start = Math.max(st.now, st.hotplugBusyUntil);
  st.hotplugBusyUntil = start + dur;
  e.at(start + dur - st.now, Q.VCPU, v, then);
}

// ---------------------------------------------------------------------------------------------
// adoption (walkthrough §2 steps 12–14) and cancel

function adoptStart(e: Engine, vm: VmRec, k: number, by: number): void {
  const st = e.st;
  const v = vm.vcpus[k];
  const vc = st.vcpus[v];
  const m = by ? vm.newVmm! : vm.oldVmm;
  if (by) {
    e.op(m.ent, 'LIVEUPDATE_SESSION_RETRIEVE_FD', `vcpufd ${k}`);
    e.op(st.kernels[1], 'kvm_caretaker_wait_for_attach()', `attach IPI to CPU ${vc.pcpu}, poll every ${st.sc.timing.attachPoll} ns`);
  }
  e.fire(vc.ent, 'ATTACH');
  beginHandshake(e, v, 'attach', by);
}

function quarantine(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const by = vc.handshake?.by ?? 1;
  vc.handshake = null;
  e.message(st.kernels[by], `kvm: caretaker attach handshake timed out for pCPU ${vc.pcpu}; quarantining vCPU ${vc.index}`);
  if (st.sc.design === 'converged') e.fire(vc.ct, 'QUARANTINE');
  e.fire(vc.ent, 'QUARANTINE');
  if (vm.newVmm) e.op(vm.newVmm.ent, 'LIVEUPDATE_SESSION_RETRIEVE_FD = -ETIMEDOUT', `vcpufd ${vc.index}: the VMM cannot rebuild the VM`);
  terminateVm(e, vm, `vCPU ${vc.index} quarantined`);
  updatePhases(e);
  // its CPU may still run it (the kicks were lost, the CPU did not wedge). It is never forced to a
  // known state (its Caretaker stays QUARANTINED, its CPU never comes back), but no guest code of a
  // terminated VM is counted: the vCPU stops with its VM (ASSUMPTION, docs/walkthrough.md)
  if (vc.executing) e.halt(v, 'quarantined: its VM is terminated');
  if (e.stateOf(vc.ent) !== 'TERMINATED') {
    // (its VM was terminated already, by an earlier quarantine): its oncore job ends with it too
    if (vm.oncore) R.endJob(e, v);
    e.fire(vc.ent, 'TERMINATE');
    lostWithVm(e, v);
  }
  afterTerminationStop(e, vm);
  // the prototype's VMM goes on to give the other CPUs back
  if (vm.oncore) vmmResume(e, vm, by ? 1 : 0);
}

/** A terminated VM: every vCPU is stopped (orphaned ones by an attach IPI first) and reported. */
export function terminateVm(e: Engine, vm: VmRec, why: string): void {
  const st = e.st;
  if (vm.terminated) return;
  vm.terminated = true;
  vm.terminatedAt = st.now;
  e.message(vm.ent, `VM terminated: ${why}`);
  if (vm.oncore) {
    R.terminateOncore(e, vm);
    return;
  }
  for (const v of vm.vcpus) {
    const vc = st.vcpus[v];
    const s = e.stateOf(vc.ent);
    const names = vcpuStates(e);
    if (s === names.attached || s === names.suspended || s === names.adopted) {
      if (vc.executing) e.halt(v, 'VM terminated');
      e.fire(vc.ent, 'TERMINATE');
      lostWithVm(e, v);
    } else if ((s === 'ORPHANED_RUNNING' || s === 'ORPHANED_BLOCKED') && vm.newVmm) {
      // stopped by an attach IPI before the pCPU can come back (walkthrough §6.4)
      e.fire(vc.ent, 'ATTACH');
      beginHandshake(e, v, 'attach', 1);
    }
  }
  afterTerminationStop(e, vm);
}

/** When no vCPU of a terminated VM is still being stopped, the new VMM gives up. */
function afterTerminationStop(e: Engine, vm: VmRec): void {
  const st = e.st;
  if (vm.oncore) return; // the prototype's new VMM finishes its program (the CPUs come back at FINISH)
  const busy = vm.vcpus.some((v) => {
    const s = e.stateOf(st.vcpus[v].ent);
    return s === 'ADOPTING' || (st.vcpus[v].handshake !== null && !st.vcpus[v].handshake!.done) || st.vcpus[v].ct >= 0 && e.stateOf(st.vcpus[v].ct) === 'STOPPED';
  });
  if (busy) return;
  const m = vm.newVmm;
  if (m && e.stateOf(m.ent) === 'RETRIEVING') {
    e.fire(m.ent, 'EXIT');
    m.blocked = false;
    m.pc = m.prog.length;
  }
}

export function lostWithVm(e: Engine, v: number): void {
  const vc = e.st.vcpus[v];
  if (vc.stallKind >= 0) {
    vc.lostExits++;
    const d = e.st.now - vc.stallSince;
    vc.stalledNs += d;
    if (d > vc.longestStallNs) vc.longestStallNs = d;
    vc.stallKind = -1;
  }
}

function consumeRing(e: Engine, v: number, by: number): void {
  const hot = e.st.hot;
  const n = hot.ringFill[v];
  hot.ringConsumed[v] += n;
  hot.ringFill[v] = 0;
  e.log.push(e.st.now, L.TRACE, e.st.vcpus[v].ent, n, hot.ringDropped[v]);
  e.op(e.st.kernels[by], 'trace ring drained', `${n} records read, ${hot.ringDropped[v]} dropped by overwrite`);
  e.check(INV.TRACE_CONSERVED, hot.ringProduced[v] === hot.ringConsumed[v] + hot.ringDropped[v] + hot.ringFill[v], () => `${e.vcpuName(v)} trace records not conserved`);
}

// ---------------------------------------------------------------------------------------------
// the gap: stalls, guest coupling, devices

/** A blocking exit in the gap: the vCPU halts with the exit pending until a kernel adopts it. */
export function stall(e: Engine, v: number, kind: number): void {
  if (isOncore(e)) return R.stallOncore(e, v, kind);
  if (e.st.sc.design === 'rfc-v0') return R0.spinWait(e, v, kind);
  if (e.st.sc.design === 'async-run') return AR.blockAsync(e, v, kind);
  const st = e.st;
  const vc = st.vcpus[v];
  e.log.push(st.now, L.EXIT, vc.ent, kind | (Disp.STALLED << 8) | EXIT_GAP_BIT, st.worldSwitchNs);
  e.produce(v, 2);
  // already being adopted (its attach kick late or lost): it stops here, the exit pending
  if (e.stateOf(vc.ent) !== 'ADOPTING') e.fire(vc.ent, 'BLOCK');
  e.halt(v, `blocking exit ${exitName(kind)}: the Caretaker halts the pCPU until adoption`);
  vc.stallKind = kind;
  vc.stallSince = st.now;
}

/** Called when a vCPU starts executing: acknowledge shootdowns it missed, run a pending touch. */
export function onExecuting(e: Engine, v: number): void {
  const vc = e.st.vcpus[v];
  if (vc.pendingAcks.length) {
    const pairs = vc.pendingAcks;
    vc.pendingAcks = [];
    for (let i = 0; i < pairs.length; i += 2) shootdownAck(e, pairs[i + 1] + v * ACK_TARGET, pairs[i]);
  }
  if (vc.pendingTouch) {
    vc.pendingTouch = false;
    e.at(0, Q.TOUCH, -1 - v, 0);
  }
}

export function scheduleShootdown(e: Engine, v: number): void {
  const st = e.st;
  const rate = st.sc.vms[st.vcpus[v].vm].tlbShootdownsPerSec;
  const vc = st.vcpus[v];
  if (rate <= 0 || !vc.executing || vc.waitAcks > 0) return;
  st.hot.shootGen[v]++;
  e.at(nextExpNs(st.prng, 1e9 / rate), Q.SHOOT, v, st.hot.shootGen[v]);
}

/** The guest flushes TLBs on other vCPUs: an IPI to each, then it spins until all acknowledge. */
export function shootdown(e: Engine, v: number, g: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  if (g !== st.hot.shootGen[v] || !vc.executing) return;
  if (st.hot.busyUntil[v] > st.now) {
    e.at(st.hot.busyUntil[v] - st.now, Q.SHOOT, v, g);
    return;
  }
  const vm = st.vms[vc.vm];
  const targets = vm.vcpus.filter((x) => x !== v);
  if (!targets.length) return;
  const d = st.hot.disp[v * NUM_EXITS + X.X2APIC_ICR] as Disp;
  if (d === Disp.STALLED) {
    st.hot.counts[(v * NUM_EXITS + X.X2APIC_ICR) * 5 + d]++;
    st.hot.gapCounts[(v * NUM_EXITS + X.X2APIC_ICR) * 5 + d]++;
    stall(e, v, X.X2APIC_ICR);
    return;
  }
  if (d !== Disp.NONE) e.extraExit(v, X.X2APIC_ICR, d, st.dispCost[d]);
  vc.progressNs += st.now - vc.progressSince;
  vc.waitAcks = targets.length;
  st.hot.waiting[v] = 1;
  // the ICR write's exit, still in progress, lies in the wait: it is no lost progress twice
  if (st.hot.busyUntil[v] > st.now) st.hot.waitExitNs[v] += st.hot.busyUntil[v] - st.now;
  vc.waitSince = st.now;
  e.log.push(st.now, L.WAIT, vc.ent, 1, targets.length);
  e.setStream(v, st.hot.mode[v]); // it spins now: no idle exits until every target acknowledges
  for (const tv of targets) {
    const tc = st.vcpus[tv];
    const id = st.guestIpiSeq++;
    // guest IPIs go vCPU to vCPU; the target acknowledges once it executes
    e.log.push(st.now, L.IPI_SEND, st.pcpus[tc.pcpu].ent, id, (vc.pcpu << 16) | GUEST_IPI_CODE);
    if (tc.executing) e.at(st.sc.timing.guestIpi, Q.ACK, v + tv * ACK_TARGET, id);
    else tc.pendingAcks.push(id, v);
  }
}

/** Q.ACK's first argument: sender + target × ACK_TARGET (vCPU indices stay below it). */
const ACK_TARGET = 4096;
const GUEST_IPI_CODE = IPI_PURPOSE_NAMES.indexOf('guest');

/** The target of guest IPI `id` handled it (flushed its TLB) and acknowledged to the sender. */
export function shootdownAck(e: Engine, senderAndTarget: number, id: number): void {
  const st = e.st;
  const sender = senderAndTarget % ACK_TARGET;
  const target = Math.floor(senderAndTarget / ACK_TARGET);
  e.log.push(st.now, L.IPI_DELIVER, st.pcpus[st.vcpus[target].pcpu].ent, id, GUEST_IPI_CODE);
  const vc = st.vcpus[sender];
  if (vc.waitAcks <= 0) return;
  vc.waitAcks--;
  if (vc.waitAcks > 0) return;
  vc.waitNs += st.now - vc.waitSince;
  st.hot.waiting[sender] = 0;
  // an exit in progress at the last acknowledgement straddles the wait's end: only its part up
  // to now lies in the wait (the rest is lost progress, as any exit outside a wait)
  if (vc.executing && st.hot.busyUntil[sender] > st.now) st.hot.waitExitNs[sender] -= st.hot.busyUntil[sender] - st.now;
  e.log.push(st.now, L.WAIT, vc.ent, 0, 0);
  // back to its workload: idle exits again, and the next shootdown (a halted sender does both when it resumes)
  if (vc.executing) {
    vc.progressSince = st.now;
    e.setStream(sender, st.hot.mode[sender]);
  }
}

/** A passthrough device interrupt: posted with no exit, an exit to the host, or held until adoption. */
export function deviceIrq(e: Engine, di: number, retry: number): void {
  const st = e.st;
  const d = e.devices[di];
  const vm = st.vms[d.vm];
  if (vm.terminated) return;
  if (!retry) e.at(nextExpNs(st.prng, 1e9 / d.rate), Q.DEVIRQ, di, 0);
  const vc = st.vcpus[d.vcpu];
  if (d.posted) {
    vm.irqPosted++;
    return;
  }
  const s = e.stateOf(vc.ent);
  if (vc.executing && (st.hot.mode[d.vcpu] === MODE_ATTACHED || st.sc.design === 'async-run')) {
    if (st.hot.busyUntil[d.vcpu] > st.now) {
      e.at(st.hot.busyUntil[d.vcpu] - st.now, Q.DEVIRQ, di, 1);
      return;
    }
    vm.irqExits++;
    e.extraExit(d.vcpu, X.EXTERNAL_INTERRUPT, Disp.HOST, st.dispCost[Disp.HOST]);
  } else if (st.sc.design === 'rfc-v0' && vc.executing && st.hot.mode[d.vcpu] === MODE_GAP) {
    // M1's fallback: KVM shares its IRQ routing with the Caretaker, which injects in software
    if (st.hot.busyUntil[d.vcpu] > st.now) {
      e.at(st.hot.busyUntil[d.vcpu] - st.now, Q.DEVIRQ, di, 1);
      return;
    }
    vm.irqExits++;
    e.extraExit(d.vcpu, X.EXTERNAL_INTERRUPT, Disp.FASTPATH, st.dispCost[Disp.FASTPATH]);
  } else if (vc.ct >= 0 && s !== vcpuStates(e).attached && s !== 'TERMINATED') {
    // no Linux IRQ routing in the gap: held until a kernel adopts the vCPU (walkthrough §7.8)
    vm.irqHeld++;
    if (vm.irqHeldSince < 0) {
      vm.irqHeldSince = st.now;
      e.log.push(st.now, L.IRQ, vm.ent, 1, vm.irqHeld);
    }
  } else {
    vm.irqQueued++;
  }
}

// ---------------------------------------------------------------------------------------------
// misbehaving userspace: madvise(MADV_FREE) of guest memory

function madviseFree(e: Engine, fi: number): void {
  const st = e.st;
  const f = st.sc.faults[fi];
  if (f.kind !== 'madvise-free') return;
  const vm = st.vms.find((x) => x.name === f.vm)!;
  e.log.push(st.now, L.FAULT, vm.ent, fi, e.log.str('madvise(MADV_FREE) of guest memory'));
  e.op(vm.oldVmm.ent, 'madvise(MADV_FREE)', 'guest memory range');
  if (e.stateOf(st.kernels[0]) === 'JUMP') return;
  const detached = vm.vcpus.filter((v) => inCustody(e, v));
  vm.freePendingFault = fi;
  for (const v of vm.vcpus) st.vcpus[v].invalidated = false;
  if (detached.length && isOncore(e)) {
    // the open hazard the prototype documents (orphanvm.md §6): no notifier kick for preserved vCPUs
    e.op(st.kernels[0], 'kvm_mmu_notifier_invalidate_range_start()', 'zap SPTEs; the prototype sends no kick to preserved vCPUs (an open hazard)');
  } else if (detached.length && st.sc.design === 'rfc-v0') {
    // M1 has no forced exit for detached vCPUs: Paolo added it in M12 (walkthrough §6.3)
    e.op(st.kernels[0], 'kvm_mmu_notifier_invalidate_range_start()', 'zap SPTEs; the RFC sends no IPI to detached vCPUs (added by the thread in M12)');
  } else if (detached.length) {
    e.op(st.kernels[0], 'kvm_mmu_notifier_invalidate_range_start()', `zap SPTEs; IPI CPUs ${detached.map((v) => st.vcpus[v].pcpu).join(',')} to force an exit`);
    for (const v of detached) beginHandshake(e, v, 'invalidate', 0);
  } else {
    e.op(st.kernels[0], 'kvm_mmu_notifier_invalidate_range_start()', 'zap SPTEs; no vCPU runs detached');
  }
  maybeFreePages(e, vm);
}

function maybeFreePages(e: Engine, vm: VmRec): void {
  const st = e.st;
  const fi = vm.freePendingFault;
  if (fi < 0) return;
  const waiting = vm.vcpus.some((v) => st.vcpus[v].handshake?.purpose === 'invalidate');
  if (waiting) return;
  vm.freePendingFault = -1;
  const exposed = vm.vcpus.filter((v) => inCustody(e, v) && !st.vcpus[v].invalidated);
  e.check(INV.NO_FREE_WHILE_MAPPED, exposed.length === 0, () => `pages of ${vm.name} freed while ${exposed.map((v) => e.vcpuName(v)).join(', ')} may still map them`);
  e.op(vm.oldVmm.ent, 'pages freed', 'the MMU notifier returned');
  const f = st.sc.faults[fi];
  if (f.kind === 'madvise-free') e.at(f.touchAfter, Q.TOUCH, vm.vcpus[0], 0);
}

/** A vCPU touches the freed range: EPT_VIOLATION, handled by KVM or stalled in the gap. */
export function touchFreed(e: Engine, a: number): void {
  const st = e.st;
  const v = a < 0 ? -1 - a : a;
  const vc = st.vcpus[v];
  if (st.vms[vc.vm].terminated) return;
  if (!vc.executing) {
    vc.pendingTouch = true;
    return;
  }
  if (st.hot.busyUntil[v] > st.now) {
    e.at(st.hot.busyUntil[v] - st.now, Q.TOUCH, v, 0);
    return;
  }
  const d = st.hot.disp[v * NUM_EXITS + X.EPT_VIOLATION] as Disp;
  if (d === Disp.STALLED) {
    st.hot.counts[(v * NUM_EXITS + X.EPT_VIOLATION) * 5 + d]++;
    st.hot.gapCounts[(v * NUM_EXITS + X.EPT_VIOLATION) * 5 + d]++;
    stall(e, v, X.EPT_VIOLATION);
  } else {
    e.extraExit(v, X.EPT_VIOLATION, d, st.dispCost[d]);
  }
}

// ---------------------------------------------------------------------------------------------
// KHO

export function khoPreserve(e: Engine, key: string, kind: KhoRegion['kind'], owner: string, bytes: number): void {
  const st = e.st;
  if (st.kho.some((r) => r.key === key && r.freedAt < 0)) return;
  st.kho.push({ key, kind, owner, bytes, preservedAt: st.now, restoredAt: -1, freedAt: -1 });
  e.log.push(st.now, L.KHO, st.khoEnt, e.log.str(key), 0);
}

/** The new kernel reads a preserved region (invariant 10). */
export function khoRead(e: Engine, key: string): void {
  const st = e.st;
  const r = st.kho.find((x) => x.key === key && x.freedAt < 0);
  const jumped = st.kernels.length > 1;
  e.check(INV.KHO_PRESERVED, !!r && (!jumped || r.preservedAt <= (st.phases.kexec ?? Infinity)), () => `the new kernel read ${key} from KHO, which the old kernel did not preserve`);
  if (r) {
    r.restoredAt = st.now;
    e.log.push(st.now, L.KHO, st.khoEnt, e.log.str(key), 1);
  }
}

/** A preserved region is freed (its owner no longer needs it across a kexec). */
export function khoFree(e: Engine, key: string): void {
  const st = e.st;
  const r = st.kho.find((x) => x.key === key && x.freedAt < 0);
  if (!r) return;
  r.freedAt = st.now;
  e.log.push(st.now, L.KHO, st.khoEnt, e.log.str(key), 2);
}

function khoFreeVm(e: Engine, vm: VmRec): void {
  const st = e.st;
  for (const r of st.kho) {
    if (r.freedAt >= 0) continue;
    const mine = r.owner === vm.name || r.owner.startsWith(`${vm.name}:`) || r.owner.startsWith(`${vm.name}/`) || r.owner === `session ${vm.name}`;
    if (mine) {
      r.freedAt = st.now;
      e.log.push(st.now, L.KHO, st.khoEnt, e.log.str(r.key), 2);
    }
  }
}

/**
 * The old Caretaker's code and data, preserved once for every vCPU (converged): FINISH frees it
 * (walkthrough §2 step 16), and a cancel's unpreserve drops it, once no Caretaker may still run it
 * (every one replaced, retired or attached again; a quarantined or parked one keeps it). rfc-v0's
 * Caretaker stays in the exit path, so it is never freed.
 */
function khoFreeCaretaker(e: Engine): void {
  const st = e.st;
  if (st.sc.design === 'rfc-v0') return;
  const done = new Set(['REPLACED', 'RETIRED', 'ATTACHED']);
  if (st.vcpus.some((vc) => vc.ct >= 0 && !done.has(e.stateOf(vc.ct)))) return;
  khoFree(e, 'caretaker');
}

/** Invariant 9: the new kernel keeps the preserved TSC offset and kvmclock. */
export function restoreClock(e: Engine, vm: VmRec): void {
  khoRead(e, `pvclock:${vm.name}`);
  if (vm.restoredTscOffset >= 0) return;
  vm.restoredTscOffset = vm.tscReset ? 0 : vm.tscOffset;
  if (vm.tscReset) e.op(e.st.kernels[1], 'kvm_synchronize_tsc()', `${vm.name}: TSC offset reset to 0 instead of the preserved value`);
  e.check(INV.TIME_MONOTONIC, vm.restoredTscOffset === vm.tscOffset, () => `${vm.name} TSC offset changed across the handover: guest time jumps`);
}

// ---------------------------------------------------------------------------------------------
// end of run

export function endOfRun(e: Engine): void {
  const st = e.st;
  const hot = st.hot;
  for (let v = 0; v < st.vcpus.length; v++) {
    const vc = st.vcpus[v];
    let stalled = 0;
    for (let k = 0; k < NUM_EXITS; k++) stalled += e.exitCount(v, k, Disp.STALLED);
    const pending = vc.stallKind >= 0 ? 1 : 0;
    e.check(INV.NO_LOST_EXIT, stalled === vc.stalledHandled + pending + vc.lostExits, () => `${e.vcpuName(v)}: ${stalled} stalled exits, ${vc.stalledHandled} handled, ${pending} pending, ${vc.lostExits} lost with the VM`);
    e.check(INV.TRACE_CONSERVED, hot.ringProduced[v] === hot.ringConsumed[v] + hot.ringDropped[v] + hot.ringFill[v], () => `${e.vcpuName(v)} trace records not conserved`);
  }
  for (const ipi of st.ipis) {
    if (ipi.purpose === 'guest' || ipi.arriveAt > st.now) continue; // guest IPIs wait for their target, by design
    e.check(INV.IPI_ACCOUNTED, ipi.status !== 'flight', () => `IPI ${ipi.id} to CPU ${ipi.to} neither delivered nor lost`);
  }
}
