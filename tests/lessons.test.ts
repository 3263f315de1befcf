// The lessons of issue 6 against the engine: every anchor of every step resolves in the lesson's
// own run, every zoom target and highlight is a real window, every step names only what the
// timeline shows in its window, every checkpoint's answer is computed from the run and offered
// among its choices — and changing a lesson's scenario changes the answer with it.
import { beforeAll, describe, expect, it } from 'vitest';
import { LESSONS, lessonScenario, merged } from '../src/lessons/index.ts';
import { resolveAnchor, resolveView, runText } from '../src/lessons/anchors.ts';
import { unshown, namedIn } from '../src/lessons/visible.ts';
import type { Lesson, LessonRun } from '../src/lessons/types.ts';
import { runScenario, stateVocabulary } from './lessonRun.ts';

let STATES: Set<string>;
beforeAll(async () => {
  STATES = await stateVocabulary();
});

const runs = new Map<string, Promise<LessonRun>>();
const runOf = (l: Lesson) => {
  if (!runs.has(l.id)) runs.set(l.id, runScenario(lessonScenario(l)));
  return runs.get(l.id)!;
};

describe('the course', () => {
  it('has at least eleven lessons, in order, with unique ids', () => {
    expect(LESSONS.length).toBeGreaterThanOrEqual(11);
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    expect(LESSONS.map((l) => l.order)).toEqual(LESSONS.map((_, i) => i + 1));
  });
});

describe.each(LESSONS.map((l) => [l.id, l] as const))('lesson %s', (_id, lesson) => {
  it('has steps, highlighted regions, and at least one predict-then-watch checkpoint', () => {
    expect(lesson.steps.length).toBeGreaterThanOrEqual(3);
    expect(lesson.steps.some((s) => s.checkpoint)).toBe(true);
    expect(lesson.steps.some((s) => s.highlight?.length), 'highlighted regions').toBe(true);
  });

  it('resolves every anchor, zoom target and highlight in its own run', async () => {
    const run = await runOf(lesson);
    for (const [i, s] of lesson.steps.entries()) {
      const at = resolveAnchor(run, s.at);
      const v = resolveView(run, s.view);
      expect(v.t1, `step ${i + 1}`).toBeGreaterThan(v.t0);
      expect(at, `step ${i + 1}: the cursor is inside the zoom target`).toBeGreaterThanOrEqual(v.t0);
      expect(at, `step ${i + 1}: the cursor is inside the zoom target`).toBeLessThanOrEqual(v.t1);
      for (const h of s.highlight ?? []) {
        expect(resolveAnchor(run, h.to), `step ${i + 1} highlight ${h.label}`).toBeGreaterThanOrEqual(resolveAnchor(run, h.from));
        for (const lane of h.lanes ?? []) expect(run.data.entities.some((e) => e.name === lane || `ring ${e.name}` === lane), `step ${i + 1}: lane ${lane}`).toBe(true);
      }
      if (s.checkpoint) expect(resolveAnchor(run, s.checkpoint.reveal), `step ${i + 1}: the reveal comes after the cursor`).toBeGreaterThan(at);
    }
  });

  it('names in each step only what the timeline shows in that step\'s window', async () => {
    const run = await runOf(lesson);
    for (const [i, s] of lesson.steps.entries()) {
      const v = resolveView(run, s.view);
      // at a checkpoint the run past the cursor is veiled until the reader has predicted: the
      // narrative names only what is before the cursor; the question may name what to watch for
      const shownTo = s.checkpoint ? resolveAnchor(run, s.at) : v.t1;
      const texts = [runText(run, s.text), ...(s.highlight?.map((h) => h.label) ?? [])];
      for (const t of texts) expect(unshown(run, t, v.t0, shownTo, STATES), `step ${i + 1} "${s.title}"`).toEqual([]);
      if (s.checkpoint) {
        const r = resolveAnchor(run, s.checkpoint.reveal);
        expect(unshown(run, runText(run, s.checkpoint.question), v.t0, Math.max(v.t1, r), STATES), `step ${i + 1} question`).toEqual([]);
        // the explanation is read after the reveal: it may name what the run showed up to there
        expect(unshown(run, runText(run, s.checkpoint.explain), v.t0, Math.max(v.t1, r), STATES), `step ${i + 1} explanation`).toEqual([]);
      }
    }
  });

  it('computes each checkpoint answer from the run, among the choices offered', async () => {
    const run = await runOf(lesson);
    for (const s of lesson.steps) {
      if (!s.checkpoint) continue;
      const choices = typeof s.checkpoint.choices === 'function' ? s.checkpoint.choices(run) : s.checkpoint.choices;
      expect(choices.length).toBeGreaterThanOrEqual(2);
      expect(new Set(choices).size).toBe(choices.length);
      const a = s.checkpoint.answer(run);
      expect(Number.isInteger(a) && a >= 0 && a < choices.length).toBe(true);
      expect(runText(run, s.checkpoint.explain).length).toBeGreaterThan(20);
    }
  });
});

describe('the vocabulary check can fail', () => {
  it('flags a state, an exit and an entity the window does not show', async () => {
    const lesson = LESSONS[0];
    const run = await runOf(lesson);
    const early = 1_000_000;
    expect(namedIn('CARETAKER on CPU 2 takes HLT', STATES).map((n) => n.token).sort()).toEqual(['CARETAKER', 'CPU 2', 'HLT']);
    // classic never has a Caretaker, and nothing exits in the first microsecond
    expect(unshown(run, 'CPU 2 runs the CARETAKER and handles HLT; CPU 99 is missing', 0, 1000, STATES).map((n) => n.token).sort()).toEqual(['CARETAKER', 'CPU 99', 'HLT']);
    expect(unshown(run, 'vm0/vCPU0 is ATTACHED_RUNNING', 0, early, STATES)).toEqual([]);
  });
});

describe('a checkpoint answer follows its scenario', () => {
  const cases = LESSONS.flatMap((l) => l.steps.flatMap((s, i) => (s.checkpoint ? [[`${l.id} step ${i + 1}`, l, i] as const] : [])));
  it.each(cases)('%s: its "try it" change moves the answer', async (_name, lesson, step) => {
    const cp = lesson.steps[step].checkpoint!;
    const base = await runOf(lesson);
    const changed = await runScenario(merged(lessonScenario(lesson), cp.tryIt.patch));
    expect(cp.answer(changed)).not.toBe(cp.answer(base));
    // the lab reopens this very step over the changed run: it must still stand there
    const s = lesson.steps[step];
    expect(resolveAnchor(changed, cp.reveal)).toBeGreaterThan(resolveAnchor(changed, s.at));
    resolveView(changed, s.view);
    for (const h of s.highlight ?? []) [resolveAnchor(changed, h.from), resolveAnchor(changed, h.to)];
    expect(runText(changed, s.text).length).toBeGreaterThan(0);
    expect(runText(changed, cp.explain).length).toBeGreaterThan(0);
  });
});
