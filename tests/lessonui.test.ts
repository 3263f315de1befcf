// The lesson machinery behind the UI: progress kept in storage (and a damaged entry read as none),
// `lesson` and `step` in the URL, share links of a lesson, and a lesson session driving the lab's
// store through a whole lesson — steps move the cursor and window, a checkpoint veils the future
// until "watch" has played the run to its reveal, and the answer is recorded.
import { describe, expect, it } from 'vitest';
import { inProcessClient } from '../src/sim/inProcess.ts';
import type { SimClient } from '../src/sim/client.ts';
import { presetById } from '../src/model/presets.ts';
import { createLabStore } from '../src/store/lab.ts';
import { LESSONS, lessonScenario } from '../src/lessons/index.ts';
import { resolveAnchor, resolveView } from '../src/lessons/anchors.ts';
import { createLessonSession } from '../src/ui/lessons/session.ts';
import { PROGRESS_KEY, answer, loadProgress, reach, saveProgress } from '../src/ui/lessons/progress.ts';
import { parseLabUrl, shareUrl, withLesson } from '../src/ui/url.ts';
import { glossParts } from '../src/ui/lessons/Glossed.tsx';
import { runScenario } from './lessonRun.ts';

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe('progress', () => {
  it('round-trips, and reaching the last step finishes a lesson', () => {
    const s = memoryStorage();
    let p = reach({}, 'classic-cost', 2, 5);
    expect(p['classic-cost']).toEqual({ reached: 2, answers: {}, done: false });
    p = answer(reach(p, 'classic-cost', 4, 5), 'classic-cost', 2, 3, true);
    expect(saveProgress(s, p)).toBe(true);
    expect(loadProgress(s)).toEqual({ 'classic-cost': { reached: 4, answers: { 2: { chosen: 3, correct: true } }, done: true } });
    // going back never lowers what was reached
    expect(reach(p, 'classic-cost', 0, 5)['classic-cost'].reached).toBe(4);
  });
  it('reads a damaged or foreign entry as no progress, and survives storage that throws', () => {
    const s = memoryStorage();
    for (const bad of ['{', '[]', '"x"', '{"classic-cost":{"reached":"2"}}', '{"__proto__":{"reached":1,"answers":{},"done":false}}']) {
      s.m.set(PROGRESS_KEY, bad);
      expect(loadProgress(s)).toEqual({});
    }
    const throwing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('quota'); } };
    expect(loadProgress(throwing)).toEqual({});
    expect(saveProgress(throwing, {})).toBe(false);
    expect(loadProgress(null)).toEqual({});
  });
});

describe('lesson URLs', () => {
  it('reads lesson and step, and refuses odd values without throwing', () => {
    expect(parseLabUrl('?lesson=detaching&step=3', '')).toMatchObject({ lesson: 'detaching', step: 3 });
    expect(parseLabUrl('?lesson=<b>&step=0', '')).toMatchObject({ lesson: '', step: null });
    expect(parseLabUrl('?step=99999', '')).toMatchObject({ lesson: null, step: null });
  });
  it('keeps the lesson and step in the query, dropping the cursor and window the lesson sets', () => {
    expect(withLesson('?embed=1&t=5&view=1,2', 'tracing', 2)).toBe('?embed=1&lesson=tracing&step=3');
    expect(withLesson('?embed=1&lesson=tracing&step=3', null, 0)).toBe('?embed=1');
  });
  it('shares a lesson by name, with its scenario only when it was changed', () => {
    const state = { cursor: 5, view: { t0: 0, t1: 9 }, hash: '0123456789abcdef' };
    expect(shareUrl('https://x/', { a: 1 }, { ...state, lesson: { id: 'tracing', step: 1, own: true } })).toBe('https://x/?lesson=tracing&step=2');
    const changed = new URL(shareUrl('https://x/', { a: 1 }, { ...state, lesson: { id: 'tracing', step: 1, own: false } }));
    expect(parseLabUrl(changed.search, changed.hash)).toMatchObject({ lesson: 'tracing', step: 2, scenario: { kind: 'inline', raw: { a: 1 } }, t: null });
  });
});

describe('glossary text', () => {
  it('turns backticks into code and the first use of a term into a hover term', () => {
    const parts = glossParts('The VMM calls `KVM_RUN`; the VMM again.');
    expect(parts.filter((p) => p.kind === 'code').map((p) => p.text)).toEqual(['KVM_RUN']);
    expect(parts.filter((p) => p.kind === 'term').map((p) => p.text)).toEqual(['VMM']);
    expect(parts.map((p) => p.text).join('')).toBe('The VMM calls KVM_RUN; the VMM again.');
  });
});

describe('a lesson session drives the lab', () => {
  it('walks a lesson: each step places cursor and window; a checkpoint veils, watches, reveals and records', async () => {
    const lab = createLabStore(inProcessClient());
    const storage = memoryStorage();
    const places: [string | null, number][] = [];
    const session = createLessonSession(lab, { storage, onPlace: (l, s) => places.push([l, s]), watchMs: 1000 });
    const lesson = LESSONS[0];
    const run = await runScenario(lessonScenario(lesson));
    expect(await session.getState().open(lesson.id)).toBe('opened');
    expect((await lab.getState().wholeReport()).engine.eventLogHash).toBe(run.report.engine.eventLogHash);
    for (let i = 0; i < lesson.steps.length; i++) {
      const step = lesson.steps[i];
      expect(session.getState().step).toBe(i);
      expect(lab.getState().cursor).toBe(resolveAnchor(run, step.at));
      expect(lab.getState().view).toEqual(resolveView(run, step.view));
      expect(lab.getState().highlights.length).toBe(step.highlight?.length ?? 0);
      expect(lab.getState().veiled).toBe(!!step.checkpoint);
      if (step.checkpoint) {
        // Next does not skip a checkpoint in a presenter's hands: advance() reveals it first
        const right = step.checkpoint.answer(run);
        session.getState().choose(right);
        const watching = session.getState().watch();
        expect(session.getState().phase).toBe('watching');
        // the page's animation frames, here by hand
        for (let n = 0; n < 200 && lab.getState().playing; n++) {
          lab.getState().tick(16);
          await new Promise((r) => setTimeout(r, 0));
        }
        await watching;
        expect(session.getState().phase).toBe('revealed');
        expect(lab.getState().veiled).toBe(false);
        expect(lab.getState().cursor).toBe(resolveAnchor(run, step.checkpoint.reveal));
        expect(session.getState().progress[lesson.id].answers[i]).toEqual({ chosen: right, correct: true });
      }
      if (i + 1 < lesson.steps.length) await session.getState().next();
    }
    expect(session.getState().progress[lesson.id].done).toBe(true);
    expect(loadProgress(storage)[lesson.id].done).toBe(true);
    expect(places.at(-1)).toEqual([lesson.id, lesson.steps.length - 1]);
    // loading another scenario ends the lesson and clears its marks
    await lab.getState().loadPreset('converged-idle');
    expect(session.getState().lessonId).toBe(null);
    expect(lab.getState().highlights).toEqual([]);
  });
  it('says which lessons exist when asked for one that does not', async () => {
    const session = createLessonSession(createLabStore(inProcessClient()), { storage: null });
    expect(await session.getState().open('nope')).toBe('failed');
    expect(session.getState().error).toContain('classic-cost');
  });
});

/** The engine behind a Worker-like delay: every request is answered in a later macrotask, so requests interleave as in the browser. */
function slowClient(): SimClient {
  const inner = inProcessClient();
  const later = () => new Promise((r) => setTimeout(r, 0));
  const wrap =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      await later();
      const v = await f(...a);
      await later();
      return v;
    };
  return { ...inner, load: wrap(inner.load), runUntil: wrap(inner.runUntil), seek: wrap(inner.seek), step: wrap(inner.step), report: wrap(inner.report), snapshot: wrap(inner.snapshot), machines: wrap(inner.machines), trace: wrap(inner.trace) };
}

describe('races between a reader and the lesson (requests answered out of turn, as by the Worker)', () => {
  const lesson = LESSONS[0];
  const cpStep = lesson.steps.findIndex((s) => s.checkpoint);
  async function opened() {
    const lab = createLabStore(slowClient());
    const places: [string | null, number][] = [];
    const session = createLessonSession(lab, { storage: null, onPlace: (l, s) => places.push([l, s]), watchMs: 1000 });
    expect(await session.getState().open(lesson.id)).toBe('opened');
    return { lab, session, places, run: await runScenario(lessonScenario(lesson)) };
  }

  it('moving to another step while a checkpoint plays leaves the cursor at the new step', async () => {
    const { lab, session, run } = await opened();
    await session.getState().go(cpStep);
    session.getState().choose(0);
    const watching = session.getState().watch();
    lab.getState().tick(16);
    await session.getState().go(0);
    await watching;
    expect(session.getState().step).toBe(0);
    expect(session.getState().revealed).toEqual([]);
    expect(lab.getState().cursor).toBe(resolveAnchor(run, lesson.steps[0].at));
  });

  it('closing while a step is being placed keeps the lesson out of the URL', async () => {
    const { lab, session, places } = await opened();
    const going = session.getState().go(1);
    session.getState().close();
    await going;
    expect(places.at(-1)).toEqual([null, 0]);
    expect(session.getState().lessonId).toBe(null);
    expect(lab.getState().highlights).toEqual([]);
  });

  it('a second open overtakes the first; a preset loaded during an open ends the lesson', async () => {
    const lab = createLabStore(slowClient());
    const session = createLessonSession(lab, { storage: null });
    const first = session.getState().open(LESSONS[0].id);
    const second = session.getState().open(LESSONS[3].id);
    expect(await first).toBe('superseded');
    expect(await second).toBe('opened');
    expect(session.getState().lessonId).toBe(LESSONS[3].id);
    expect(lab.getState().scenarioRaw).toEqual(lessonScenario(LESSONS[3]));
    const third = session.getState().open(LESSONS[0].id);
    await new Promise((r) => setTimeout(r, 0)); // the lesson's scenario is loading
    await lab.getState().loadPreset('wedged-cpu');
    expect(await third).toBe('superseded');
    expect(session.getState().lessonId).toBe(null);
    expect(lab.getState().presetId).toBe('wedged-cpu');
  });

  it('a load during a long forward move is not dragged to the old target', async () => {
    const lab = createLabStore(slowClient());
    const busy = structuredClone(presetById('converged-idle')!.scenario) as Record<string, unknown>;
    (busy.vms as Record<string, unknown>[])[0].workload = { profile: 'idle', scale: 20 };
    await lab.getState().loadScenario(busy);
    await lab.getState().seek(0);
    const moving = lab.getState().seek(8e9); // in pieces of about 50k records
    await new Promise((r) => setTimeout(r, 0));
    await lab.getState().loadPreset('classic-baseline');
    await moving;
    await new Promise((r) => setTimeout(r, 20));
    expect(lab.getState().title).toBe(presetById('classic-baseline')!.scenario.title);
    expect(lab.getState().cursor).toBe(lab.getState().until);
  });

  it('await seek() returns once the engine is there, even behind a move in progress', async () => {
    const lab = createLabStore(slowClient());
    const busy = structuredClone(presetById('converged-idle')!.scenario) as Record<string, unknown>;
    (busy.vms as Record<string, unknown>[])[0].workload = { profile: 'idle', scale: 20 };
    await lab.getState().loadScenario(busy);
    await lab.getState().seek(0);
    void lab.getState().seek(6e9);
    await lab.getState().seek(2e9);
    expect(lab.getState().cursor).toBe(2e9);
  });
});

describe('every lesson step lights lanes that the timeline has', () => {
  it.each(LESSONS.map((l) => [l.id, l] as const))('%s', async (_id, lesson) => {
    const lab = createLabStore(inProcessClient());
    const session = createLessonSession(lab, { storage: null });
    expect(await session.getState().open(lesson.id)).toBe('opened');
    for (let i = 0; i < lesson.steps.length; i++) {
      if (i) await session.getState().go(i);
      expect(session.getState().error).toBe(null);
      const want = lesson.steps[i].highlight ?? [];
      const got = lab.getState().highlights;
      expect(got.length).toBe(want.length);
      got.forEach((h, k) => expect(h.laneKeys?.length ?? 0, `step ${i + 1} highlight ${want[k].label}`).toBe(want[k].lanes?.length ?? 0));
    }
  });
});
