// design-v2, the prototype's older DESIGN_V2 (orphanvm.md §1.3e): attachment_state ATTACHED →
// DETACHED → ATTACHING → ATTACHED with an NMI kick every 5 ms and a 2 s timeout, cancel with
// CANCELING and a 20 s budget, no detach_workload at vmfd retrieve, CPUs PARKED until a job exists.
import { describe, expect, it } from 'vitest';
import { execChanges, runPreset, s, transitions } from './helpers.ts';

describe('design-v2 through kexec', () => {
  const sim = runPreset('design-v2-kexec');
  const r = sim.report();
  it('moves each CCB ATTACHED → DETACHED at staging → ATTACHING at retrieve → ATTACHED when synced', () => {
    for (const c of ['ccb vm0/vCPU0', 'ccb vm0/vCPU1']) expect(transitions(sim).filter((t) => t.entity === c).map((t) => t.to)).toEqual(['DETACHED', 'ATTACHING', 'ATTACHED']);
    expect(sim.raw.st.ipis.filter((i) => i.purpose === 'attach').map((i) => i.to)).toEqual([2, 3]);
    expect(sim.raw.st.ipis.filter((i) => i.purpose === 'park')).toEqual([]); // no detach_workload
  });
  it('keeps a CPU PARKED until its first job is activated (RFCv1 attaches the workload at once)', () => {
    const cpu2 = transitions(sim).filter((t) => t.entity === 'CPU 2');
    const parked = cpu2.find((t) => t.to === 'PARKED')!.t;
    const workload = cpu2.find((t) => t.to === 'WORKLOAD')!.t;
    expect(workload).toBeGreaterThan(parked);
    const v1 = transitions(runPreset('rfcv1-kexec')).filter((t) => t.entity === 'CPU 2');
    expect(v1.find((t) => t.to === 'WORKLOAD')!.t).toBe(v1.find((t) => t.to === 'PARKED')!.t);
  });
  it('takes each vCPU at its own retrieve: vCPU1 still runs while vCPU0 is synced', () => {
    const stop = (v: string) => execChanges(sim, v).filter((x) => !x.running && x.t > s(9)).map((x) => x.t)[0];
    expect(stop('vm0/vCPU1')).toBeGreaterThan(stop('vm0/vCPU0'));
    // so the whole-VM pause at vmfd retrieve that RFCv1 has is gone
    expect(r.vms[0].pauseNs).toBeLessThan(runPreset('rfcv1-kexec').report().vms[0].pauseNs - s(0.05));
    expect(r.outcome).toBe('completed');
    expect(r.invariants.violations).toEqual([]);
  });
});

describe('design-v2 faults and cancel', () => {
  it('a lost kick is re-sent 5 ms later (RFCv1: 1 ms): adoption 5 ms late', () => {
    const base = runPreset('design-v2-kexec').report();
    const r = runPreset('design-v2-lost-kick').report();
    expect(r.phases.adopted! - base.phases.adopted!).toBe(s(0.005));
    expect(r.invariants.violations).toEqual([]);
  });
  it('a wedged CPU is kicked every 5 ms for 2 s, then the vCPU is quarantined and the VM terminated', () => {
    const sim = runPreset('design-v2-wedged-cpu');
    const r = sim.report();
    const kicks = sim.raw.st.ipis.filter((i) => i.purpose === 'attach' && i.to === 3);
    expect(kicks.length).toBe(400);
    expect(kicks.every((k) => k.status === 'lost')).toBe(true);
    expect(kicks[1].sentAt - kicks[0].sentAt).toBe(s(0.005));
    expect(r.outcome).toBe('vm-terminated');
    expect(r.vcpus[1].state).toBe('TERMINATED');
    expect(r.invariants.violations).toEqual([]);
  });
  it('a cancel marks each job CANCELING and kicks it; synced back, the CPUs return', () => {
    const sim = runPreset('design-v2-cancel');
    const r = sim.report();
    expect(r.outcome).toBe('cancelled');
    for (const v of [0, 1]) expect(transitions(sim).filter((t) => t.entity === `job vm0/vCPU${v}`).map((t) => t.to).slice(-2)).toEqual(['CANCELING', 'DEAD']);
    expect(transitions(sim).filter((t) => t.entity === 'CPU 3').map((t) => t.to).at(-1)).toBe('ONLINE');
    expect(r.vcpus.map((v) => v.state)).toEqual(['KVM_RUN', 'KVM_RUN']);
  });
  it('with 4 jobs on 2 CPUs a queued job is synced by the kicked CPU without running again', () => {
    const sim = runPreset('design-v2-4-on-2');
    const ends = [0, 1, 2, 3].map((v) => transitions(sim).filter((t) => t.entity === `job vm0/vCPU${v}`).map((t) => t.to).slice(-2).join('→'));
    expect(ends).toContain('RUNNABLE→DEAD');
    expect(ends).toContain('RUNNING→DEAD');
    expect(sim.report().invariants.violations).toEqual([]);
  });
});
