/**
 * A physical CPU's lifecycle and owner: the host kernel (ONLINE), a Caretaker (CARETAKER), or
 * nobody (OFFLINE, STOPPED, WEDGED). Preserved pCPUs leave through remove_cpu() and come back
 * through add_cpu(); the others are stopped by smp_send_stop() and restarted by smp_init().
 * `rfc-v0` (M1) takes a pCPU in place: offline to the OS at .preserve() while the Caretaker keeps
 * running the guest on it (ISOLATE), back online at retrieve under the running vCPU (UNISOLATE).
 */
import { setup } from 'xstate';

export type PcpuEvent =
  | { type: 'REMOVE_CPU' }
  | { type: 'ISOLATE' }
  | { type: 'UNISOLATE' }
  | { type: 'CARETAKER_ENTRY' }
  | { type: 'CARETAKER_PARKED' }
  | { type: 'ADD_CPU' }
  | { type: 'STOP' }
  | { type: 'BOOT' }
  | { type: 'WEDGE' };

export const pcpuMachine = setup({ types: { events: {} as PcpuEvent } }).createMachine({
  id: 'pcpu',
  initial: 'ONLINE',
  states: {
    ONLINE: {
      description: 'owned by the host kernel: scheduler, IRQs and KVM_RUN threads run here',
      on: { REMOVE_CPU: 'OFFLINE', STOP: 'STOPPED', ISOLATE: 'CARETAKER' },
    },
    OFFLINE: {
      description: 'hotplug teardown done (VMX off, plays dead); owned by nobody',
      on: { CARETAKER_ENTRY: 'CARETAKER', ADD_CPU: 'ONLINE' },
    },
    CARETAKER: {
      description: 'owned by a Caretaker: not present to Linux, skipped by smp_send_stop() and smp_init()',
      on: { CARETAKER_PARKED: 'OFFLINE', WEDGE: 'WEDGED', UNISOLATE: 'ONLINE' },
    },
    STOPPED: {
      description: 'stopped by the outgoing kernel (smp_send_stop, VMXOFF); waits for the new kernel',
      on: { BOOT: 'ONLINE' },
    },
    WEDGED: { description: 'stopped answering IPIs and NMIs; never onlined again in this run', type: 'final' },
  },
});
