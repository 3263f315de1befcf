/**
 * The lab's URL (design.md §5; docs/url.md). The scenario travels in the fragment, never to a
 * server: `#s=` + lz-string's compressToEncodedURIComponent(JSON) or `#p=<preset-id>`. View state
 * rides in the query: `t` (cursor, ns), `view` (the visible window, "t0,t1" in ns), `h` (the event
 * log hash of the shared run, to say when this engine replays it differently), `theme`, `embed=1`,
 * `lesson` (a lesson id) and `step` (1-based): the lesson then sets the cursor and window itself.
 * Reading never throws and never evaluates anything: a bad URL becomes a message and no scenario.
 */
import LZString from 'lz-string';
import { presetById } from '../model/presets.ts';
import { SCENARIO_VERSION } from '../model/scenario.ts';

/** Larger fragments (compressed) or scenarios (as JSON) are refused. */
export const MAX_URL_SCENARIO_BYTES = 1 << 20;

export type UrlScenario = { kind: 'preset'; id: string } | { kind: 'inline'; raw: unknown } | null;

export interface LabUrl {
  scenario: UrlScenario;
  /** Why the scenario part could not be read (the page then opens the default scenario). */
  problem: string | null;
  t: number | null;
  view: { t0: number; t1: number } | null;
  hash: string | null;
  theme: 'light' | 'dark' | 'projector';
  embed: boolean;
  /** A lesson id (its shape checked, not its existence) and a 1-based step; null when absent. */
  lesson: string | null;
  step: number | null;
}

function nsParam(q: URLSearchParams, key: string): number | null {
  const v = q.get(key);
  if (v === null || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

/** Reads a location (its search and hash); whatever is wrong is reported, not thrown. */
export function parseLabUrl(search: string, hash: string): LabUrl {
  const q = new URLSearchParams(search);
  const themeParam = q.get('theme');
  const theme = themeParam === 'dark' || themeParam === 'projector' ? themeParam : 'light';
  const viewMatch = /^(\d{1,15}),(\d{1,15})$/.exec(q.get('view') ?? '');
  const view = viewMatch && Number(viewMatch[2]) > Number(viewMatch[1]) ? { t0: Number(viewMatch[1]), t1: Number(viewMatch[2]) } : null;
  const h = q.get('h');
  const lesson = q.get('lesson');
  const step = q.get('step');
  const out: LabUrl = {
    scenario: null,
    problem: null,
    t: nsParam(q, 't'),
    view,
    hash: h && /^[0-9a-f]{16}$/.test(h) ? h : null,
    theme,
    embed: q.get('embed') === '1',
    lesson: lesson !== null && /^[a-z0-9-]{1,64}$/.test(lesson) ? lesson : lesson === null ? null : '',
    step: step !== null && /^\d{1,3}$/.test(step) && Number(step) >= 1 ? Number(step) : null,
  };
  const { scenario, problem } = scenarioFromHash(hash);
  out.scenario = scenario;
  out.problem = problem;
  return out;
}

/** The scenario part of the fragment: a preset id, an inline scenario, nothing, or a problem. */
export function scenarioFromHash(hash: string): { scenario: UrlScenario; problem: string | null } {
  if (hash === '' || hash === '#') return { scenario: null, problem: null };
  if (hash.length > MAX_URL_SCENARIO_BYTES + 3) return { scenario: null, problem: `the scenario in this link is over ${MAX_URL_SCENARIO_BYTES / 1024} KB; the lab reads at most 1 MB` };
  if (hash.startsWith('#p=')) {
    const id = hash.slice(3);
    if (/^[A-Za-z0-9_.-]{1,64}$/.test(id) && presetById(id)) return { scenario: { kind: 'preset', id }, problem: null };
    return { scenario: null, problem: `this link names a preset the lab does not have (${JSON.stringify(id.slice(0, 64))})` };
  }
  if (!hash.startsWith('#s=')) return { scenario: null, problem: 'this link has a fragment the lab does not read: expected #s=<scenario> or #p=<preset-id>' };
  let packed = hash.slice(3);
  // some tools percent-encode the fragment; lz-string's alphabet never contains "%"
  if (packed.includes('%')) {
    try {
      packed = decodeURIComponent(packed);
    } catch {
      return { scenario: null, problem: 'the scenario in this link has broken percent-encoding: was the link cut or changed?' };
    }
  }
  if (!/^[A-Za-z0-9+\-$]*$/.test(packed) || packed.length === 0) return { scenario: null, problem: 'the scenario in this link is not lz-string encoded (it has characters that encoding never produces): was the link cut or changed?' };
  let text: string | { tooBig: true } | null = null;
  try {
    text = decompressLink(packed, MAX_URL_SCENARIO_BYTES);
  } catch {
    text = null;
  }
  if (text !== null && typeof text === 'object') return { scenario: null, problem: 'the scenario in this link is over 1 MB once decompressed; the lab reads at most 1 MB' };
  if (!text) return { scenario: null, problem: 'the scenario in this link does not decompress: the link is probably truncated' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { scenario: null, problem: `the scenario in this link is not valid JSON (${e instanceof Error ? e.message : 'parse error'}): the link is probably truncated` };
  }
  return migrate(raw);
}

const LZ_URI_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';
const LZ_URI_VALUE = new Map([...LZ_URI_ALPHABET].map((ch, i) => [ch, i]));

/**
 * lz-string's decompressFromEncodedURIComponent, the same stream format and the same text, but it
 * stops once the text passes `max` characters. A code may name the dictionary entry it is about to
 * define, so the text can grow with the square of the link: a link of 250 KB decompresses to
 * gigabytes (and takes the tab down) before a check of the text's length could refuse it.
 * Returns the text ("" for a stream cut short, as lz-string does), `{ tooBig: true }`, or null
 * when the stream is not lz-string.
 */
export function decompressLink(input: string, max: number): string | { tooBig: true } | null {
  if (input === '') return null;
  const data = input.replace(/ /g, '+');
  let val = LZ_URI_VALUE.get(data.charAt(0)) ?? 0;
  let position = 32;
  let index = 1;
  const read = (numBits: number): number => {
    let bits = 0;
    for (let i = 0; i < numBits; i++) {
      const bit = val & position;
      position >>= 1;
      if (position === 0) {
        position = 32;
        val = LZ_URI_VALUE.get(data.charAt(index++)) ?? 0;
      }
      if (bit) bits += 2 ** i;
    }
    return bits;
  };
  const first = read(2);
  if (first === 2) return '';
  if (first === 3) return null;
  const c = String.fromCharCode(read(first === 0 ? 8 : 16));
  const dictionary: string[] = [];
  dictionary[3] = c;
  let w = c;
  const result = [c];
  let total = c.length;
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  for (;;) {
    if (index > data.length) return '';
    let code = read(numBits);
    if (code === 2) return result.join('');
    if (code === 0 || code === 1) {
      dictionary[dictSize++] = String.fromCharCode(read(code === 0 ? 8 : 16));
      code = dictSize - 1;
      enlargeIn--;
    }
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
    let entry: string;
    if (code < dictSize && dictionary[code] !== undefined) entry = dictionary[code];
    else if (code === dictSize) entry = w + w.charAt(0);
    else return null;
    total += entry.length;
    if (total > max) return { tooBig: true };
    result.push(entry);
    dictionary[dictSize++] = w + entry.charAt(0);
    enlargeIn--;
    w = entry;
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
}

/**
 * Scenario versions the lab knows: today only version 1. A newer version cannot be replayed; an
 * older one would be migrated here (none exists yet).
 */
function migrate(raw: unknown): { scenario: UrlScenario; problem: string | null } {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const v = (raw as { version?: unknown }).version;
    if (typeof v === 'number' && Number.isInteger(v) && v > SCENARIO_VERSION) {
      return { scenario: null, problem: `this link holds a version ${v} scenario, made by a newer lab; this one reads version ${SCENARIO_VERSION}` };
    }
  }
  return { scenario: { kind: 'inline', raw }, problem: null };
}

/**
 * The share URL of a scenario at a cursor and window (and the run's hash, to detect drift). In a
 * lesson it names the lesson and step instead of a cursor and window, and carries the scenario only
 * when it is not the lesson's own.
 */
export function shareUrl(
  base: string,
  raw: unknown,
  state: { cursor: number; view: { t0: number; t1: number }; hash: string | null; theme?: string; embed?: boolean; lesson?: { id: string; step: number; own: boolean } | null },
): string {
  const q = new URLSearchParams();
  if (state.embed) q.set('embed', '1');
  if (state.theme && state.theme !== 'light') q.set('theme', state.theme);
  if (state.lesson) {
    q.set('lesson', state.lesson.id);
    q.set('step', String(state.lesson.step + 1));
    if (state.lesson.own) return `${base}?${q.toString()}`;
  } else {
    q.set('t', String(Math.round(state.cursor)));
    q.set('view', `${Math.round(state.view.t0)},${Math.round(state.view.t1)}`);
  }
  if (state.hash) q.set('h', state.hash);
  return `${base}?${q.toString()}#s=${LZString.compressToEncodedURIComponent(JSON.stringify(raw))}`;
}

/** The page's query with the lesson and step set (or removed, for null), other parameters kept. */
export function withLesson(search: string, lesson: string | null, step: number): string {
  const q = new URLSearchParams(search);
  if (lesson) {
    q.set('lesson', lesson);
    q.set('step', String(step + 1));
    // the lesson places the cursor and window itself
    q.delete('t');
    q.delete('view');
  } else {
    q.delete('lesson');
    q.delete('step');
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
