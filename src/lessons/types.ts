/**
 * What a lesson is (issue 6): a scenario, and a script of steps. Each step puts the cursor at an
 * instant of the run, zooms to a window, highlights regions of lanes and tells what happens there;
 * a checkpoint asks the reader to predict something the engine then computes from the run. Every
 * instant is an Anchor resolved against the run, so a changed scenario moves the script with it.
 */
import type { RunReport } from '../model/report.ts';
import type { TimelineData } from '../store/logMirror.ts';

/** An instant of the run, named by what happens then (plus an offset in ns). */
export type Anchor =
  | { phase: string; plus?: number }
  /** The nth (0-based) time the entity named `enter` enters `state`. */
  | { enter: string; state: string; nth?: number; plus?: number }
  /** The nth IPI of a purpose (detach, attach, init-sipi, stop, guest…): its send or its arrival. */
  | { ipi: string; nth?: number; edge?: 'send' | 'arrive'; to?: number; plus?: number }
  /** The nth exit of a reason on a vCPU (any vCPU if not named), optionally only in the gap. */
  | { exit: string; vcpu?: string; gapOnly?: boolean; nth?: number; plus?: number }
  | { at: number }
  | { end: true; plus?: number };

/** The run a lesson reads: the whole run's report and the log mirror (every record). */
export interface LessonRun {
  report: RunReport;
  data: TimelineData;
  until: number;
}

/** Text that may quote the run (a number, a name); rendered once per run. */
export type RunText = string | ((run: LessonRun) => string);
// Text conventions: `backticks` mark code (ioctls, functions, fields), shown as code and not
// checked against the timeline; every other upper-case state, exit reason or entity name a text
// uses must be visible in the step's window (visible.ts, tests/lessons.test.ts).

export interface Highlight {
  from: Anchor;
  to: Anchor;
  /** Entity names whose lanes are lit ("CPU 2", "vm0/vCPU0", "C2", "KHO"…); "ring vm0/vCPU0" for a ring lane; none: the whole height. */
  lanes?: string[];
  label: string;
}

export interface Checkpoint {
  /** Asked before the run is shown past the cursor. */
  question: RunText;
  choices: string[] | ((run: LessonRun) => string[]);
  /** The index of the right choice, computed from the run. */
  answer(run: LessonRun): number;
  /** "Watch" plays the run from the step's cursor to here. */
  reveal: Anchor;
  /** Why, with the run's own figures. */
  explain: RunText;
  /** A change to the lesson's scenario that moves the answer ("try it"): tested, and offered in the lab. */
  tryIt: { patch: Record<string, unknown>; says: string };
}

export interface LessonStep {
  title: string;
  text: RunText;
  at: Anchor;
  /** The zoom target: the window between two instants (padded a little on each side). */
  view: [Anchor, Anchor];
  highlight?: Highlight[];
  checkpoint?: Checkpoint;
}

export interface Lesson {
  id: string;
  /** Its place in the course (1 = first). */
  order: number;
  title: string;
  /** One line: what the reader will be able to say afterwards. */
  goal: string;
  /** The scenario: a preset, optionally with fields replaced (a deep merge of `patch`). */
  scenario: { preset: string; patch?: Record<string, unknown> };
  /** Concept ids (src/lessons/concepts.ts) the lesson shows. */
  concepts: string[];
  /** Where its facts come from. */
  sources: string[];
  steps: LessonStep[];
}

/** A concept page (docs/concepts/<id>.md, and the Concepts view in the lab). */
export interface Concept {
  id: string;
  title: string;
  /** One paragraph: what the details panel shows beside a mark of this kind. */
  summary: string;
  /** The page: paragraphs of plain text (`backticks` for code). */
  body: string[];
  /** Where it comes from: a thread message, a prototype file or section, a kernel document. */
  sources: { ref: string; what: string }[];
  /** Lessons that show it (ids of src/lessons/content), at least one. */
  lessons: string[];
}

/** A glossary term: explained on hover wherever the lab shows text. */
export interface GlossaryTerm {
  term: string;
  /** Other spellings that mean the same (matched whole-word, case-sensitive). */
  aliases?: string[];
  text: string;
  /** The concept page that says more. */
  concept?: string;
}
