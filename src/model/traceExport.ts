/**
 * Exports one run as Chrome JSON trace events (the Trace Event Format that ui.perfetto.dev and
 * chrome://tracing open), from the engine's event log alone: a track per kernel, pCPU, VMM, LUO
 * session, vCPU (state, guest execution, exits), Caretaker and oncore job; slices for the live
 * update's phases, machine states and guest exits; flow arrows for IPIs (send → delivery, or a
 * visible end where the IPI was lost or was still in flight); counters for the trace rings' fill,
 * guest progress and, when exit slices are capped, per-vCPU exit rates. Pure: no Node API, no
 * wall clock. Times stay integer ns until written as µs with the ns in the fraction (nsToUs).
 */
import type { Ns } from '../base/time.ts';
import { EXIT_GAP_BIT, IPI_PURPOSE_NAMES, L, type EventLog } from './eventlog.ts';
import { DISP_NAMES, Disp, EXIT_IDS, archExitName, type Arch } from './exits.ts';
import type { Engine } from './engine/engine.ts';
import type { EntKind } from './engine/state.ts';
import { vcpuStates } from './engine/protocol.ts';

export const DEFAULT_MAX_EXITS = 200_000;

/** One entity of the run, with the VM and vCPU (indices, -1 for none) it belongs to. */
export interface TraceEntity {
  kind: EntKind;
  name: string;
  machine: string | null;
  vm: number;
  vcpu: number;
}

export interface TraceVcpu {
  ent: number;
  vm: number;
  index: number;
  pcpu: number;
  name: string;
}

/** Everything the export reads: the log and what it needs to name the log's subjects. */
export interface TraceSource {
  log: EventLog;
  ents: TraceEntity[];
  vms: { name: string; ent: number }[];
  vcpus: TraceVcpu[];
  /** vCPU machine states in which a Caretaker (or the prototype's preserved runtime) runs the vCPU. */
  custodyStates: string[];
  /** Caretakers write a remote trace ring (converged), of this many records per vCPU. */
  ringOn: boolean;
  ringCapacity: number;
  arch: Arch;
  title: string;
  design: string;
  seed: number;
  /** The instant the run reached; the log holds nothing later. */
  nowNs: Ns;
}

export interface TraceOptions {
  /** The window to export (default: the whole run up to nowNs). */
  fromNs?: Ns;
  toNs?: Ns;
  /** Exit slices kept at most (stalled exits beyond are kept too); default DEFAULT_MAX_EXITS. */
  maxExits?: number;
}

export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 's' | 'f' | 'C' | 'M';
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: 'e';
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ExitCapInfo {
  maxExits: number;
  /** Exits logged in the window. */
  inWindow: number;
  /** Exits drawn as slices. */
  slices: number;
  dropped: number;
  capped: boolean;
  /** Exits of the window up to this instant are all slices (null when nothing was dropped). */
  completeUntilNs: Ns | null;
  /** Dropped exits per vCPU name (only vCPUs that lost some). */
  droppedByVcpu: Record<string, number>;
  /** Width of the bins of the per-vCPU exit-rate counters (0 when not capped). */
  rateBinNs: Ns;
}

export interface TraceSummary {
  tool: string;
  scenario: { title: string; design: string; seed: number; arch: string };
  window: { fromNs: Ns; toNs: Ns; runReachedNs: Ns };
  engine: { events: number; eventLogHash: string };
  exits: ExitCapInfo;
  ipis: { sent: number; delivered: number; lost: number; inFlightAtEnd: number };
  events: Record<string, number>;
  notes: string[];
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ns';
  otherData: TraceSummary;
}

/** The export's input read from an engine (after or during a run). */
export function traceSourceOf(e: Engine): TraceSource {
  const st = e.st;
  const vmNames = st.vms.map((vm) => vm.name);
  const vcpus: TraceVcpu[] = st.vcpus.map((vc) => ({ ent: vc.ent, vm: vc.vm, index: vc.index, pcpu: vc.pcpu, name: st.ents[vc.ent].name }));
  const byEnt = new Map<number, number>();
  st.vcpus.forEach((vc, v) => {
    byEnt.set(vc.ent, v);
    if (vc.ct >= 0) byEnt.set(vc.ct, v);
    if (vc.job >= 0) byEnt.set(vc.job, v);
  });
  const ents: TraceEntity[] = st.ents.map((x, i) => {
    let vcpu = byEnt.get(i) ?? -1;
    // entities of earlier cycles (an rfcv1 cb or job made again after a cancel) are found by name
    if (vcpu < 0 && (x.kind === 'caretaker' || x.kind === 'job')) vcpu = vcpus.findIndex((v) => x.name.endsWith(` ${v.name}`));
    let vm = vcpu >= 0 ? vcpus[vcpu].vm : st.vms.findIndex((r) => r.ent === i);
    if (vm < 0 && (x.kind === 'vmm' || x.kind === 'session')) {
      let best = -1;
      vmNames.forEach((n, j) => {
        if (x.name.endsWith(` ${n}`) && (best < 0 || n.length > vmNames[best].length)) best = j;
      });
      vm = best;
    }
    return { kind: x.kind, name: x.name, machine: x.machine, vm, vcpu };
  });
  return {
    log: e.log,
    ents,
    vms: st.vms.map((vm) => ({ name: vm.name, ent: vm.ent })),
    vcpus,
    custodyStates: [...vcpuStates(e).custody],
    ringOn: e.ringOn,
    ringCapacity: st.sc.caretaker.traceRingRecords,
    arch: st.sc.host.arch,
    title: st.sc.title,
    design: st.sc.design,
    seed: st.sc.seed,
    nowNs: st.now,
  };
}

// ---------------------------------------------------------------------------------------------
// tracks

const PID_LIVE = 1;
const PID_CPUS = 2;
const PID_VM0 = 3;

/** States after which an entity is gone (the kernel jumped, the process exited, ...): no slice. */
const GONE: Record<string, ReadonlySet<string>> = {
  kernel: new Set(['JUMP']),
  vmm: new Set(['EXITED']),
  luoSession: new Set(['FINISHED', 'CLOSED']),
  caretaker: new Set(['REPLACED', 'RETIRED']),
  oncoreJob: new Set(['DEAD']),
};

/** pCPU states in which a Caretaker or the prototype's preserved runtime owns the CPU. */
const CARETAKER_OWNED = new Set(['CARETAKER', 'WEDGED', 'PARKED', 'WORKLOAD', 'EXITING']);

const IPI_LABEL: Record<string, string> = {
  detach: 'detach IPI',
  attach: 'attach IPI',
  invalidate: 'invalidate IPI (MMU notifier)',
  stop: 'stop IPI (smp_send_stop)',
  'init-sipi': 'INIT/SIPI',
  guest: 'guest IPI (TLB shootdown)',
  kick: 'kick IPI (oncore)',
  park: 'park kick (detach_workload)',
};
const GUEST_CODE = IPI_PURPOSE_NAMES.indexOf('guest');

interface Slice {
  s: Ns;
  e: Ns;
  name: string;
  cat: string;
  args?: Record<string, unknown>;
  /** Index of the sub-track (0: the lane itself, 1+: overflow rows for overlapping slices). */
  sub: number;
  seq: number;
  flow?: { ph: 's' | 'f'; id: number; name: string };
}

interface Instant {
  t: Ns;
  name: string;
  cat: string;
  args?: Record<string, unknown>;
  seq: number;
}

/** A logical track; its slices are spread over as many threads as keep them nested or disjoint. */
interface Lane {
  pid: number;
  name: string;
  sort: number;
  slices: Slice[];
  instants: Instant[];
  tids: number[];
}

interface Counter {
  pid: number;
  name: string;
  t: Ns;
  args: Record<string, number>;
  seq: number;
}

/** A counter that emits its value when it changes, at most once per `every` ns between forced samples. */
class Sampler {
  private lastEmit = -Infinity;
  private lastChange = -Infinity;
  private dirty = false;
  constructor(
    private readonly out: Counter[],
    private readonly ctx: { seq: number; from: Ns; to: Ns },
    readonly pid: number,
    readonly name: string,
    public value: Record<string, number>,
    private readonly every: Ns,
  ) {}

  private emit(t: Ns): void {
    if (t < this.ctx.from || t > this.ctx.to) return;
    this.out.push({ pid: this.pid, name: this.name, t, args: { ...this.value }, seq: this.ctx.seq++ });
    this.lastEmit = t;
    this.dirty = false;
  }

  set(t: Ns, value: Record<string, number>, force = false): void {
    this.value = value;
    this.lastChange = t;
    this.dirty = true;
    if (force || t - this.lastEmit >= this.every) this.emit(t);
  }

  /** Writes out a change not yet sampled, at the instant it happened. */
  flush(): void {
    if (this.dirty && this.lastChange >= this.ctx.from) this.emit(this.lastChange);
  }

  /** The value at the start of the window. */
  start(): void {
    this.emit(this.ctx.from);
  }

  /** The value at the end of the window. */
  end(): void {
    this.flush();
    this.emit(this.ctx.to);
  }
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/**
 * ns as µs: ns / 1000, or the next double up when that one times 1000 falls short of ns, so that a
 * reader which truncates (ts * 1000) gets ns back as well as one which rounds.
 */
export function nsToUs(ns: Ns): number {
  f64[0] = ns / 1000;
  while (ns > 0 && f64[0] * 1000 < ns) u64[0] += 1n;
  return f64[0];
}

function exitName(kind: number, arch: Arch): string {
  const id = EXIT_IDS[kind];
  if (arch === 'intel-vmx') {
    const [base, sub] = id.split('/');
    return sub ? `EXIT_REASON_${base} (${sub})` : `EXIT_REASON_${base}`;
  }
  // AMD as SVM_EXIT_*, arm64 as perf kvm stat prints the exception class
  return archExitName(kind, arch) ?? id;
}

/**
 * Builds the trace of the run in `src` within the window. State slices, phases and IPIs are
 * always complete; exit slices stop at `maxExits` (stalled exits are always kept) and are then
 * summarised by per-vCPU exit-rate counters over the whole window.
 */
export function exportTrace(src: TraceSource, opts: TraceOptions = {}): ChromeTrace {
  const log = src.log;
  const F = Math.max(0, opts.fromNs ?? 0);
  const T = Math.min(src.nowNs, opts.toNs ?? src.nowNs);
  if (!(F <= T)) throw new RangeError(`trace window is empty: from ${F} ns to ${T} ns`);
  const maxExits = opts.maxExits ?? DEFAULT_MAX_EXITS;
  const W = T - F;
  const grid = Math.max(1000, Math.ceil(W / 500));
  const ctx = { seq: 0, from: F, to: T };
  const nv = src.vcpus.length;

  // lanes ----------------------------------------------------------------------------------
  const lanes = new Map<string, Lane>();
  const lane = (pid: number, name: string, sort: number): Lane => {
    const key = `${pid}\u0000${name}`;
    let l = lanes.get(key);
    if (!l) lanes.set(key, (l = { pid, name, sort, slices: [], instants: [], tids: [] }));
    return l;
  };
  const vmPid = (vm: number) => PID_VM0 + vm;
  const vcpuSort = (v: number, k: number) => 100 + src.vcpus[v].index * 10 + k;
  const liveLane = (name: string, sort: number) => lane(PID_LIVE, name, sort);
  const phasesLane = () => liveLane('live update phases', 0);
  const invariantsLane = () => liveLane('invariants (design.md §6)', 40);
  const notesLane = () => liveLane('about this trace', 50);
  const guestLane = (v: number) => lane(vmPid(src.vcpus[v].vm), `${src.vcpus[v].name} guest`, vcpuSort(v, 1));
  const exitsLane = (v: number) => lane(vmPid(src.vcpus[v].vm), `${src.vcpus[v].name} exits`, vcpuSort(v, 2));
  const cpuLaneByNum = new Map<number, number>();
  src.ents.forEach((x, i) => {
    const m = x.kind === 'pcpu' ? /^CPU (\d+)$/.exec(x.name) : null;
    if (m) cpuLaneByNum.set(Number(m[1]), i);
  });
  let kernelsSeen = 0;
  const kernelSort = new Map<number, number>();
  const entLane = (ent: number): Lane => {
    const x = src.ents[ent];
    switch (x.kind) {
      case 'kernel': {
        let s = kernelSort.get(ent);
        if (s === undefined) kernelSort.set(ent, (s = 10 + kernelsSeen++));
        return liveLane(x.name, s);
      }
      case 'kho':
        return liveLane('KHO', 30);
      case 'pcpu':
        return lane(PID_CPUS, x.name, Number(/\d+/.exec(x.name)?.[0] ?? 0));
      case 'vm':
        return lane(vmPid(x.vm), `${x.name} (faults, device interrupts)`, 0);
      case 'vmm':
        return x.vm >= 0 ? lane(vmPid(x.vm), x.name, x.name.startsWith('VMM′') ? 2 : 1) : liveLane(x.name, 35);
      case 'session':
        return x.vm >= 0 ? lane(vmPid(x.vm), x.name, 3) : liveLane(x.name, 36);
      case 'vcpu':
        return lane(vmPid(x.vm), x.name, vcpuSort(x.vcpu, 0));
      case 'caretaker':
        if (x.vcpu < 0) return liveLane(x.name, 37);
        return lane(vmPid(x.vm), x.machine === 'caretaker' ? `${x.name} (Caretaker of ${src.vcpus[x.vcpu].name})` : `${x.name} (cb->state)`, vcpuSort(x.vcpu, 3));
      case 'job':
        if (x.vcpu < 0) return liveLane(x.name, 38);
        return lane(vmPid(x.vm), `${x.name} (oncore job)`, vcpuSort(x.vcpu, 4));
      default:
        return liveLane(x.name, 39);
    }
  };
  const addSlice = (l: Lane, s: Ns, e: Ns, name: string, cat: string, args?: Record<string, unknown>): Slice => {
    const sl: Slice = { s, e, name, cat, args, sub: 0, seq: ctx.seq++ };
    l.slices.push(sl);
    return sl;
  };
  /** A slice clipped to the window; one that began before it says when. */
  const addClipped = (l: Lane, s: Ns, e: Ns, name: string, cat: string, args: Record<string, unknown>): void => {
    if (e < F || s > T) return;
    if (s < F) args.startedNs = s;
    if (e > T) args.endsNs = e;
    addSlice(l, Math.max(s, F), Math.min(e, T), name, cat, args);
  };
  const addInstant = (l: Lane, t: Ns, name: string, cat: string, args?: Record<string, unknown>): void => {
    if (t < F || t > T) return;
    l.instants.push({ t, name, cat, args, seq: ctx.seq++ });
  };

  // state of the scan ----------------------------------------------------------------------
  const str = (i: number) => log.strings[i] ?? '';
  const entVcpu = new Int32Array(src.ents.length).fill(-1);
  src.vcpus.forEach((v, i) => (entVcpu[v.ent] = i));
  const ctVcpu = new Int32Array(src.ents.length).fill(-1);
  src.ents.forEach((x, i) => {
    if (x.kind === 'caretaker' && x.vcpu >= 0) ctVcpu[i] = x.vcpu;
  });
  const custody = new Set(src.custodyStates);
  interface Open {
    state: string;
    since: Ns;
    event: string;
    from: string;
  }
  const open: (Open | null)[] = new Array(src.ents.length).fill(null);
  /** When the old kernel jumped into the new one (a CPU still ONLINE then runs K′ from there). */
  let jumpAt: Ns | null = null;
  const phases: { name: string; t: Ns }[] = [];

  const closeState = (ent: number, end: Ns): void => {
    const o = open[ent];
    if (!o) return;
    open[ent] = null;
    const x = src.ents[ent];
    const l = entLane(ent);
    const args = (): Record<string, unknown> => (o.from ? { state: o.state, event: o.event, from: o.from, machine: x.machine } : { state: o.state, event: o.event, machine: x.machine });
    if (x.kind === 'pcpu') {
      const cpu = /\d+/.exec(x.name)?.[0] ?? '?';
      // the prototype's preserved CPUs (cpuPreserved) run its park loop and oncore scheduler instead of a Caretaker
      const owner = (k: string) => (o.state === 'ONLINE' ? `Linux (${k})` : CARETAKER_OWNED.has(o.state) ? (x.machine === 'pcpu' ? `Caretaker C${cpu}` : 'preserved runtime') : 'nobody');
      if (o.state === 'ONLINE' && jumpAt !== null && o.since < jumpAt && end > jumpAt) {
        // the state does not change at the jump, but the kernel running on the CPU does
        addClipped(l, o.since, jumpAt, 'ONLINE (K)', 'state,pcpu', { ...args(), owner: owner('K') });
        addClipped(l, jumpAt, end, 'ONLINE (K′)', 'state,pcpu', { ...args(), owner: owner('K′'), note: 'the boot CPU jumped into the new kernel image' });
        return;
      }
      const k = jumpAt !== null && o.since >= jumpAt ? 'K′' : 'K';
      const name = o.state === 'ONLINE' ? `ONLINE (${k})` : o.state === 'CARETAKER' ? `CARETAKER (C${cpu})` : o.state;
      addClipped(l, o.since, end, name, 'state,pcpu', { ...args(), owner: owner(k) });
      return;
    }
    addClipped(l, o.since, end, o.state, `state,${x.kind}`, args());
  };

  // guest execution, waits, progress
  const execOpen = new Float64Array(nv).fill(-1);
  const execWhy = new Array<string>(nv).fill('');
  const execName = new Array<string>(nv).fill('');
  const waitOpen = new Float64Array(nv).fill(-1);
  const waitTargets = new Int32Array(nv);
  const progress = new Float64Array(nv);
  const progSince = new Float64Array(nv).fill(-1);
  const counters: Counter[] = [];
  const progSamplers = src.vcpus.map((v) => new Sampler(counters, ctx, vmPid(v.vm), `${v.name} guest progress`, { ms: 0 }, 0));
  const progGridNext = new Float64Array(nv).fill(F);
  const vmExec = src.vms.map(() => ({ executing: 0, progressing: 0 }));
  const vmSamplers = src.vms.map((vm, i) => new Sampler(counters, ctx, vmPid(i), `${vm.name} vCPUs in guest`, { executing: 0, progressing: 0 }, 0));
  const ringFill = new Float64Array(nv);
  const ringDropped = new Float64Array(nv);
  const ringSamplers = src.vcpus.map((v) => (src.ringOn ? new Sampler(counters, ctx, vmPid(v.vm), `${v.name} trace ring`, { records: 0, dropped: 0 }, grid) : null));
  const hasRing = new Uint8Array(nv);
  src.ents.forEach((x) => {
    if (x.kind === 'caretaker' && x.vcpu >= 0 && src.ringOn) hasRing[x.vcpu] = 1;
  });

  const progressValue = (v: number, t: Ns) => progress[v] + (progSince[v] >= 0 ? t - progSince[v] : 0);
  /** Samples a progressing vCPU's cumulative progress on the grid up to t (exclusive). */
  const progressGrid = (v: number, t: Ns) => {
    if (progSince[v] < 0) return;
    while (progGridNext[v] < t && progGridNext[v] <= T) {
      const g = progGridNext[v];
      if (g >= F) progSamplers[v].set(g, { ms: progressValue(v, g) / 1e6 }, true);
      progGridNext[v] = g + grid;
    }
  };
  const setProgressing = (v: number, t: Ns, on: boolean) => {
    progressGrid(v, t);
    const was = progSince[v] >= 0;
    if (was === on) return;
    if (on) progSince[v] = t;
    else {
      progress[v] += t - progSince[v];
      progSince[v] = -1;
    }
    progGridNext[v] = t < F ? F : t - ((t - F) % grid) + grid;
    const vm = src.vcpus[v].vm;
    vmExec[vm].progressing += on ? 1 : -1;
    if (t >= F) {
      progSamplers[v].set(t, { ms: progressValue(v, t) / 1e6 }, true);
      vmSamplers[vm].set(t, { ...vmExec[vm] }, true);
    }
  };
  const ringProduce = (v: number, t: Ns, n: number) => {
    const cap = src.ringCapacity;
    const firstDrop = ringDropped[v] === 0 && ringFill[v] + n > cap;
    for (let i = 0; i < n; i++) {
      if (ringFill[v] >= cap) ringDropped[v]++;
      else ringFill[v]++;
    }
    ringSamplers[v]!.set(t, { records: ringFill[v], dropped: ringDropped[v] }, firstDrop);
  };

  // exits
  let exitsInWindow = 0;
  let exitSlices = 0;
  let completeUntil: Ns | null = null;
  let capped = false;
  const dropped = new Float64Array(nv);
  const rateBin = Math.max(1_000_000, Math.ceil(W / 1000));
  const nBins = Math.max(1, Math.ceil(W / rateBin));
  const bins = new Uint32Array(nv * nBins);
  const exitNames = EXIT_IDS.map((_, k) => exitName(k, src.arch));
  const exitCats: string[] = [];
  for (let d = 0; d < DISP_NAMES.length; d++) {
    exitCats.push(`exit,${DISP_NAMES[d]}`, `exit,${DISP_NAMES[d]},gap`);
  }

  // IPIs
  interface Flight {
    flowId: number;
    label: string;
    from: number;
    to: number;
    purpose: string;
    sentAt: Ns;
  }
  const flights = new Map<number, Flight>();
  const ipiCounts = { sent: 0, delivered: 0, lost: 0, inFlightAtEnd: 0 };
  const cpuLane = (cpu: number): Lane => {
    const ent = cpuLaneByNum.get(cpu);
    return ent === undefined ? lane(PID_CPUS, `CPU ${cpu}`, cpu) : entLane(ent);
  };

  let started = F === 0;
  const startWindow = () => {
    started = true;
    for (let v = 0; v < nv; v++) {
      progSamplers[v].value = { ms: progressValue(v, F) / 1e6 };
      progSamplers[v].start();
      progGridNext[v] = F + grid;
      if (hasRing[v]) ringSamplers[v]!.start();
    }
    src.vms.forEach((_, i) => {
      vmSamplers[i].value = { ...vmExec[i] };
      vmSamplers[i].start();
    });
  };
  if (started) startWindow();

  // the scan ---------------------------------------------------------------------------------
  const n = log.length;
  for (let i = 0; i < n; i++) {
    const t = log.time(i);
    if (t > T) break;
    if (!started && t >= F) startWindow();
    const kind = log.kind(i);
    const subject = log.subject(i);
    const a = log.a(i);
    const b = log.b(i);
    if (kind === L.EXIT) {
      const v = entVcpu[subject];
      const d = (a >>> 8) & 0xf;
      const gap = (a & EXIT_GAP_BIT) !== 0;
      if (src.ringOn && gap && v >= 0) ringProduce(v, t, d === Disp.STALLED ? 2 : 1);
      if (t < F || v < 0) continue;
      exitsInWindow++;
      bins[v * nBins + Math.min(nBins - 1, Math.floor((t - F) / rateBin))]++;
      if (exitSlices < maxExits) {
        exitSlices++;
        completeUntil = t;
      } else if (d === Disp.STALLED) {
        exitSlices++;
      } else {
        capped = true;
        dropped[v]++;
        continue;
      }
      addSlice(exitsLane(v), t, t + b, exitNames[a & 0xff], exitCats[d * 2 + (gap ? 1 : 0)], { exit: EXIT_IDS[a & 0xff], disposition: DISP_NAMES[d], gap });
      continue;
    }
    switch (kind) {
      case L.MESSAGE: {
        const text = str(a);
        if (text.startsWith('created ')) {
          if (src.ents[subject].machine) open[subject] = { state: str(b), since: t, event: 'created', from: '' };
        } else addInstant(entLane(subject), t, text, 'message');
        break;
      }
      case L.TRANSITION: {
        const x = src.ents[subject];
        const to = str(b & 0xffff);
        const event = str(a);
        const from = str(b >>> 16);
        if (x.kind === 'kernel' && to === 'JUMP') jumpAt = t;
        closeState(subject, t);
        if (x.machine && GONE[x.machine]?.has(to)) addInstant(entLane(subject), t, to, `state,${x.kind}`, { event, from });
        else open[subject] = { state: to, since: t, event, from };
        const v = ctVcpu[subject];
        // the Caretaker writes a trace record on entry and when it stops for adoption (protocol.ts)
        if (src.ringOn && v >= 0 && (event === 'ENTER_DETACHED' || event === 'STOP')) ringProduce(v, t, 1);
        break;
      }
      case L.EXEC: {
        const v = entVcpu[subject];
        if (v < 0) break;
        if (a === 1) {
          execOpen[v] = t;
          execWhy[v] = str(b);
          const st = open[subject]?.state ?? '';
          execName[v] = custody.has(st) ? 'guest (Caretaker)' : jumpAt !== null && t >= jumpAt ? 'guest (KVM on K′)' : 'guest (KVM on K)';
          vmExec[src.vcpus[v].vm].executing++;
          if (waitOpen[v] < 0) setProgressing(v, t, true);
          else if (t >= F) vmSamplers[src.vcpus[v].vm].set(t, { ...vmExec[src.vcpus[v].vm] }, true);
        } else {
          if (execOpen[v] >= 0) addClipped(guestLane(v), execOpen[v], t, execName[v], 'guest', { entered: execWhy[v], left: str(b) });
          execOpen[v] = -1;
          vmExec[src.vcpus[v].vm].executing--;
          if (progSince[v] >= 0) setProgressing(v, t, false);
          else if (t >= F) vmSamplers[src.vcpus[v].vm].set(t, { ...vmExec[src.vcpus[v].vm] }, true);
        }
        break;
      }
      case L.WAIT: {
        const v = entVcpu[subject];
        if (v < 0) break;
        if (a === 1) {
          waitOpen[v] = t;
          waitTargets[v] = b;
          if (progSince[v] >= 0) setProgressing(v, t, false);
        } else {
          if (waitOpen[v] >= 0) addClipped(guestLane(v), waitOpen[v], t, 'TLB shootdown wait', 'guest,wait', { ipis: waitTargets[v], note: 'executing, no progress: spinning until every target acknowledges' });
          waitOpen[v] = -1;
          if (execOpen[v] >= 0) setProgressing(v, t, true);
        }
        break;
      }
      case L.IPI_SEND: {
        const code = b & 0xffff;
        const from = b >>> 16;
        const key = a * 2 + (code === GUEST_CODE ? 1 : 0);
        if (t < F) break;
        const purpose = IPI_PURPOSE_NAMES[code] ?? `ipi ${code}`;
        const label = IPI_LABEL[purpose] ?? purpose;
        const to = Number(/\d+/.exec(src.ents[subject].name)?.[0] ?? -1);
        const f: Flight = { flowId: key + 1, label, from, to, purpose, sentAt: t };
        flights.set(key, f);
        ipiCounts.sent++;
        const sl = addSlice(cpuLane(from), t, t + 1, `${label} → CPU ${to}`, `ipi,${purpose}`, { purpose, from, to, ipi: a });
        sl.flow = { ph: 's', id: f.flowId, name: label };
        break;
      }
      case L.IPI_DELIVER:
      case L.IPI_LOST: {
        const code = b & 0xffff;
        const key = a * 2 + (code === GUEST_CODE ? 1 : 0);
        const f = flights.get(key);
        if (!f) break;
        flights.delete(key);
        const lost = kind === L.IPI_LOST;
        if (lost) ipiCounts.lost++;
        else ipiCounts.delivered++;
        const name = lost ? `${f.label} LOST (from CPU ${f.from})` : `${f.label} ← CPU ${f.from}`;
        const sl = addSlice(entLane(subject), t, t + 1, name, lost ? `ipi,${f.purpose},lost` : `ipi,${f.purpose}`, { purpose: f.purpose, from: f.from, to: f.to, ipi: a, status: lost ? 'lost' : 'delivered', latencyNs: t - f.sentAt });
        sl.flow = { ph: 'f', id: f.flowId, name: f.label };
        break;
      }
      case L.PHASE:
        phases.push({ name: str(b), t });
        break;
      case L.OP:
        addInstant(entLane(subject), t, str(a), 'op', str(b) ? { detail: str(b) } : undefined);
        break;
      case L.KHO: {
        const what = b === 0 ? 'preserve' : b === 1 ? 'restore' : 'free';
        addInstant(entLane(subject), t, `KHO ${what} ${str(a)}`, `kho,${what}`, { region: str(a) });
        break;
      }
      case L.TRACE: {
        const v = entVcpu[subject];
        if (v < 0) break;
        addInstant(entLane(subject), t, 'trace ring drained', 'trace', { records: a, droppedTotal: b });
        if (ringSamplers[v]) {
          ringSamplers[v]!.flush();
          ringFill[v] = 0;
          ringSamplers[v]!.set(t, { records: 0, dropped: ringDropped[v] }, true);
        }
        break;
      }
      case L.INVARIANT:
        addInstant(invariantsLane(), t, `invariant ${a} violated`, 'invariant', { id: a, message: str(b) });
        break;
      case L.STEP:
        addInstant(phasesLane(), t, `operator: ${str(b)}`, 'step', { step: a });
        break;
      case L.FAULT:
        addInstant(entLane(subject), t, `fault: ${str(b)}`, 'fault', { fault: a });
        break;
      case L.IRQ:
        addInstant(entLane(subject), t, a === 1 ? 'device interrupts held (no IRQ routing in the gap)' : 'held device interrupts delivered', 'irq', { held: b });
        break;
      default:
        break;
    }
  }
  if (!started) startWindow();

  // close everything still open at the end of the window -------------------------------------
  for (let ent = 0; ent < open.length; ent++) closeState(ent, T);
  for (let v = 0; v < nv; v++) {
    if (execOpen[v] >= 0) addClipped(guestLane(v), execOpen[v], T, execName[v], 'guest', { entered: execWhy[v], left: 'still executing at the end of the trace' });
    if (waitOpen[v] >= 0) addClipped(guestLane(v), waitOpen[v], T, 'TLB shootdown wait', 'guest,wait', { ipis: waitTargets[v], note: 'still waiting at the end of the trace' });
    progressGrid(v, T);
    progSamplers[v].set(T, { ms: progressValue(v, T) / 1e6 }, true);
    if (hasRing[v]) ringSamplers[v]!.end();
  }
  vmSamplers.forEach((s) => s.end());
  for (const f of flights.values()) {
    ipiCounts.inFlightAtEnd++;
    const sl = addSlice(cpuLane(f.to), T, T + 1, `${f.label} not delivered by the end of the trace`, `ipi,${f.purpose},in-flight`, { purpose: f.purpose, from: f.from, to: f.to, status: 'in flight', sentNs: f.sentAt });
    sl.flow = { ph: 'f', id: f.flowId, name: f.label };
  }
  phases.forEach((p, i) => {
    const end = i + 1 < phases.length ? phases[i + 1].t : T;
    addClipped(phasesLane(), p.t, end, p.name, 'phase', { phase: p.name, next: phases[i + 1]?.name ?? null });
  });

  // exit-rate counters where exit slices were dropped -----------------------------------------
  const droppedTotal = dropped.reduce((x, y) => x + y, 0);
  const droppedByVcpu: Record<string, number> = {};
  if (capped) {
    for (let v = 0; v < nv; v++) {
      if (dropped[v] > 0) droppedByVcpu[src.vcpus[v].name] = dropped[v];
      for (let k = 0; k < nBins; k++) {
        const s = F + k * rateBin;
        const len = Math.min(rateBin, T - s);
        if (len <= 0) break;
        counters.push({ pid: vmPid(src.vcpus[v].vm), name: `${src.vcpus[v].name} exits/s`, t: s, args: { rate: (bins[v * nBins + k] * 1e9) / len }, seq: ctx.seq++ });
      }
    }
    addInstant(notesLane(), F, `exit slices capped at --max-exits ${maxExits}: ${droppedTotal} of ${exitsInWindow} exits shown only as exits/s counters`, 'note', {
      maxExits,
      exitsInWindow,
      exitSlices,
      dropped: droppedTotal,
      completeUntilNs: completeUntil,
      rateBinNs: rateBin,
    });
  }

  // threads, metadata and the event list --------------------------------------------------------
  const sortedLanes = [...lanes.values()].filter((l) => l.slices.length || l.instants.length).sort((x, y) => x.pid - y.pid || x.sort - y.sort || (x.name < y.name ? -1 : 1));
  let nextTid = 1000;
  interface Keyed {
    ns: number;
    rank: number;
    dur: number;
    seq: number;
    ev: TraceEvent;
  }
  const out: Keyed[] = [];
  const meta = (ev: TraceEvent, seq: number) => out.push({ ns: 0, rank: 0, dur: 0, seq, ev });
  const pids = new Set<number>();
  for (const l of sortedLanes) pids.add(l.pid);
  for (const c of counters) pids.add(c.pid);
  const processName = (pid: number) => {
    if (pid === PID_LIVE) return 'Live update: phases, kernels, KHO';
    if (pid === PID_CPUS) return 'pCPUs';
    const vm = pid - PID_VM0;
    const nvm = src.vcpus.filter((v) => v.vm === vm).length;
    return `VM ${src.vms[vm]?.name ?? vm} (${nvm} vCPU${nvm === 1 ? '' : 's'})`;
  };
  let mseq = -1e9;
  for (const pid of [...pids].sort((x, y) => x - y)) {
    meta({ name: 'process_name', ph: 'M', ts: 0, pid, tid: pid, args: { name: processName(pid) } }, mseq++);
    meta({ name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: pid, args: { sort_index: pid } }, mseq++);
  }
  for (const l of sortedLanes) {
    l.slices.sort((x, y) => x.s - y.s || y.e - x.e || x.seq - y.seq);
    // each row keeps a stack of open slice ends: a slice goes on the first row where it nests or is disjoint
    const rows: number[][] = [];
    for (const sl of l.slices) {
      let r = 0;
      for (; r < rows.length; r++) {
        const stack = rows[r];
        while (stack.length && stack[stack.length - 1] <= sl.s) stack.pop();
        if (!stack.length || stack[stack.length - 1] >= sl.e) break;
      }
      if (r === rows.length) rows.push([]);
      rows[r].push(sl.e);
      sl.sub = r;
    }
    const nRows = Math.max(1, rows.length);
    for (let r = 0; r < nRows; r++) {
      const tid = nextTid++;
      l.tids.push(tid);
      meta({ name: 'thread_name', ph: 'M', ts: 0, pid: l.pid, tid, args: { name: r === 0 ? l.name : `${l.name} (${r + 1})` } }, mseq++);
      meta({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: l.pid, tid, args: { sort_index: l.sort * 100 + r } }, mseq++);
    }
    for (const sl of l.slices) {
      const tid = l.tids[sl.sub];
      const ev: TraceEvent = { name: sl.name, ph: 'X', ts: nsToUs(sl.s), dur: nsToUs(sl.e - sl.s), pid: l.pid, tid, cat: sl.cat };
      if (sl.args) ev.args = sl.args;
      out.push({ ns: sl.s, rank: 1, dur: sl.e - sl.s, seq: sl.seq, ev });
      if (sl.flow) {
        const fe: TraceEvent = { name: sl.flow.name, ph: sl.flow.ph, ts: nsToUs(sl.s), pid: l.pid, tid, cat: 'ipi', id: sl.flow.id };
        if (sl.flow.ph === 'f') fe.bp = 'e';
        // right after its own slice, so the flow binds to it
        out.push({ ns: sl.s, rank: 1, dur: sl.e - sl.s, seq: sl.seq + 0.5, ev: fe });
      }
    }
    for (const it of l.instants) {
      const ev: TraceEvent = { name: it.name, ph: 'i', ts: nsToUs(it.t), pid: l.pid, tid: l.tids[0], s: 't', cat: it.cat };
      if (it.args) ev.args = it.args;
      out.push({ ns: it.t, rank: 2, dur: 0, seq: it.seq, ev });
    }
  }
  for (const c of counters) out.push({ ns: c.t, rank: 3, dur: 0, seq: c.seq, ev: { name: c.name, ph: 'C', ts: nsToUs(c.t), pid: c.pid, tid: c.pid, cat: 'counter', args: c.args } });
  // at one instant: metadata, then slices (empty ones first, so they end before a longer one starts;
  // then longer before shorter, so a parent opens before its children), flows, instants, counters
  const byTime = (x: Keyed, y: Keyed): number => {
    if (x.ns !== y.ns) return x.ns - y.ns;
    if (x.rank !== y.rank) return x.rank - y.rank;
    if ((x.dur === 0) !== (y.dur === 0)) return x.dur === 0 ? -1 : 1;
    return y.dur - x.dur || x.seq - y.seq;
  };
  out.sort(byTime);
  const traceEvents = out.map((k) => k.ev);

  const counts: Record<string, number> = {};
  for (const ev of traceEvents) counts[ev.ph] = (counts[ev.ph] ?? 0) + 1;
  const notes: string[] = [
    'ts and dur are µs with the simulated nanoseconds in the fraction: ns / 1000, rounded up to the next double where ts * 1000 would fall below the integer ns',
    'IPI flows start on the sending CPU and end on the target CPU: delivered, LOST, or not delivered by the end of the trace',
  ];
  if (capped) notes.push(`exit slices capped at ${maxExits}: the first ${maxExits} exits of the window and every stalled exit are slices; ${droppedTotal} more exits appear only in the per-vCPU "exits/s" counters (bins of ${rateBin} ns)`);
  return {
    traceEvents,
    displayTimeUnit: 'ns',
    otherData: {
      tool: 'caretaker-lab trace',
      scenario: { title: src.title, design: src.design, seed: src.seed, arch: src.arch },
      window: { fromNs: F, toNs: T, runReachedNs: src.nowNs },
      engine: { events: log.length, eventLogHash: log.digest() },
      exits: {
        maxExits,
        inWindow: exitsInWindow,
        slices: exitSlices,
        dropped: droppedTotal,
        capped,
        completeUntilNs: capped ? completeUntil : null,
        droppedByVcpu,
        rateBinNs: capped ? rateBin : 0,
      },
      ipis: ipiCounts,
      events: counts,
      notes,
    },
  };
}

/** The trace as JSON text in pieces (one event per line), for writing without one huge string. */
export function* traceJsonChunks(trace: ChromeTrace, eventsPerChunk = 20_000): Generator<string> {
  yield '{"traceEvents":[\n';
  const evs = trace.traceEvents;
  for (let i = 0; i < evs.length; i += eventsPerChunk) {
    const part = evs.slice(i, i + eventsPerChunk).map((e) => JSON.stringify(e));
    yield (i > 0 ? ',\n' : '') + part.join(',\n');
  }
  yield `\n],\n"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)},\n"otherData":${JSON.stringify(trace.otherData)}}\n`;
}
