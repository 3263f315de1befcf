/**
 * What "next" and "previous" mean to the keys, the presenter and postMessage: the run's phases, or,
 * while a lesson is open, its steps (a checkpoint not yet revealed is revealed before moving on).
 */
import type { LabStore } from '../store/lab.ts';
import type { LessonSession } from './lessons/session.ts';

export interface Stepper {
  /** Whether there is a step that way (else the presenter hands the key to the deck). */
  can(dir: 1 | -1): boolean;
  step(dir: 1 | -1): Promise<void>;
}

export function phaseStepper(store: LabStore): Stepper {
  return {
    can: (dir) => store.getState().phaseStop(dir) !== null,
    step: (dir) => store.getState().jumpPhase(dir),
  };
}

/** Lesson steps while a lesson is open; the run's phases otherwise. */
export function lessonStepper(session: LessonSession, store: LabStore): Stepper {
  const phases = phaseStepper(store);
  const active = () => {
    const s = session.getState();
    const l = s.lesson;
    return l && s.run && !s.loading ? { s, l } : null;
  };
  return {
    can(dir) {
      const a = active();
      if (!a) return session.getState().lessonId ? false : phases.can(dir);
      if (dir < 0) return a.s.step > 0;
      return (!!a.l.steps[a.s.step].checkpoint && a.s.phase === 'predict') || a.s.step + 1 < a.l.steps.length;
    },
    async step(dir) {
      const a = active();
      if (!a) {
        if (!session.getState().lessonId) await phases.step(dir);
        return;
      }
      if (dir < 0) await a.s.prev();
      else await a.s.advance();
    },
  };
}
