/**
 * Facts a checkpoint reads from a run: phase instants, when an entity entered a state, exit counts
 * by reason and disposition, and the bucket a figure falls in. Checkpoints answer with these, so
 * their answers are the engine's, never typed into a lesson.
 */
import { formatNs } from '../base/time.ts';
import { DISP_NAMES, EXIT_IDS } from '../model/exits.ts';
import { AnchorError, entityByName } from './anchors.ts';
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
  const init = run.data.initial.get(ent);
  const out = init && init.state === state ? [init.t] : [];
  for (const c of run.data.changes.get(ent) ?? []) if (c.state === state) out.push(c.t);
  return out;
}

/** How long the entity spent in `state` in total (open intervals closed at the run's end). */
export function timeIn(run: LessonRun, name: string, state: string): number {
  const ent = entityByName(run, name);
  if (ent < 0) throw new AnchorError(`no entity "${name}" in this run`);
  const init = run.data.initial.get(ent);
  if (!init) return 0;
  const seq = [{ t: init.t, state: init.state }, ...(run.data.changes.get(ent) ?? [])];
  let total = 0;
  for (let i = 0; i < seq.length; i++) if (seq[i].state === state) total += (i + 1 < seq.length ? seq[i + 1].t : run.until) - seq[i].t;
  return total;
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
