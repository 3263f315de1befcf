// Shared test helpers: run a preset or scenario to its end and read the event log.
import { parseScenario, type ResolvedScenario } from '../src/model/scenario.ts';
import { presetById } from '../src/model/presets.ts';
import { Simulation } from '../src/sim/simulation.ts';
import { L } from '../src/model/eventlog.ts';

export function resolve(raw: unknown): ResolvedScenario {
  const r = parseScenario(raw);
  if (!r.ok) throw new Error(`invalid scenario: ${JSON.stringify(r.errors)}`);
  return r.scenario;
}

export function presetScenario(id: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const p = presetById(id);
  if (!p) throw new Error(`no preset ${id}`);
  return { ...structuredClone(p.scenario), ...patch };
}

export function runRaw(raw: unknown): Simulation {
  const sim = new Simulation(resolve(raw));
  sim.runUntil(sim.until);
  return sim;
}

export function runPreset(id: string, patch: Record<string, unknown> = {}): Simulation {
  return runRaw(presetScenario(id, patch));
}

export interface LoggedTransition {
  t: number;
  entity: string;
  event: string;
  from: string;
  to: string;
}

/** Every machine transition in the log, with entity names. */
export function transitions(sim: Simulation): LoggedTransition[] {
  const log = sim.log;
  const ents = sim.raw.st.ents;
  const out: LoggedTransition[] = [];
  for (let i = 0; i < log.length; i++) {
    if (log.kind(i) !== L.TRANSITION) continue;
    const b = log.b(i);
    out.push({ t: log.time(i), entity: ents[log.subject(i)].name, event: log.strings[log.a(i)], from: log.strings[b >>> 16], to: log.strings[b & 0xffff] });
  }
  return out;
}

/** The first instant an entity entered a state (optionally after t0). */
export function firstEntry(sim: Simulation, entity: string, state: string, t0 = 0): number | undefined {
  return transitions(sim).find((x) => x.entity === entity && x.to === state && x.t >= t0)?.t;
}

/** Instants a vCPU started (1) or stopped (0) executing guest code. */
export function execChanges(sim: Simulation, vcpu: string): { t: number; running: boolean; why: string }[] {
  const log = sim.log;
  const ents = sim.raw.st.ents;
  const out: { t: number; running: boolean; why: string }[] = [];
  for (let i = 0; i < log.length; i++) {
    if (log.kind(i) === L.EXEC && ents[log.subject(i)].name === vcpu) out.push({ t: log.time(i), running: log.a(i) === 1, why: log.strings[log.b(i)] });
  }
  return out;
}

export const s = (x: number) => Math.round(x * 1e9);
