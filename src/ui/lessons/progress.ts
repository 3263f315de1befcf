/**
 * Lesson progress, kept in the browser's storage: per lesson, the furthest step reached, the
 * checkpoints answered (what was chosen, whether the run agreed) and whether it was finished.
 * A damaged or missing entry reads as no progress; storage that refuses writes loses nothing else.
 */
export const PROGRESS_KEY = 'caretaker-lab.lessons.v1';

export interface LessonProgress {
  /** Furthest step reached (0-based). */
  reached: number;
  /** Checkpoint answers by step index. */
  answers: Record<number, { chosen: number; correct: boolean }>;
  done: boolean;
}

export type Progress = Record<string, LessonProgress>;

function valid(p: unknown): p is LessonProgress {
  if (!p || typeof p !== 'object') return false;
  const x = p as Partial<LessonProgress>;
  return Number.isInteger(x.reached) && typeof x.done === 'boolean' && !!x.answers && typeof x.answers === 'object';
}

export function loadProgress(storage: Pick<Storage, 'getItem'> | null): Progress {
  try {
    const raw = storage?.getItem(PROGRESS_KEY);
    if (!raw) return {};
    const parsed = JSON.parse(raw) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: Progress = {};
    for (const [id, p] of Object.entries(parsed)) if (/^[a-z0-9-]{1,64}$/.test(id) && valid(p)) out[id] = p;
    return out;
  } catch {
    return {};
  }
}

export function saveProgress(storage: Pick<Storage, 'setItem'> | null, p: Progress): boolean {
  try {
    if (!storage) return false;
    storage.setItem(PROGRESS_KEY, JSON.stringify(p));
    return true;
  } catch {
    return false;
  }
}

/** Progress after reaching `step` of a lesson of `steps` steps (the last one finishes it). */
export function reach(p: Progress, id: string, step: number, steps: number): Progress {
  const cur = p[id] ?? { reached: 0, answers: {}, done: false };
  return { ...p, [id]: { ...cur, reached: Math.max(cur.reached, step), done: cur.done || step >= steps - 1 } };
}

export function answer(p: Progress, id: string, step: number, chosen: number, correct: boolean): Progress {
  const cur = p[id] ?? { reached: step, answers: {}, done: false };
  return { ...p, [id]: { ...cur, answers: { ...cur.answers, [step]: { chosen, correct } } } };
}
