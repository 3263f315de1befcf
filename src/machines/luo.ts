/**
 * A LUO session (`/dev/liveupdate`, LIVEUPDATE_IOCTL_CREATE_SESSION) across a live update, and
 * the KHO state of the machine. Session states follow walkthrough §2; KHO follows mechanics.md §2.3.
 */
import { setup } from 'xstate';

export type SessionEvent =
  | { type: 'PRESERVE_FD' }
  | { type: 'FREEZE' }
  | { type: 'UNFREEZE' }
  | { type: 'CLOSE' }
  | { type: 'DESERIALIZE' }
  | { type: 'RETRIEVE' }
  | { type: 'FINISH' };

export const luoSessionMachine = setup({ types: { events: {} as SessionEvent } }).createMachine({
  id: 'luoSession',
  initial: 'CREATED',
  states: {
    CREATED: {
      description: 'LIVEUPDATE_IOCTL_CREATE_SESSION returned a session fd',
      on: { PRESERVE_FD: 'PRESERVED' },
    },
    PRESERVED: {
      description: 'LIVEUPDATE_SESSION_PRESERVE_FD: files registered, each .preserve() ran',
      on: { FREEZE: 'FROZEN', CLOSE: 'CLOSED' },
    },
    FROZEN: {
      description: 'luo_freeze(): each file .freeze() ran inside reboot(LINUX_REBOOT_CMD_KEXEC)',
      on: { UNFREEZE: 'PRESERVED', DESERIALIZE: 'DESERIALIZED' },
    },
    DESERIALIZED: {
      description: 'the new kernel found the session in KHO; LIVEUPDATE_IOCTL_RETRIEVE_SESSION may open it',
      on: { RETRIEVE: 'RETRIEVED' },
    },
    RETRIEVED: {
      description: 'LIVEUPDATE_SESSION_RETRIEVE_FD: files handed to the new VMM',
      on: { FINISH: 'FINISHED' },
    },
    FINISHED: { description: 'LIVEUPDATE_SESSION_FINISH: each file .finish() ran; preserved memory freed', type: 'final' },
    CLOSED: { description: 'the session fd was closed before kexec: each file .unpreserve() ran in reverse order', type: 'final' },
  },
});

export type KhoEvent = { type: 'FINALIZE' } | { type: 'ABORT' } | { type: 'HANDOVER' } | { type: 'RESTORE' };

export const khoMachine = setup({ types: { events: {} as KhoEvent } }).createMachine({
  id: 'kho',
  initial: 'TRACKING',
  states: {
    TRACKING: {
      description: 'kho_preserve_folio()/kho_preserve_pages() record what must survive kexec',
      on: { FINALIZE: 'FINALIZED' },
    },
    FINALIZED: {
      description: 'kho_finalize(): the preserved-memory tree is serialized and can no longer change',
      on: { ABORT: 'TRACKING', HANDOVER: 'HANDED_OVER' },
    },
    HANDED_OVER: {
      description: 'the kexec jump passed the KHO tree to the new kernel (kho_populate() in early boot)',
      on: { RESTORE: 'RESTORED' },
    },
    RESTORED: { description: 'the new kernel restored preserved folios on retrieve (kho_restore_folio())', type: 'final' },
  },
});
