/**
 * `rfc-v0`: the original RFC's Caretaker of one vCPU and the Attachment State Flag of its
 * Caretaker Control Block (rfc-thread.md §2, M1). Installed by KVM_SET_CARETAKER at VM creation,
 * it stays in the exit path for good: attached it handles what it can and routes the rest to KVM
 * through the routing pointers; detached it runs the guest alone and spin-waits on a blocking
 * exit until a kernel flips the flag back.
 */
import { setup } from 'xstate';

export type CcbEvent =
  | { type: 'DETACH' }
  | { type: 'SPIN' }
  | { type: 'REATTACH' }
  | { type: 'STOP' }
  | { type: 'RETIRE' }
  | { type: 'INIT_SIGNAL' };

export const ccbMachine = setup({ types: { events: {} as CcbEvent } }).createMachine({
  id: 'ccb',
  initial: 'KVM_ATTACHED',
  states: {
    KVM_ATTACHED: {
      description: 'KVM_ATTACHED: every exit enters the Caretaker through HOST_RIP; it handles its fast path and routes the rest to KVM through the routing pointers',
      on: { DETACH: 'KVM_DETACHED' },
    },
    KVM_DETACHED: {
      description: "KVM_DETACHED (set at .preserve()): the Caretaker runs the guest alone with its own IDT, GDT and CR3; the pCPU is offline to the OS",
      on: { SPIN: 'SPIN_WAIT', REATTACH: 'KVM_ATTACHED', STOP: 'STOPPED', INIT_SIGNAL: 'INIT_PARKED' },
    },
    SPIN_WAIT: {
      description: 'a blocking exit: the Caretaker spins polling the CCB flag (TSC read for the telemetry) until it reads KVM_ATTACHED',
      on: { REATTACH: 'KVM_ATTACHED', STOP: 'STOPPED' },
    },
    STOPPED: {
      description: 'kicked out of the guest to tear the VM down (kvm_vcpu_kick): exited, state saved, parked',
      on: { RETIRE: 'RETIRED' },
    },
    INIT_PARKED: { description: 'an INIT from a new kernel that did not know this CPU was preserved (LUO disabled in that boot) reached it in VMX/SVM non-root: an INIT-signal exit the Caretaker cannot handle, so it parks the core; no kernel will adopt the vCPU', type: 'final' },
    RETIRED: { description: 'the VM was terminated; the Caretaker is gone with it', type: 'final' },
  },
});
