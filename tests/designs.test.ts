// Every design runs every preset that applies to it: each preset under each design either is
// refused with the kernel's reason (a layout that design cannot run) or runs to its end without
// an engine error and without breaking the bookkeeping invariants no design may break.
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../src/model/presets.ts';
import { DESIGNS, parseScenario } from '../src/model/scenario.ts';
import { INV } from '../src/model/invariants.ts';
import { toRaw } from '../src/sim/host.ts';
import { Simulation } from '../src/sim/simulation.ts';
import { resolve } from './helpers.ts';

/** Exit accounting, trace conservation and IPI accounting hold under any design and fault. */
const BOOKKEEPING: number[] = [INV.NO_LOST_EXIT, INV.TRACE_CONSERVED, INV.IPI_ACCOUNTED, INV.ONE_OWNER];
const HEAVY = new Set(['bench-64x20k', 'scale-64-vcpus']);

describe('every design runs every preset that applies to it', () => {
  for (const p of PRESETS.filter((x) => !HEAVY.has(x.id))) {
    it(p.id, () => {
      const sc = resolve(p.scenario);
      const refused: string[] = [];
      for (const design of DESIGNS) {
        const r = parseScenario(toRaw(sc, design));
        if (!r.ok) {
          // only a pinning the design cannot take: vCPUs sharing a pCPU outside rfcv1
          for (const e of r.errors) expect(e.message, `${p.id} under ${design}`).toMatch(/-EBUSY/);
          refused.push(design);
          continue;
        }
        const sim = new Simulation(r.scenario);
        sim.runUntil(r.scenario.until);
        const rep = sim.report();
        expect(rep.engine.nowNs).toBe(r.scenario.until);
        const broken = rep.invariants.violations.filter((v) => BOOKKEEPING.includes(v.id));
        expect(broken, `${p.id} under ${design}`).toEqual([]);
      }
      // the preset's own design always runs it
      expect(refused).not.toContain(sc.design);
    });
  }
});
