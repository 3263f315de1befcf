/** Colours of the timeline, by machine state, exit disposition and IPI purpose (one place). */

export const STATE_COLORS: Record<string, Record<string, string>> = {
  kernel: { RUNNING: '#4e79a7', FREEZE: '#f28e2b', STOP_OTHERS: '#e15759', EARLY_BOOT: '#bab0ac', SMP_INIT: '#9c755f' },
  luoSession: { CREATED: '#d4a6c8', PRESERVED: '#b07aa1', FROZEN: '#7b4f75', DESERIALIZED: '#9d7493', RETRIEVED: '#c39bbb', CLOSED: '#cccccc' },
  kho: { TRACKING: '#8cd17d', FINALIZED: '#499894', HANDED_OVER: '#2e6f6b', RESTORED: '#86bcb6' },
  vmm: { STARTING: '#d7b5a6', RETRIEVING: '#f1ce63', RUNNING: '#a0cbe8', PRESERVING: '#ffbe7d', PRESERVED: '#f28e2b' },
  pcpu: { ONLINE: '#a0cbe8', OFFLINE: '#d9d9d9', CARETAKER: '#b07aa1', STOPPED: '#ececec', WEDGED: '#e15759' },
  caretaker: { ATTACHED: '#a0cbe8', PARKED: '#d9d9d9', DETACHED: '#b07aa1', STOPPED: '#edc948', QUARANTINED: '#ff9da7' },
  vcpuAsync: { KVM_RUN: '#59a14f', ASYNC_RUNNING: '#86bcb6', ASYNC_BLOCKED: '#e15759', SUSPENDED: '#bab0ac' },
  vmmAsync: { STARTING: '#d7b5a6', RECEIVING: '#f1ce63', RUNNING: '#a0cbe8', STAGING: '#ffbe7d', STAGED: '#f28e2b', HANDING_OVER: '#e15759' },
  attachment: { ATTACHED: '#a0cbe8', DETACHED: '#b07aa1', ATTACHING: '#f28e2b', FAILED: '#e15759' },
  ccb: { KVM_ATTACHED: '#a0cbe8', KVM_DETACHED: '#b07aa1', SPIN_WAIT: '#e15759', STOPPED: '#edc948' },
  cb: { PAUSED: '#edc948', RUNNING: '#b07aa1', STOPPING: '#f28e2b', STOPPED: '#d9d9d9', FAILED: '#e15759' },
  cpuPreserved: { ONLINE: '#a0cbe8', OFFLINE: '#d9d9d9', PARKED: '#d4a6c8', WORKLOAD: '#b07aa1', EXITING: '#f1ce63', DEAD: '#bab0ac', STOPPED: '#ececec', WEDGED: '#e15759' },
  oncoreJob: { RUNNABLE: '#f6dd8a', RUNNING: '#76b7b2', CANCELING: '#f28e2b' },
  vcpuOncore: {
    KVM_RUN: '#59a14f',
    PAUSED_IN_VMM: '#bab0ac',
    CARETAKER_RUNNING: '#76b7b2',
    CARETAKER_PAUSED: '#f6dd8a',
    STALLED: '#e15759',
    STOPPED: '#edc948',
    QUARANTINED: '#ff9da7',
    FAILED: '#b3261e',
    TERMINATED: '#555555',
  },
  vcpu: {
    ATTACHED_RUNNING: '#59a14f',
    SUSPENDED: '#bab0ac',
    DETACHING: '#f28e2b',
    ORPHANED_RUNNING: '#76b7b2',
    ORPHANED_BLOCKED: '#e15759',
    ADOPTING: '#edc948',
    ADOPTED: '#f6dd8a',
    QUARANTINED: '#ff9da7',
    TERMINATED: '#555555',
  },
};

/** States that end an entity's life: nothing is drawn after them. */
export { GONE_STATES as GONE } from '../../store/logMirror.ts';

/** The new kernel's ONLINE pCPUs are drawn green, the old kernel's blue. */
export const NEW_KERNEL_ONLINE = '#8cd17d';

export const DISP_ROWS = [
  { disp: 1, name: 'fastpath', color: '#2f8f3a' },
  { disp: 3, name: 'host', color: '#1f5fa8' },
  { disp: 4, name: 'userspace', color: '#7b3fa0' },
  { disp: 2, name: 'stalled', color: '#d62728' },
] as const;

export const IPI_COLORS: Record<string, string> = {
  detach: '#f28e2b',
  attach: '#c9a400',
  invalidate: '#b07aa1',
  stop: '#e15759',
  'init-sipi': '#2b5d8a',
  guest: '#8c8c8c',
};

export function stateColor(machine: string | null, state: string): string {
  return (machine && STATE_COLORS[machine]?.[state]) ?? '#cfcfcf';
}
