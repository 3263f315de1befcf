/**
 * The composition root of a run: a Simulation over the engine with step(), runUntil(), seek()
 * (backwards too, by restoring the nearest checkpoint and re-running deterministically),
 * snapshot() and report(). Runs the same in Node, a Web Worker and Vitest.
 */
import type { Ns } from '../base/time.ts';
import { Engine } from '../model/engine/engine.ts';
import type { SimState } from '../model/engine/state.ts';
import { buildReport, type RunReport } from '../model/report.ts';
import { buildSnapshot, type SimSnapshot } from '../model/snapshot.ts';
import type { ResolvedScenario } from '../model/scenario.ts';
import type { EventLog } from '../model/eventlog.ts';

interface Checkpoint {
  t: Ns;
  st: SimState;
  mark: ReturnType<EventLog['mark']>;
}

export interface SimulationOptions {
  /** Simulated time between checkpoints (default: until / 24, at least 1 ms). */
  checkpointEvery?: Ns;
}

export class Simulation {
  readonly scenario: ResolvedScenario;
  private engine: Engine;
  private checkpoints: Checkpoint[] = [];
  private readonly every: Ns;

  constructor(scenario: ResolvedScenario, opts: SimulationOptions = {}) {
    this.scenario = scenario;
    this.engine = new Engine(scenario);
    this.every = Math.max(1_000_000, opts.checkpointEvery ?? Math.ceil(scenario.until / 24));
    this.save();
  }

  get now(): Ns {
    return this.engine.st.now;
  }
  get until(): Ns {
    return this.scenario.until;
  }
  get log(): EventLog {
    return this.engine.log;
  }
  /** The engine, for read-only inspection (tests, exporters). */
  get raw(): Engine {
    return this.engine;
  }

  /** Handles the next event; false at the end of the run. */
  step(): boolean {
    return this.engine.step();
  }

  /** Runs forward to `t` (clamped to the run's end), taking checkpoints on the way. */
  runUntil(t: Ns): void {
    const target = Math.min(t, this.scenario.until);
    const e = this.engine;
    for (;;) {
      const next = Math.min(target, (Math.floor(e.st.now / this.every) + 1) * this.every);
      e.runUntil(next);
      const last = this.checkpoints[this.checkpoints.length - 1].t;
      if (e.st.now % this.every === 0 && e.st.now > last) this.save();
      if (next >= target) break;
    }
  }

  /** Moves to `t`, forwards or backwards; the result is identical to a fresh run to `t`. */
  seek(t: Ns): void {
    const target = Math.max(0, Math.min(t, this.scenario.until));
    if (target >= this.engine.st.now) {
      this.runUntil(target);
      return;
    }
    let cp = this.checkpoints[0];
    for (const c of this.checkpoints) if (c.t <= target) cp = c;
    this.engine.st = structuredClone(cp.st);
    this.engine.log.rewind(cp.mark);
    this.checkpoints = this.checkpoints.filter((c) => c.t <= cp.t);
    this.runUntil(target);
  }

  report(): RunReport {
    return buildReport(this.engine);
  }

  snapshot(): SimSnapshot {
    return buildSnapshot(this.engine);
  }

  private save(): void {
    this.checkpoints.push({ t: this.engine.st.now, st: structuredClone(this.engine.st), mark: this.engine.log.mark() });
  }
}
