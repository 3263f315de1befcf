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
import { buildLanes, laneKeyOf } from '../timeline/lanes.ts';
import { answer, loadProgress, reach, saveProgress, type Progress } from './progress.ts';

/** The course module, loaded on first use (it is most of the lessons' bytes). */
export const loadCourse = () => import('../../lessons/index.ts');

export type CheckPhase = 'predict' | 'watching' | 'revealed';

/** A step's words in this run, computed once when the step is placed (a text that does not fit the run fails there, not in render). */
export interface StepWords {
  text: string;
  question: string | null;
  choices: string[];
  /** The right choice (used only once revealed). */
  answer: number;
  explain: string | null;
}

/** What open() did: opened the lesson, was overtaken by a newer open/close, or failed (see `error`). */
export type OpenResult = 'opened' | 'superseded' | 'failed';

export interface LessonSessionState {
  lessonId: string | null;
  /** The open lesson (kept here so the page needs no synchronous access to the course). */
  lesson: Lesson | null;
  step: number;
  run: LessonRun | null;
  /** The words of the placed step; null while loading or after a failure. */
  words: StepWords | null;
  /** The scenario differs from the lesson's own (a "try it" change, or one from a link). */
  changed: boolean;
  phase: CheckPhase;
  chosen: number | null;
  /** Checkpoints revealed in this sitting (step indices). */
  revealed: number[];
  progress: Progress;
  error: string | null;
  loading: boolean;

  open(id: string, step?: number, raw?: unknown): Promise<OpenResult>;
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

/** The words of step `i` in `run` (throws an AnchorError when the run lacks what they quote). */
function wordsOf(lesson: Lesson, run: LessonRun, i: number): StepWords {
  const s = lesson.steps[i];
  const cp = s.checkpoint;
  const choices = cp ? (typeof cp.choices === 'function' ? cp.choices(run) : cp.choices) : [];
  return { text: runText(run, s.text), question: cp ? runText(run, cp.question) : null, choices, answer: cp ? cp.answer(run) : -1, explain: cp ? runText(run, cp.explain) : null };
}

export function createLessonSession(lab: LabStore, hooks: SessionHooks) {
  /**
   * Bumped by every open, placement and close: an async step that finds it changed after an
   * await was overtaken, and does nothing more (no stale cursor, no stale URL).
   */
  let gen = 0;
  /** The scenario the open lesson loaded: any other scenario loaded in the lab ends the lesson. */
  let lessonRaw: unknown = null;
  const session = createStore<LessonSessionState>()((set, get) => {
    const persist = (p: Progress) => {
      saveProgress(hooks.storage, p);
      set({ progress: p });
    };
    const fail = (e: unknown) => set({ error: e instanceof AnchorError ? `this scenario does not fit the lesson: ${e.message}` : e instanceof Error ? e.message : String(e), loading: false });

    /** Puts the lab where step `i` wants it; a checkpoint not yet revealed veils the future. */
    async function place(lesson: Lesson, run: LessonRun, i: number): Promise<void> {
      const mine = ++gen;
      const s = lesson.steps[i];
      const L = lab.getState();
      L.pause();
      const words = wordsOf(lesson, run, i);
      const at = resolveAnchor(run, s.at);
      const v = resolveView(run, s.view);
      const revealed = get().revealed.includes(i);
      const lanes = s.highlight?.some((h) => h.lanes) ? buildLanes(L.data, L.snapshot) : [];
      const highlights = (s.highlight ?? []).map((h) => ({
        t0: resolveAnchor(run, h.from),
        t1: resolveAnchor(run, h.to),
        laneKeys: h.lanes ? h.lanes.map((n) => laneKeyOf(lanes, L.data, n)).filter((k): k is string => k !== null) : null,
        label: h.label.replace(/`/g, ''),
      }));
      const cp = s.checkpoint;
      const rv = cp && revealed ? resolveAnchor(run, cp.reveal) : null;
      L.setOverlay(highlights, !!cp && !revealed);
      L.setView(v.t0, rv !== null ? Math.max(v.t1, Math.min(run.until, rv + (v.t1 - v.t0) * 0.05)) : v.t1);
      set({ step: i, words, error: null, phase: cp && revealed ? 'revealed' : 'predict', chosen: cp && revealed ? (get().progress[lesson.id]?.answers[i]?.chosen ?? null) : null });
      await L.seek(rv ?? at);
      if (mine !== gen) return;
      set({ loading: false });
      persist(reach(get().progress, lesson.id, i, lesson.steps.length));
      hooks.onPlace?.(lesson.id, i);
    }

    return {
      lessonId: null,
      lesson: null,
      step: 0,
      run: null,
      words: null,
      changed: false,
      phase: 'predict',
      chosen: null,
      revealed: [],
      progress: loadProgress(hooks.storage),
      error: null,
      loading: false,

      async open(id, step = 0, raw) {
        const mine = ++gen;
        const { LESSONS, lessonById, lessonScenario } = await loadCourse();
        if (mine !== gen) return 'superseded';
        const lesson = lessonById(id);
        if (!lesson) {
          set({ error: `there is no lesson "${id}"; the lessons are ${LESSONS.map((l) => l.id).join(', ')}` });
          return 'failed';
        }
        const first = Math.max(0, Math.min(lesson.steps.length - 1, step));
        const own = lessonScenario(lesson);
        const scenario = raw ?? own;
        lessonRaw = scenario;
        set({ lessonId: id, lesson, step: first, words: null, loading: true, error: null, run: null, revealed: [], phase: 'predict', chosen: null, changed: raw !== undefined && JSON.stringify(raw) !== JSON.stringify(own) });
        const r = await lab.getState().loadScenario(scenario, raw === undefined && !lesson.scenario.patch ? lesson.scenario.preset : '');
        if (mine !== gen || (!r.ok && r.superseded)) return 'superseded';
        if (!r.ok) {
          set({ error: `the lesson's scenario did not load: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ') || r.message}`, loading: false });
          return 'failed';
        }
        try {
          const report = await lab.getState().wholeReport();
          const L = lab.getState();
          // another load may have slipped in: the run must be the lesson's
          if (mine !== gen || L.scenarioRaw !== scenario) return 'superseded';
          const run: LessonRun = { report, data: L.data, until: L.until };
          set({ run });
          await place(lesson, run, first);
          return get().lessonId === id && !get().error ? 'opened' : 'superseded';
        } catch (e) {
          if (mine === gen || gen === mine + 1) fail(e);
          return 'failed';
        }
      },

      async go(i) {
        const lesson = get().lesson;
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
        const lesson = get().lesson;
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
        const lesson = get().lesson;
        const run = get().run;
        const words = get().words;
        if (!lesson || !run || !words || get().phase !== 'predict') return;
        const i = get().step;
        const cp = lesson.steps[i].checkpoint;
        if (!cp) return;
        const mine = gen;
        const L = lab.getState();
        const to = resolveAnchor(run, cp.reveal);
        set({ phase: 'watching' });
        L.setOverlay(L.highlights, false);
        if (to > L.view.t1) L.setView(L.view.t0, Math.min(run.until, to + (to - L.view.t0) * 0.05));
        L.playTo(to, hooks.watchMs ?? 2500);
        await new Promise<void>((resolve) => {
          const check = () => {
            if (!lab.getState().playing || mine !== gen) {
              unsub();
              resolve();
            }
          };
          const unsub = lab.subscribe(check);
          check();
        });
        if (mine !== gen) return;
        await lab.getState().seek(to);
        if (mine !== gen) return;
        const chosen = get().chosen;
        set({ phase: 'revealed', revealed: [...get().revealed, i] });
        if (chosen !== null) persist(answer(get().progress, lesson.id, i, chosen, chosen === words.answer));
      },
      async tryIt() {
        const lesson = get().lesson;
        const cp = lesson?.steps[get().step].checkpoint;
        if (!lesson || !cp) return;
        const step = get().step;
        const { lessonScenario, merged } = await loadCourse();
        await get().open(lesson.id, step, merged(lessonScenario(lesson), cp.tryIt.patch));
      },
      close() {
        gen++;
        lessonRaw = null;
        const L = lab.getState();
        L.pause();
        L.setOverlay([], false);
        set({ lessonId: null, lesson: null, run: null, words: null, step: 0, phase: 'predict', chosen: null, changed: false, error: null, loading: false, revealed: [] });
        hooks.onPlace?.(null, 0);
      },
    };
  });
  // another scenario loaded (the preset menu, the editor, a link) ends the lesson
  lab.subscribe((s, prev) => {
    if (s.scenarioRaw !== prev.scenarioRaw && s.scenarioRaw !== lessonRaw && session.getState().lessonId) session.getState().close();
  });
  return session;
}
