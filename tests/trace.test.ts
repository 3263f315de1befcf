// `caretaker-lab trace`: the output is checked against the Chrome Trace Event Format by a validator
// written here (required fields per phase type, matched flows, counters, metadata, per-track
// monotonic timestamps, slices nested or disjoint), its numbers against the run's log and report,
// and bad input against exit status 2 with a message that names what is wrong and where.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cmdTrace } from '../src/cli/trace.ts';
import { L } from '../src/model/eventlog.ts';
import type { RunReport } from '../src/model/report.ts';
import { exportTrace, nsToUs, traceJsonChunks, traceSourceOf, type ChromeTrace, type TraceEvent } from '../src/model/traceExport.ts';
import type { Simulation } from '../src/sim/simulation.ts';
import { presetScenario, runPreset } from './helpers.ts';

// ---------------------------------------------------------------------------------------------
// the validator

const PHASES = new Set(['B', 'E', 'X', 'i', 'I', 'C', 'b', 'n', 'e', 's', 't', 'f', 'P', 'N', 'O', 'D', 'M', 'V', 'v', 'R', 'c', '(', ')']);
const METADATA_NAMES = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);

/** Integer ns of a µs timestamp written with ns precision, or NaN when it has finer digits. */
function toNs(us: number): number {
  const ns = Math.round(us * 1000);
  return Math.abs(ns - us * 1000) < 1e-3 ? ns : NaN;
}

/** Every way `json` breaks the Chrome Trace Event Format (JSON Object Format) or the rules of this lab's traces. */
function validateChromeTrace(json: unknown): string[] {
  const problems: string[] = [];
  const bad = (i: number, what: string) => {
    if (problems.length < 50) problems.push(`traceEvents[${i}]: ${what}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return ['top level: expected an object with traceEvents'];
  const top = json as Record<string, unknown>;
  if (!Array.isArray(top.traceEvents)) return ['top level: traceEvents is not an array'];
  if (top.displayTimeUnit !== 'ns' && top.displayTimeUnit !== 'ms') problems.push(`top level: displayTimeUnit ${JSON.stringify(top.displayTimeUnit)}, expected "ns" or "ms"`);
  const evs = top.traceEvents as Record<string, unknown>[];
  const lastTs = new Map<string, number>();
  const slices = new Map<string, { s: number; e: number; i: number }[]>();
  const flows = new Map<string, { s: number[]; f: number[] }>();
  const namedProcesses = new Set<number>();
  const namedThreads = new Set<string>();
  const usedThreads = new Map<string, number>();
  const usedPids = new Map<number, number>();
  evs.forEach((ev, i) => {
    if (typeof ev !== 'object' || ev === null) return bad(i, 'not an object');
    const { name, ph, ts, pid, tid } = ev as { name: unknown; ph: unknown; ts: unknown; pid: unknown; tid: unknown };
    if (typeof name !== 'string' || name === '') bad(i, 'name missing or empty');
    if (typeof ph !== 'string' || !PHASES.has(ph)) return bad(i, `ph ${JSON.stringify(ph)} is not a phase type`);
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) return bad(i, `ts ${JSON.stringify(ts)} is not a non-negative number`);
    if (!Number.isInteger(pid)) return bad(i, `pid ${JSON.stringify(pid)} is not an integer`);
    if (!Number.isInteger(tid)) return bad(i, `tid ${JSON.stringify(tid)} is not an integer`);
    const tsNs = toNs(ts);
    if (Number.isNaN(tsNs)) bad(i, `ts ${ts} has digits below 1 ns`);
    const thread = `${pid}:${tid}`;
    if (ph === 'M') {
      if (!METADATA_NAMES.has(name as string)) bad(i, `metadata event named ${JSON.stringify(name)}`);
      const args = ev.args as Record<string, unknown> | undefined;
      if (typeof args !== 'object' || args === null) return bad(i, 'metadata without args');
      if ((name === 'process_name' || name === 'thread_name') && (typeof args.name !== 'string' || args.name === '')) bad(i, `${name} without args.name`);
      if ((name === 'process_sort_index' || name === 'thread_sort_index') && !Number.isInteger(args.sort_index)) bad(i, `${name} without an integer args.sort_index`);
      if (name === 'process_name') namedProcesses.add(pid as number);
      if (name === 'thread_name') namedThreads.add(thread);
      return;
    }
    usedPids.set(pid as number, i);
    if (ev.cat !== undefined && typeof ev.cat !== 'string') bad(i, 'cat is not a string');
    if (ev.args !== undefined && (typeof ev.args !== 'object' || ev.args === null || Array.isArray(ev.args))) bad(i, 'args is not an object');
    // the track an event's time is ordered on: a thread, or a process counter by name (and id)
    const track = ph === 'C' ? `${pid}:C:${name}:${ev.id ?? ''}` : thread;
    if (ph !== 'C') usedThreads.set(thread, i);
    const prev = lastTs.get(track);
    if (prev !== undefined && ts < prev) bad(i, `ts ${ts} before ${prev} on track ${track}`);
    lastTs.set(track, ts);
    switch (ph) {
      case 'X': {
        const dur = ev.dur;
        if (typeof dur !== 'number' || !Number.isFinite(dur) || dur < 0) return bad(i, `X without a non-negative dur (${JSON.stringify(dur)})`);
        const durNs = toNs(dur);
        if (Number.isNaN(durNs)) bad(i, `dur ${dur} has digits below 1 ns`);
        let list = slices.get(thread);
        if (!list) slices.set(thread, (list = []));
        list.push({ s: tsNs, e: tsNs + durNs, i });
        return;
      }
      case 'i':
      case 'I':
        if (ev.s !== undefined && !['g', 'p', 't'].includes(ev.s as string)) bad(i, `instant scope ${JSON.stringify(ev.s)}`);
        return;
      case 'C': {
        const args = ev.args as Record<string, unknown> | undefined;
        if (typeof args !== 'object' || args === null || Object.keys(args).length === 0) return bad(i, 'counter without an args object');
        for (const [k, v] of Object.entries(args)) if (typeof v !== 'number' || !Number.isFinite(v)) bad(i, `counter value ${k} = ${JSON.stringify(v)} is not a number`);
        return;
      }
      case 's':
      case 't':
      case 'f': {
        if (typeof ev.id !== 'number' && typeof ev.id !== 'string') return bad(i, `flow ${ph} without an id`);
        if (ph === 'f' && ev.bp !== undefined && ev.bp !== 'e') bad(i, `flow end with bp ${JSON.stringify(ev.bp)}, expected "e"`);
        const key = `${ev.cat ?? ''}\u0000${name}\u0000${ev.id}`;
        let fl = flows.get(key);
        if (!fl) flows.set(key, (fl = { s: [], f: [] }));
        if (ph !== 't') fl[ph].push(i);
        return;
      }
      default:
        return;
    }
  });
  for (const [pid, i] of usedPids) if (!namedProcesses.has(pid)) bad(i, `pid ${pid} has no process_name metadata`);
  for (const [thread, i] of usedThreads) if (!namedThreads.has(thread)) bad(i, `thread ${thread} has no thread_name metadata`);
  // slices on one thread: nested or disjoint, never partly overlapping
  for (const [thread, list] of slices) {
    const sorted = [...list].sort((a, b) => a.s - b.s || b.e - a.e);
    const stack: { s: number; e: number; i: number }[] = [];
    for (const sl of sorted) {
      while (stack.length && stack[stack.length - 1].e <= sl.s) stack.pop();
      const top = stack[stack.length - 1];
      if (top && top.e < sl.e) bad(sl.i, `slice [${sl.s}, ${sl.e}] ns partly overlaps traceEvents[${top.i}] [${top.s}, ${top.e}] ns on thread ${thread}`);
      stack.push(sl);
    }
  }
  // flows: one start and one end per id, the end not before the start, each bound to a slice
  const enclosing = (i: number) => {
    const ev = evs[i];
    const t = toNs(ev.ts as number);
    return (slices.get(`${ev.pid}:${ev.tid}`) ?? []).some((sl) => sl.s <= t && t <= sl.e);
  };
  for (const [key, fl] of flows) {
    const label = key.replace(/\u0000/g, ' / ');
    if (fl.s.length !== 1 || fl.f.length !== 1) {
      problems.push(`flow ${label}: ${fl.s.length} starts and ${fl.f.length} ends, expected one of each`);
      continue;
    }
    const [s, f] = [evs[fl.s[0]], evs[fl.f[0]]];
    if ((f.ts as number) < (s.ts as number)) problems.push(`flow ${label}: ends at ${f.ts} before it starts at ${s.ts}`);
    if (!enclosing(fl.s[0])) problems.push(`flow ${label}: the start is inside no slice of its thread`);
    if (f.bp === 'e' ? !enclosing(fl.f[0]) : !(slices.get(`${f.pid}:${f.tid}`) ?? []).some((sl) => sl.s >= toNs(f.ts as number))) problems.push(`flow ${label}: the end binds to no slice of its thread`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// helpers

interface Traced {
  sim: Simulation;
  report: RunReport;
  trace: ChromeTrace;
  json: { traceEvents: TraceEvent[]; displayTimeUnit: string; otherData: ChromeTrace['otherData'] };
  threads: Map<number, string>;
}

/** Runs a preset, exports its trace and reads it back from the JSON text the CLI writes. */
function traced(id: string, opts: Parameters<typeof exportTrace>[1] = {}): Traced {
  const sim = runPreset(id);
  const trace = exportTrace(traceSourceOf(sim.raw), opts);
  const json = JSON.parse([...traceJsonChunks(trace, 5000)].join(''));
  const threads = new Map<number, string>();
  for (const e of json.traceEvents as TraceEvent[]) if (e.ph === 'M' && e.name === 'thread_name') threads.set(e.tid, String(e.args!.name));
  return { sim, report: sim.report(), trace, json, threads };
}

const ns = (us: number) => Math.round(us * 1000);
const base = (thread: string) => thread.replace(/ \(\d+\)$/, '');

function exitSlicesByVcpu(t: Traced): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of t.json.traceEvents) {
    if (e.ph !== 'X' || !e.cat?.startsWith('exit')) continue;
    const v = base(t.threads.get(e.tid)!).replace(/ exits$/, '');
    m.set(v, (m.get(v) ?? 0) + 1);
  }
  return m;
}

function reportExitTotals(r: RunReport): Map<string, number> {
  return new Map(r.vcpus.map((v) => [`${v.vm}/vCPU${v.index}`, Object.values(v.exits).reduce((a, c) => a + c.total, 0)]));
}

function logCount(sim: Simulation, kind: number, from = 0, to = Infinity): number {
  let n = 0;
  for (let i = 0; i < sim.log.length; i++) if (sim.log.kind(i) === kind && sim.log.time(i) >= from && sim.log.time(i) <= to) n++;
  return n;
}

function counterSeries(t: Traced, name: string): { ns: number; args: Record<string, number> }[] {
  return t.json.traceEvents.filter((e) => e.ph === 'C' && e.name === name).map((e) => ({ ns: ns(e.ts), args: e.args as Record<string, number> }));
}

// ---------------------------------------------------------------------------------------------

const PRESETS = ['converged-idle', 'classic-baseline', 'rfcv1-8-on-1', 'dropped-attach-ipi', 'wedged-cpu', 'tlb-shootdown-cascade', 'trace-ring-overflow'] as const;

describe('trace: the Chrome Trace Event Format', () => {
  const runs = new Map<string, Traced>();
  beforeAll(() => {
    for (const id of PRESETS) runs.set(id, traced(id));
  });

  it('the validator catches what it checks', () => {
    const ok = {
      displayTimeUnit: 'ns',
      traceEvents: [
        { name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 1, args: { name: 'p' } },
        { name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: 2, args: { name: 't' } },
        { name: 'a', ph: 'X', ts: 1, dur: 5, pid: 1, tid: 2 },
        { name: 'b', ph: 'X', ts: 2, dur: 1, pid: 1, tid: 2 },
        { name: 'f', ph: 's', ts: 2, pid: 1, tid: 2, id: 1, cat: 'c' },
        { name: 'f', ph: 'f', ts: 3, pid: 1, tid: 2, id: 1, cat: 'c', bp: 'e' },
        { name: 'n', ph: 'C', ts: 3, pid: 1, tid: 1, args: { v: 1 } },
      ],
    };
    expect(validateChromeTrace(ok)).toEqual([]);
    const broken = (patch: (t: typeof ok) => void) => {
      const t = structuredClone(ok);
      patch(t);
      return validateChromeTrace(t).join('\n');
    };
    expect(broken((t) => delete (t as { displayTimeUnit?: string }).displayTimeUnit)).toMatch(/displayTimeUnit/);
    expect(broken((t) => delete (t.traceEvents[2] as { dur?: number }).dur)).toMatch(/X without a non-negative dur/);
    expect(broken((t) => delete (t.traceEvents[2] as { tid?: number }).tid)).toMatch(/tid/);
    expect(broken((t) => (t.traceEvents[3].dur = 10))).toMatch(/partly overlaps/);
    expect(broken((t) => t.traceEvents.splice(5, 1))).toMatch(/1 starts and 0 ends/);
    expect(broken((t) => delete (t.traceEvents[4] as { id?: number }).id)).toMatch(/flow s without an id/);
    expect(broken((t) => (t.traceEvents[5].bp = 'x'))).toMatch(/bp "x"/);
    expect(broken((t) => (t.traceEvents[6].args = { v: 'x' as unknown as number }))).toMatch(/counter value v/);
    expect(broken((t) => delete (t.traceEvents[6] as { args?: object }).args)).toMatch(/counter without an args object/);
    expect(broken((t) => t.traceEvents.splice(1, 1))).toMatch(/thread 1:2 has no thread_name/);
    expect(broken((t) => (t.traceEvents[3].ts = 0.5))).toMatch(/before 1 on track 1:2/);
    expect(broken((t) => (t.traceEvents[3].ts = 2.0004))).toMatch(/below 1 ns/);
  });

  it('timestamps: integer ns written as µs read back exactly by rounding and by truncating readers', () => {
    const samples = [0, 1, 999, 1000, 1001, 1_205_899_096, 9_691_062_001, 12_000_000_000];
    for (let n = 1_200_000_000; n < 1_200_200_000; n += 7) samples.push(n);
    const wrong = samples.filter((n) => {
      const us = Number(JSON.stringify(nsToUs(n)));
      return Math.round(us * 1000) !== n || Math.trunc(us * 1000) !== n;
    });
    expect(wrong).toEqual([]);
    // plain division would hand a truncating reader 1 ns less for some of these
    expect(samples.some((n) => Math.trunc((n / 1000) * 1000) !== n)).toBe(true);
  });

  it.each(PRESETS)('%s: valid trace JSON, slices nested or disjoint, flows matched', (id) => {
    const t = runs.get(id)!;
    expect(validateChromeTrace(t.json)).toEqual([]);
    expect(t.json.displayTimeUnit).toBe('ns');
    const truncatedWrong = t.json.traceEvents.filter((e) => Math.trunc(e.ts * 1000) !== Math.round(e.ts * 1000) || (e.dur !== undefined && Math.trunc(e.dur * 1000) !== Math.round(e.dur * 1000)));
    expect(truncatedWrong).toEqual([]);
    // metadata names every process: the live update, the pCPUs and each VM
    const procs = t.json.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!.name);
    expect(procs).toEqual(expect.arrayContaining(['Live update: phases, kernels, KHO', 'pCPUs', expect.stringMatching(/^VM vm0 /)]));
    // a track per pCPU and per kernel
    const names = [...t.threads.values()];
    for (const p of t.sim.raw.st.pcpus) expect(names).toContain(`CPU ${p.id}`);
    expect(names).toContain('K (old kernel)');
  });

  it.each(PRESETS)('%s: IPI flows, exit slices and phases agree with the log and the report', (id) => {
    const t = runs.get(id)!;
    const evs = t.json.traceEvents;
    const starts = evs.filter((e) => e.ph === 's');
    const ends = evs.filter((e) => e.ph === 'f');
    expect(starts.length).toBe(logCount(t.sim, L.IPI_SEND));
    expect(ends.length).toBe(starts.length);
    const lostEnds = evs.filter((e) => e.ph === 'X' && e.cat?.endsWith(',lost'));
    expect(lostEnds.length).toBe(logCount(t.sim, L.IPI_LOST));
    for (const e of lostEnds) expect(e.name).toMatch(/ LOST \(from CPU \d+\)$/);
    expect(t.json.otherData.ipis).toMatchObject({ sent: starts.length, lost: lostEnds.length });
    // every exit of the run is a slice on its vCPU's exits track
    expect(t.json.otherData.exits).toMatchObject({ capped: false, dropped: 0 });
    expect(exitSlicesByVcpu(t)).toEqual(new Map([...reportExitTotals(t.report)].filter(([, n]) => n > 0)));
    // phase slices start at the report's phase instants
    const phaseSlices = evs.filter((e) => e.ph === 'X' && e.cat === 'phase');
    for (const [name, at] of Object.entries(t.report.phases)) {
      const sl = phaseSlices.filter((e) => e.name === name);
      if (at === null) expect(sl).toEqual([]);
      else expect(sl.map((e) => ns(e.ts))).toContain(at);
    }
  });

  it.each(PRESETS)('%s: each pCPU track is tiled by state slices from 0 to the end of the run', (id) => {
    const t = runs.get(id)!;
    const end = t.sim.now;
    for (const p of t.sim.raw.st.pcpus) {
      const tids = [...t.threads].filter(([, n]) => n === `CPU ${p.id}`).map(([tid]) => tid);
      const states = t.json.traceEvents.filter((e) => e.ph === 'X' && tids.includes(e.tid) && e.cat === 'state,pcpu').map((e) => [ns(e.ts), ns(e.ts) + ns(e.dur!)]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(states[0][0]).toBe(0);
      for (let i = 1; i < states.length; i++) expect(states[i][0]).toBe(states[i - 1][1]);
      expect(states[states.length - 1][1]).toBe(end);
    }
  });

  it('lost IPIs end visibly: the wedged pCPU gets every re-kick as a LOST slice', () => {
    const t = runs.get('wedged-cpu')!;
    const lost = t.json.traceEvents.filter((e) => e.ph === 'X' && e.cat?.endsWith(',lost'));
    expect(lost.length).toBeGreaterThan(100);
    const drop = runs.get('dropped-attach-ipi')!;
    const one = drop.json.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'ipi,attach,lost');
    expect(one).toHaveLength(1);
    expect(drop.threads.get(one[0].tid)).toBe('CPU 3');
    const flowEnd = drop.json.traceEvents.find((e) => e.ph === 'f' && e.tid === one[0].tid && e.ts === one[0].ts);
    expect(flowEnd).toMatchObject({ name: 'attach IPI', bp: 'e' });
  });

  it('trace ring counters: the fill before each drain is what the kernel read, and the end is what the report has pending', () => {
    for (const id of ['converged-idle', 'trace-ring-overflow']) {
      const t = runs.get(id)!;
      const log = t.sim.log;
      let pending = 0;
      let dropped = 0;
      for (const v of t.sim.raw.st.vcpus) {
        const name = t.sim.raw.st.ents[v.ent].name;
        const series = counterSeries(t, `${name} trace ring`);
        expect(series.length).toBeGreaterThan(2);
        for (let i = 0; i < log.length; i++) {
          if (log.kind(i) !== L.TRACE || log.subject(i) !== v.ent) continue;
          const at = log.time(i);
          const k = series.findIndex((s, j) => s.ns === at && s.args.records === 0 && j > 0);
          expect(k).toBeGreaterThan(0);
          expect(series[k - 1].args.records).toBe(log.a(i));
          expect(series[k].args.dropped).toBe(log.b(i));
        }
        const last = series[series.length - 1];
        expect(last.ns).toBe(t.sim.now);
        pending += last.args.records;
        dropped += last.args.dropped;
      }
      expect(pending).toBe(t.report.trace.pending);
      expect(dropped).toBe(t.report.trace.dropped);
    }
    expect(runs.get('trace-ring-overflow')!.report.trace.dropped).toBeGreaterThan(0);
    // the prototype keeps telemetry counters, not a ring
    expect(runs.get('rfcv1-8-on-1')!.json.traceEvents.some((e) => e.ph === 'C' && e.name.endsWith('trace ring'))).toBe(false);
  });

  it('guest progress counters end at the report\'s progress plus at most the exit time of the vCPU', () => {
    for (const id of ['converged-idle', 'tlb-shootdown-cascade', 'rfcv1-8-on-1']) {
      const t = runs.get(id)!;
      for (const v of t.report.vcpus) {
        const name = `${v.vm}/vCPU${v.index}`;
        const series = counterSeries(t, `${name} guest progress`);
        const last = series[series.length - 1];
        expect(last.ns).toBe(t.sim.now);
        for (let i = 1; i < series.length; i++) expect(series[i].args.ms).toBeGreaterThanOrEqual(series[i - 1].args.ms);
        const exitNs = t.json.traceEvents.filter((e) => e.ph === 'X' && e.cat?.startsWith('exit') && base(t.threads.get(e.tid)!) === `${name} exits`).reduce((a, e) => a + ns(e.dur!), 0);
        const progressNs = Math.round(last.args.ms * 1e6);
        expect(progressNs).toBeGreaterThanOrEqual(v.progressNs);
        expect(progressNs - v.progressNs).toBeLessThanOrEqual(exitNs);
      }
    }
    // the shootdown cascade spins: some guest time is no progress, and the trace shows the waits
    const cascade = runs.get('tlb-shootdown-cascade')!;
    expect(cascade.json.traceEvents.filter((e) => e.ph === 'X' && e.name === 'TLB shootdown wait').length).toBe(logCount(cascade.sim, L.WAIT) / 2);
  });

  it('rfcv1-8-on-1: eight jobs share CPU 2, each with its own job and cb track', () => {
    const t = runs.get('rfcv1-8-on-1')!;
    const names = [...t.threads.values()];
    for (let k = 0; k < 8; k++) {
      expect(names).toContain(`job vm0/vCPU${k} (oncore job)`);
      expect(names).toContain(`cb vm0/vCPU${k} (cb->state)`);
    }
    const running = t.json.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'state,job' && e.name === 'RUNNING');
    expect(running.length).toBeGreaterThan(100);
  });
});

describe('trace: windows and the exit cap', () => {
  it('--max-exits keeps the first N exits and every stalled one, and says what it dropped', () => {
    const t = traced('emulated-device-stall', { maxExits: 1000 });
    expect(validateChromeTrace(t.json)).toEqual([]);
    const ex = t.json.otherData.exits;
    const totals = reportExitTotals(t.report);
    const all = [...totals.values()].reduce((a, b) => a + b, 0);
    const stalled = t.report.vcpus.reduce((a, v) => a + Object.values(v.exits).reduce((b, c) => b + c.stalled, 0), 0);
    expect(stalled).toBeGreaterThan(0);
    expect(ex).toMatchObject({ maxExits: 1000, inWindow: all, capped: true });
    expect(ex.slices + ex.dropped).toBe(all);
    expect(ex.slices).toBeLessThanOrEqual(1000 + stalled);
    const slices = exitSlicesByVcpu(t);
    for (const [v, n] of totals) expect((slices.get(v) ?? 0) + (ex.droppedByVcpu[v] ?? 0)).toBe(n);
    expect(t.json.traceEvents.filter((e) => e.ph === 'X' && e.cat?.startsWith('exit,stalled')).length).toBe(stalled);
    // the cap is visible in the trace itself, and the rate counters account for every exit
    expect(t.json.traceEvents.some((e) => e.ph === 'i' && e.name.startsWith('exit slices capped at --max-exits 1000'))).toBe(true);
    for (const [v, n] of totals) {
      const series = counterSeries(t, `${v} exits/s`);
      const counted = series.reduce((a, s) => a + (s.args.rate * (Math.min(ex.rateBinNs, t.sim.now - s.ns) || 0)) / 1e9, 0);
      expect(series.length).toBeGreaterThan(0);
      expect(counted).toBeCloseTo(n, 3);
    }
  });

  it('--from/--to exports a window: clipped states, only its exits and IPIs', () => {
    const sim = runPreset('converged-idle');
    const from = 1_100_000_000;
    const to = 1_300_000_000;
    const trace = exportTrace(traceSourceOf(sim.raw), { fromNs: from, toNs: to });
    const json = JSON.parse([...traceJsonChunks(trace)].join(''));
    expect(validateChromeTrace(json)).toEqual([]);
    const evs = json.traceEvents as TraceEvent[];
    for (const e of evs) {
      if (e.ph === 'M') continue;
      expect(ns(e.ts)).toBeGreaterThanOrEqual(from);
      if (e.ph === 'X' && e.cat?.startsWith('state')) expect(ns(e.ts) + ns(e.dur!)).toBeLessThanOrEqual(to);
    }
    expect(evs.filter((e) => e.ph === 'X' && e.cat?.startsWith('exit')).length).toBe(logCount(sim, L.EXIT, from, to));
    expect(evs.filter((e) => e.ph === 's').length).toBe(logCount(sim, L.IPI_SEND, from, to));
    const clipped = evs.find((e) => e.ph === 'X' && e.name === 'RUNNING' && ns(e.ts) === from);
    expect(clipped?.args).toMatchObject({ startedNs: 0 });
    expect(trace.otherData.window).toEqual({ fromNs: from, toNs: to, runReachedNs: sim.now });
  });

  it('an IPI still in flight at the end of the window ends there, visibly', () => {
    const sim = runPreset('converged-idle');
    // the detach IPI to CPU 2 is sent at 1.2 s and delivered 1 µs later
    const trace = exportTrace(traceSourceOf(sim.raw), { toNs: 1_200_000_500 });
    expect(validateChromeTrace(JSON.parse([...traceJsonChunks(trace)].join('')))).toEqual([]);
    const end = trace.traceEvents.find((e) => e.ph === 'X' && e.cat === 'ipi,detach,in-flight');
    expect(end).toMatchObject({ name: 'detach IPI not delivered by the end of the trace', ts: 1_200_000.5 });
    expect(trace.otherData.ipis.inFlightAtEnd).toBe(1);
  });
});

describe('caretaker-lab trace (cmdTrace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-trace-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  async function cli(...args: string[]) {
    let out = '';
    let err = '';
    const code = await cmdTrace(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
    return { code, out, err };
  }

  it('-o writes the file and prints one line: events written and path', async () => {
    const out = join(dir, 'idle.json');
    const r = await cli('converged-idle', '-o', out);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(validateChromeTrace(json)).toEqual([]);
    expect(r.out).toBe(`caretaker-lab trace: preset converged-idle, 0ns to 12s: wrote ${json.traceEvents.length} events (${['X', 'i', 's', 'f', 'C', 'M'].map((p) => `${p} ${json.otherData.events[p]}`).join(', ')}) to ${out}\n`);
  });

  it('-o - writes the JSON to stdout and the summary to stderr; --to and --max-exits are stated', async () => {
    const r = await cli('converged-idle', '--to', '1.3s', '--max-exits', '500', '-o', '-');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(validateChromeTrace(json)).toEqual([]);
    expect(json.otherData.window.toNs).toBe(1_300_000_000);
    expect(json.otherData.exits).toMatchObject({ maxExits: 500, capped: true });
    expect(r.err).toMatch(/above --max-exits 500: the first 500 .* and every stalled exit are slices; \d+ exits are only counted/);
    expect(r.err).toMatch(/wrote \d+ events .* to stdout\n$/);
  });

  it('a scenario file works like a preset', async () => {
    const p = file('ok.json', JSON.stringify(presetScenario('classic-baseline')));
    const r = await cli(p, '-o', join(dir, 'classic.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`caretaker-lab trace: ${p}, `);
  });

  it('bad input: exit 2 with a message naming what and where', async () => {
    const unknown = await cli('no-such-preset', '-o', join(dir, 'x.json'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown preset "no-such-preset"; valid presets: converged-idle, /);

    const noOut = await cli('converged-idle');
    expect(noOut.code).toBe(2);
    expect(noOut.err).toMatch(/trace needs -o <out\.json> \(or -o - for stdout\)/);

    const broken = file('broken.json', '{\n  "version": 1,\n  "seed": ,\n}\n');
    const bad = await cli(broken, '-o', join(dir, 'x.json'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${broken}: not valid JSON`);
    expect(bad.err).toMatch(/line 3/);

    const invalid = file('invalid.json', JSON.stringify({ ...presetScenario('converged-idle'), seed: 'x' }));
    const inv = await cli(invalid, '-o', join(dir, 'x.json'));
    expect(inv.code).toBe(2);
    expect(inv.err).toContain(`${invalid}: invalid scenario`);
    expect(inv.err).toMatch(/\$\.seed|seed:/);

    const missing = await cli(join(dir, 'nope.json'), '-o', join(dir, 'x.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.json: cannot read the file \(no such file\)/);

    const window = await cli('converged-idle', '--from', '2s', '--to', '1s', '-o', join(dir, 'x.json'));
    expect(window.code).toBe(2);
    expect(window.err).toMatch(/--from 2s must be before --to 1s/);

    const late = await cli('converged-idle', '--to', '20s', '-o', join(dir, 'x.json'));
    expect(late.code).toBe(2);
    expect(late.err).toMatch(/--to 20s: after the end of the run \(preset converged-idle runs until 12s\)/);

    const dur = await cli('converged-idle', '--from', 'soon', '-o', join(dir, 'x.json'));
    expect(dur.code).toBe(2);
    expect(dur.err).toMatch(/--from "soon": expected a duration/);

    const cap = await cli('converged-idle', '--max-exits', '-3', '-o', join(dir, 'x.json'));
    expect(cap.code).toBe(2);
    expect(cap.err).toMatch(/--max-exits "-3": expected a non-negative integer/);

    const opt = await cli('converged-idle', '--json', '-o', join(dir, 'x.json'));
    expect(opt.code).toBe(2);
    expect(opt.err).toMatch(/unknown option --json/);

    const unwritable = await cli('converged-idle', '-o', join(dir, 'no-dir', 'x.json'));
    expect(unwritable.code).toBe(2);
    expect(unwritable.err).toMatch(/-o .*no-dir\/x\.json: cannot write the file \(no such directory\)/);
  });
});
