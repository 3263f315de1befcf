/**
 * `design-v2`: the CCB's `attachment_state` of one vCPU in the prototype's older DESIGN_V2
 * (orphanvm.md §1.3e): ATTACHED in normal operation, DETACHED once the outgoing KVM stages it,
 * ATTACHING when a kernel wants the vCPU back and kicks its CPU (an NMI on x86, an SGI on arm64,
 * again every 5 ms), ATTACHED again when the Caretaker has synced the vCPU and parked.
 */
import { setup } from 'xstate';

export type AttachmentEvent = { type: 'DETACH' } | { type: 'ATTACH_REQUEST' } | { type: 'SYNCED' } | { type: 'FAIL' } | { type: 'INIT_RESET' };

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
      on: { ATTACH_REQUEST: 'ATTACHING', FAIL: 'FAILED', INIT_RESET: 'LOST' },
    },
    ATTACHING: {
      description: 'ATTACHING: a kernel wants the vCPU back and kicked its CPU (arch_cpu_preserved_kick(), again every 5 ms, 2 s timeout)',
      on: { SYNCED: 'ATTACHED' },
    },
    FAILED: { description: 'a fault in the preserved runtime: the vCPU cannot be synced; the VM is marked bugged', type: 'final' },
    LOST: {
      description: 'reset by INIT/SIPI from a new kernel that did not know the CPU was preserved (LUO disabled in that boot): gone without a known state',
      type: 'final',
    },
  },
});
