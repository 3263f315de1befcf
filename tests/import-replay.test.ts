// An imported profile is a workload the engine replays: `vms[0].workload` in a scenario passes
// parseScenario and runs through Simulation, from a trace (rates and the measured inter-arrival
// shape) and from a table (rates only).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildProfile, importExits, type ProfileOptions } from '../src/model/importers/index.ts';
import { parseScenario, type ResolvedScenario } from '../src/model/scenario.ts';
import { Simulation } from '../src/sim/simulation.ts';

const FIXTURES = join(new URL('.', import.meta.url).pathname, 'fixtures', 'real-exits');

function workloadOf(name: string, opts: ProfileOptions = {}) {
  const buf = readFileSync(join(FIXTURES, name));
  const b = buildProfile(importExits((name.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8'), name), opts);
  if (!b.ok) throw new Error(b.error);
  return b.profile.workload!;
}

function scenario(raw: Record<string, unknown>): ResolvedScenario {
  const r = parseScenario(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

describe('imported profiles replay', () => {
  it('a trace profile: rates and interArrival, 1 s of one vCPU, exits as the trace had them', () => {
    const workload = workloadOf('trace-cmd-report-kvm_exit-intel-i7-13800H-rt-guest-normal-hip24-masterarbeit.txt.gz');
    expect(workload.interArrival).toHaveLength(101);
    const sc = scenario({ version: 1, design: 'classic', steps: [], until: '1s', vms: [{ name: 'vm0', vcpus: 1, workload }] });
    expect(sc.vms[0].interArrival).not.toBeNull();
    const sim = new Simulation(sc);
    sim.runUntil(sc.until);
    const rep = sim.report();
    expect(rep.invariants.violations).toEqual([]);
    const exits = rep.vcpus[0].exits;
    // every exit kind the trace has at a rate of 10/s or more shows up; kinds it lacks do not
    for (const [id, r] of Object.entries(workload.rates)) {
      if (r >= 10) expect(exits[id]?.total ?? 0, id).toBeGreaterThan(0);
      if (r === 0) expect(exits[id]?.total ?? 0, id).toBe(0);
    }
    const total = Object.values(exits).reduce((a, c) => a + c.total, 0);
    const rate = Object.values(workload.rates).reduce((a, b) => a + b, 0);
    expect(total / rate).toBeGreaterThan(0.5);
    expect(total / rate).toBeLessThan(1.5);
  });

  it('a table profile under the converged design with a live update: it runs to the end', () => {
    // `./kvmexit.py -t 1273819 10`: one vCPU thread for 10 s
    const workload = workloadOf('bcc-kvmexit-counts-intel-iovisor-example.txt', { table: 7 });
    expect(workload.interArrival).toBeUndefined();
    const sc = scenario({
      version: 1,
      design: 'converged',
      until: '3s',
      steps: [
        { at: '500ms', action: 'preserve' },
        { at: '600ms', action: 'kexec' },
      ],
      vms: [{ name: 'vm0', vcpus: 2, workload }],
    });
    const sim = new Simulation(sc);
    sim.runUntil(sc.until);
    const rep = sim.report();
    expect(rep.invariants.violations).toEqual([]);
    expect(rep.vcpus.every((v) => (v.exits['MSR_WRITE/TSC_DEADLINE']?.total ?? 0) > 0)).toBe(true);
  });
});
