// Replaying a measured inter-arrival shape (vms[].workload.interArrival, as `import` prints it
// from a trace): the rates still set the mean, the shape sets the burstiness; bad shapes are
// rejected with their JSON path.
import { describe, expect, it } from 'vitest';
import { parseScenario, quantileMean } from '../src/model/scenario.ts';
import { Simulation } from '../src/sim/simulation.ts';

function run(workload: Record<string, unknown>, until = '4s') {
  const r = parseScenario({ version: 1, design: 'classic', steps: [], until, vms: [{ name: 'vm0', vcpus: 1, workload }] });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const sim = new Simulation(r.scenario);
  sim.runUntil(r.scenario.until);
  return sim.report();
}
const hlt = (rep: ReturnType<typeof run>) => rep.vcpus[0].exits.HLT?.total ?? 0;

describe('measured inter-arrival shapes', () => {
  const only = { HLT: 1000, 'MSR_WRITE/TSC_DEADLINE': 0, PREEMPTION_TIMER: 0, EXTERNAL_INTERRUPT: 0 };

  it('the mean of evenly spaced quantiles is the average of the trapezoids between them', () => {
    expect(quantileMean([5, 5])).toBe(5);
    expect(quantileMean([0, 0, 0, 0, 4])).toBe(0.5);
    expect(quantileMean([0, 1, 2])).toBe(1);
  });

  it('a constant shape makes a periodic stream at the rate: 1 ms apart after each exit', () => {
    const rep = run({ rates: only, interArrival: [7, 7] });
    // 4 s at 1,000/s, each gap starting after a ~1 µs host exit
    expect(hlt(rep)).toBeGreaterThanOrEqual(3990);
    expect(hlt(rep)).toBeLessThanOrEqual(4000);
  });

  it('a bursty shape keeps the mean rate but not the Poisson count', () => {
    const bursty = hlt(run({ rates: only, interArrival: [0, 0, 0, 0, 1, 2, 3, 4, 40] }, '20s'));
    const poisson = hlt(run({ rates: only }, '20s'));
    expect(bursty / 20000).toBeGreaterThan(0.95);
    expect(bursty / 20000).toBeLessThan(1.05);
    expect(bursty).not.toBe(poisson);
  });

  it('is deterministic: the same shape and seed give the same event log', () => {
    const a = run({ rates: only, interArrival: [0, 10, 30, 100] }, '1s');
    const b = run({ rates: only, interArrival: [0, 10, 30, 100] }, '1s');
    expect(a.engine.eventLogHash).toBe(b.engine.eventLogHash);
    expect(a.engine.eventLogHash).not.toBe(run({ rates: only }, '1s').engine.eventLogHash);
  });

  it('rejects quantiles out of order and a shape that is all zeros, by JSON path', () => {
    const bad = (interArrival: unknown) => {
      const r = parseScenario({ version: 1, vms: [{ name: 'vm0', vcpus: 1, workload: { interArrival } }] });
      return r.ok ? [] : r.errors;
    };
    expect(bad([1, 5, 3])).toEqual([{ path: '$.vms[0].workload.interArrival[2]', message: 'expected quantiles in ascending order, got 3 after 5' }]);
    expect(bad([0, 0])).toEqual([{ path: '$.vms[0].workload.interArrival', message: 'expected some gap above 0 ns: every quantile is 0' }]);
    expect(bad([4])[0].path).toBe('$.vms[0].workload.interArrival');
  });
});
