/**
 * Opening the lab from its URL: the scenario of the link (or the default preset), then the cursor
 * and window it names. A link that cannot be read, or whose scenario is invalid, opens the default
 * scenario with a notice saying what was wrong; a shared run this engine replays differently (its
 * event log hash changed) says so too. A link with `lesson` opens that lesson at its step, over the
 * link's own scenario if it carries one (a lesson with a changed scenario).
 */
import { DEFAULT_PRESET } from '../model/presets.ts';
import type { LabStore } from '../store/lab.ts';
import type { LabUrl } from './url.ts';
import type { LessonSession } from './lessons/session.ts';

export async function openFromUrl(store: LabStore, url: LabUrl, session?: LessonSession): Promise<void> {
  const st = () => store.getState();
  let notice: string | null = null;
  let loaded = false;
  if (url.lesson !== null && session) {
    const problem = await openLesson(url, session);
    if (problem === null) return st().setNotice(null);
    await st().loadPreset(DEFAULT_PRESET);
    return st().setNotice(`${problem}; showing the default scenario instead`);
  }
  if (url.problem) notice = `${url.problem}; showing the default scenario instead`;
  else if (url.scenario?.kind === 'inline') {
    const r = await st().loadScenario(url.scenario.raw);
    loaded = r.ok;
    if (!r.ok) {
      const first = r.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`);
      const more = r.errors.length > 3 ? `; ${r.errors.length - 3} more` : '';
      notice = `the scenario in this link is invalid (${first.join('; ') || r.message}${more}); showing the default scenario instead`;
    }
  } else if (url.scenario?.kind === 'preset') {
    await st().loadPreset(url.scenario.id);
    loaded = st().status === 'ready';
  }
  if (!loaded) {
    await st().loadPreset(DEFAULT_PRESET);
  } else {
    if (url.hash) {
      const now = (await st().wholeReport()).engine.eventLogHash;
      if (now !== url.hash) notice = `this link was made by a lab whose engine runs this scenario differently (event log hash ${url.hash} then, ${now} here): what you see may not be what was shared`;
    }
    if (url.t !== null) await st().seek(url.t);
    if (url.view) st().setView(Math.max(0, url.view.t0), Math.min(st().until, url.view.t1));
  }
  st().setNotice(notice);
}

/** Opens the link's lesson; null when it opened, else what was wrong. */
async function openLesson(url: LabUrl, session: LessonSession): Promise<string | null> {
  if (url.problem) return url.problem;
  const raw = url.scenario?.kind === 'inline' ? url.scenario.raw : undefined;
  const r = await session.getState().open(url.lesson ?? '', (url.step ?? 1) - 1, raw);
  // opened, or the reader already opened something else: either way nothing is wrong with the link
  if (r !== 'failed') return null;
  const why = (session.getState().error ?? 'the lesson did not open').replace(/^there is no lesson/, 'this link names a lesson the lab does not have:');
  session.getState().close();
  return why;
}
