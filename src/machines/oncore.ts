/**
 * The prototype's own lifecycles (rfcv1; orphanvm.md §1.3, §7.2): the Caretaker control block
 * `cb->state` moved only by compare-and-swap, the preserved pCPU (`cpu_preserved_ser.state` with
 * the host's view around it), the `oncore` job, and the vCPU's execution mode as the prototype's
 * harness shows it.
 */
import { setup } from 'xstate';

export type CbEvent =
  | { type: 'CAS_RUN' }
  | { type: 'CAS_PAUSE' }
  | { type: 'CAS_STOP' }
  | { type: 'CAS_STOPPING' }
  | { type: 'PUBLISH_STOPPED' }
  | { type: 'FAIL' };

/** `struct kvm_caretaker_cb_ser.state`: every change is a cmpxchg on KHO memory. */
export const cbMachine = setup({ types: { events: {} as CbEvent } }).createMachine({
  id: 'cb',
  initial: 'PAUSED',
  states: {
    PAUSED: {
      description: 'KVM_CARETAKER_PAUSED: arch_state is complete (after preserve, between quanta, after a stall)',
      on: { CAS_RUN: 'RUNNING', CAS_STOP: 'STOPPED' },
    },
    RUNNING: {
      description: 'KVM_CARETAKER_RUNNING: live on silicon; arch_state is stale',
      on: { CAS_PAUSE: 'PAUSED', CAS_STOPPING: 'STOPPING', FAIL: 'FAILED' },
    },
    STOPPING: {
      description: 'KVM_CARETAKER_STOPPING: a host asked for the vCPU back and kicked the CPU',
      on: { PUBLISH_STOPPED: 'STOPPED' },
    },
    STOPPED: { description: 'KVM_CARETAKER_STOPPED: the host owns the vCPU; arch_state is valid', type: 'final' },
    FAILED: { description: 'KVM_CARETAKER_FAILED: a fault in the preserved runtime (a machine check, or an INIT it cannot handle); the VM is marked bugged', type: 'final' },
  },
});

export type CpuPreservedEvent =
  | { type: 'REMOVE_CPU' }
  | { type: 'PARK' }
  | { type: 'ATTACH_WORKLOAD' }
  | { type: 'DETACH_WORKLOAD' }
  | { type: 'SIGNAL_EXIT' }
  | { type: 'DEAD' }
  | { type: 'ADD_CPU' }
  | { type: 'STOP' }
  | { type: 'BOOT' }
  | { type: 'WEDGE' };

/** A pCPU under the prototype: Linux's hotplug view around `cpu_preserved_ser.state`. */
export const cpuPreservedMachine = setup({ types: { events: {} as CpuPreservedEvent } }).createMachine({
  id: 'cpuPreserved',
  initial: 'ONLINE',
  states: {
    ONLINE: { description: 'owned by the host kernel', on: { REMOVE_CPU: 'OFFLINE', STOP: 'STOPPED' } },
    OFFLINE: { description: 'remove_cpu(): hotplug teardown; cpu_preserved_report_dead() instead of playing dead', on: { PARK: 'PARKED' } },
    PARKED: {
      description: 'CPU_PRESERVED_PARKED: in cpu_preserved_park_loop() on a KHO stack, not present to Linux',
      on: { ATTACH_WORKLOAD: 'WORKLOAD', SIGNAL_EXIT: 'EXITING', WEDGE: 'WEDGED' },
    },
    WORKLOAD: {
      description: 'CPU_PRESERVED_WORKLOAD: running oncore_cpu_schedule_loop()',
      on: { DETACH_WORKLOAD: 'PARKED', SIGNAL_EXIT: 'EXITING', WEDGE: 'WEDGED' },
    },
    EXITING: { description: 'CPU_PRESERVED_EXITING: cpu_signal_exit() and a kick asked it to leave the park loop', on: { DEAD: 'DEAD', WEDGE: 'WEDGED' } },
    DEAD: { description: 'CPU_PRESERVED_DEAD: out of the loop; the host frees the stack, set_cpu_present(), add_cpu()', on: { ADD_CPU: 'ONLINE' } },
    STOPPED: { description: 'stopped by smp_send_stop() (not a preserved CPU)', on: { BOOT: 'ONLINE' } },
    WEDGED: { description: 'stopped answering kicks; never returned to Linux', type: 'final' },
  },
});

export type JobEvent = { type: 'PICK' } | { type: 'REQUEUE' } | { type: 'PARK' } | { type: 'CANCEL' } | { type: 'DIE' };

/** `struct oncore_job` (kernel/liveupdate/oncore_sched.c). */
export const oncoreJobMachine = setup({ types: { events: {} as JobEvent } }).createMachine({
  id: 'oncoreJob',
  initial: 'RUNNABLE',
  states: {
    RUNNABLE: { description: 'ONCORE_JOB_RUNNABLE: queued on the session runqueue', on: { PICK: 'RUNNING', CANCEL: 'CANCELING', DIE: 'DEAD' } },
    RUNNING: {
      description: 'ONCORE_JOB_RUNNING: its run_fn runs on a preserved CPU',
      on: { REQUEUE: 'RUNNABLE', PARK: 'RUNNABLE', CANCEL: 'CANCELING', DIE: 'DEAD' },
    },
    CANCELING: { description: 'ONCORE_JOB_CANCELING: dequeued while running', on: { DIE: 'DEAD' } },
    DEAD: { description: 'ONCORE_JOB_DEAD: reclaimed (ONCORE_EXIT_ATTACH_SIGNALED), cancelled or failed', type: 'final' },
  },
});

export type VcpuOncoreEvent =
  | { type: 'SUSPEND' }
  | { type: 'KVM_RUN' }
  | { type: 'RUN' }
  | { type: 'PAUSE' }
  | { type: 'STALL' }
  | { type: 'STOP' }
  | { type: 'QUARANTINE' }
  | { type: 'FAIL' }
  | { type: 'TERMINATE' };

/** A vCPU's execution mode under the prototype, as its harness shows it (orphanvm.md §7.2.5). */
export const vcpuOncoreMachine = setup({ types: { events: {} as VcpuOncoreEvent } }).createMachine({
  id: 'vcpuOncore',
  initial: 'KVM_RUN',
  states: {
    KVM_RUN: { description: 'KVM_RUN under a live kernel', on: { SUSPEND: 'PAUSED_IN_VMM', TERMINATE: 'TERMINATED' } },
    PAUSED_IN_VMM: {
      description: 'vm_suspend(): out of KVM_RUN until its oncore job runs (or KVM_RUN again)',
      on: { RUN: 'CARETAKER_RUNNING', KVM_RUN: 'KVM_RUN', STOP: 'STOPPED', QUARANTINE: 'QUARANTINED', TERMINATE: 'TERMINATED' },
    },
    CARETAKER_RUNNING: {
      description: 'cb RUNNING: on silicon under the Caretaker, on a preserved CPU',
      on: { PAUSE: 'CARETAKER_PAUSED', STALL: 'STALLED', STOP: 'STOPPED', QUARANTINE: 'QUARANTINED', FAIL: 'FAILED', TERMINATE: 'TERMINATED' },
    },
    CARETAKER_PAUSED: {
      description: 'cb PAUSED: serialized, between quanta or waiting on the runqueue',
      on: { RUN: 'CARETAKER_RUNNING', STOP: 'STOPPED', QUARANTINE: 'QUARANTINED', TERMINATE: 'TERMINATED' },
    },
    STALLED: {
      description: 'ONCORE_EXIT_STALL: trapped on an exit the Caretaker cannot emulate, RIP kept; waits for reclaim',
      on: { STOP: 'STOPPED', QUARANTINE: 'QUARANTINED', TERMINATE: 'TERMINATED' },
    },
    STOPPED: { description: 'cb STOPPED: reclaimed by a host kernel; arch_state restored', on: { KVM_RUN: 'KVM_RUN', TERMINATE: 'TERMINATED' } },
    QUARANTINED: {
      description: 'the attach handshake timed out (-ETIMEDOUT) in whatever state the vCPU was (running, paused, stalled, or never run because its CPU did not answer): never forced',
      on: { TERMINATE: 'TERMINATED' },
    },
    FAILED: { description: 'cb FAILED: a fault in the preserved runtime; retrieve returns -EIO and the VM is marked bugged', on: { TERMINATE: 'TERMINATED' } },
    TERMINATED: { description: 'the VM was terminated', type: 'final' },
  },
});
