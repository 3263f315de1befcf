// The engine against the walkthrough (../shared/walkthrough.md, copied in docs/walkthrough.md):
// every instant of the default scenario under converged and classic, and the fault variants.
import { describe, expect, it } from 'vitest';
import { execChanges, firstEntry, runPreset, s, transitions } from './helpers.ts';

describe('converged, default scenario (walkthrough §2)', () => {
  const sim = runPreset('converged-idle');
  const r = sim.report();

  it('reaches every phase at the walkthrough instants', () => {
    expect(r.outcome).toBe('completed');
    expect(r.phases).toEqual({ preserve: s(1.0), kexec: s(1.55), newKernelUp: s(9.55), adopted: s(9.692112), finish: s(9.702117) });
  });

  it('detaches vCPU0 by IPI, known state, remove_cpu and INIT/SIPI (steps 2-5)', () => {
    expect(firstEntry(sim, 'vm0/vCPU0', 'DETACHING')).toBe(s(1.2));
    const ex = execChanges(sim, 'vm0/vCPU0');
    const stop = ex.find((x) => !x.running && x.t >= s(1.2))!;
    expect(stop.t).toBe(s(1.200001));
    expect(firstEntry(sim, 'C2', 'PARKED')).toBe(s(1.200006));
    expect(firstEntry(sim, 'CPU 2', 'OFFLINE')).toBe(s(1.205006));
    expect(firstEntry(sim, 'CPU 2', 'CARETAKER')).toBe(s(1.20505));
    expect(firstEntry(sim, 'C2', 'DETACHED')).toBe(s(1.20505));
    expect(firstEntry(sim, 'vm0/vCPU0', 'ORPHANED_RUNNING')).toBe(s(1.20505));
    const back = ex.find((x) => x.running && x.t > stop.t)!;
    expect(back.t - stop.t).toBe(5_049_000); // paused 5.049 ms
  });

  it('detaches vCPU1 after vCPU0 (step 6) and the old VMM exits at the point of no return', () => {
    expect(firstEntry(sim, 'vm0/vCPU1', 'ORPHANED_RUNNING')).toBe(s(1.2101));
    expect(firstEntry(sim, 'VMM vm0', 'PRESERVED')).toBe(s(1.2101));
    expect(firstEntry(sim, 'VMM vm0', 'EXITED')).toBe(s(1.55));
  });

  it('goes down and comes up through the kernel phases (steps 8-10)', () => {
    expect(firstEntry(sim, 'K (old kernel)', 'FREEZE')).toBe(s(1.5));
    expect(firstEntry(sim, 'LUO session vm0', 'FROZEN')).toBe(s(1.5));
    expect(firstEntry(sim, 'KHO', 'FINALIZED')).toBe(s(1.5));
    expect(firstEntry(sim, 'K (old kernel)', 'STOP_OTHERS')).toBe(s(1.55));
    expect(firstEntry(sim, "K′ (new kernel)", 'RUNNING')).toBe(s(9.55));
    // stop IPIs reach CPUs 1 and 4-7 only; the preserved CPUs 2-3 are skipped, also by smp_init()
    const stopped = transitions(sim).filter((x) => x.to === 'STOPPED' && x.entity.startsWith('CPU')).map((x) => x.entity);
    expect(stopped).toEqual(['CPU 1', 'CPU 4', 'CPU 5', 'CPU 6', 'CPU 7']);
    const booted = transitions(sim).filter((x) => x.event === 'BOOT').map((x) => x.entity);
    expect(booted).toEqual(['CPU 1', 'CPU 4', 'CPU 5', 'CPU 6', 'CPU 7']);
  });

  it('adopts each vCPU by attach IPI, known state, restore and add_cpu (steps 11-16)', () => {
    expect(firstEntry(sim, 'VMM′ vm0', 'RETRIEVING')).toBe(s(9.6));
    expect(firstEntry(sim, 'KHO', 'RESTORED')).toBe(s(9.6));
    expect(firstEntry(sim, 'vm0/vCPU0', 'ADOPTING')).toBe(s(9.69));
    expect(firstEntry(sim, 'C2', 'REPLACED')).toBe(s(9.690056));
    expect(firstEntry(sim, 'CPU 2', 'ONLINE', s(2))).toBe(s(9.691056));
    expect(firstEntry(sim, 'vm0/vCPU1', 'ADOPTING')).toBe(s(9.691056));
    const stop1 = execChanges(sim, 'vm0/vCPU1').find((x) => !x.running && x.t > s(9))!;
    expect(stop1.t).toBe(s(9.691057));
    expect(firstEntry(sim, 'CPU 3', 'ONLINE', s(2))).toBe(s(9.692112));
    expect(firstEntry(sim, 'vm0/vCPU0', 'ATTACHED_RUNNING', s(9))).toBe(s(9.692117));
    expect(firstEntry(sim, 'LUO session vm0', 'FINISHED')).toBe(s(9.702117));
  });

  it('keeps the blackout to the attach window of the last vCPU: 1.06 ms', () => {
    expect(r.vms[0].blackoutNs).toBe(1_060_000);
    // pause also counts instants when both vCPUs happen to be inside an exit (docs/walkthrough.md)
    expect(r.vms[0].pauseNs).toBeGreaterThanOrEqual(1_060_000);
    expect(r.vms[0].pauseNs).toBeLessThan(1_200_000);
    const v0 = execChanges(sim, 'vm0/vCPU0');
    const stop0 = v0.find((x) => !x.running && x.t > s(9))!;
    expect(v0.find((x) => x.running && x.t > stop0.t)!.t - stop0.t).toBe(2_116_000);
  });

  it('handles timer and HLT exits in the gap without stalling (step 7)', () => {
    for (const v of r.vcpus) {
      // per vCPU over the 8.48 s gap: ≈11.9 k TSC_DEADLINE, 4.6 k HLT, 170 PREEMPTION_TIMER, all fastpath
      const g = v.gapExits;
      expect(g['MSR_WRITE/TSC_DEADLINE'].fastpath).toBeGreaterThan(11_500);
      expect(g['MSR_WRITE/TSC_DEADLINE'].fastpath).toBeLessThan(12_300);
      expect(g.HLT.fastpath).toBeGreaterThan(4_350);
      expect(g.HLT.fastpath).toBeLessThan(4_800);
      expect(g.PREEMPTION_TIMER.fastpath).toBeGreaterThan(130);
      expect(g.PREEMPTION_TIMER.fastpath).toBeLessThan(215);
      for (const c of Object.values(g)) expect(c.stalled).toBe(0);
      // no host interrupts reach an offline pCPU: the only one is the attach IPI's forced exit
      expect(g.EXTERNAL_INTERRUPT).toEqual({ total: 1, fastpath: 0, stalled: 0, host: 1, userspace: 0 });
      expect(v.stalledNs).toBe(0);
      const tsc = v.exits['MSR_WRITE/TSC_DEADLINE'];
      // ≈11.9 k in the gap plus those before and after it, all fastpath
      expect(tsc.fastpath).toBe(tsc.total);
      expect(tsc.total).toBeGreaterThan(15_000);
      expect(v.exits.HLT.fastpath).toBeGreaterThan(4_000);
      expect(v.exits.PREEMPTION_TIMER.fastpath).toBeGreaterThan(150);
      for (const c of Object.values(v.exits)) expect(c.stalled).toBe(0);
    }
    // one trace record per gap exit: ≈16.6 k per vCPU, all consumed at adoption
    expect(r.trace.produced).toBeGreaterThan(32_000);
    expect(r.trace.produced).toBeLessThan(34_500);
    expect(r.trace).toMatchObject({ consumed: r.trace.produced, dropped: 0, pending: 0 });
    expect(r.invariants.violations).toEqual([]);
  });
});

describe('classic (walkthrough §4)', () => {
  const r = runPreset('classic-baseline').report();
  it('pauses the guest for the whole gap: 8.69 s', () => {
    expect(r.outcome).toBe('completed');
    expect(r.phases).toEqual({ preserve: s(1.000005), kexec: s(1.55), newKernelUp: s(9.55), adopted: s(9.69), finish: s(9.700005) });
    expect(r.vms[0].blackoutNs).toBe(8_690_000_000);
    expect(r.trace).toEqual({ produced: 0, consumed: 0, dropped: 0, pending: 0 });
    for (const v of r.vcpus) expect(Object.values(v.exits).every((c) => c.fastpath + c.host + c.userspace === c.total)).toBe(true);
  });

  it('has a blackout at least the kexec gap, and converged only milliseconds', () => {
    const converged = runPreset('converged-idle').report();
    expect(r.vms[0].blackoutNs).toBeGreaterThanOrEqual(8_000_000_000);
    expect(converged.vms[0].blackoutNs).toBeLessThan(10_000_000);
  });
});

describe('fault variants (walkthrough §6)', () => {
  it('1: a dropped attach IPI is re-kicked after 1 ms; blackout unchanged, vCPU0 waits 3.116 ms', () => {
    const sim = runPreset('dropped-attach-ipi');
    const r = sim.report();
    expect(r.outcome).toBe('completed');
    expect(r.vms[0].blackoutNs).toBe(1_060_000);
    expect(r.phases.adopted).toBe(s(9.693112));
    expect(r.phases.finish).toBe(s(9.703117));
    const v0 = execChanges(sim, 'vm0/vCPU0');
    const stop0 = v0.find((x) => !x.running && x.t > s(9))!;
    expect(v0.find((x) => x.running && x.t > stop0.t)!.t - stop0.t).toBe(3_116_000);
    const lost = sim.raw.st.ipis.filter((i) => i.status === 'lost');
    expect(lost.map((i) => [i.to, i.purpose])).toEqual([[3, 'attach']]);
    expect(r.invariants.violations).toEqual([]);
  });

  it('2: a wedged pCPU is quarantined after the 2 s attach timeout and never onlined', () => {
    const sim = runPreset('wedged-cpu');
    const r = sim.report();
    expect(r.outcome).toBe('vm-terminated');
    expect(r.phases.adopted).toBeNull();
    expect(firstEntry(sim, 'C3', 'QUARANTINED')).toBe(s(9.691056) + 2_000_000_000);
    expect(firstEntry(sim, 'CPU 3', 'ONLINE', s(2))).toBeUndefined();
    expect(r.vms[0].blackoutNs).toBe(s(12) - s(9.690001));
    const kicks = sim.raw.st.ipis.filter((i) => i.to === 3 && i.purpose === 'attach');
    expect(kicks.length).toBe(2000);
    expect(kicks.every((i) => i.status === 'lost')).toBe(true);
    expect(r.invariants.violations).toEqual([]);
    // the wedged vCPU's ring is never consumed: pending, and still conserved
    expect(r.trace.pending).toBeGreaterThan(0);
    expect(r.trace.produced).toBe(r.trace.consumed + r.trace.dropped + r.trace.pending);
  });

  it('3: madvise(MADV_FREE) forces detached vCPUs out before the pages are freed; a later touch stalls', () => {
    const sim = runPreset('madvise-free');
    const r = sim.report();
    expect(r.invariants.violations).toEqual([]);
    const inv = sim.raw.st.ipis.filter((i) => i.purpose === 'invalidate');
    expect(inv.map((i) => i.to).sort()).toEqual([2, 3]);
    expect(r.vcpus[0].exits.EPT_VIOLATION).toMatchObject({ stalled: 1 });
    expect(r.vcpus[0].exits.EXTERNAL_INTERRUPT.fastpath).toBe(1);
    expect(r.vcpus[0].stalledNs).toBeGreaterThan(s(8));
    expect(r.outcome).toBe('completed');
  });

  it('4a: a feature mismatch before the point of no return cancels the update (≈1.06 ms blackout)', () => {
    const sim = runPreset('feature-mismatch-before-ponr');
    const r = sim.report();
    expect(r.outcome).toBe('cancelled');
    expect(r.phases.kexec).toBeNull();
    expect(r.vms[0].blackoutNs).toBe(1_060_000);
    expect(firstEntry(sim, 'KHO', 'TRACKING', s(1.5))).toBe(s(1.55));
    expect(firstEntry(sim, 'C2', 'ATTACHED', s(1.5))).toBeDefined();
    expect(r.invariants.violations).toEqual([]);
  });

  it('4b: a feature mismatch after it terminates the VM and onlines the pCPUs', () => {
    const sim = runPreset('feature-mismatch-adoption');
    const r = sim.report();
    expect(r.outcome).toBe('vm-terminated');
    expect(r.phases.adopted).toBeNull();
    expect(r.vcpus.map((v) => v.state)).toEqual(['TERMINATED', 'TERMINATED']);
    expect(firstEntry(sim, 'CPU 2', 'ONLINE', s(2))).toBeDefined();
    expect(firstEntry(sim, 'CPU 3', 'ONLINE', s(2))).toBeDefined();
    expect(firstEntry(sim, 'C2', 'RETIRED')).toBeDefined();
  });

  it('5: a 4,096-record ring overflows: ≈12.5 k dropped per vCPU, 4,096 consumed, conserved', () => {
    const r = runPreset('trace-ring-overflow').report();
    expect(r.outcome).toBe('completed');
    expect(r.trace.consumed).toBe(2 * 4096);
    expect(r.trace.dropped).toBeGreaterThan(2 * 12_000);
    expect(r.trace.dropped).toBeLessThan(2 * 13_000);
    expect(r.trace.produced).toBe(r.trace.consumed + r.trace.dropped + r.trace.pending);
  });
});

describe('policies and guest coupling', () => {
  it('strict (the PoC) stalls each idle vCPU at its first timer write: blackout ≈8.48 s (§7.9)', () => {
    const r = runPreset('converged-strict').report();
    expect(r.vms[0].blackoutNs).toBeGreaterThan(8_470_000_000);
    expect(r.vms[0].blackoutNs).toBeLessThan(8_490_000_000);
    for (const v of r.vcpus) expect(v.exits['MSR_WRITE/TSC_DEADLINE'].stalled).toBe(1);
  });

  it('an emulated device stalls only the vCPU that touches it', () => {
    const r = runPreset('emulated-device-stall').report();
    expect(r.vcpus[0].exits.EPT_MISCONFIG.stalled).toBe(1);
    expect(r.vcpus[0].stalledNs).toBeGreaterThan(s(8));
    expect(r.vcpus[1].stalledNs).toBe(0);
    expect(r.vms[0].blackoutNs).toBeLessThan(10_000_000);
  });

  it('a stalled vCPU stops the progress of the others through TLB shootdowns', () => {
    const r = runPreset('tlb-shootdown-cascade').report();
    const idle = runPreset('converged-idle').report();
    expect(r.vcpus[0].stalledNs).toBeGreaterThan(s(8));
    for (const v of r.vcpus.slice(1)) {
      expect(v.stalledNs).toBe(0);
      expect(v.guestNs).toBeGreaterThan(s(11.9)); // still executing guest code...
      expect(v.progressNs).toBeLessThan(s(4.5)); // ...but spinning, not progressing
    }
    expect(idle.vcpus[1].progressNs).toBeGreaterThan(s(11.9));
  });

  it('AMD has no preemption timer: the first TSC-deadline write in the gap stalls', () => {
    const r = runPreset('amd-svm-idle').report();
    for (const v of r.vcpus) expect(v.exits['MSR_WRITE/TSC_DEADLINE'].stalled).toBe(1);
  });

  it('device interrupts without posted interrupts are held until adoption', () => {
    const r = runPreset('device-interrupts-held').report();
    const irq = r.vms[0].interrupts;
    expect(irq.exits).toBeGreaterThan(0);
    expect(irq.held).toBeGreaterThan(3000);
    expect(irq.longestHoldNs).toBeGreaterThan(s(8.4));
    expect(irq.posted).toBe(0);
  });

  it('a VM left out of the update dies with the old kernel', () => {
    const r = runPreset('vm-left-behind').report();
    expect(r.outcome).toBe('vm-terminated');
    expect(r.vms.map((v) => v.terminated)).toEqual([false, true]);
    expect(r.vms[1].blackoutNs).toBe(s(12) - s(1.55));
  });

  it('a reset TSC offset breaks invariant 9 and the report names it', () => {
    const r = runPreset('converged-idle', { faults: [{ kind: 'tsc-reset' }] }).report();
    expect(r.invariants.violations.map((v) => v.id)).toEqual([9]);
  });
});
