/**
 * A lesson being followed: which lesson and step, the run it reads (the whole run's report and the
 * log mirror), and the checkpoint's predict → watch → reveal cycle. Entering a step moves the lab:
 * the cursor to the step's instant, the window to its zoom target, its highlights lit, and, at a
 * checkpoint, the future veiled until the reader has predicted and watched. Progress is saved.
 * The course itself (src/lessons) is a separate chunk, fetched when a lesson first opens.
 */
import { createStore } from 'zustand/vanilla';
import type { LabStore } from '../../store/lab.ts';
import { AnchorError, resolveAnchor, resolveView, runText } from '../../lessons/anchors.ts';
import type { Lesson, LessonRun } from '../../lessons/types.ts';
import { laneKeyOfName } from '../timeline/lanes.ts';
import { answer, loadProgress, reach, saveProgress, type Progress } from './progress.ts';

export type CheckPhase = 'predict' | 'watching' | 'revealed';

/** The course module, loaded on first use (it is most of the lessons' bytes). */
export const loadCourse = () => import('../../lessons/index.ts');

export interface LessonSessionState {
  lessonId: string | null;
  /** The open lesson (kept here so the page needs no synchronous access to the course). */
  lesson: Lesson | null;
  step: number;
  run: LessonRun | null;
  /** The scenario differs from the lesson's own (a "try it" change, or one from a link). */
  changed: boolean;
  phase: CheckPhase;
  chosen: number | null;
  /** Checkpoints revealed in this sitting (step indices). */
  revealed: number[];
  progress: Progress;
  error: string | null;
  loading: boolean;

  open(id: string, step?: number, raw?: unknown): Promise<boolean>;
  go(step: number): Promise<void>;
  next(): Promise<void>;
  prev(): Promise<void>;
  /** Presenter "next": a checkpoint not yet revealed is revealed first, then the next step. */
  advance(): Promise<boolean>;
  choose(i: number): void;
  watch(): Promise<void>;
  tryIt(): Promise<void>;
  close(): void;
}

export interface SessionHooks {
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Called when the lesson or step changes (the page keeps `lesson` and `step` in its URL). */
  onPlace?(lessonId: string | null, step: number): void;
  /** Wall time a "watch" takes, ms. */
  watchMs?: number;
}

export type LessonSession = ReturnType<typeof createLessonSession>;

export function currentLesson(s: Pick<LessonSessionState, 'lesson'>): Lesson | undefined {
  return s.lesson ?? undefined;
}

export function createLessonSession(lab: LabStore, hooks: SessionHooks) {
  let seq = 0;
  /** A lesson is loading its scenario: a scenario change then is the lesson's own. */
  let opening = 0;
  const session = createStore<LessonSessionState>()((set, get) => {
    const persist = (p: Progress) => {
      saveProgress(hooks.storage, p);
      set({ progress: p });
    };

    /** Puts the lab where step `i` wants it; a checkpoint not yet revealed veils the future. */
    async function place(lesson: Lesson, run: LessonRun, i: number): Promise<void> {
      const s = lesson.steps[i];
      const L = lab.getState();
      L.pause();
      const at = resolveAnchor(run, s.at);
      const v = resolveView(run, s.view);
      const revealed = get().revealed.includes(i);
      const highlights = (s.highlight ?? []).map((h) => ({
        t0: resolveAnchor(run, h.from),
        t1: resolveAnchor(run, h.to),
        laneKeys: h.lanes ? h.lanes.map((n) => laneKeyOfName(L.data, n)).filter((k): k is string => k !== null) : null,
        label: h.label.replace(/`/g, ''),
      }));
      const cp = s.checkpoint;
      const rv = cp && revealed ? resolveAnchor(run, cp.reveal) : null;
      L.setOverlay(highlights, !!cp && !revealed);
      L.setView(v.t0, rv !== null ? Math.max(v.t1, Math.min(run.until, rv + (v.t1 - v.t0) * 0.05)) : v.t1);
      await L.seek(rv ?? at);
      set({ step: i, phase: cp && revealed ? 'revealed' : 'predict', chosen: cp && revealed ? (get().progress[lesson.id]?.answers[i]?.chosen ?? null) : null });
      persist(reach(get().progress, lesson.id, i, lesson.steps.length));
      hooks.onPlace?.(lesson.id, i);
    }

    const fail = (e: unknown) => set({ error: e instanceof AnchorError ? `this scenario does not fit the lesson: ${e.message}` : e instanceof Error ? e.message : String(e), loading: false });

    return {
      lessonId: null,
      lesson: null,
      step: 0,
      run: null,
      changed: false,
      phase: 'predict',
      chosen: null,
      revealed: [],
      progress: loadProgress(hooks.storage),
      error: null,
      loading: false,

      async open(id, step = 0, raw) {
        const mine = ++seq;
        const { LESSONS, lessonById, lessonScenario } = await loadCourse();
        if (mine !== seq) return false;
        const lesson = lessonById(id);
        if (!lesson) {
          set({ error: `there is no lesson "${id}"; the lessons are ${LESSONS.map((l) => l.id).join(', ')}` });
          return false;
        }
        set({ lessonId: id, lesson, loading: true, error: null, run: null, revealed: [], phase: 'predict', chosen: null });
        const own = lessonScenario(lesson);
        const scenario = raw ?? own;
        opening++;
        const r = await lab.getState().loadScenario(scenario, raw === undefined && !lesson.scenario.patch ? lesson.scenario.preset : '').finally(() => opening--);
        if (mine !== seq) return false;
        if (!r.ok) {
          set({ error: `the lesson's scenario did not load: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ') || r.message}`, loading: false });
          return false;
        }
        try {
          const L = lab.getState();
          const run: LessonRun = { report: await L.wholeReport(), data: L.data, until: L.until };
          if (mine !== seq) return false;
          set({ run, changed: raw !== undefined && JSON.stringify(raw) !== JSON.stringify(own), loading: false });
          await place(lesson, run, Math.max(0, Math.min(lesson.steps.length - 1, step)));
          return true;
        } catch (e) {
          fail(e);
          return false;
        }
      },

      async go(i) {
        const lesson = currentLesson(get());
        const run = get().run;
        if (!lesson || !run || i < 0 || i >= lesson.steps.length) return;
        try {
          await place(lesson, run, i);
        } catch (e) {
          fail(e);
        }
      },
      next() {
        return get().go(get().step + 1);
      },
      prev() {
        return get().go(get().step - 1);
      },
      async advance() {
        const lesson = currentLesson(get());
        if (!lesson || !get().run) return false;
        const s = lesson.steps[get().step];
        if (s.checkpoint && get().phase === 'predict') {
          await get().watch();
          return true;
        }
        if (get().step + 1 >= lesson.steps.length) return false;
        await get().next();
        return true;
      },
      choose(i) {
        if (get().phase === 'predict') set({ chosen: i });
      },
      async watch() {
        const lesson = currentLesson(get());
        const run = get().run;
        if (!lesson || !run || get().phase !== 'predict') return;
        const i = get().step;
        const cp = lesson.steps[i].checkpoint;
        if (!cp) return;
        const L = lab.getState();
        const to = resolveAnchor(run, cp.reveal);
        set({ phase: 'watching' });
        L.setOverlay(L.highlights, false);
        if (to > L.view.t1) L.setView(L.view.t0, Math.min(run.until, to + (to - L.view.t0) * 0.05));
        L.playTo(to, hooks.watchMs ?? 2500);
        await new Promise<void>((resolve) => {
          const check = () => {
            const st = lab.getState();
            if (!st.playing || get().lessonId !== lesson.id || get().step !== i) {
              unsub();
              resolve();
            }
          };
          const unsub = lab.subscribe(check);
          check();
        });
        if (get().lessonId !== lesson.id || get().step !== i) return;
        await lab.getState().seek(to);
        const chosen = get().chosen;
        set({ phase: 'revealed', revealed: [...get().revealed, i] });
        if (chosen !== null) persist(answer(get().progress, lesson.id, i, chosen, chosen === cp.answer(run)));
      },
      async tryIt() {
        const lesson = currentLesson(get());
        const cp = lesson?.steps[get().step].checkpoint;
        if (!lesson || !cp) return;
        const step = get().step;
        const { lessonScenario, merged } = await loadCourse();
        await get().open(lesson.id, step, merged(lessonScenario(lesson), cp.tryIt.patch));
      },
      close() {
        seq++;
        lab.getState().setOverlay([], false);
        set({ lessonId: null, lesson: null, run: null, error: null, loading: false, revealed: [] });
        hooks.onPlace?.(null, 0);
      },
    };
  });
  // another scenario loaded (the preset menu, the editor, a link) ends the lesson
  lab.subscribe((s, prev) => {
    if (s.scenarioRaw !== prev.scenarioRaw && !opening && session.getState().lessonId) session.getState().close();
  });
  return session;
}

/** The text of a step or checkpoint in the session's run. */
export function textOf(run: LessonRun, t: Parameters<typeof runText>[1]): string {
  return runText(run, t);
}
