/**
 * Resolves a lesson's anchors against a run: phase instants, state entries, IPIs and exits, read
 * from the log mirror. A missing anchor is an error that names it, so a lesson that no longer fits
 * its scenario fails its test instead of pointing at nothing.
 */
import { EXIT_IDS } from '../model/exits.ts';
import type { Anchor, LessonRun, RunText } from './types.ts';

export class AnchorError extends Error {}

export function entityByName(run: LessonRun, name: string): number {
  return run.data.entities.findIndex((e) => e.name === name);
}

/** An entity's state intervals [t0, t1) in time order, the last one closed at the run's end. */
export function stateIntervals(run: LessonRun, ent: number): { state: string; t0: number; t1: number }[] {
  const init = run.data.initial.get(ent);
  if (!init) return [];
  const seq = [{ t: init.t, state: init.state }, ...(run.data.changes.get(ent) ?? [])];
  return seq.map((s, i) => ({ state: s.state, t0: s.t, t1: i + 1 < seq.length ? seq[i + 1].t : run.until }));
}

/** The nth (0-based) instant the entity named `name` entered `state`, or an AnchorError naming it. */
export function entered(run: LessonRun, name: string, state: string, nth = 0): number {
  const ent = entityByName(run, name);
  if (ent < 0) throw new AnchorError(`no entity "${name}" in this run`);
  const t = stateIntervals(run, ent).filter((s) => s.state === state)[nth]?.t0;
  if (t === undefined) throw new AnchorError(`${name} never enters ${state}${nth ? ` a ${nth + 1}th time` : ''} in this run`);
  return t;
}

export function describeAnchor(a: Anchor): string {
  return JSON.stringify(a);
}

/** The instant of an anchor (ns, clamped to the run), or an AnchorError. */
export function resolveAnchor(run: LessonRun, a: Anchor): number {
  const clamp = (t: number) => Math.max(0, Math.min(run.until, Math.round(t)));
  const plus = 'plus' in a && a.plus ? a.plus : 0;
  if ('at' in a) return clamp(a.at);
  if ('end' in a) return clamp(run.until + plus);
  if ('phase' in a) {
    const p = run.data.phases.find((x) => x.name === a.phase);
    if (!p) throw new AnchorError(`no phase "${a.phase}" in this run (it has ${run.data.phases.map((x) => x.name).join(', ') || 'none'})`);
    return clamp(p.t + plus);
  }
  if ('enter' in a) return clamp(entered(run, a.enter, a.state, a.nth ?? 0) + plus);
  if ('ipi' in a) {
    const list = [...run.data.ipis.values()].filter((m) => m.purpose === a.ipi && (a.to === undefined || m.to === a.to)).sort((x, y) => x.sendT - y.sendT);
    const m = list[a.nth ?? 0];
    if (!m) throw new AnchorError(`no ${a.nth ? `${a.nth + 1}th ` : ''}${a.ipi} IPI${a.to !== undefined ? ` to CPU ${a.to}` : ''} in this run`);
    const t = a.edge === 'arrive' ? (Number.isNaN(m.arriveT) ? m.sendT : m.arriveT) : m.sendT;
    return clamp(t + plus);
  }
  const kind = EXIT_IDS.indexOf(a.exit);
  if (kind < 0) throw new AnchorError(`"${a.exit}" is not an exit reason the lab knows`);
  let ents = [...run.data.exits.keys()];
  if (a.vcpu) {
    const ent = entityByName(run, a.vcpu);
    if (ent < 0) throw new AnchorError(`no vCPU "${a.vcpu}" in this run`);
    ents = [ent];
  }
  const times: number[] = [];
  for (const ent of ents) {
    const tr = run.data.exits.get(ent);
    if (!tr) continue;
    for (let i = 0; i < tr.n; i++) if (tr.kind[i] === kind && (!a.gapOnly || tr.gap[i])) times.push(tr.t[i]);
  }
  times.sort((x, y) => x - y);
  const t = times[a.nth ?? 0];
  if (t === undefined) throw new AnchorError(`no ${a.gapOnly ? 'gap ' : ''}${a.exit} exit${a.vcpu ? ` on ${a.vcpu}` : ''} in this run`);
  return clamp(t + plus);
}

/** A step's zoom target: its two anchors, padded by 8% of the span on each side (at least 2 µs). */
export function resolveView(run: LessonRun, v: [Anchor, Anchor]): { t0: number; t1: number } {
  let a = resolveAnchor(run, v[0]);
  let b = resolveAnchor(run, v[1]);
  if (b < a) [a, b] = [b, a];
  const pad = Math.max(2000, (b - a) * 0.08);
  return { t0: Math.max(0, a - pad), t1: Math.min(run.until, b + pad) };
}

export function runText(run: LessonRun, t: RunText): string {
  return typeof t === 'function' ? t(run) : t;
}
