// Runs a lesson's scenario in-process to its end, as the lab does at load: the whole run's report
// and the full log mirror, for the lesson tests and for the browser test's expected answers.
import { inProcessClient } from '../src/sim/inProcess.ts';
import { TimelineData } from '../src/store/logMirror.ts';
import type { LessonRun } from '../src/lessons/types.ts';

export async function runScenario(raw: unknown): Promise<LessonRun> {
  const c = inProcessClient();
  const loaded = await c.load(raw);
  if (!loaded.ok) throw new Error(`invalid scenario: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  const data = new TimelineData();
  const adv = await c.runUntil(loaded.until, data.have());
  if (adv.delta) data.ingest(adv.delta);
  return { report: await c.report(), data, until: loaded.until };
}

/** Every state name of every lifecycle machine: the vocabulary a step's text is checked against. */
export async function stateVocabulary(): Promise<Set<string>> {
  const graphs = await inProcessClient().machines();
  return new Set(graphs.flatMap((g) => g.states.map((s) => s.name)));
}
