/**
 * The course: every lesson in order, looked up by id, and the scenario each one runs (its preset
 * with the lesson's patch merged in).
 */
import { presetById } from '../model/presets.ts';
import type { Lesson } from './types.ts';
import { classicCost } from './content/01-classic-cost.ts';
import { luoKho } from './content/02-luo-kho.ts';
import { caretakerEnterGuest } from './content/03-caretaker-enter-guest.ts';
import { detaching } from './content/04-detaching.ts';
import { lifeInTheGap } from './content/05-life-in-the-gap.ts';
import { cannotHelp } from './content/06-cannot-help.ts';
import { tracing } from './content/07-tracing.ts';
import { adoption } from './content/08-adoption.ts';
import { madviseFree } from './content/09-madvise-free.ts';
import { prototypeOncore } from './content/10-prototype-oncore.ts';
import { designDebate } from './content/11-design-debate.ts';

export const LESSONS: readonly Lesson[] = [classicCost, luoKho, caretakerEnterGuest, detaching, lifeInTheGap, cannotHelp, tracing, adoption, madviseFree, prototypeOncore, designDebate].sort((a, b) => a.order - b.order);

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `patch` merged into `base`: objects merge key by key, anything else (arrays too) replaces. */
export function merged(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(patch)) out[k] = k in out ? merged(out[k], v) : structuredClone(v);
  return out;
}

/** The scenario a lesson runs, as JSON input. */
export function lessonScenario(l: Lesson): Record<string, unknown> {
  const preset = presetById(l.scenario.preset);
  if (!preset) throw new Error(`lesson ${l.id}: no preset "${l.scenario.preset}"`);
  return (l.scenario.patch ? merged(preset.scenario, l.scenario.patch) : structuredClone(preset.scenario)) as Record<string, unknown>;
}
