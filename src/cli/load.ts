/**
 * Loading a scenario for the command line: a preset id or a JSON file, validated; every problem
 * is a BadInput that names the file, the JSON path or line, and what was expected (exit 2).
 */
import { readFile } from 'node:fs/promises';
import { parseJson } from '../base/jsonpos.ts';
import { parseDuration, type Ns } from '../base/time.ts';
import { PRESETS, presetById } from '../model/presets.ts';
import { parseScenario, type ResolvedScenario } from '../model/scenario.ts';

/** Bad input from the user: the command prints its message and exits 2. */
export class BadInput extends Error {}

/** `--<name> <v>`: a duration ("1.5s", "250ms") or integer ns, at most 10 minutes; `positive` refuses 0. */
export function durationOption(name: string, v: string, positive = false): Ns {
  const ns = parseDuration(/^\d+$/.test(v) ? Number(v) : v);
  if (ns === null || (positive && ns <= 0) || ns > 600_000_000_000) {
    throw new BadInput(`--${name} ${JSON.stringify(v)}: expected a duration such as "1.5s" or "250ms" (or integer ns), at most 10 minutes`);
  }
  return ns;
}

/** `--seed <v>`: a PRNG seed. */
export function seedOption(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n > 4294967295) throw new BadInput(`--seed ${JSON.stringify(v)}: expected an integer from 0 to 4294967295`);
  return n;
}

/** Reads a scenario from a preset id or a file. */
export async function loadScenario(arg: string): Promise<{ raw: unknown; where: string }> {
  const preset = presetById(arg);
  if (preset) return { raw: structuredClone(preset.scenario), where: `preset ${arg}` };
  const looksLikeFile = /[./\\]/.test(arg) || arg.endsWith('.json');
  if (!looksLikeFile) throw new BadInput(`unknown preset ${JSON.stringify(arg)}; valid presets: ${PRESETS.map((p) => p.id).join(', ')}`);
  let text: string;
  try {
    text = await readFile(arg, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInput(`${arg}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e))})`);
  }
  const parsed = parseJson(text);
  if (!parsed.ok) throw new BadInput(`${arg}: not valid JSON: ${parsed.error}`);
  return { raw: parsed.value, where: arg };
}

/** Validates a loaded scenario; `seed` and `until` override the file's when given. */
export function resolveOrFail(raw: unknown, where: string, over: { seed?: number | null; until?: number | null } = {}): ResolvedScenario {
  const r = parseScenario(raw);
  if (!r.ok) throw new BadInput(`${where}: invalid scenario\n${r.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
  const sc = r.scenario;
  if (over.seed !== null && over.seed !== undefined) sc.seed = over.seed;
  if (over.until !== null && over.until !== undefined) {
    sc.until = over.until;
    sc.steps = sc.steps.filter((s) => s.at <= sc.until);
  }
  return sc;
}
