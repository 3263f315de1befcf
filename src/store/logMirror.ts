/**
 * The main thread's mirror of the engine's event log, grown from the Worker's deltas, and the
 * per-lane structures the timeline draws from: state intervals per entity, exit marks per vCPU
 * with cumulative counts per disposition (so any pixel's counts are two binary searches away),
 * IPIs as arrows, phases, and invariant marks. Framework-free.
 */
import { EXIT_GAP_BIT, IPI_PURPOSE_NAMES, L } from '../model/eventlog.ts';
import type { EntKind } from '../model/engine/state.ts';
import type { LogDelta } from '../sim/protocol.ts';
import type { Have } from '../sim/protocol.ts';
import { enlarged } from '../base/grow.ts';

/** Machine states in which an entity is gone (its lane ends there): the timeline draws nothing for them. */
export const GONE_STATES: ReadonlySet<string> = new Set(['JUMP', 'EXITED', 'FINISHED', 'CLOSED', 'REPLACED', 'RETIRED', 'DEAD']);

export interface EntityInfo {
  kind: EntKind;
  name: string;
  machine: string | null;
}

export interface StateChange {
  t: number;
  state: string;
  event: string;
  from: string;
  index: number;
}

/** Exit marks of one vCPU: times, dispositions, kinds, costs, and prefix counts per disposition. */
export class ExitTrack {
  n = 0;
  t = new Float64Array(1024);
  disp = new Uint8Array(1024);
  kind = new Uint8Array(1024);
  gap = new Uint8Array(1024);
  cost = new Float32Array(1024);
  index = new Uint32Array(1024);
  /** cum[d][i] = exits with disposition d among the first i. */
  cum = [new Uint32Array(1025), new Uint32Array(1025), new Uint32Array(1025), new Uint32Array(1025), new Uint32Array(1025)];
  /** gapCum[i] = exits in the gap among the first i (trace records produced). */
  gapCum = new Uint32Array(1025);

  push(t: number, a: number, cost: number, index: number): void {
    if (this.n === this.t.length) this.grow();
    const i = this.n++;
    const d = (a >>> 8) & 0xf;
    this.t[i] = t;
    this.disp[i] = d;
    this.kind[i] = a & 0xff;
    this.gap[i] = a & EXIT_GAP_BIT ? 1 : 0;
    this.cost[i] = cost;
    this.index[i] = index;
    for (let k = 0; k < 5; k++) this.cum[k][i + 1] = this.cum[k][i] + (k === d ? 1 : 0);
    this.gapCum[i + 1] = this.gapCum[i] + this.gap[i];
  }

  /** First index with t >= x. */
  lower(x: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    const cap = this.t.length * 2;
    const g = <T extends Float64Array | Uint8Array | Float32Array | Uint32Array>(a: T, size = cap): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.t = g(this.t);
    this.disp = g(this.disp);
    this.kind = g(this.kind);
    this.gap = g(this.gap);
    this.cost = g(this.cost);
    this.index = g(this.index);
    this.cum = this.cum.map((c) => g(c, cap + 1));
    this.gapCum = g(this.gapCum, cap + 1);
  }
}

/** Host IPIs and guest IPIs (TLB shootdowns) have separate id spaces. */
export function ipiKey(id: number, purposeCode: number): number {
  return id * 2 + (purposeCode === GUEST_CODE ? 1 : 0);
}

export interface IpiMark {
  /** ipiKey of the IPI. */
  id: number;
  sendT: number;
  arriveT: number;
  from: number;
  to: number;
  purpose: string;
  status: 'flight' | 'delivered' | 'lost';
  sendIndex: number;
  arriveIndex: number;
}

const GUEST_CODE = IPI_PURPOSE_NAMES.indexOf('guest');

export class TimelineData {
  /** Bumped on every change, for renderers and React. */
  version = 0;
  length = 0;
  t = new Float64Array(4096);
  ks = new Uint32Array(4096);
  a = new Uint32Array(4096);
  b = new Uint32Array(4096);
  strings: string[] = [];
  entities: EntityInfo[] = [];
  /** Machine state changes per entity, in time order. */
  changes = new Map<number, StateChange[]>();
  /** Initial machine state of each entity (the state it was created in). */
  initial = new Map<number, { t: number; state: string }>();
  exits = new Map<number, ExitTrack>();
  /** Executing on/off per vCPU entity. */
  exec = new Map<number, { t: number; on: boolean }[]>();
  /** TLB-shootdown waits per vCPU entity: spinning, executing without progress. */
  waits = new Map<number, { t: number; on: boolean }[]>();
  /** IPIs by key: host IPIs and guest IPIs are numbered apart (see ipiKey). */
  ipis = new Map<number, IpiMark>();
  phases: { name: string; t: number }[] = [];
  violations: { t: number; id: number; message: string; index: number }[] = [];
  /** Trace ring drains per vCPU entity (the new or old kernel consumed the ring). */
  drains = new Map<number, { t: number; consumed: number; dropped: number }[]>();
  /** Records per entity other than exits, for the details panel and the event list. */
  byEntity = new Map<number, number[]>();
  /** Indices of every record but exits and executions, in order: what the event list reads. */
  lifecycle: number[] = [];

  have(): Have {
    return { events: this.length, strings: this.strings.length, entities: this.entities.length };
  }

  kind(i: number): number {
    return this.ks[i] >>> 24;
  }
  subject(i: number): number {
    return this.ks[i] & 0xffffff;
  }
  str(i: number): string {
    return this.strings[i] ?? '';
  }

  /** Appends what the delta adds beyond what is mirrored (a re-run repeats earlier records). */
  ingest(d: LogDelta): void {
    for (let i = this.strings.length - d.stringBase; i < d.strings.length; i++) this.strings.push(d.strings[i]);
    for (let i = this.entities.length - d.entityBase; i < d.entities.length; i++) this.entities.push(d.entities[i]);
    const start = this.length - d.base;
    if (start >= d.t.length) return;
    const need = this.length + d.t.length - start;
    if (need > this.t.length) this.grow(need);
    for (let i = start; i < d.t.length; i++) this.add(d.t[i], d.ks[i], d.a[i], d.b[i]);
    this.version++;
  }

  private add(t: number, ks: number, a: number, b: number): void {
    const i = this.length++;
    this.t[i] = t;
    this.ks[i] = ks;
    this.a[i] = a;
    this.b[i] = b;
    const kind = ks >>> 24;
    const subject = ks & 0xffffff;
    switch (kind) {
      case L.EXIT: {
        let tr = this.exits.get(subject);
        if (!tr) this.exits.set(subject, (tr = new ExitTrack()));
        tr.push(t, a, b, i);
        return;
      }
      case L.TRANSITION: {
        let list = this.changes.get(subject);
        if (!list) this.changes.set(subject, (list = []));
        list.push({ t, state: this.str(b & 0xffff), from: this.str(b >>> 16), event: this.str(a), index: i });
        break;
      }
      case L.MESSAGE:
        if (this.str(a).startsWith('created ')) this.initial.set(subject, { t, state: this.str(b) });
        break;
      case L.EXEC: {
        let list = this.exec.get(subject);
        if (!list) this.exec.set(subject, (list = []));
        list.push({ t, on: a === 1 });
        break;
      }
      case L.WAIT: {
        let list = this.waits.get(subject);
        if (!list) this.waits.set(subject, (list = []));
        list.push({ t, on: a === 1 });
        break;
      }
      case L.IPI_SEND:
        {
          const key = ipiKey(a, b & 0xffff);
          this.ipis.set(key, { id: key, sendT: t, arriveT: NaN, from: b >>> 16, to: this.cpuOf(subject), purpose: IPI_PURPOSE_NAMES[b & 0xffff] ?? '?', status: 'flight', sendIndex: i, arriveIndex: -1 });
        }
        break;
      case L.IPI_DELIVER:
      case L.IPI_LOST: {
        const m = this.ipis.get(ipiKey(a, b & 0xffff));
        if (m) {
          m.arriveT = t;
          m.arriveIndex = i;
          m.status = kind === L.IPI_LOST ? 'lost' : 'delivered';
        }
        break;
      }
      case L.PHASE:
        this.phases.push({ name: this.str(b), t });
        break;
      case L.INVARIANT:
        this.violations.push({ t, id: a, message: this.str(b), index: i });
        break;
      case L.TRACE: {
        let list = this.drains.get(subject);
        if (!list) this.drains.set(subject, (list = []));
        list.push({ t, consumed: a, dropped: b });
        break;
      }
    }
    let recs = this.byEntity.get(subject);
    if (!recs) this.byEntity.set(subject, (recs = []));
    recs.push(i);
    if (kind !== L.EXEC && kind !== L.WAIT && kind !== L.KHO && !(kind === L.MESSAGE && this.str(a).startsWith('created '))) this.lifecycle.push(i);
  }

  /** Lifecycle records with t0 <= time <= t1 (at most `max`), and how many there are. */
  lifecycleIn(t0: number, t1: number, max: number): { indices: number[]; total: number } {
    const L_ = this.lifecycle;
    let lo = 0;
    let hi = L_.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[L_[mid]] < t0) lo = mid + 1;
      else hi = mid;
    }
    const start = lo;
    hi = L_.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[L_[mid]] <= t1) lo = mid + 1;
      else hi = mid;
    }
    return { indices: L_.slice(start, Math.min(lo, start + max)), total: lo - start };
  }

  /** The CPU number of a pCPU entity ("CPU 3" → 3), or -1. */
  cpuOf(ent: number): number {
    const e = this.entities[ent];
    const m = e && /^CPU (\d+)$/.exec(e.name);
    return m ? Number(m[1]) : -1;
  }

  /** The entity's machine state at time t (after every record at t). */
  stateAt(ent: number, t: number): string | null {
    const init = this.initial.get(ent);
    if (!init || init.t > t) return null;
    let s = init.state;
    for (const c of this.changes.get(ent) ?? []) {
      if (c.t > t) break;
      s = c.state;
    }
    return s;
  }

  /** First record index with time > t. */
  upper(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(need: number): void {
    let cap = this.t.length;
    while (cap < need) cap *= 2;
    this.t = enlarged(this.t, cap);
    this.ks = enlarged(this.ks, cap);
    this.a = enlarged(this.a, cap);
    this.b = enlarged(this.b, cap);
  }
}
