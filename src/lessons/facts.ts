/**
 * Facts a checkpoint reads from a run: phase instants, when an entity entered a state, exit counts
 * by reason and disposition, and the bucket a figure falls in. Checkpoints answer with these, so
 * their answers are the engine's, never typed into a lesson.
 */
import { formatNs } from '../base/time.ts';
import { DISP_NAMES, EXIT_IDS } from '../model/exits.ts';
import { AnchorError, entityByName, stateIntervals } from './anchors.ts';

export { entered } from './anchors.ts';
import type { LessonRun } from './types.ts';

export const fmt = formatNs;

export function phaseAt(run: LessonRun, name: string): number {
  const p = run.data.phases.find((x) => x.name === name);
  if (!p) throw new AnchorError(`no phase "${name}" in this run`);
  return p.t;
}

export function vmReport(run: LessonRun, vm = 'vm0') {
  const r = run.report.vms.find((v) => v.name === vm);
  if (!r) throw new AnchorError(`no VM "${vm}" in this run`);
  return r;
}

export function vcpuReport(run: LessonRun, name: string) {
  const r = run.report.vcpus.find((v) => `${v.vm}/vCPU${v.index}` === name);
  if (!r) throw new AnchorError(`no vCPU "${name}" in this run`);
  return r;
}

/** Every instant the entity entered `state`. */
export function entries(run: LessonRun, name: string, state: string): number[] {
  const ent = entityByName(run, name);
  if (ent < 0) throw new AnchorError(`no entity "${name}" in this run`);
  return stateIntervals(run, ent)
    .filter((s) => s.state === state)
    .map((s) => s.t0);
}

/** How long the entity spent in `state` within [t0, t1] (the whole run by default). */
export function timeIn(run: LessonRun, name: string, state: string, t0 = 0, t1 = run.until): number {
  const ent = entityByName(run, name);
  if (ent < 0) throw new AnchorError(`no entity "${name}" in this run`);
  let total = 0;
  for (const s of stateIntervals(run, ent)) if (s.state === state) total += Math.max(0, Math.min(t1, s.t1) - Math.max(t0, s.t0));
  return total;
}

/** The first exit of a vCPU in the gap that stalled it: its reason and instant, or null. */
export function firstStall(run: LessonRun, vcpu: string): { reason: string; t: number } | null {
  const tr = run.data.exits.get(entityByName(run, vcpu));
  if (!tr) return null;
  for (let i = 0; i < tr.n; i++) if (tr.gap[i] && DISP_NAMES[tr.disp[i]] === 'stalled') return { reason: EXIT_IDS[tr.kind[i]], t: tr.t[i] };
  return null;
}

/** Trace records the new kernel read from a vCPU's ring when it adopted it. */
export function drained(run: LessonRun, vcpu: string): number {
  return (run.data.drains.get(entityByName(run, vcpu)) ?? []).reduce((n, d) => n + d.consumed, 0);
}

/** Exits of a vCPU (or every vCPU) in [t0, t1], counted by reason and by disposition. */
export function exitsIn(run: LessonRun, t0: number, t1: number, vcpu?: string): { total: number; byReason: Record<string, number>; byDisp: Record<string, number>; gap: number } {
  const out = { total: 0, byReason: {} as Record<string, number>, byDisp: {} as Record<string, number>, gap: 0 };
  const ents = vcpu ? [entityByName(run, vcpu)] : [...run.data.exits.keys()];
  for (const ent of ents) {
    const tr = run.data.exits.get(ent);
    if (!tr) continue;
    for (let i = tr.lower(t0); i < tr.n && tr.t[i] <= t1; i++) {
      out.total++;
      const r = EXIT_IDS[tr.kind[i]];
      out.byReason[r] = (out.byReason[r] ?? 0) + 1;
      const d = DISP_NAMES[tr.disp[i]];
      out.byDisp[d] = (out.byDisp[d] ?? 0) + 1;
      out.gap += tr.gap[i];
    }
  }
  return out;
}

/** IPIs of a purpose in the run, in send order. */
export function ipisOf(run: LessonRun, purpose: string) {
  return [...run.data.ipis.values()].filter((m) => m.purpose === purpose).sort((a, b) => a.sendT - b.sendT);
}

/** The index of the bucket `value` falls in: edges ascending, bucket i is [edges[i-1], edges[i]). */
export function bucket(value: number, edges: number[]): number {
  let i = 0;
  while (i < edges.length && value >= edges[i]) i++;
  return i;
}

/** The index of `label` in `choices`, or an error (a checkpoint whose answer is not offered). */
export function choiceOf(choices: string[], label: string): number {
  const i = choices.indexOf(label);
  if (i < 0) throw new AnchorError(`the run's answer "${label}" is not among the choices (${choices.join(' | ')})`);
  return i;
}
