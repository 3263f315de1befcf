// The failed-kexec fault (mechanics.md §1.5): with no kernel staged, reboot() fails before any
// freeze and the update is cancelled; with LUO disabled in the new kernel, smp_init() sends
// INIT/SIPI to the preserved CPUs (invariant 8) — in VMX non-root an INIT-signal exit the Caretaker
// cannot handle (mechanics.md §4.1) — they never come online, and no session can be retrieved.
import { describe, expect, it } from 'vitest';
import { INV } from '../src/model/invariants.ts';
import { execChanges, presetScenario, runPreset, runRaw, s, transitions } from './helpers.ts';

describe('kexec-fail', () => {
  it('no-image: -EINVAL before liveupdate_reboot(); every vCPU back under the old kernel', () => {
    const sim = runPreset('kexec-fail-no-image');
    const r = sim.report();
    expect(r.outcome).toBe('cancelled');
    expect(r.phases.kexec).toBeNull();
    expect(r.invariants.violations).toEqual([]);
    // nothing was frozen: the session goes PRESERVED → CLOSED, KHO never finalizes
    expect(transitions(sim).filter((t) => t.entity === 'LUO session vm0').map((t) => t.to)).toEqual(['PRESERVED', 'CLOSED']);
    expect(transitions(sim).filter((t) => t.entity === 'KHO')).toEqual([]);
    expect(r.vcpus.map((v) => v.state)).toEqual(['ATTACHED_RUNNING', 'ATTACHED_RUNNING']);
    expect(r.vms[0].blackoutNs).toBeLessThan(2_000_000);
  });
  it('no-image under classic: the suspended VM resumes', () => {
    const r = runRaw(presetScenario('classic-baseline', { faults: [{ kind: 'kexec-fail', mode: 'no-image' }] })).report();
    expect(r.outcome).toBe('cancelled');
    expect(r.vcpus.map((v) => v.state)).toEqual(['ATTACHED_RUNNING', 'ATTACHED_RUNNING']);
  });
  it('luo-disabled: smp_init() INIT/SIPIs the preserved CPUs; each running vCPU takes an INIT exit and its core parks', () => {
    const sim = runPreset('kexec-fail-luo-disabled');
    const r = sim.report();
    expect(r.outcome).toBe('vm-terminated');
    expect(r.invariants.violations.map((v) => [v.id, v.atNs])).toEqual([
      [INV.NO_SIPI_PRESERVED, s(2.55)],
      [INV.NO_SIPI_PRESERVED, s(2.55)],
    ]);
    expect(sim.raw.st.ipis.filter((i) => i.purpose === 'init-sipi' && i.sentAt === s(2.55)).map((i) => i.to)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(transitions(sim).filter((t) => t.entity === 'C2').map((t) => t.to)).toEqual(['PARKED', 'DETACHED', 'INIT_PARKED']);
    // INIT does not reset a CPU in VMX operation: it never reports alive and never comes online
    expect(transitions(sim).filter((t) => t.entity === 'CPU 2').map((t) => t.to)).toEqual(['OFFLINE', 'CARETAKER']);
    expect(sim.raw.st.pcpus[2].owner).toBe('caretaker');
    expect(transitions(sim).filter((t) => t.entity === 'vm0/vCPU0').map((t) => t.to).slice(-2)).toEqual(['ORPHANED_BLOCKED', 'TERMINATED']);
    expect(r.vcpus.map((v) => v.state)).toEqual(['TERMINATED', 'TERMINATED']);
    // the guest ran in the gap until the INIT arrived, then never again
    expect(r.vms[0].blackoutNs).toBe(s(12) - s(2.55) - 40_000);
    expect(r.phases.newKernelUp).toBe(s(9.55));
    expect(r.phases.adopted).toBeNull();
  });
  it('luo-disabled under rfcv1: the INIT exit fails each running job (KVM_CARETAKER_FAILED)', () => {
    const sim = runPreset('rfcv1-kexec-fail');
    const r = sim.report();
    expect(r.outcome).toBe('vm-terminated');
    expect(r.invariants.violations.every((v) => v.id === INV.NO_SIPI_PRESERVED)).toBe(true);
    expect(transitions(sim).filter((t) => t.entity === 'cb vm0/vCPU0').map((t) => t.to).at(-1)).toBe('FAILED');
    expect(transitions(sim).filter((t) => t.entity === 'job vm0/vCPU0').map((t) => t.to).at(-1)).toBe('DEAD');
    expect(transitions(sim).filter((t) => t.entity === 'CPU 2').map((t) => t.to)).toEqual(['OFFLINE', 'PARKED', 'WORKLOAD']);
  });
  it('luo-disabled on arm64: PSCI CPU_ON finds the CPU on; the guest runs until its VM is found lost', () => {
    const host = { arch: 'arm64', cpus: 8, housekeeping: '0-1', features: { gicv41: true, postedInterrupts: true } };
    const sim = runRaw(presetScenario('kexec-fail-luo-disabled', { host }));
    const r = sim.report();
    expect(transitions(sim).filter((t) => t.entity === 'C2').map((t) => t.to)).toEqual(['PARKED', 'DETACHED']);
    const stop = execChanges(sim, 'vm0/vCPU0').filter((x) => !x.running).at(-1)!;
    expect(stop.t).toBe(r.phases.newKernelUp);
    expect(r.outcome).toBe('vm-terminated');
  });
});
