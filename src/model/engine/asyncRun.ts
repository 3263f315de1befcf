/**
 * `async-run`: a VMM-only update with no kernel gap (Paolo's layers 1–2, rfc-thread.md M8;
 * Woodhouse M9). `preserve` stages each VM: KVM_RUN_ASYNC moves every vCPU from its VMM thread
 * into a vhost_task. The `kexec` step is the upgrade: the old VMM quiesces its device models,
 * hands its fds to a new VMM process over a UNIX socket and exits; the new VMM rebuilds its
 * device models and takes the vCPUs back into KVM_RUN. The kernel never goes down: only exits that
 * need a VMM (MMIO, PIO to device models) wait, while no VMM holds the fds. A VMM without
 * KVM_RUN_ASYNC (`optIn: false`) suspends its vCPUs across the restart instead.
 */
import { EngineBug } from '../../base/assert.ts';
import { EXIT_GAP_BIT, L } from '../eventlog.ts';
import { Disp, EXIT_IDS } from '../exits.ts';
import { MODE_ATTACHED, MODE_GAP } from '../caretakerCore.ts';
import { Q, type Engine } from './engine.ts';
import type { VmRec } from './state.ts';
import { resumeChecked } from './protocol.ts';

/** Q.ASYNC actions (the second argument); the first is a vCPU or a VM index. */
const A = {
  STAGE_STOP: 1,
  STAGE_RUN: 2,
  HANDED_OVER: 3,
  NEW_VMM_UP: 4,
  RESTORED: 5,
  RUN: 6,
  PENDING_DONE: 7,
  SUSPEND: 8,
  CANCEL_RUN: 9,
} as const;

const usesAsync = (e: Engine, vm: VmRec) => e.st.sc.vms[vm.idx].optIn;

/** preserve: the first staging; adopted and finish: the last VM handed over, so a later upgrade moves them. */
function setPhase(e: Engine, key: 'preserve' | 'adopted' | 'finish', code: number): void {
  const st = e.st;
  if (key === 'preserve' && st.phases.preserve !== null) return;
  st.phases[key] = st.now;
  e.log.push(st.now, L.PHASE, st.kernels[0], code, e.log.str(key));
}

// ---------------------------------------------------------------------------------------------
// staging: KVM_RUN_ASYNC, one vcpufd at a time

/** Faults about a kernel gap or a Caretaker have nothing to act on here: say so once, at the start. */
export function noteInapplicableFaults(e: Engine): void {
  const st = e.st;
  st.sc.faults.forEach((f) => {
    const why =
      f.kind === 'kexec-fail' ? 'there is no kexec' :
      f.kind === 'feature-mismatch' || f.kind === 'tsc-reset' ? 'the kernel does not change, so nothing is handed to another one' :
      f.kind === 'wedge-cpu' ? 'no Caretaker takes a CPU (a hung CPU under Linux is out of scope)' :
      f.kind === 'host-mce' || f.kind === 'host-nmi' ? 'Linux keeps every CPU, and handles it' : null;
    if (why) e.message(st.kernels[0], `fault ${f.kind} does not apply to async-run: ${why}; ignored`);
  });
}

export function stage(e: Engine, vm: VmRec): void {
  const st = e.st;
  const m = vm.oldVmm;
  if (vm.terminated || e.stateOf(m.ent) !== 'RUNNING' || vm.newVmm) {
    e.message(vm.ent, 'preserve ignored: the VMM is not running an unstaged VM');
    return;
  }
  e.fire(m.ent, 'STAGE');
  setPhase(e, 'preserve', 0);
  if (!usesAsync(e, vm)) {
    // nothing to stage: the VM keeps running under its VMM and is suspended at the hand-over
    vm.pendingStops = 1;
    return staged(e, vm);
  }
  vm.pendingStops = vm.vcpus.length;
  vm.vcpus.forEach((v, k) => {
    e.op(m.ent, 'KVM_RUN_ASYNC', `vcpufd ${k}: the vCPU moves into a kernel thread (vhost_task)`);
    e.at(st.sc.timing.vmmPauseAck, Q.ASYNC, v, A.STAGE_STOP);
  });
}

function staged(e: Engine, vm: VmRec): void {
  if (--vm.pendingStops > 0) return;
  e.fire(vm.oldVmm.ent, 'STAGED');
  e.message(vm.oldVmm.ent, usesAsync(e, vm) ? 'every vCPU runs in a vhost_task; device exits still come to this VMM' : 'no KVM_RUN_ASYNC: the VM will be suspended across the restart');
  if (vm.cancelRequested) cancel(e, vm);
  else if (e.st.kexecRequested) handOver(e, vm);
}

// ---------------------------------------------------------------------------------------------
// the upgrade (the scenario's `kexec` step): hand over, exit, new VMM, KVM_RUN

/** The operator's upgrade step: every staged VMM hands over now, a staging one when it is done. */
export function upgrade(e: Engine): void {
  const st = e.st;
  st.kexecRequested = true;
  e.op(st.kernels[0], 'VMM upgrade', 'no kexec: the kernel stays up; staged VMMs hand their VMs to new processes');
  for (const vm of st.vms) if (e.stateOf(vm.oldVmm.ent) === 'STAGED' && !vm.cancelling) handOver(e, vm);
}

function handOver(e: Engine, vm: VmRec): void {
  const st = e.st;
  const m = vm.oldVmm;
  e.fire(m.ent, 'HAND_OVER');
  if (!usesAsync(e, vm)) {
    // the fds go only once every vCPU thread has left KVM_RUN
    e.op(m.ent, 'vm_suspend()', 'no KVM_RUN_ASYNC: every vCPU thread leaves KVM_RUN and the guest waits for the new VMM');
    vm.pendingStops = vm.vcpus.length;
    for (const v of vm.vcpus) e.at(st.sc.timing.vmmPauseAck, Q.ASYNC, v, A.SUSPEND);
    return;
  }
  sendFds(e, vm);
}

function sendFds(e: Engine, vm: VmRec): void {
  const st = e.st;
  const m = vm.oldVmm;
  e.op(m.ent, 'sendmsg(SCM_RIGHTS)', 'device models quiesced; vmfd, vcpufds, guest memfd and device state to the new VMM');
  // from now until the new VMM holds the fds, an exit that needs a VMM waits
  for (const v of vm.vcpus) {
    if (e.stateOf(st.vcpus[v].ent) !== 'ASYNC_RUNNING') continue;
    if (st.vcpus[v].executing) e.setStream(v, MODE_GAP);
    st.hot.mode[v] = MODE_GAP;
  }
  vm.newVmm = { ent: e.addEnt('vmm', `VMM′ ${vm.name}`, 'vmmAsync'), pc: 0, prog: [], blocked: false };
  e.at(st.sc.timing.fdHandover, Q.ASYNC, vm.idx, A.HANDED_OVER);
}

function handedOver(e: Engine, vm: VmRec): void {
  const st = e.st;
  e.fire(vm.oldVmm.ent, 'EXIT');
  if (vm.slowRestart > 0) e.message(vm.newVmm!.ent, `the new VMM is slow to start (+${vm.slowRestart} ns)`);
  e.at(st.sc.timing.vmmStart + vm.slowRestart, Q.ASYNC, vm.idx, A.NEW_VMM_UP);
}

function newVmmUp(e: Engine, vm: VmRec): void {
  const m = vm.newVmm!;
  e.fire(m.ent, 'RECEIVE');
  e.op(m.ent, 'recvmsg(SCM_RIGHTS)', 'vmfd, vcpufds and guest memfd; device models rebuilt from the handed-over state');
  e.at(e.st.sc.timing.vmmRestore, Q.ASYNC, vm.idx, A.RESTORED);
}

function restored(e: Engine, vm: VmRec): void {
  const st = e.st;
  const m = vm.newVmm!;
  e.fire(m.ent, 'RUN');
  e.op(m.ent, 'KVM_RUN', 'one thread per vCPU takes each vCPU back from its vhost_task');
  vm.adoptedAt = st.now;
  if (st.vms.every((x) => !x.newVmm || x.adoptedAt >= 0)) setPhase(e, 'adopted', 3);
  vm.pendingStops = vm.vcpus.length;
  for (const v of vm.vcpus) e.at(st.sc.timing.kvmRunEntry, Q.ASYNC, v, A.RUN);
}

/** A vCPU is back in a VMM thread's KVM_RUN; a pending device exit is handled by the new VMM first. */
function backInKvmRun(e: Engine, v: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  const vm = st.vms[vc.vm];
  const s = e.stateOf(vc.ent);
  e.fire(vc.ent, 'KVM_RUN');
  if (s === 'ASYNC_BLOCKED') {
    e.op(vc.ent, 'pending exit handled', `${EXIT_IDS[vc.stallKind]} by the new VMM`);
    e.at(st.dispCost[Disp.USERSPACE], Q.ASYNC, v, A.PENDING_DONE);
    return;
  }
  if (s === 'SUSPENDED') resumeChecked(e, v, MODE_ATTACHED, 'KVM_RUN (new VMM)');
  else if (vc.executing) {
    e.setStream(v, MODE_ATTACHED);
    e.message(vc.ent, 'the vCPU never stopped: a VMM thread drives it again');
  }
  st.hot.mode[v] = MODE_ATTACHED;
  vcpuDone(e, vm);
}

function vcpuDone(e: Engine, vm: VmRec): void {
  if (--vm.pendingStops > 0) return;
  vm.finished = true;
  vm.adoptedVcpus = vm.vcpus.length;
  if (e.st.vms.every((x) => !x.newVmm || x.finished)) setPhase(e, 'finish', 4);
}

// ---------------------------------------------------------------------------------------------
// cancel: the old VMM takes its vCPUs back before any upgrade

export function requestCancel(e: Engine, vm: VmRec): void {
  const s = e.stateOf(vm.oldVmm.ent);
  if (s === 'STAGING') {
    vm.cancelRequested = true;
    return;
  }
  if (s !== 'STAGED' || vm.cancelling) {
    e.message(vm.ent, 'cancel ignored: nothing staged to cancel');
    return;
  }
  cancel(e, vm);
}

function cancel(e: Engine, vm: VmRec): void {
  const st = e.st;
  vm.cancelRequested = false;
  e.op(vm.oldVmm.ent, 'KVM_RUN', 'the staging is undone: VMM threads take the vCPUs back from their vhost_tasks');
  if (!usesAsync(e, vm)) return cancelled(e, vm);
  // the VMM runs again once each thread is back in KVM_RUN: until then it neither stages again
  // nor hands over (a step as short as KVM_RUN's entry must not find the vCPUs between the two)
  vm.cancelling = true;
  vm.pendingStops = vm.vcpus.length;
  for (const v of vm.vcpus) e.at(st.sc.timing.kvmRunEntry, Q.ASYNC, v, A.CANCEL_RUN);
}

function cancelled(e: Engine, vm: VmRec): void {
  vm.cancelling = false;
  e.fire(vm.oldVmm.ent, 'RESUME');
  e.st.cancelled = true;
}

// ---------------------------------------------------------------------------------------------

/** An exit that needs a VMM while none holds the fds: the vhost_task schedules out. */
export function blockAsync(e: Engine, v: number, kind: number): void {
  const st = e.st;
  const vc = st.vcpus[v];
  e.log.push(st.now, L.EXIT, vc.ent, kind | (Disp.STALLED << 8) | EXIT_GAP_BIT, st.worldSwitchNs);
  e.fire(vc.ent, 'BLOCK');
  e.halt(v, `${EXIT_IDS[kind]} needs a VMM: the vhost_task schedules out until the new VMM takes the fds`);
  vc.stallKind = kind;
  vc.stallSince = st.now;
}

export function asyncNext(e: Engine, a: number, b: number): void {
  const st = e.st;
  switch (b) {
    case A.STAGE_STOP: {
      // the VMM thread's KVM_RUN returns (immediate_exit and a signal); the vhost_task takes over
      const vc = st.vcpus[a];
      if (vc.executing && st.hot.busyUntil[a] > st.now) return e.at(st.hot.busyUntil[a] - st.now, Q.ASYNC, a, b);
      if (vc.executing) e.halt(a, 'KVM_RUN_ASYNC: the VMM thread leaves KVM_RUN');
      return e.at(st.sc.timing.asyncStage, Q.ASYNC, a, A.STAGE_RUN);
    }
    case A.STAGE_RUN: {
      const vc = st.vcpus[a];
      e.fire(vc.ent, 'ASYNC');
      resumeChecked(e, a, MODE_ATTACHED, 'KVM_RUN_ASYNC: running in a vhost_task');
      return staged(e, st.vms[vc.vm]);
    }
    case A.SUSPEND: {
      const vc = st.vcpus[a];
      if (vc.executing && st.hot.busyUntil[a] > st.now) return e.at(st.hot.busyUntil[a] - st.now, Q.ASYNC, a, b);
      e.fire(vc.ent, 'SUSPEND');
      if (vc.executing) e.halt(a, 'vm_suspend: paused by the VMM');
      const vm = st.vms[vc.vm];
      if (--vm.pendingStops === 0) sendFds(e, vm);
      return;
    }
    case A.HANDED_OVER:
      return handedOver(e, st.vms[a]);
    case A.NEW_VMM_UP:
      return newVmmUp(e, st.vms[a]);
    case A.RESTORED:
      return restored(e, st.vms[a]);
    case A.RUN:
      return backInKvmRun(e, a);
    case A.PENDING_DONE: {
      const vc = st.vcpus[a];
      const d = st.now - vc.stallSince;
      vc.stalledNs += d;
      if (d > vc.longestStallNs) vc.longestStallNs = d;
      vc.stallKind = -1;
      vc.stalledHandled++;
      resumeChecked(e, a, MODE_ATTACHED, 'KVM_RUN (new VMM)');
      return vcpuDone(e, st.vms[vc.vm]);
    }
    case A.CANCEL_RUN: {
      const vc = st.vcpus[a];
      e.fire(vc.ent, 'KVM_RUN');
      e.message(vc.ent, 'the vCPU never stopped: its VMM thread drives it again');
      const vm = st.vms[vc.vm];
      if (--vm.pendingStops === 0) cancelled(e, vm);
      return;
    }
    default:
      throw new EngineBug(`unknown async-run action ${b}`);
  }
}
