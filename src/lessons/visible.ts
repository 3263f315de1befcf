/**
 * "A step's text names only what the timeline shows at that step" (issue 6), as a check: every
 * machine state, exit reason and entity the text names must be on screen in the step's window —
 * a state drawn in some lane during the window, an exit of that reason in the window, an entity
 * with a lane by then. Returns what is named but not shown; the lesson tests require none.
 */
import { EXIT_IDS } from '../model/exits.ts';
import { stateIntervals } from './anchors.ts';
import type { LessonRun } from './types.ts';

import { GONE_STATES as UNDRAWN } from '../store/logMirror.ts';

/** Upper-case words and exit ids (MSR_WRITE/TSC_DEADLINE) a text may name. */
const TOKEN = /(?<![\w/])[A-Z][A-Z0-9_]*(?:\/[A-Z0-9_]+)?(?![\w/])/g;
/** Entity names: pCPUs, vCPUs, Caretakers and jobs, VMMs. */
const ENTITY = /\b(CPU \d+|vm\d+\/vCPU\d+|C\d+|VMM′? vm\d+)\b/g;

export interface Named {
  token: string;
  kind: 'state' | 'exit' | 'entity';
}

/**
 * What the text names from the lab's vocabulary (machine states, exit reasons, entity names).
 * Spans in backticks are code (`KVM_RUN`, `vcpu_enter_guest()`): kernel names, not timeline names.
 */
export function namedIn(text: string, states: Set<string>): Named[] {
  text = text.replace(/`[^`]*`/g, ' ');
  const out: Named[] = [];
  const seen = new Set<string>();
  const add = (token: string, kind: Named['kind']) => {
    if (seen.has(kind + token)) return;
    seen.add(kind + token);
    out.push({ token, kind });
  };
  for (const m of text.matchAll(ENTITY)) add(m[1], 'entity');
  for (const m of text.matchAll(TOKEN)) {
    const w = m[0];
    if (EXIT_IDS.includes(w)) add(w, 'exit');
    else if (states.has(w)) add(w, 'state');
  }
  return out;
}

/** Whether the state is drawn in some lane during [t0, t1], for some time (a state entered at t1 is not yet seen). */
export function stateShown(run: LessonRun, state: string, t0: number, t1: number): boolean {
  if (UNDRAWN.has(state)) return false;
  for (let ent = 0; ent < run.data.entities.length; ent++) if (stateIntervals(run, ent).some((s) => s.state === state && s.t0 < t1 && s.t1 > t0)) return true;
  return false;
}

export function exitShown(run: LessonRun, reason: string, t0: number, t1: number): boolean {
  const kind = EXIT_IDS.indexOf(reason);
  for (const tr of run.data.exits.values()) for (let i = tr.lower(t0); i < tr.n && tr.t[i] <= t1; i++) if (tr.kind[i] === kind) return true;
  return false;
}

export function entityShown(run: LessonRun, name: string, t1: number): boolean {
  const ent = run.data.entities.findIndex((e) => e.name === name);
  if (ent < 0) return false;
  const init = run.data.initial.get(ent);
  return init !== undefined && init.t <= t1;
}

/** What `text` names that the window [t0, t1] of the run does not show. */
export function unshown(run: LessonRun, text: string, t0: number, t1: number, states: Set<string>): Named[] {
  return namedIn(text, states).filter((n) => (n.kind === 'state' ? !stateShown(run, n.token, t0, t1) : n.kind === 'exit' ? !exitShown(run, n.token, t0, t1) : !entityShown(run, n.token, t1)));
}
