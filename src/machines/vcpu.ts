/**
 * A guest vCPU's lifecycle across a live update (rfc-thread.md Appendix B):
 * ATTACHED_RUNNING → DETACHING → ORPHANED_RUNNING (⇄ ORPHANED_BLOCKED) → ADOPTING → ADOPTED →
 * ATTACHED_RUNNING, or TERMINATED. SUSPENDED is today's live update: paused by the VMM. Under
 * `rfc-v0` a retrieve flips the CCB flag under the running vCPU: REATTACH, with no stop.
 */
import { setup } from 'xstate';

export type VcpuEvent =
  | { type: 'SUSPEND' }
  | { type: 'KVM_RUN' }
  | { type: 'DETACH' }
  | { type: 'ORPHAN' }
  | { type: 'BLOCK' }
  | { type: 'ATTACH' }
  | { type: 'REATTACH' }
  | { type: 'ADOPTED' }
  | { type: 'QUARANTINE' }
  | { type: 'TERMINATE' };

export const vcpuMachine = setup({ types: { events: {} as VcpuEvent } }).createMachine({
  id: 'vcpu',
  initial: 'ATTACHED_RUNNING',
  states: {
    ATTACHED_RUNNING: {
      description: 'KVM_RUN under a live kernel: exits go to the fastpath, to KVM or to the VMM',
      on: { SUSPEND: 'SUSPENDED', DETACH: 'DETACHING', TERMINATE: 'TERMINATED' },
    },
    SUSPENDED: {
      description: 'paused by the VMM (vm_suspend: immediate_exit + signal); not executing',
      on: { KVM_RUN: 'ATTACHED_RUNNING', TERMINATE: 'TERMINATED' },
    },
    DETACHING: {
      description: 'detach IPI → known state → pCPU offline → INIT/SIPI into the Caretaker',
      on: { ORPHAN: 'ORPHANED_RUNNING' },
    },
    ORPHANED_RUNNING: {
      description: 'runs under its Caretaker with no kernel: fastpath exits handled in place',
      on: { BLOCK: 'ORPHANED_BLOCKED', ATTACH: 'ADOPTING', REATTACH: 'ATTACHED_RUNNING', TERMINATE: 'TERMINATED' },
    },
    ORPHANED_BLOCKED: {
      description: 'hit an exit the Caretaker cannot handle: halted with the exit pending until adoption',
      on: { ATTACH: 'ADOPTING', REATTACH: 'ATTACHED_RUNNING', TERMINATE: 'TERMINATED' },
    },
    ADOPTING: {
      description: 'attach IPI → forced exit → known state → state restored into a kvm_vcpu',
      on: { ADOPTED: 'ADOPTED', QUARANTINE: 'QUARANTINED', TERMINATE: 'TERMINATED' },
    },
    ADOPTED: {
      description: 'owned by a kvm_vcpu again; waits for the VMM to call KVM_RUN',
      on: { KVM_RUN: 'ATTACHED_RUNNING', TERMINATE: 'TERMINATED' },
    },
    QUARANTINED: {
      description: 'the attach handshake timed out (-ETIMEDOUT); the vCPU is never forced out',
      on: { TERMINATE: 'TERMINATED' },
    },
    TERMINATED: { description: 'the VM was terminated; pending exits are reported lost with it', type: 'final' },
  },
});
