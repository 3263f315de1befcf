/**
 * `rfc-v0`, the original RFC as posted (rfc-thread.md §2 [RFC] column, M1): KVM_SET_CARETAKER
 * installs a Caretaker in every vCPU's exit path at VM creation, for good. PRESERVE_FD(vcpufd)
 * flips the CCB flag to KVM_DETACHED and takes the pCPU from the OS in place (no hotplug
 * teardown, no INIT/SIPI); in the gap a blocking exit spin-waits on the flag; RETRIEVE_FD writes
 * new routing pointers, flips the flag back and onlines the pCPU under the running vCPU — no
 * attach IPI and no known state, which is what the thread objected to (M6, M12): the new kernel
 * rebuilds the vCPU from state serialized at preserve while the old Caretaker still runs it
 * (invariant 3), and the old kernel's Caretaker stays in the exit path afterwards.
 */
import { EXIT_GAP_BIT, L } from '../eventlog.ts';
import { Disp, EXIT_IDS, NUM_EXITS } from '../exits.ts';
import { attachedDisposition, MODE_ATTACHED, MODE_GAP } from '../caretakerCore.ts';
import { INV } from '../invariants.ts';
import { Q, type Engine } from './engine.ts';
import type { VmRec } from './state.ts';
import { beginHandshake, khoPreserve, khoRead, resumeChecked, restoreClock, terminateVm, VCPU_RESUME, vmmResume, wedge } from './protocol.ts';

const KB = 1024;

/** Exits the Caretaker handled in place (fastpath) since the vCPU was detached: each changed its state. */
function gapExitsHandled(e: Engine, v: number): number {
  const gc = e.st.hot.gapCounts;
  let n = 0;
  for (let k = 0; k < NUM_EXITS; k++) n += gc[(v * NUM_EXITS + k) * 5 + Disp.FASTPATH];
  return n;
}

/** At VM creation: KVM_SET_CARETAKER on each vcpufd (rfc-thread.md Phase A [RFC]). */
export function installCaretaker(e: Engine, v: number): void {
  const vc = e.st.vcpus[v];
  e.op(vc.ct, 'KVM_SET_CARETAKER', 'Caretaker ELF parsed in the kernel (.text, .data, .ccb); HOST_RIP = e_entry, HOST_RSP, HOST_SSP, HOST_GS_BASE and HOST_CR3 rewritten');
}

/** PRESERVE_FD(vcpufd): .preserve() is the moment of isolation; the vCPU is kicked into its Caretaker first. */
export function preserveVcpu(e: Engine, vm: VmRec, k: number): void {
  const st = e.st;
  const v = vm.vcpus[k];
  const vc = st.vcpus[v];
  e.op(vm.oldVmm.ent, 'LIVEUPDATE_SESSION_PRESERVE_FD', `vcpufd ${k}: its Caretaker was installed at VM creation (KVM_SET_CARETAKER)`);
  if (!st.kho.some((r) => r.key === 'caretaker')) khoPreserve(e, 'caretaker', 'caretaker', 'Caretaker ELF sections (.text, .data, .rodata) and stacks', 256 * KB);
  khoPreserve(e, `telemetry:${e.vcpuName(v)}`, 'caretaker', `${e.vcpuName(v)}: CCB, shared metadata pages and telemetry buffer`, 16 * KB);
  e.fire(vc.ent, 'DETACH');
  // ASSUMPTION: the HOST_* fields can only be rewritten on the CPU that has the VMCS loaded, so
  // .preserve() kicks the vCPU out of the guest once (M1 does not say how)
  beginHandshake(e, v, 'detach', 0);
}

/** The kicked vCPU is in its Caretaker: state finalized into KHO, flag KVM_DETACHED, the pCPU leaves the OS in place. */
export function detachInPlace(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const p = st.pcpus[vc.pcpu];
  khoPreserve(e, `vcpu:${e.vcpuName(v)}`, 'vcpu-state', `${e.vcpuName(v)}: vCPU state finalized at .preserve()`, 16 * KB);
  e.fire(vc.ct, 'DETACH');
  e.op(vc.ct, 'CCB flag = KVM_DETACHED', 'HOST_IDTR, HOST_GDTR, HOST_INTR_SSP_TABLE and HOST_CR3 point at the Caretaker\'s own tables');
  e.check(INV.ONE_OWNER, p.owner === 'host', () => `CPU ${p.id} isolated while owned by ${p.owner}`);
  e.fire(p.ent, 'ISOLATE');
  p.owner = 'caretaker';
  p.vcpu = v;
  p.preserved = true;
  e.op(p.ent, 'offline to the OS', 'no scheduler, no interrupt routing; the Caretaker keeps the core (no hotplug teardown, no INIT/SIPI)');
  e.fire(vc.ent, 'ORPHAN');
  vc.handshake = null;
  st.hot.mode[v] = MODE_GAP;
  resumeChecked(e, v, MODE_GAP, 'Caretaker VMRESUME (detached in place)');
  if (p.wedgeArmed) wedge(e, p.id);
  vmmResume(e, vm, 0);
}

/** A blocking exit in the gap: the Caretaker spin-waits polling the CCB flag. */
export function spinWait(e: Engine, v: number, kind: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  e.log.push(st.now, L.EXIT, vc.ent, kind | (Disp.STALLED << 8) | EXIT_GAP_BIT, st.worldSwitchNs);
  if (e.stateOf(vc.ent) !== 'ADOPTING') e.fire(vc.ent, 'BLOCK'); // already being stopped: the exit waits
  e.fire(vc.ct, 'SPIN');
  e.halt(v, `blocking exit ${EXIT_IDS[kind]}: the Caretaker spin-waits on the CCB flag`);
  vc.stallKind = kind;
  vc.lastStallKind = kind;
  vc.stallSince = st.now;
}

/**
 * RETRIEVE_FD(vcpufd) in the new kernel (by = 1) or .unpreserve() at a cancel (by = 0): new
 * routing pointers, the flag back to KVM_ATTACHED, the pCPU online again. Returns 'done' when the
 * vcpufd was taken back, 'skip' when there was nothing to do, 'wait' when the VMM must wait (a VM
 * being terminated stops its vCPUs first).
 */
export function reattach(e: Engine, vm: VmRec, k: number, by: number): 'done' | 'skip' | 'wait' {
  const st = e.st;
  const v = vm.vcpus[k];
  const vc = st.vcpus[v];
  const p = st.pcpus[vc.pcpu];
  const m = by ? vm.newVmm! : vm.oldVmm;
  const s = e.stateOf(vc.ent);
  if (s !== 'ORPHANED_RUNNING' && s !== 'ORPHANED_BLOCKED') return 'skip';
  e.op(m.ent, by ? 'LIVEUPDATE_SESSION_RETRIEVE_FD' : '.unpreserve()', `vcpufd ${k}`);
  if (by === 1 && vm.mismatch !== 'none') {
    // no feature negotiation in M1: the new KVM cannot take this vCPU; it is kicked out and the VM torn down
    e.op(st.kernels[1], 'kvm_vcpu_luo_retrieve() = -EOPNOTSUPP', `${e.vcpuName(v)}: the preserved state does not fit this kernel`);
    terminateVm(e, vm, 'feature mismatch found at vcpufd retrieve (the RFC checks nothing before kexec)');
    return vm.vcpus.some((x) => st.vcpus[x].handshake && !st.vcpus[x].handshake!.done) ? 'wait' : 'skip';
  }
  // the kernel rebuilds kvm_vcpu from the state serialized at .preserve(); a known state would
  // need the vCPU stopped with nothing changed since: no guest code run and no exit handled
  khoRead(e, `vcpu:${e.vcpuName(v)}`);
  const handled = gapExitsHandled(e, v);
  e.check(INV.KNOWN_STATE, !vc.executing && handled === 0, () =>
    `${e.vcpuName(v)}'s state is read by the ${by ? 'new' : 'old'} kernel ${vc.executing ? 'while it runs under the Caretaker' : `after its Caretaker handled ${handled} exits since it was serialized`}: what the gap changed (timer, APIC, MSRs) is stale (rfc-thread.md M6, M12)`);
  if (p.wedged) {
    // nobody reads the flag: with no handshake, the kernel cannot tell (M1 has no timeout)
    e.message(p.ent, `CPU ${p.id} is wedged: the flag flip goes unseen and, with no handshake, the kernel cannot tell`);
    return 'done';
  }
  if (by === 1) restoreClock(e, vm);
  khoRead(e, `telemetry:${e.vcpuName(v)}`);
  e.op(vc.ct, 'routing pointers written; CCB flag = KVM_ATTACHED', by ? "the old kernel's Caretaker stays in the exit path, now routing to the new KVM" : 'routing to the old KVM again');
  e.fire(vc.ct, 'REATTACH');
  e.fire(p.ent, 'UNISOLATE');
  p.owner = 'host';
  p.kernel = by;
  p.vcpu = -1;
  p.preserved = false;
  e.op(p.ent, 'online again', `CPU ${p.id} back to the ${by ? 'new' : 'old'} kernel under the running vCPU; the VMM thread attaches to it`);
  vc.kvm = by;
  vc.hostCpu = vc.pcpu;
  e.fire(vc.ent, 'REATTACH');
  vm.adoptedVcpus++;
  if (vc.stallKind >= 0) {
    // the flip releases the spin-wait: the pending exit goes to this kernel's KVM, then the guest
    const d = attachedDisposition(vc.stallKind, st.core);
    e.op(vc.ent, 'pending exit handled', `${EXIT_IDS[vc.stallKind]} by the ${by ? 'new' : 'old'} kernel's KVM`);
    e.at(st.dispCost[d === Disp.NONE ? Disp.HOST : d], Q.VCPU, v, VCPU_RESUME);
  } else if (vc.executing) {
    st.hot.mode[v] = MODE_ATTACHED;
    e.setStream(v, MODE_ATTACHED);
    e.message(vc.ent, 'the guest never stopped: its exits route to KVM again');
  }
  return 'done';
}
