/**
 * Serves SimRequests against one Simulation: the same code answers in process (tests, the CLI)
 * and inside the Web Worker.
 */
import { parseScenario } from '../model/scenario.ts';
import { Simulation } from './simulation.ts';
import type { SimRequest, SimResponse } from './protocol.ts';

export class SimHost {
  private sim: Simulation | null = null;

  handle(req: SimRequest): SimResponse {
    try {
      if (req.op === 'load') {
        const r = parseScenario(req.scenario);
        if (!r.ok) return { op: 'load', result: { ok: false, errors: r.errors } };
        this.sim = new Simulation(r.scenario);
        return { op: 'load', result: { ok: true, until: r.scenario.until, title: r.scenario.title, design: r.scenario.design } };
      }
      const sim = this.sim;
      if (!sim) return { op: 'error', message: 'no scenario loaded' };
      switch (req.op) {
        case 'runUntil':
          sim.runUntil(req.t);
          return { op: 'snapshot', snapshot: sim.snapshot() };
        case 'seek':
          sim.seek(req.t);
          return { op: 'snapshot', snapshot: sim.snapshot() };
        case 'step':
          sim.step();
          return { op: 'snapshot', snapshot: sim.snapshot() };
        case 'snapshot':
          return { op: 'snapshot', snapshot: sim.snapshot() };
        case 'report':
          return { op: 'report', report: sim.report() };
      }
    } catch (e) {
      return { op: 'error', message: e instanceof Error ? e.message : String(e) };
    }
  }
}
