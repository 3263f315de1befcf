/**
 * A VMM process. The outgoing VMM is RUNNING when the run starts, preserves its VM into a LUO
 * session and exits at the point of no return; the incoming VMM starts after the new kernel's
 * userspace is up and retrieves the session.
 */
import { setup } from 'xstate';

export type VmmEvent =
  | { type: 'RETRIEVE' }
  | { type: 'RUN' }
  | { type: 'PRESERVE' }
  | { type: 'PRESERVED' }
  | { type: 'RESUME' }
  | { type: 'EXIT' };

export const vmmMachine = setup({ types: { events: {} as VmmEvent } }).createMachine({
  id: 'vmm',
  initial: 'STARTING',
  states: {
    STARTING: {
      description: 'the new VMM process starts and opens /dev/liveupdate',
      on: { RETRIEVE: 'RETRIEVING' },
    },
    RETRIEVING: {
      description: 'LIVEUPDATE_IOCTL_RETRIEVE_SESSION, then RETRIEVE_FD of memfd, vmfd and vcpufds; memslots and irqchip',
      on: { RUN: 'RUNNING', EXIT: 'EXITED' },
    },
    RUNNING: {
      description: 'one thread per vCPU in KVM_RUN; emulated devices serviced',
      on: { PRESERVE: 'PRESERVING' },
    },
    PRESERVING: {
      description: 'LIVEUPDATE_IOCTL_CREATE_SESSION and LIVEUPDATE_SESSION_PRESERVE_FD of each file, in order',
      on: { PRESERVED: 'PRESERVED' },
    },
    PRESERVED: {
      description: 'every file is in the session; the process waits for the point of no return (or a cancel)',
      on: { RESUME: 'RUNNING', EXIT: 'EXITED' },
    },
    EXITED: { description: 'the process is gone; LUO holds its files', type: 'final' },
  },
});
