// Property tests over generated valid scenarios: without faults, no invariant is violated under
// converged or classic, and every exit is accounted for (counted once, logged once, and each
// stalled exit handled, pending or reported lost with its VM).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { L } from '../src/model/eventlog.ts';
import { parseScenario } from '../src/model/scenario.ts';
import { Simulation } from '../src/sim/simulation.ts';

const ms = (n: number) => `${n}ms`;

export const scenarioArb = (design: 'converged' | 'classic') =>
  fc
    .record({
      seed: fc.nat(1_000_000),
      cpus: fc.integer({ min: 4, max: 12 }),
      vms: fc.array(
        fc.record({
          vcpus: fc.integer({ min: 1, max: 3 }),
          profile: fc.constantFrom('idle', 'cpu-bound', 'ipi-heavy'),
          scale: fc.double({ min: 0.01, max: 0.3, noNaN: true }),
          lazy: fc.boolean(),
          emulated: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
          irqs: fc.option(fc.record({ rate: fc.integer({ min: 1, max: 400 }), posted: fc.boolean() }), { nil: undefined }),
          tlb: fc.constantFrom(0, 0, 5, 50),
          optIn: fc.constantFrom(true, true, true, false),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      preserveAt: fc.integer({ min: 50, max: 800 }),
      then: fc.constantFrom('kexec', 'cancel', 'none'),
      gap: fc.integer({ min: 300, max: 2500 }),
      policy: fc.constantFrom('fastpath', 'strict'),
      hlt: fc.constantFrom('skip', 'disable-intercepts'),
      arch: fc.constantFrom('intel-vmx', 'amd-svm', 'arm64'),
      ipiv: fc.boolean(),
    })
    .map((g) => {
      const isolated = g.cpus - 2;
      let used = 0;
      const vms = g.vms
        .filter((v) => (used + v.vcpus <= isolated ? ((used += v.vcpus), true) : false))
        .map((v, i) => ({
          name: `vm${i}`,
          vcpus: v.vcpus,
          optIn: v.optIn,
          memory: v.lazy ? 'lazy' : 'prefaulted',
          devices: [
            ...(v.emulated ? [{ name: 'virtio0', kind: 'emulated', accessesPerSec: v.emulated, vcpus: [0] }] : []),
            ...(v.irqs ? [{ name: 'nvme0', kind: 'passthrough', interruptsPerSec: v.irqs.rate, postedInterrupts: v.irqs.posted }] : []),
          ],
          workload: { profile: v.profile, scale: v.scale, tlbShootdownsPerSec: v.tlb, newPageTouchesPerSec: 20 },
        }));
      const steps: Record<string, unknown>[] = [{ at: ms(g.preserveAt), action: 'preserve' }];
      if (g.then === 'kexec') steps.push({ at: ms(g.preserveAt + 300), action: 'kexec' });
      if (g.then === 'cancel') steps.push({ at: ms(g.preserveAt + 300), action: 'cancel' });
      return {
        version: 1,
        seed: g.seed,
        design,
        host: { arch: g.arch, cpus: g.cpus, housekeeping: '0-1', features: { ipiv: g.ipiv, avic: g.ipiv, gicv41: g.ipiv } },
        vms: vms.length ? vms : [{ name: 'vm0', vcpus: 1 }],
        caretaker: { policy: g.policy, hlt: g.hlt },
        timing: { kexecGap: ms(g.gap), earlyBoot: ms(Math.floor(g.gap / 3)) },
        steps,
        until: ms(g.preserveAt + g.gap + 900),
      };
    });

function checkRun(raw: Record<string, unknown>) {
  const parsed = parseScenario(raw);
  expect(parsed.ok, JSON.stringify(parsed.ok ? '' : parsed.errors)).toBe(true);
  if (!parsed.ok) return;
  const sim = new Simulation(parsed.scenario);
  sim.runUntil(parsed.scenario.until);
  const r = sim.report();
  expect(r.invariants.violations).toEqual([]);
  // every counted exit is logged once, and every logged exit is counted
  const logged = new Map<number, number>();
  for (let i = 0; i < sim.log.length; i++) if (sim.log.kind(i) === L.EXIT) logged.set(sim.log.subject(i), (logged.get(sim.log.subject(i)) ?? 0) + 1);
  sim.raw.st.vcpus.forEach((vc, v) => {
    const rep = r.vcpus[v];
    let total = 0;
    let stalled = 0;
    for (const c of Object.values(rep.exits)) {
      expect(c.total).toBe(c.fastpath + c.stalled + c.host + c.userspace);
      total += c.total;
      stalled += c.stalled;
    }
    expect(logged.get(vc.ent) ?? 0).toBe(total);
    expect(stalled).toBe(vc.stalledHandled + rep.pendingExits + rep.lostExits);
    expect(rep.guestNs).toBeLessThanOrEqual(r.engine.nowNs);
    expect(rep.progressNs).toBeLessThanOrEqual(rep.guestNs + 1);
  });
  for (const vm of r.vms) {
    expect(vm.blackoutNs).toBeLessThanOrEqual(vm.pauseNs);
    expect(vm.pauseNs).toBeLessThanOrEqual(r.engine.nowNs);
  }
  expect(r.trace.produced).toBe(r.trace.consumed + r.trace.dropped + r.trace.pending);
  if (r.outcome === 'completed') expect(r.vms.every((v) => !v.terminated)).toBe(true);
}

describe('properties of generated scenarios', () => {
  it('converged without faults: no invariant violated, every exit accounted for', () => {
    fc.assert(fc.property(scenarioArb('converged'), checkRun), { numRuns: 60, seed: 20261126 });
  });
  it('classic without faults: the same', () => {
    fc.assert(fc.property(scenarioArb('classic'), checkRun), { numRuns: 30, seed: 7 });
  });
});
