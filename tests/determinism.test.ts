// Same scenario and seed give the same event log hash; seeking backwards re-runs to the same
// state as a fresh run; step() and runUntil() agree.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.ts';
import { presetScenario, resolve, runPreset } from './helpers.ts';

describe('determinism', () => {
  it('same scenario and seed twice give the same eventLogHash; another seed a different one', () => {
    const a = runPreset('converged-idle').report();
    const b = runPreset('converged-idle').report();
    const c = runPreset('converged-idle', { seed: 2 }).report();
    expect(a.engine.eventLogHash).toMatch(/^[0-9a-f]{16}$/);
    expect(b.engine.eventLogHash).toBe(a.engine.eventLogHash);
    expect(b.engine.events).toBe(a.engine.events);
    expect(c.engine.eventLogHash).not.toBe(a.engine.eventLogHash);
  });

  it('every preset is deterministic', async () => {
    const { PRESETS } = await import('../src/model/presets.ts');
    for (const p of PRESETS) {
      expect(runPreset(p.id).report().engine.eventLogHash, p.id).toBe(runPreset(p.id).report().engine.eventLogHash);
    }
  });

  it('seek backwards restores a checkpoint and re-runs to the same state as a fresh run', () => {
    const sc = resolve(presetScenario('converged-idle'));
    const fresh = new Simulation(sc);
    fresh.runUntil(5_123_456_789);
    const expected = fresh.snapshot();

    const sim = new Simulation(sc);
    sim.runUntil(11_000_000_000);
    sim.seek(5_123_456_789);
    expect(sim.now).toBe(5_123_456_789);
    expect(sim.snapshot()).toEqual(expected);
    // and forwards again to the same end as a straight run
    sim.runUntil(sc.until);
    expect(sim.report()).toEqual(runPreset('converged-idle').report());
  });

  it('seek to 0 and to a mid-instant point of the protocol', () => {
    const sc = resolve(presetScenario('dropped-attach-ipi'));
    const sim = new Simulation(sc, { checkpointEvery: 100_000_000 });
    sim.runUntil(sc.until);
    sim.seek(0);
    expect(sim.snapshot().events).toBe(new Simulation(sc).snapshot().events);
    sim.seek(9_690_500_000);
    const fresh = new Simulation(sc);
    fresh.runUntil(9_690_500_000);
    expect(sim.snapshot()).toEqual(fresh.snapshot());
  });

  it('step() one event at a time ends where runUntil() does', () => {
    const sc = resolve(presetScenario('cancel-cycle', { until: '1.3s', steps: [{ at: '1s', action: 'preserve' }] }));
    const a = new Simulation(sc);
    let n = 0;
    while (a.step()) n++;
    const b = new Simulation(sc);
    b.runUntil(sc.until);
    expect(n).toBeGreaterThan(100);
    expect(a.report()).toEqual(b.report());
  });
});
