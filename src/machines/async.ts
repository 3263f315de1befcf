/**
 * `async-run`: Paolo Bonzini's staging without kexec (rfc-thread.md "Variant — the same flow
 * without kexec", M8, M9). KVM_RUN_ASYNC moves each vCPU into a kernel thread (a vhost_task), the
 * old VMM hands its fds to a new VMM process and exits, and the new VMM takes the vCPUs back into
 * its own KVM_RUN threads: a VMM upgrade with no kernel gap. Two machines: the vCPU and the VMM.
 */
import { setup } from 'xstate';

export type VcpuAsyncEvent = { type: 'ASYNC' } | { type: 'BLOCK' } | { type: 'KVM_RUN' } | { type: 'SUSPEND' };

export const vcpuAsyncMachine = setup({ types: { events: {} as VcpuAsyncEvent } }).createMachine({
  id: 'vcpuAsync',
  initial: 'KVM_RUN',
  states: {
    KVM_RUN: {
      description: 'a VMM thread in KVM_RUN: exits go to the fastpath, to KVM or to the VMM',
      on: { ASYNC: 'ASYNC_RUNNING', SUSPEND: 'SUSPENDED' },
    },
    ASYNC_RUNNING: {
      description: 'KVM_RUN_ASYNC: the vCPU runs in a kernel thread (vhost_task) that no VMM thread drives; the kernel handles its exits as usual',
      on: { BLOCK: 'ASYNC_BLOCKED', KVM_RUN: 'KVM_RUN' },
    },
    ASYNC_BLOCKED: {
      description: 'an exit only a VMM can handle (MMIO or PIO to a device model) while no VMM holds the fds: the vhost_task schedules out',
      on: { KVM_RUN: 'KVM_RUN' },
    },
    SUSPENDED: {
      description: 'the VMM does not use KVM_RUN_ASYNC: the vCPU is paused across the VMM restart',
      on: { KVM_RUN: 'KVM_RUN' },
    },
  },
});

export type VmmAsyncEvent =
  | { type: 'STAGE' }
  | { type: 'STAGED' }
  | { type: 'RESUME' }
  | { type: 'HAND_OVER' }
  | { type: 'EXIT' }
  | { type: 'RECEIVE' }
  | { type: 'RUN' };

export const vmmAsyncMachine = setup({ types: { events: {} as VmmAsyncEvent } }).createMachine({
  id: 'vmmAsync',
  initial: 'STARTING',
  states: {
    STARTING: {
      description: 'the new VMM process starts and connects to the old one',
      on: { RECEIVE: 'RECEIVING' },
    },
    RECEIVING: {
      description: 'recvmsg(SCM_RIGHTS) of the vmfd, vcpufds and guest memfd; device models rebuilt from the handed-over state',
      on: { RUN: 'RUNNING' },
    },
    RUNNING: {
      description: 'one thread per vCPU in KVM_RUN; device models serviced',
      on: { STAGE: 'STAGING' },
    },
    STAGING: {
      description: 'KVM_RUN_ASYNC on each vcpufd: every vCPU moves into a kernel thread',
      on: { STAGED: 'STAGED' },
    },
    STAGED: {
      description: 'every vCPU runs without a VMM thread; the VMM still services device exits and waits for the upgrade (or a cancel)',
      on: { HAND_OVER: 'HANDING_OVER', RESUME: 'RUNNING' },
    },
    HANDING_OVER: {
      description: 'device models quiesced; sendmsg(SCM_RIGHTS) of the fds and the device state to the new VMM',
      on: { EXIT: 'EXITED' },
    },
    EXITED: { description: 'the old VMM process is gone; the kernel holds the fds it passed on', type: 'final' },
  },
});
