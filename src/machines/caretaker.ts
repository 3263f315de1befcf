/**
 * The Caretaker of one preserved vCPU, named Cn after its pCPU n (walkthrough §2):
 * attached → parked → detached → stopped → replaced. Under `converged` it is built into KVM and is
 * the non-preemptible part of vcpu_enter_guest(); detached, it runs alone with its own IDT, GDT,
 * page tables and stack.
 */
import { setup } from 'xstate';

export type CaretakerEvent =
  | { type: 'KNOWN_STATE' }
  | { type: 'ENTER_DETACHED' }
  | { type: 'STOP' }
  | { type: 'REPLACE' }
  | { type: 'REATTACH' }
  | { type: 'RETIRE' }
  | { type: 'QUARANTINE' }
  | { type: 'INIT_SIGNAL' };

export const caretakerMachine = setup({ types: { events: {} as CaretakerEvent } }).createMachine({
  id: 'caretaker',
  initial: 'ATTACHED',
  states: {
    ATTACHED: {
      description: 'inside vcpu_enter_guest() of a live KVM: exits it cannot finish go to KVM',
      on: { KNOWN_STATE: 'PARKED' },
    },
    PARKED: {
      description: 'known state: vCPU exited, state serialized into KHO, control back to the host; the pCPU goes offline',
      on: { ENTER_DETACHED: 'DETACHED' },
    },
    DETACHED: {
      description: 'entered by INIT/SIPI: own GDT/IDT/CR3/stack, VMXON, VMPTRLD, VMLAUNCH; runs the guest alone',
      on: { STOP: 'STOPPED', QUARANTINE: 'QUARANTINED', INIT_SIGNAL: 'INIT_PARKED' },
    },
    STOPPED: {
      description: 'known state after a forced exit: state serialized, VMCLEAR, VMXOFF, parked',
      on: { REPLACE: 'REPLACED', REATTACH: 'ATTACHED', RETIRE: 'RETIRED' },
    },
    REPLACED: { description: "the new kernel installed its own Caretaker version for this vCPU", type: 'final' },
    RETIRED: { description: 'the VM was terminated; the Caretaker was torn down without a successor', type: 'final' },
    INIT_PARKED: { description: 'an INIT from a new kernel that did not know this CPU was preserved (LUO disabled in that boot) reached it in VMX/SVM non-root: an INIT-signal exit the Caretaker cannot handle, so it parks the core; no kernel will adopt the vCPU', type: 'final' },
    QUARANTINED: {
      description: 'never answered the attach handshake: -ETIMEDOUT, the vCPU is quarantined and never forced',
      type: 'final',
    },
  },
});
