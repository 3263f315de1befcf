/**
 * `design-v2`: the CCB's `attachment_state` of one vCPU in the prototype's older DESIGN_V2
 * (orphanvm.md §1.3e): ATTACHED in normal operation, DETACHED once the outgoing KVM stages it,
 * ATTACHING when a kernel wants the vCPU back and kicks its CPU (an NMI on x86, an SGI on arm64,
 * again every 5 ms), ATTACHED again when the Caretaker has synced the vCPU and parked.
 */
import { setup } from 'xstate';

export type AttachmentEvent = { type: 'DETACH' } | { type: 'ATTACH_REQUEST' } | { type: 'SYNCED' } | { type: 'FAIL' };

export const attachmentMachine = setup({ types: { events: {} as AttachmentEvent } }).createMachine({
  id: 'attachment',
  initial: 'ATTACHED',
  states: {
    ATTACHED: {
      description: 'CARETAKER_KVM_ATTACHED: the vCPU belongs to KVM (before staging, and again after a sync)',
      on: { DETACH: 'DETACHED' },
    },
    DETACHED: {
      description: 'CARETAKER_KVM_DETACHED: set by the outgoing KVM at staging; the caretaker_job runs the vCPU',
      on: { ATTACH_REQUEST: 'ATTACHING', FAIL: 'FAILED' },
    },
    ATTACHING: {
      description: 'ATTACHING: a kernel wants the vCPU back and kicked its CPU (arch_cpu_preserved_kick(), again every 5 ms, 2 s timeout)',
      on: { SYNCED: 'ATTACHED' },
    },
    FAILED: { description: 'a fault in the preserved runtime (a machine check, or an INIT it cannot handle): the vCPU cannot be synced; the VM is marked bugged', type: 'final' },
  },
});
