/**
 * The whole state of a run as plain data and typed arrays, so a checkpoint is one structuredClone.
 * Records name kernel objects; `ent` fields index the entity table, whose lifecycle states the
 * machines in src/machines govern.
 */
import type { MachineId } from '../../machines/index.ts';
import type { QueueState } from '../../base/heap.ts';
import type { PrngState } from '../../base/prng.ts';
import type { Ns } from '../../base/time.ts';
import type { ResolvedScenario } from '../scenario.ts';
import type { CoreConfig } from '../caretakerCore.ts';

export type EntKind = 'kernel' | 'pcpu' | 'vm' | 'vcpu' | 'caretaker' | 'job' | 'session' | 'kho' | 'vmm' | 'operator';

export interface Ent {
  kind: EntKind;
  name: string;
  machine: MachineId | null;
  state: string;
  since: Ns;
}

export type Owner = 'host' | 'caretaker' | 'nobody';

export interface PcpuRec {
  ent: number;
  id: number;
  housekeeping: boolean;
  owner: Owner;
  /** Which kernel owns it when owner is host: 0 old, 1 new. */
  kernel: number;
  /** The vCPU whose Caretaker owns it, or -1. */
  vcpu: number;
  wedged: boolean;
  /** A wedge fault waits for this pCPU to be under a Caretaker. */
  wedgeArmed: boolean;
  /** Handed to a Caretaker and hidden from Linux (not present). */
  preserved: boolean;
  /** rfcv1: between picking a job and entering it, or between two jobs. */
  switching: boolean;
  /** rfcv1: cpu_wait_dead() waits for a job still serializing here before the CPU leaves its loop. */
  deadPending: boolean;
}

export type IpiPurpose = (typeof import('../eventlog.ts').IPI_PURPOSE_NAMES)[number];

export interface IpiRec {
  id: number;
  from: number;
  to: number;
  purpose: IpiPurpose;
  vcpu: number;
  /** The handshake it belongs to, or -1. */
  hsGen: number;
  sentAt: Ns;
  arriveAt: Ns;
  status: 'flight' | 'delivered' | 'lost';
}

/** A host waiting for a pCPU's answer to a protocol IPI (detach, attach or invalidation). */
export interface Handshake {
  purpose: 'detach' | 'attach' | 'invalidate';
  /** Unique per handshake: IPIs and timers carry it, so nothing of an old handshake touches a new one. */
  gen: number;
  startedAt: Ns;
  kicks: number;
  /** The forced exit happened (later kicks are ignored). */
  forced: boolean;
  /** A timeout is armed: a lost kick will be re-sent (invariant 6). */
  timerArmed: boolean;
  done: boolean;
  /** Who adopts at attach: 0 the old kernel (cancel), 1 the new kernel. */
  by: number;
  /** The CPU the kicks go to. */
  cpu: number;
}

export interface VcpuRec {
  ent: number;
  vm: number;
  index: number;
  pcpu: number;
  /** Entity of its Caretaker, or -1 when it is not preserved with one. */
  ct: number;
  executing: boolean;
  execSince: Ns;
  execNs: Ns;
  progressNs: Ns;
  progressSince: Ns;
  /** Spinning in a TLB shootdown wait: executing without progress. */
  waitAcks: number;
  waitSince: Ns;
  waitNs: Ns;
  /** Guest IPIs this vCPU must acknowledge once it executes again: [id, sender, id, sender, ...]. */
  pendingAcks: number[];
  stallKind: number;
  /** rfc-v0: the exit that last made the Caretaker spin-wait (-1: none), for its telemetry buffer. */
  lastStallKind: number;
  stallSince: Ns;
  stalledNs: Ns;
  longestStallNs: Ns;
  handshake: Handshake | null;
  /** A guest touch of freed memory waits for the vCPU to execute. */
  pendingTouch: boolean;
  /** Invalidation acknowledged since the last madvise (MMU notifier forced exit). */
  invalidated: boolean;
  /** Exits lost with a terminated VM. */
  lostExits: number;
  stalledHandled: number;
  /** Which kernel's KVM it is attached to (0 old, 1 new). */
  kvm: number;
  /** The pCPU its thread runs on under a kernel: the pin, or a fallback when the pin is not online. */
  hostCpu: number;
  /** rfcv1: its oncore job entity (-1 before preserve) and scheduling state. */
  job: number;
  oncore: OncoreVcpu | null;
}

/** A vCPU as an `oncore` job (rfcv1): placement, accounting and telemetry. */
export interface OncoreVcpu {
  preferredCpu: number;
  onCpu: number;
  totalRuns: number;
  preemptions: number;
  /** Times the job ran on a different CPU than the time before (cb->pcpu_id changed). */
  migrations: number;
  stalled: boolean;
  stallExitReason: number;
  quantumGen: number;
  tickless: boolean;
  /** Who reclaims it: 0 the old kernel (cancel), 1 the new one. */
  reclaimBy: number;
  /** The CPU it is being serialized on after a kick or a hand-over (ONC.SERIALIZED pending), or -1. */
  serializingOn: number;
}

export interface VmmRec {
  ent: number;
  pc: number;
  prog: number[];
  blocked: boolean;
}

export interface PauseTracker {
  /** vCPUs of the VM currently executing guest code. */
  running: number;
  /** The latest end of an exit started by a vCPU of the VM: no overlap is possible before it. */
  lastExitEnd: Ns;
  /** An all-stopped interval open since, or -1. */
  openSince: Ns;
  pauseNs: Ns;
  blackoutNs: Ns;
  /** The longest all-stopped run before the current one. */
  prevMax: Ns;
  runStart: Ns;
  runEnd: Ns;
}

export interface VmRec {
  ent: number;
  idx: number;
  name: string;
  vcpus: number[];
  /** Its vCPUs go to Caretakers (the design uses them and the VMM opted in). */
  caretaker: boolean;
  session: number;
  oldVmm: VmmRec;
  newVmm: VmmRec | null;
  terminated: boolean;
  terminatedAt: Ns;
  mismatch: 'none' | 'before-ponr' | 'after-ponr';
  slowRestart: Ns;
  pause: PauseTracker;
  /** The guest TSC offset preserved in KHO and the one restored. */
  tscOffset: number;
  restoredTscOffset: number;
  tscReset: boolean;
  irqPosted: number;
  irqExits: number;
  irqHeld: number;
  irqQueued: number;
  irqHeldSince: Ns;
  longestIrqHoldNs: Ns;
  /** Pages of a madvise() waiting for invalidation acknowledgements, or -1. */
  freePendingFault: number;
  cancelling: boolean;
  cancelRequested: boolean;
  /** rfcv1: the session's preserved CPUs and its runqueue (vCPU indices, FIFO). */
  oncore: { cpus: number[]; runq: number[] } | null;
  pendingStops: number;
  /** vm_suspend(): vCPU threads yet to leave KVM_RUN (the VMM waits for every one). */
  suspending: number;
  adoptedVcpus: number;
  /** When its new VMM had every vcpufd (phase adopted), or -1. */
  adoptedAt: Ns;
  finished: boolean;
}

export interface KhoRegion {
  key: string;
  kind: 'vcpu-state' | 'caretaker' | 'trace-ring' | 'page-tables' | 'pvclock' | 'guest-memory' | 'luo';
  owner: string;
  bytes: number;
  preservedAt: Ns;
  restoredAt: Ns;
  freedAt: Ns;
}

export interface InvariantViolation {
  id: number;
  atNs: Ns;
  message: string;
}

export interface Phases {
  preserve: Ns | null;
  kexec: Ns | null;
  newKernelUp: Ns | null;
  adopted: Ns | null;
  finish: Ns | null;
}

export interface ArmedFault {
  index: number;
  remaining: number;
}

/** Per-vCPU exit-stream state for the hot path (length = number of vCPUs, or × exit kinds). */
export interface Hot {
  gen: Int32Array;
  /** Mean ns between exits of the vCPU's current stream (0: no exits). */
  meanNs: Float64Array;
  mode: Uint8Array;
  cum: Float64Array;
  kinds: Int32Array;
  nk: Int32Array;
  disp: Uint8Array;
  cost: Float64Array;
  counts: Float64Array;
  busyUntil: Float64Array;
  shootGen: Int32Array;
  ringFill: Float64Array;
  ringProduced: Float64Array;
  ringConsumed: Float64Array;
  ringDropped: Float64Array;
  exitNs: Float64Array;
  /** Exits of a detached vCPU under its Caretaker, by kind × disposition (a subset of counts). */
  gapCounts: Float64Array;
  /** Exit time spent while spinning in a TLB-shootdown wait (not lost progress twice). */
  waitExitNs: Float64Array;
  waiting: Uint8Array;
  /** rfcv1: an idle exit yields the CPU (other jobs wait on the runqueue). */
  yieldHook: Uint8Array;
  executing: Uint8Array;
  ent: Int32Array;
  vm: Int32Array;
}

export interface SimState {
  sc: ResolvedScenario;
  core: CoreConfig;
  now: Ns;
  q: QueueState;
  prng: PrngState;
  ents: Ent[];
  kernels: number[];
  pcpus: PcpuRec[];
  vms: VmRec[];
  vcpus: VcpuRec[];
  khoEnt: number;
  kho: KhoRegion[];
  ipis: IpiRec[];
  phases: Phases;
  /** remove_cpu()/add_cpu() hold cpu_hotplug_lock: one at a time (vCPU continuations waiting). */
  hotplugBusyUntil: Ns;
  armed: ArmedFault[];
  hsSeq: number;
  /** Guest IPIs (TLB shootdowns) are numbered apart from host IPIs and not kept in `ipis`. */
  guestIpiSeq: number;
  invChecked: number;
  violations: InvariantViolation[];
  /** The operator asked for kexec; it waits for VMMs still preserving. */
  kexecRequested: boolean;
  /** The kexec-fail fault: none, no kernel staged, or LUO disabled in the new kernel. */
  kexecFail: 'none' | 'no-image' | 'luo-disabled';
  rebootAt: Ns;
  cancelled: boolean;
  ended: boolean;
  /** Exit costs in ns by disposition (index = Disp). */
  dispCost: number[];
  worldSwitchNs: number;
  hot: Hot;
}
