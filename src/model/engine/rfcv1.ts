/**
 * `rfcv1`, the prototype as built (orphanvm.md §1.3–1.5, §2; walkthrough §3): pCPUs are LUO
 * files parked through the hotplug dead path (no INIT/SIPI); each vCPU becomes an `oncore` job
 * that the session's preserved CPUs time-slice (10 ms quantum when jobs wait, tickless 1:1);
 * `cb->state` moves by compare-and-swap; at vmfd retrieve every CPU's workload is detached, and
 * each vcpufd retrieve reclaims its vCPU — fast (PAUSED→STOPPED, no IPI) or slow (STOPPING, NMI
 * kick, serialize, STOPPED); CPUs come back at FINISH, before KVM_RUN.
 *
 * `design-v2` (DESIGN_V2, orphanvm.md §1.3e) runs on the same code with its own handshake: the
 * CCB's attachment_state goes DETACHED at staging; a retrieve or a cancel sets ATTACHING and kicks
 * the job's CPU (again every 5 ms; 2 s to attach, 20 s to cancel); the Caretaker syncs the vCPU,
 * sets ATTACHED and the CPU goes on with its other jobs. No cmpxchg reclaim, no detach_workload at
 * vmfd retrieve, and CPUs stay PARKED until a job exists.
 */
import { EngineBug } from '../../base/assert.ts';
import { L } from '../eventlog.ts';
import { Disp, X } from '../exits.ts';
import { MODE_GAP } from '../caretakerCore.ts';
import { INV } from '../invariants.ts';
import { Q, type Engine } from './engine.ts';
import type { VmRec } from './state.ts';
import { beginHandshake, khoFree, khoPreserve, khoRead, lostWithVm, restoreClock, resumeChecked, terminateVm, vmmResume, wedge } from './protocol.ts';

/** Q.ONCORE actions (the second argument). */
export const ONC = {
  CPU_PARKED: 1,
  ACTIVATE: 2,
  ENTER: 3,
  QUANTUM: 4,
  SWITCH: 5,
  SERIALIZED: 6,
  RESTORED: 7,
  CPU_DEAD: 8,
  CPU_ONLINE: 9,
  YIELD: 10,
  PARK: 11,
  RECLAIM_KICK: 12,
} as const;

const BOOT_CPU = 0;

/** DESIGN_V2 rather than RFCv1. */
const isV2 = (e: Engine) => e.st.sc.design === 'design-v2';

/** The vCPU's control block lets a CPU run it: cb PAUSED (RFCv1), attachment_state DETACHED (DESIGN_V2). */
const runnableCb = (e: Engine, ct: number) => e.stateOf(ct) === (isV2(e) ? 'DETACHED' : 'PAUSED');

/** The job is on silicon: cb RUNNING (RFCv1), or its oncore job RUNNING (DESIGN_V2, whose CCB does not track it). */
export const jobRunning = (e: Engine, v: number) => (isV2(e) ? e.stateOf(e.st.vcpus[v].job) === 'RUNNING' : e.stateOf(e.st.vcpus[v].ct) === 'RUNNING');

/**
 * A host asked for the vCPU back while its job is on a CPU: cb STOPPING (RFCv1), attachment_state
 * ATTACHING (DESIGN_V2). The Caretaker's loop checks this at every return from the guest
 * (kvm_caretaker_should_exit(), orphanvm.md §1.3a; DESIGN_V2 step 3, §1.3e) and hands the vCPU
 * over instead of pausing it or entering it.
 */
const reclaimAsked = (e: Engine, ct: number) => e.stateOf(ct) === (isV2(e) ? 'ATTACHING' : 'STOPPING');

/** The control block says the host owns the vCPU again. */
const cbReclaimed = (e: Engine, ct: number) => e.stateOf(ct) === (isV2(e) ? 'ATTACHED' : 'STOPPED');

/** The session (VM) whose pool a pCPU belongs to, or null. */
function sessionOf(e: Engine, pcpu: number): VmRec | null {
  return e.st.vms.find((vm) => vm.oncore?.cpus.includes(pcpu)) ?? null;
}

/** Keeps the hot path's yield hook in step with the runqueue: an idle exit yields only when others wait. */
function syncYieldHooks(e: Engine, vm: VmRec): void {
  const waiting = vm.oncore!.runq.some((v) => !e.st.vcpus[v].oncore!.stalled) ? 1 : 0;
  for (const v of vm.vcpus) e.st.hot.yieldHook[v] = waiting;
}

// ---------------------------------------------------------------------------------------------
// preserve: CPUs (LUO_CPU_BASE_TOKEN+N), then vCPUs (LUO_VCPU_BASE_TOKEN+i), then STATE

/** `PRESERVE_FD(cpuN/preserve)`: remove_cpu() → cpu_preserved_park(), set_cpu_present(N, false). */
export function preserveCpu(e: Engine, vm: VmRec, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  e.op(vm.oldVmm.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', `/sys/devices/system/cpu/cpu${cpu}/preserve (LUO_CPU_BASE_TOKEN+${cpu})`);
  e.op(p.ent, 'remove_cpu()', 'hotplug teardown; cpu_preserved_report_dead() parks it instead of playing dead');
  e.fire(p.ent, 'REMOVE_CPU');
  p.owner = 'nobody';
  const start = Math.max(st.now, st.hotplugBusyUntil);
  st.hotplugBusyUntil = start + st.sc.timing.hotplugOffline;
  e.at(st.hotplugBusyUntil - st.now, Q.ONCORE, cpu, ONC.CPU_PARKED);
}

function cpuParked(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  const vm = sessionOf(e, cpu)!;
  e.fire(p.ent, 'PARK');
  p.owner = 'caretaker';
  p.preserved = true;
  e.op(p.ent, 'set_cpu_present(false)', 'parked in cpu_preserved_park_loop() on a KHO stack; hidden from smp_send_stop() and smp_init()');
  khoPreserve(e, `cpu:${cpu}`, 'caretaker', `CPU ${cpu}: cpu_preserved_ser, stack and session address space`, 16 * 1024);
  // RFCv1 attaches the scheduler at once: the CPU idles in oncore_cpu_schedule_loop();
  // DESIGN_V2 (RFCv2 todo 1) keeps it PARKED until a job is activated
  if (!isV2(e)) {
    e.fire(p.ent, 'ATTACH_WORKLOAD');
    e.op(p.ent, 'oncore_sched_cpu_worker()', 'CPU_PRESERVED_WORKLOAD with an empty runqueue');
  }
  if (p.wedgeArmed) wedge(e, cpu);
  vmmResume(e, vm, 0);
}

/** `PRESERVE_FD(vcpufd)`: submit an oncore job to the least-loaded CPU, serialize, cb = PAUSED, activate. */
export function preserveVcpu(e: Engine, vm: VmRec, k: number): void {
  const st = e.st;
  const v = vm.vcpus[k];
  const vc = st.vcpus[v];
  const pool = vm.oncore!;
  // least-loaded preserved CPU of the session (lowest id on a tie)
  const load = (cpu: number) => vm.vcpus.filter((x) => st.vcpus[x].oncore && st.vcpus[x].oncore!.preferredCpu === cpu).length;
  const cpu = [...pool.cpus].sort((a, b) => load(a) - load(b) || a - b)[0];
  e.op(vm.oldVmm.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', `vcpufd ${k} (LUO_VCPU_BASE_TOKEN+${k}): oncore_session_submit_job() to CPU ${cpu}, the least loaded`);
  vc.oncore = { preferredCpu: cpu, onCpu: -1, totalRuns: 0, preemptions: 0, migrations: 0, stalled: false, stallExitReason: -1, quantumGen: 0, tickless: true, reclaimBy: 1, serializingOn: -1 };
  khoPreserve(e, `vcpu:${e.vcpuName(v)}`, 'vcpu-state', `${e.vcpuName(v)}: kvm_vcpu_arch_ser`, 16 * 1024);
  khoPreserve(e, `cb:${e.vcpuName(v)}`, 'caretaker', `${e.vcpuName(v)}: kvm_caretaker_cb_ser, runtime page, telemetry`, 8 * 1024);
  e.at(st.sc.timing.knownState, Q.ONCORE, v, ONC.ACTIVATE);
}

function activate(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const name = e.vcpuName(v);
  if (isV2(e)) {
    vc.ct = e.addEnt('caretaker', `ccb ${name}`, 'attachment');
    e.fire(vc.ct, 'DETACH');
    e.op(vc.ct, 'attachment_state = CARETAKER_KVM_DETACHED', `staged by the outgoing KVM; caretaker_job for CPU ${vc.oncore!.preferredCpu}`);
  } else {
    vc.ct = e.addEnt('caretaker', `cb ${name}`, 'cb');
    e.op(vc.ct, 'kvm_arch_vcpu_luo_preserve()', `kvm_vcpu_arch_ser serialized; HOST_RIP/HOST_CR3 retargeted; cb = {PAUSED, pcpu ${vc.oncore!.preferredCpu}, vcpu ${vc.index}}`);
  }
  vc.job = e.addEnt('job', `job ${name}`, 'oncoreJob');
  e.op(vc.job, isV2(e) ? 'caretaker_session_activate_job()' : 'oncore_session_activate_job()', 'RUNNABLE at the tail of the runqueue; kick every CPU of the session');
  for (const cpu of vm.oncore!.cpus) {
    const p = st.pcpus[cpu];
    if (isV2(e) && e.stateOf(p.ent) === 'PARKED') {
      e.fire(p.ent, 'ATTACH_WORKLOAD');
      e.op(p.ent, 'caretaker_sched_cpu_worker()', 'the first job exists: CPU_PRESERVED_WORKLOAD');
    }
  }
  vm.oncore!.runq.push(v);
  syncYieldHooks(e, vm);
  for (const cpu of vm.oncore!.cpus) e.sendIpi(BOOT_CPU, cpu, 'kick', v, st.sc.timing.ipi);
  e.at(st.sc.timing.ipi, Q.VMM, vm.idx * 2, 0); // PRESERVE_FD(vcpufd) returns once the kicks are out
  vm.oldVmm.blocked = false;
}

// ---------------------------------------------------------------------------------------------
// the scheduler: oncore_cpu_schedule_loop()

/** A scheduler kick (NMI) reached a preserved CPU. */
export function kickArrived(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  const s = e.stateOf(p.ent);
  if (s !== 'WORKLOAD') return;
  if (p.vcpu < 0) {
    if (!p.switching) pickNext(e, cpu);
    return;
  }
  // a running job: the NMI exits the guest; with others waiting, a tickless job now gets a quantum
  const v = p.vcpu;
  const vc = st.vcpus[v];
  // (a vCPU inside an exit is in root mode: the NMI goes to the Caretaker's vector, no exit of its own)
  if (vc.executing && st.hot.busyUntil[v] <= st.now) e.extraExit(v, X.EXCEPTION_NMI, Disp.FASTPATH, st.dispCost[Disp.FASTPATH]);
  const vm = sessionOf(e, cpu)!;
  if (vc.oncore!.tickless && vm.oncore!.runq.some((x) => !st.vcpus[x].oncore!.stalled)) armQuantum(e, v);
}

function armQuantum(e: Engine, v: number): void {
  const o = e.st.vcpus[v].oncore!;
  o.tickless = false;
  o.quantumGen++;
  e.at(e.st.sc.caretaker.quantum, Q.ONCORE, v, ONC.QUANTUM + 16 * o.quantumGen);
}

/** oncore_sched_pick_next(): a never-run head job, else one that prefers this CPU, else the head. */
function pickNext(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  const vm = sessionOf(e, cpu);
  if (!vm || e.stateOf(p.ent) !== 'WORKLOAD' || p.wedged) return;
  const rq = vm.oncore!.runq;
  const ready = rq.filter((v) => !st.vcpus[v].oncore!.stalled);
  if (!ready.length) return; // arch_cpu_preserved_park_wait()
  const head = ready[0];
  const v = st.vcpus[head].oncore!.totalRuns === 0 ? head : (ready.find((x) => st.vcpus[x].oncore!.preferredCpu === cpu) ?? head);
  rq.splice(rq.indexOf(v), 1);
  const vc = st.vcpus[v];
  // run_fn: cmpxchg(cb->state, PAUSED, RUNNING); a reclaimed job fails it and returns ATTACH_SIGNALED
  if (!runnableCb(e, vc.ct)) {
    e.op(vc.ct, isV2(e) ? 'attachment_state check' : 'cmpxchg(PAUSED → RUNNING) failed', `${isV2(e) ? 'attachment_state' : 'cb'} is ${e.stateOf(vc.ct)}: ONCORE_EXIT_ATTACH_SIGNALED`);
    e.fire(vc.job, 'DIE');
    syncYieldHooks(e, vm);
    pickNext(e, cpu);
    return;
  }
  e.fire(vc.job, 'PICK');
  if (!isV2(e)) e.fire(vc.ct, 'CAS_RUN');
  if (vc.oncore!.onCpu >= 0 && vc.oncore!.onCpu !== cpu) {
    vc.oncore!.migrations++;
    e.op(vc.ct, 'cb->pcpu_id', `${vc.oncore!.onCpu} → ${cpu}: the job migrated`);
  }
  vc.oncore!.onCpu = cpu;
  vc.oncore!.totalRuns++;
  p.vcpu = v;
  p.switching = true;
  vc.oncore!.tickless = !rq.some((x) => !st.vcpus[x].oncore!.stalled);
  syncYieldHooks(e, vm);
  e.at(st.sc.timing.caretakerEntry, Q.ONCORE, v, ONC.ENTER);
}

function enter(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const p = st.pcpus[vc.oncore!.onCpu];
  p.switching = false;
  if (p.vcpu === v && reclaimAsked(e, vc.ct) && e.stateOf(vc.job) !== 'DEAD') {
    // reclaimed between the pick and VMRESUME: run_fn sees kvm_caretaker_should_exit() before it
    // enters the guest, serializes and publishes STOPPED (ATTACHED) without waiting for the kick
    e.op(vc.ct, 'kvm_caretaker_should_exit()', `${isV2(e) ? 'attachment_state' : 'cb'} is ${e.stateOf(vc.ct)} before VMRESUME: serialize and hand the vCPU over`);
    handOver(e, v, vc.oncore!.onCpu);
    return;
  }
  if (p.vcpu !== v || !jobRunning(e, v) || (isV2(e) && e.stateOf(vc.ct) !== 'DETACHED')) return; // parked or reclaimed meanwhile
  e.fire(vc.ent, 'RUN');
  e.op(vc.ct, 'VMRESUME', vc.oncore!.tickless ? 'deadline U64_MAX: tickless, nothing else waits' : `deadline now + ${st.sc.caretaker.quantum} ns`);
  st.hot.mode[v] = MODE_GAP;
  resumeChecked(e, v, MODE_GAP, 'oncore run_fn: VMRESUME under the Caretaker');
  if (!vc.oncore!.tickless) armQuantum(e, v);
}

/** The job stops running on its CPU: quantum expired, idle, stalled. Serialize, publish PAUSED, pick the next. */
function deschedule(e: Engine, v: number, reason: 'QUANTUM_EXPIRED' | 'YIELD_IDLE' | 'STALL'): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const o = vc.oncore!;
  const cpu = o.onCpu;
  const p = st.pcpus[cpu];
  const vm = st.vms[vc.vm];
  o.quantumGen++;
  if (vc.executing) e.halt(v, `ONCORE_EXIT_${reason}`);
  if (reclaimAsked(e, vc.ct)) {
    // a host asked for the vCPU back (its kick may still be in flight): the loop sees
    // kvm_caretaker_should_exit() at this exit and hands the vCPU over instead of pausing it
    // (a stalled exit stays pending, for the reclaiming kernel's KVM)
    if (reason === 'STALL') e.fire(vc.ent, 'STALL');
    e.op(vc.ct, 'kvm_caretaker_should_exit()', `${isV2(e) ? 'attachment_state' : 'cb'} is ${e.stateOf(vc.ct)} at ONCORE_EXIT_${reason}: serialize and hand the vCPU over`);
    handOver(e, v, cpu);
    return;
  }
  if (!isV2(e)) e.fire(vc.ct, 'CAS_PAUSE');
  if (reason === 'STALL') e.fire(vc.ent, 'STALL');
  else e.fire(vc.ent, 'PAUSE');
  if (reason === 'QUANTUM_EXPIRED') o.preemptions++;
  // a job being cancelled (DESIGN_V2: CANCELING) is not queued again: its kick syncs it
  if (e.stateOf(vc.job) !== 'CANCELING') {
    e.fire(vc.job, 'REQUEUE');
    vm.oncore!.runq.push(v);
  }
  p.vcpu = -1;
  p.switching = true;
  syncYieldHooks(e, vm);
  // detach_serialize() and the switch to the next job
  e.at(st.sc.timing.knownState, Q.ONCORE, cpu, ONC.SWITCH);
}

/**
 * The job leaves the guest for a host that asked for it (kvm_caretaker_should_exit()): the kick,
 * if still coming, has nothing left to force; the vCPU is serialized and published STOPPED
 * (ATTACHED) by ONC.SERIALIZED, and the CPU goes on with the session's other jobs.
 */
function handOver(e: Engine, v: number, cpu: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const p = st.pcpus[cpu];
  const hs = vc.handshake;
  if (hs) hs.forced = true;
  vc.oncore!.quantumGen++;
  if (p.vcpu === v) {
    p.vcpu = -1;
    p.switching = true;
    e.at(st.sc.timing.knownState, Q.ONCORE, cpu, ONC.SWITCH);
  }
  serializeOn(e, v, cpu);
}

/** The job serializes on `cpu` (detach_serialize(), or the sync of a reclaim): ONC.SERIALIZED after knownState. */
function serializeOn(e: Engine, v: number, cpu: number): void {
  e.st.vcpus[v].oncore!.serializingOn = cpu;
  e.at(e.st.sc.timing.knownState, Q.ONCORE, v, ONC.SERIALIZED);
}

/** HLT/PAUSE/MWAIT in the gap while other jobs wait: ONCORE_EXIT_YIELD_IDLE hands the CPU over. */
export function idleExit(e: Engine, v: number): void {
  const vc = e.st.vcpus[v];
  if (!vc.oncore || vc.oncore.onCpu < 0 || !vc.executing) return;
  const wait = Math.max(0, e.st.hot.busyUntil[v] - e.st.now);
  e.at(wait, Q.ONCORE, v, ONC.YIELD); // at the end of the idle exit
}

/** A blocking exit in the gap: ONCORE_EXIT_STALL, RIP kept; the CPU park-waits, then runs others. */
export function stallOncore(e: Engine, v: number, kind: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  e.log.push(st.now, L.EXIT, vc.ent, kind | (Disp.STALLED << 8) | (1 << 12), st.worldSwitchNs);
  vc.oncore!.stalled = true;
  vc.oncore!.stallExitReason = kind;
  vc.stallKind = kind;
  vc.stallSince = st.now;
  e.op(vc.ct, 'ONCORE_EXIT_STALL', `telemetry: stall_count++, stall_exit_reason ${kind}, RIP not advanced`);
  deschedule(e, v, 'STALL');
}

export function oncoreNext(e: Engine, a: number, b: number): void {
  const action = b & 15;
  switch (action) {
    case ONC.CPU_PARKED:
      return cpuParked(e, a);
    case ONC.ACTIVATE:
      return activate(e, a);
    case ONC.ENTER:
      return enter(e, a);
    case ONC.YIELD:
    case ONC.QUANTUM: {
      const vc = e.st.vcpus[a];
      if (!vc.oncore || !vc.executing || vc.oncore.onCpu < 0) return;
      if (action === ONC.QUANTUM && b >> 4 !== vc.oncore.quantumGen) return;
      if (e.st.hot.busyUntil[a] > e.st.now) {
        e.at(e.st.hot.busyUntil[a] - e.st.now, Q.ONCORE, a, b);
        return;
      }
      const vm = e.st.vms[vc.vm];
      const others = vm.oncore!.runq.some((x) => !e.st.vcpus[x].oncore!.stalled);
      if (action === ONC.YIELD) {
        // every idle exit is a YIELD_IDLE, counted in telemetry from the gap's idle exits; the job
        // gives up the CPU only when another waits (else the same job continues)
        if (others) deschedule(e, a, 'YIELD_IDLE');
        return;
      }
      // the quantum timer (orphanvm.md §3): the VMX preemption timer (exit 0x34); on SVM the host
      // LAPIC timer under INTERCEPT_INTR (SVM_EXIT_INTR); on arm64 the EL2 physical timer (an IRQ);
      // charged to the vCPU only when it goes on running
      const quantumExit = e.st.sc.host.arch === 'amd-svm' ? X.EXTERNAL_INTERRUPT : X.PREEMPTION_TIMER;
      e.extraExit(a, quantumExit, Disp.FASTPATH, e.st.dispCost[Disp.FASTPATH], !others);
      if (others) deschedule(e, a, 'QUANTUM_EXPIRED');
      else {
        vc.oncore.tickless = true;
        vc.oncore.quantumGen++;
      }
      return;
    }
    case ONC.SWITCH: {
      const p = e.st.pcpus[a];
      p.switching = false;
      return pickNext(e, a);
    }
    case ONC.SERIALIZED:
      return serialized(e, a);
    case ONC.PARK:
      return parkArrived(e, a);
    case ONC.RECLAIM_KICK:
      return reclaimKickArrived(e, a);
    case ONC.RESTORED:
      return restored(e, a);
    case ONC.CPU_DEAD:
      return cpuDead(e, a);
    case ONC.CPU_ONLINE:
      return cpuOnline(e, a);
    default:
      throw new EngineBug(`unknown oncore action ${action}`);
  }
}

// ---------------------------------------------------------------------------------------------
// reclaim: detach_workload at vmfd retrieve, then per vcpufd kvm_caretaker_wait_for_attach()

/** kvm_caretaker_vm_pre_retrieve() → cpu_preserved_detach_workload() for every CPU of the session. */
export function detachWorkload(e: Engine, vm: VmRec, by: number): void {
  const st = e.st;
  e.op(st.kernels[by], 'cpu_preserved_detach_workload()', `CPUs ${vm.oncore!.cpus.join(',')} back to PARKED, each kicked`);
  for (const cpu of vm.oncore!.cpus) {
    const p = st.pcpus[cpu];
    if (e.stateOf(p.ent) !== 'WORKLOAD') continue;
    e.fire(p.ent, 'DETACH_WORKLOAD');
    e.sendIpi(BOOT_CPU, cpu, 'park', p.vcpu, st.sc.timing.ipi);
  }
}

/** The park kick reached a CPU: its running job exits, serializes, publishes PAUSED, and the CPU parks. */
export function parkArrived(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  const v = p.vcpu;
  if (v < 0) return;
  const vc = st.vcpus[v];
  if (vc.executing && st.hot.busyUntil[v] > st.now) {
    e.at(st.hot.busyUntil[v] - st.now, Q.ONCORE, cpu, ONC.PARK);
    return;
  }
  if (vc.executing) {
    e.extraExit(v, X.EXCEPTION_NMI, Disp.HOST, st.dispCost[Disp.HOST], false);
    e.halt(v, 'NMI kick: detach_workload');
  }
  vc.oncore!.quantumGen++;
  serializeOn(e, v, cpu);
}

/** After a kick or a hand-over: the vCPU is serialized (publish()); a CPU waiting to leave its loop may now. */
function serialized(e: Engine, v: number): void {
  const o = e.st.vcpus[v].oncore!;
  const on = o.serializingOn;
  o.serializingOn = -1;
  publish(e, v);
  // cpu_unpreserve() kicked this CPU meanwhile: it leaves its loop (DEAD) now that the job is done
  if (on >= 0 && e.st.pcpus[on].deadPending && !serializingHere(e, on)) {
    e.st.pcpus[on].deadPending = false;
    cpuDead(e, on);
  }
}

/** A job of the CPU's session is still serializing on it. */
function serializingHere(e: Engine, cpu: number): boolean {
  const vm = sessionOf(e, cpu);
  return !!vm && vm.vcpus.some((x) => e.st.vcpus[x].oncore?.serializingOn === cpu);
}

/** After a kick: the vCPU is serialized. For a park it publishes PAUSED; for a reclaim, STOPPED (ATTACHED). */
function publish(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const hs = vc.handshake;
  const p = st.pcpus[hs ? hs.cpu : vc.oncore!.onCpu];
  if (p.wedged) return; // never published: the reclaim times out
  const cb = e.stateOf(vc.ct);
  if (cb === 'ATTACHING') {
    // DESIGN_V2: the Caretaker saw ATTACHING: ops->sync_vcpu(), GPRs and MSRs saved, ATTACHED
    e.fire(vc.ct, 'SYNCED');
    e.op(vc.ct, 'ops->sync_vcpu()', 'GPRs and MSRs saved; attachment_state = ATTACHED; the job leaves the loop');
    const onCpu = st.pcpus[vc.oncore!.onCpu];
    if (vc.oncore!.onCpu >= 0 && onCpu.vcpu === v) {
      onCpu.vcpu = -1;
      onCpu.switching = true;
      e.at(0, Q.ONCORE, onCpu.id, ONC.SWITCH); // the CPU goes on with the session's other jobs
    }
    if (hs) hs.done = true;
    if (!gaveUp(e, v)) reclaimed(e, v, 'slow');
    return;
  }
  if (cb === 'RUNNING') {
    e.fire(vc.ct, 'CAS_PAUSE');
    // (a job picked but not yet entered was never CARETAKER_RUNNING)
    if (e.stateOf(vc.ent) === 'CARETAKER_RUNNING') e.fire(vc.ent, 'PAUSE');
    e.fire(vc.job, 'PARK');
    e.op(vc.ct, 'detach_serialize()', 'arch_state fresh; cb PAUSED; the CPU returns to cpu_preserved_park_loop()');
    if (p.vcpu === v) p.vcpu = -1;
  } else if (cb === 'STOPPING') {
    e.fire(vc.ct, 'PUBLISH_STOPPED');
    e.op(vc.ct, 'kvm_caretaker_should_exit()', 'serialized; cb STOPPED; ONCORE_EXIT_ATTACH_SIGNALED');
    if (p.vcpu === v) p.vcpu = -1;
    const hs = vc.handshake;
    if (hs) hs.done = true;
    if (!gaveUp(e, v)) reclaimed(e, v, 'slow');
  }
}

/**
 * The host stopped waiting before the Caretaker published (the attach timeout quarantined the
 * vCPU and its VM was terminated): the late STOPPED (ATTACHED) reaches no one, and the vCPU stays
 * with its terminated VM (orphanvm.md §1.3a: on timeout the host never forces STOPPED and returns
 * -ETIMEDOUT).
 */
function gaveUp(e: Engine, v: number): boolean {
  const vc = e.st.vcpus[v];
  const s = e.stateOf(vc.ent);
  if (s !== 'TERMINATED' && s !== 'QUARANTINED') return false;
  e.message(vc.ent, `${isV2(e) ? 'attachment_state ATTACHED' : 'cb STOPPED'} published after the host gave up: the vCPU stays with its terminated VM`);
  return true;
}

/** `RETRIEVE_FD(vcpufd)` or unpreserve: kvm_caretaker_wait_for_attach(). False when it returned at once (-EIO). */
export function reclaimVcpu(e: Engine, vm: VmRec, k: number, by: number): boolean {
  const st = e.st;
  const v = vm.vcpus[k];
  const vc = st.vcpus[v];
  const cb = e.stateOf(vc.ct);
  e.op(st.kernels[by], 'kvm_caretaker_wait_for_attach()', `${e.vcpuName(v)}: cb is ${cb}`);
  vc.oncore!.reclaimBy = by;
  if (isV2(e) && cb === 'DETACHED') {
    // DESIGN_V2: ATTACHING and a kick to the job's CPU; a cancel also marks the job CANCELING
    const o = vc.oncore!;
    const running = e.stateOf(vc.job) === 'RUNNING';
    if (by === 0 && e.stateOf(vc.job) !== 'DEAD') e.fire(vc.job, 'CANCEL');
    e.fire(vc.ct, 'ATTACH_REQUEST');
    e.op(vc.ct, 'attachment_state = ATTACHING', `${by ? 'attach' : 'cancel'}: arch_cpu_preserved_kick() to CPU ${running ? o.onCpu : o.preferredCpu}, again every 5 ms`);
    beginHandshake(e, v, 'attach', by, running ? o.onCpu : o.preferredCpu);
    return true;
  }
  if (cb === 'PAUSED') {
    // the "0 ns reclaim": one cmpxchg, no IPI
    e.fire(vc.ct, 'CAS_STOP');
    e.op(vc.ct, 'cmpxchg(PAUSED → STOPPED)', 'fast reclaim: no IPI');
    reclaimed(e, v, 'fast');
    return true;
  }
  if (cb === 'FAILED') {
    // kvm_caretaker_wait_for_attach() returns -EIO; the caller runs kvm_vm_bugged()
    e.op(st.kernels[by], 'kvm_caretaker_wait_for_attach() = -EIO', `${e.vcpuName(v)} failed in the preserved runtime: kvm_vm_bugged()`);
    terminateVm(e, vm, `vCPU ${vc.index} failed in the preserved runtime`);
    return false;
  }
  if (cb === 'RUNNING') {
    e.fire(vc.ct, 'CAS_STOPPING');
    e.op(vc.ct, 'cmpxchg(RUNNING → STOPPING)', 'slow reclaim: NMI kick, then wait for STOPPED');
    beginHandshake(e, v, 'attach', by, vc.oncore!.onCpu);
    return true;
  }
  throw new EngineBug(`reclaim of ${e.vcpuName(v)} with cb ${cb}`);
}

/** The slow reclaim's kick arrived: exit, then serialize (ONC.SERIALIZED publishes STOPPED). */
export function reclaimKickArrived(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const hs = vc.handshake;
  if (!hs || hs.done || hs.forced) return;
  if (vc.executing && st.hot.busyUntil[v] > st.now) {
    e.at(st.hot.busyUntil[v] - st.now, Q.ONCORE, v, ONC.RECLAIM_KICK);
    return;
  }
  hs.forced = true;
  if (vc.executing) {
    e.extraExit(v, X.EXCEPTION_NMI, Disp.HOST, st.dispCost[Disp.HOST], false);
    e.halt(v, 'NMI kick: reclaim');
  }
  vc.oncore!.quantumGen++;
  serializeOn(e, v, hs.cpu);
}

function reclaimed(e: Engine, v: number, how: 'fast' | 'slow'): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const rq = vm.oncore!.runq;
  if (rq.includes(v)) rq.splice(rq.indexOf(v), 1);
  if (e.stateOf(vc.job) !== 'DEAD') {
    // a cancel dequeues the job (oncore_session_cancel_job); an adoption ends it (ATTACH_SIGNALED)
    if (vc.oncore!.reclaimBy === 0 && e.stateOf(vc.job) !== 'CANCELING') e.fire(vc.job, 'CANCEL');
    e.fire(vc.job, 'DIE');
  }
  e.check(INV.KNOWN_STATE, !vc.executing && cbReclaimed(e, vc.ct), () => `${e.vcpuName(v)} reclaimed outside a known state`);
  e.fire(vc.ent, 'STOP');
  if (vc.oncore!.stalled) vc.oncore!.stalled = false;
  syncYieldHooks(e, vm);
  e.message(vc.ent, isV2(e) ? 'synced: attachment_state ATTACHED' : `${how} reclaim: cb STOPPED`);
  e.at(st.sc.timing.adoptPerVcpu, Q.ONCORE, v, ONC.RESTORED);
}

function restored(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const by = vc.oncore!.reclaimBy;
  khoRead(e, `vcpu:${e.vcpuName(v)}`);
  if (by === 1) restoreClock(e, vm);
  if (by === 1 && (vm.mismatch !== 'none' || vm.terminated)) {
    // the handover is refused (arch_mode, hwid or a compat string): the VM cannot be rebuilt
    vc.handshake = null;
    if (!vm.terminated) {
      e.op(st.kernels[1], 'handover refused', 'the new kernel cannot restore this vCPU (arch_mode, hwid or compat string differ); VM terminated');
      terminateVm(e, vm, 'feature mismatch found at retrieve (the prototype has no check before kexec)');
    } else if (e.stateOf(vc.ent) !== 'TERMINATED') {
      // stopped after its VM was terminated: it ends with it
      e.fire(vc.ent, 'TERMINATE');
      lostWithVm(e, v);
    }
    vmmResume(e, vm, 1);
    return;
  }
  e.op(vc.ct, by ? 'vmx_caretaker_sync_vcpu()' : 'kvm_caretaker_vcpu_unpreserve()', by ? 'arch_state restored into the new kvm_vcpu; telemetry reported' : 'arch_state restored into the existing kvm_vcpu; job cancelled');
  vc.handshake = null;
  vc.kvm = by;
  vm.adoptedVcpus++;
  if (vm.pendingStops > 0) {
    vm.pendingStops--;
    if (vm.pendingStops === 0) vmmResume(e, vm, by ? 1 : 0);
    return;
  }
  vmmResume(e, vm, by ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// giving the CPUs back: cpu_unpreserve() at FINISH or cancel

/** A vCPU of the session is still being stopped by a handshake (its CPU must not leave yet). */
export function vcpusBeingStopped(e: Engine, vm: VmRec): boolean {
  return vm.vcpus.some((v) => e.st.vcpus[v].handshake !== null && !e.st.vcpus[v].handshake!.done);
}

/** cpu_signal_exit() + kick; the CPU leaves its loop (DEAD); then add_cpu(). False when nothing is waited for. */
export function unpreserveCpu(e: Engine, vm: VmRec, cpu: number, by: number): boolean {
  const st = e.st;
  const p = st.pcpus[cpu];
  const s = e.stateOf(p.ent);
  if (s === 'WEDGED') {
    e.message(p.ent, `CPU ${cpu} is wedged: it never reaches CPU_PRESERVED_DEAD and is not onlined`);
    return false;
  }
  e.op(st.kernels[by], 'cpu_unpreserve()', `CPU ${cpu}: cpu_signal_exit(), kick, cpu_wait_dead(), add_cpu()`);
  e.fire(p.ent, 'SIGNAL_EXIT');
  e.sendIpi(BOOT_CPU, cpu, 'kick', -1, st.sc.timing.ipi);
  e.at(st.sc.timing.ipi, Q.ONCORE, cpu, ONC.CPU_DEAD + 16 * by);
  return true;
}

function cpuDead(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  if (p.wedged) {
    // it hung on its way out of the loop: as a CPU found wedged at cpu_unpreserve(), it is given
    // up (never DEAD, never onlined) and the VMM goes on
    e.message(p.ent, `CPU ${cpu} wedged before it left its loop: it never reaches CPU_PRESERVED_DEAD and is not onlined`);
    vmmResume(e, sessionOf(e, cpu)!, e.stateOf(st.kernels[0]) === 'JUMP' ? 1 : 0);
    return;
  }
  if (serializingHere(e, cpu)) {
    // cpu_wait_dead(): the CPU sees its exit flag only once the job it is serializing is done
    p.deadPending = true;
    e.message(p.ent, `cpu_wait_dead(): CPU ${cpu} is still serializing a job; it leaves its loop when that is done`);
    return;
  }
  e.fire(p.ent, 'DEAD');
  p.owner = 'nobody';
  p.vcpu = -1;
  khoFree(e, `cpu:${cpu}`); // out of the park loop: the host frees its preserved stack and state
  const start = Math.max(st.now, st.hotplugBusyUntil);
  st.hotplugBusyUntil = start + st.sc.timing.apBringup;
  e.at(st.hotplugBusyUntil - st.now, Q.ONCORE, cpu, ONC.CPU_ONLINE);
}

function cpuOnline(e: Engine, cpu: number): void {
  const st = e.st;
  const p = st.pcpus[cpu];
  const vm = st.vms.find((x) => x.oncore?.cpus.includes(cpu))!;
  const by = e.stateOf(st.kernels[0]) === 'JUMP' ? 1 : 0;
  e.check(INV.NO_SIPI_PRESERVED, vm.vcpus.every((v) => !st.vcpus[v].oncore || st.vcpus[v].oncore!.onCpu !== cpu || !jobRunning(e, v)), () => `CPU ${cpu} onlined while a job still runs on it`);
  e.fire(p.ent, 'ADD_CPU');
  p.owner = 'host';
  p.kernel = by;
  p.preserved = false;
  e.op(p.ent, 'add_cpu()', `set_cpu_present(true); an ordinary bring-up by the ${by ? 'new' : 'old'} kernel`);
  vmmResume(e, vm, by ? 1 : 0);
}


/**
 * A terminated VM under the prototype: vCPUs a kernel holds are terminated at once; those still
 * under a Caretaker are taken (cb PAUSED → STOPPED, their jobs die) and terminated. A job still
 * RUNNING (its park kick lost, or DESIGN_V2, which parks nothing at vmfd retrieve) is stopped by
 * the reclaim handshake first, and terminated when it is restored; the CPUs wait for it.
 */
export function terminateOncore(e: Engine, vm: VmRec): void {
  const st = e.st;
  for (const v of vm.vcpus) {
    const vc = st.vcpus[v];
    const s = e.stateOf(vc.ent);
    if (s === 'TERMINATED') continue;
    if (s === 'QUARANTINED' || s === 'FAILED') {
      // a quarantined job never answered its kicks: it dies with its VM (never STOPPED)
      endJob(e, v);
      if (vc.executing) e.halt(v, 'VM terminated');
      e.fire(vc.ent, 'TERMINATE');
      lostWithVm(e, v);
      continue;
    }
    if (s === 'CARETAKER_RUNNING' || s === 'CARETAKER_PAUSED' || s === 'STALLED') {
      if (jobRunning(e, v) && !vc.handshake) {
        reclaimVcpu(e, vm, vc.index, vm.newVmm ? 1 : 0);
        continue;
      }
      if (jobRunning(e, v) || !runnableCb(e, vc.ct)) continue;
      if (isV2(e)) {
        e.fire(vc.ct, 'ATTACH_REQUEST');
        e.fire(vc.ct, 'SYNCED');
      } else e.fire(vc.ct, 'CAS_STOP');
      if (e.stateOf(vc.job) !== 'DEAD') e.fire(vc.job, 'DIE');
      const rq = vm.oncore!.runq;
      if (rq.includes(v)) rq.splice(rq.indexOf(v), 1);
      e.fire(vc.ent, 'STOP');
    }
    if (vc.executing) e.halt(v, 'VM terminated');
    e.fire(vc.ent, 'TERMINATE');
    lostWithVm(e, v);
  }
}

/**
 * The job of a vCPU given up on (quarantined, failed) dies, and leaves the runqueue if it waited
 * there (paused, stalled, or never run).
 */
export function endJob(e: Engine, v: number): void {
  const vc = e.st.vcpus[v];
  const vm = e.st.vms[vc.vm];
  if (vc.job >= 0 && e.stateOf(vc.job) !== 'DEAD') e.fire(vc.job, 'DIE');
  const rq = vm.oncore!.runq;
  if (rq.includes(v)) {
    rq.splice(rq.indexOf(v), 1);
    syncYieldHooks(e, vm);
  }
}

/** A machine check in host mode on a preserved CPU: the preserved IDT publishes FAILED (ONCORE_EXIT_ERROR). */
export function failOncore(e: Engine, v: number, cause = 'machine check'): void {
  const st = e.st;
  const vc = st.vcpus[v];
  if (!jobRunning(e, v) || (isV2(e) && e.stateOf(vc.ct) !== 'DETACHED')) {
    e.message(vc.ent, `the ${cause} finds no running job: the CPU parks`);
    return;
  }
  const cpu = vc.oncore!.onCpu;
  if (vc.executing) e.halt(v, `${cause}: KVM_CARETAKER_FAILED`);
  vc.oncore!.quantumGen++;
  e.fire(vc.ct, 'FAIL');
  e.fire(vc.ent, 'FAIL');
  e.fire(vc.job, 'DIE');
  e.op(vc.ct, 'ONCORE_EXIT_ERROR', `telemetry: stall_exit_reason KVM_CARETAKER_FAULT_STALL_BASE | ${cause === 'machine check' ? '#MC' : cause}; "caretaker vCPU ${vc.index} failed in preserved runtime"`);
  const p = st.pcpus[cpu];
  if (p.vcpu === v) p.vcpu = -1;
  syncYieldHooks(e, st.vms[vc.vm]);
  e.at(st.sc.timing.knownState, Q.ONCORE, cpu, ONC.SWITCH);
}
