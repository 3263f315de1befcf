// Every fault kind of docs/scenario.md under `converged`, each with the outcome that page
// documents and the invariant it breaks, if any (issue 3: "each fault produces its documented
// outcome"). Design-specific variants live beside their designs (rfcv1, rfc-v0, async-run, kexec-fail).
import { describe, expect, it } from 'vitest';
import { INV } from '../src/model/invariants.ts';
import { execChanges, presetScenario, runPreset, runRaw, s } from './helpers.ts';

const base = runPreset('converged-idle').report();
const withFaults = (faults: unknown[], patch: Record<string, unknown> = {}) => runRaw(presetScenario('converged-idle', { faults, ...patch }));

describe('faults under converged', () => {
  it('drop-ipi: the lost attach IPI is counted, re-kicked after 1 ms; adoption 1 ms later, nothing broken', () => {
    const sim = withFaults([{ kind: 'drop-ipi', at: '9s', cpu: 3, purpose: 'attach' }]);
    const r = sim.report();
    expect(sim.raw.st.ipis.filter((i) => i.status === 'lost').map((i) => [i.purpose, i.to])).toEqual([['attach', 3]]);
    expect(r.phases.adopted).toBe(base.phases.adopted! + s(0.001));
    expect(r.invariants.violations).toEqual([]);
    expect(r.outcome).toBe('completed');
  });
  it('delay-ipi: a detach IPI 300 µs late delays that vCPU\'s detach by as much; no re-kick', () => {
    const sim = withFaults([{ kind: 'delay-ipi', at: '0.5s', cpu: 2, purpose: 'detach', by: '300us' }]);
    const detach = sim.raw.st.ipis.filter((i) => i.purpose === 'detach');
    expect(detach.map((i) => i.arriveAt - i.sentAt)).toEqual([s(0.0003) + 1000, 1000]);
    const stop = (r: ReturnType<typeof runRaw>) => execChanges(r, 'vm0/vCPU0').find((x) => !x.running)!.t;
    expect(stop(sim) - stop(runPreset('converged-idle'))).toBe(s(0.0003));
    expect(sim.report().invariants.violations).toEqual([]);
  });
  it('delay-ipi beyond the 1 ms re-kick: the host kicks again and the first kick to arrive wins', () => {
    const sim = withFaults([{ kind: 'delay-ipi', at: '9s', cpu: 3, purpose: 'attach', by: '5ms' }]);
    const attach = sim.raw.st.ipis.filter((i) => i.purpose === 'attach' && i.to === 3);
    expect(attach.length).toBeGreaterThanOrEqual(2);
    expect(sim.report().phases.adopted).toBe(base.phases.adopted! + s(0.001));
    expect(sim.report().invariants.violations).toEqual([]);
  });
  it('wedge-cpu: attach times out after 2 s, the vCPU is quarantined, the VM terminated; no invariant broken', () => {
    const r = withFaults([{ kind: 'wedge-cpu', at: '5s', cpu: 3 }]).report();
    expect(r.outcome).toBe('vm-terminated');
    expect(r.vcpus[1].state).toBe('TERMINATED');
    expect(r.invariants.violations).toEqual([]);
  });
  it('host-nmi: the Caretaker\'s NMI vector returns; one fastpath EXCEPTION_NMI, nothing else changes', () => {
    const r = withFaults([{ kind: 'host-nmi', at: '5s', cpu: 2 }]).report();
    expect(r.vcpus[0].gapExits.EXCEPTION_NMI).toEqual({ total: 1, fastpath: 1, stalled: 0, host: 0, userspace: 0 });
    expect(r.vcpus[0].stalledNs).toBe(0);
    expect(r.vms[0].blackoutNs).toBe(base.vms[0].blackoutNs);
    expect(r.invariants.violations).toEqual([]);
  });
  it('host-mce: the #MC vector parks the core in a known state; the vCPU stalls until adoption', () => {
    const r = withFaults([{ kind: 'host-mce', at: '5s', cpu: 2 }]).report();
    expect(r.vcpus[0].gapExits.EXCEPTION_NMI.stalled).toBe(1);
    expect(r.vcpus[0].longestStallNs).toBeGreaterThan(r.phases.adopted! - s(5) - s(0.01));
    expect(r.vcpus[0].pendingExits).toBe(0);
    expect(r.outcome).toBe('completed');
    expect(r.invariants.violations).toEqual([]);
  });
  it('madvise-free: with the MMU-notifier kick the pages are freed safely (invariant 7 holds)', () => {
    const r = runPreset('madvise-free').report();
    expect(r.invariants.violations).toEqual([]);
  });
  it('feature-mismatch before the point of no return cancels the update; after it terminates the VM', () => {
    expect(runPreset('feature-mismatch-before-ponr').report().outcome).toBe('cancelled');
    const after = runPreset('feature-mismatch-adoption').report();
    expect(after.outcome).toBe('vm-terminated');
    expect(after.invariants.violations).toEqual([]);
  });
  it('tsc-reset: the new kernel loses the TSC offset: invariant 9', () => {
    const r = withFaults([{ kind: 'tsc-reset' }]).report();
    expect(r.invariants.violations.map((v) => v.id)).toEqual([INV.TIME_MONOTONIC]);
  });
  it('vmm-slow-restart: the vCPUs keep running under their Caretakers; only adoption moves', () => {
    const r = withFaults([{ kind: 'vmm-slow-restart', vm: 'vm0', delay: '2s' }], { until: '14s' }).report();
    expect(r.phases.adopted).toBe(base.phases.adopted! + s(2));
    expect(r.vms[0].blackoutNs).toBe(base.vms[0].blackoutNs);
    expect(r.invariants.violations).toEqual([]);
    // under classic the same delay is guest downtime
    const classic = runRaw(presetScenario('classic-baseline', { faults: [{ kind: 'vmm-slow-restart', vm: 'vm0', delay: '2s' }], until: '14s' })).report();
    expect(classic.vms[0].blackoutNs).toBe(runPreset('classic-baseline').report().vms[0].blackoutNs + s(2));
  });
  it('trace ring overflow: records dropped and counted; produced = consumed + dropped + pending', () => {
    const r = runPreset('trace-ring-overflow').report();
    expect(r.trace.dropped).toBeGreaterThan(0);
    expect(r.trace.produced).toBe(r.trace.consumed + r.trace.dropped + r.trace.pending);
    expect(r.invariants.violations).toEqual([]);
  });
});
