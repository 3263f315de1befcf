/**
 * A host kernel's lifecycle. The outgoing kernel starts in RUNNING and goes down through
 * `reboot(LINUX_REBOOT_CMD_KEXEC)`; the incoming kernel starts in EARLY_BOOT at the kexec jump.
 * Names follow orphanvm.md §7.1 (RUNNING → FREEZE → STOP_OTHERS → JUMP → EARLY_BOOT → SMP_INIT → USERSPACE).
 */
import { setup } from 'xstate';

export type KernelEvent =
  | { type: 'SMP_INIT' }
  | { type: 'USERSPACE_UP' }
  | { type: 'REBOOT' }
  | { type: 'FREEZE_FAILED' }
  | { type: 'FROZEN' }
  | { type: 'JUMP' };

export const kernelMachine = setup({ types: { events: {} as KernelEvent } }).createMachine({
  id: 'kernel',
  initial: 'EARLY_BOOT',
  states: {
    EARLY_BOOT: {
      description: 'kho_populate(); LUO reads the FLB and hides preserved pCPUs from the CPU masks',
      on: { SMP_INIT: 'SMP_INIT' },
    },
    SMP_INIT: {
      description: 'smp_init(): INIT/SIPI to every present secondary CPU; preserved pCPUs are not present',
      on: { USERSPACE_UP: 'RUNNING' },
    },
    RUNNING: {
      description: 'userspace is up: /dev/liveupdate can be opened',
      on: { REBOOT: 'FREEZE' },
    },
    FREEZE: {
      description: 'reboot(LINUX_REBOOT_CMD_KEXEC) → liveupdate_reboot(): luo_freeze() of every session, kho_finalize()',
      on: { FREEZE_FAILED: 'RUNNING', FROZEN: 'STOP_OTHERS' },
    },
    STOP_OTHERS: {
      description: 'point of no return passed: syscore shutdown, smp_send_stop() to the other online CPUs (preserved ones skipped)',
      on: { JUMP: 'JUMP' },
    },
    JUMP: {
      description: 'the boot CPU jumped into the new kernel image; this kernel is gone',
      type: 'final',
    },
  },
});
