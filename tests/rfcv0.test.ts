// The original RFC (rfc-v0, rfc-thread.md §2 [RFC], M1) against what the thread says it does and
// what the converged design changed: the CCB flag flips under a running vCPU, pCPUs taken in place,
// spin-waits, no trace ring, no MMU-notifier kick, no feature negotiation before kexec.
import { describe, expect, it } from 'vitest';
import { coreConfig, gapDisposition } from '../src/model/caretakerCore.ts';
import { Disp, X } from '../src/model/exits.ts';
import { INV } from '../src/model/invariants.ts';
import { L } from '../src/model/eventlog.ts';
import { execChanges, presetScenario, resolve, runPreset, runRaw, s, transitions } from './helpers.ts';
import type { Simulation } from '../src/sim/simulation.ts';

const ops = (sim: Simulation, name: string) => {
  const out: { t: number; entity: string; detail: string }[] = [];
  for (let i = 0; i < sim.log.length; i++) {
    if (sim.log.kind(i) === L.OP && sim.log.strings[sim.log.a(i)] === name) out.push({ t: sim.log.time(i), entity: sim.raw.st.ents[sim.log.subject(i)].name, detail: sim.log.strings[sim.log.b(i)] });
  }
  return out;
};

describe('rfc-v0, idle guest', () => {
  const sim = runPreset('rfc-v0-idle');
  const r = sim.report();
  it('installs a Caretaker per vcpufd at VM creation (KVM_SET_CARETAKER)', () => {
    expect(ops(sim, 'KVM_SET_CARETAKER').map((o) => [o.t, o.entity])).toEqual([
      [0, 'C2'],
      [0, 'C3'],
    ]);
  });
  it('takes each pCPU in place: no remove_cpu(), no INIT/SIPI, back online at retrieve', () => {
    expect(transitions(sim).filter((t) => t.entity === 'CPU 2').map((t) => `${t.event}:${t.to}`)).toEqual(['ISOLATE:CARETAKER', 'UNISOLATE:ONLINE']);
    expect(sim.raw.st.ipis.filter((i) => i.purpose === 'init-sipi' && (i.to === 2 || i.to === 3))).toEqual([]);
    expect(sim.raw.st.ipis.filter((i) => i.purpose === 'attach')).toEqual([]);
    expect(sim.raw.st.ipis.filter((i) => i.purpose === 'detach').map((i) => i.to)).toEqual([2, 3]);
  });
  it('keeps the guest running through the update: blackout of a few hundred ns', () => {
    expect(r.outcome).toBe('completed');
    expect(r.vms[0].blackoutNs).toBeLessThan(10_000);
    // the only stops are the detach kicks at preserve; the retrieve does not stop the vCPU
    for (const v of ['vm0/vCPU0', 'vm0/vCPU1']) {
      const stops = execChanges(sim, v).filter((x) => !x.running);
      expect(stops.length).toBe(1);
      expect(stops[0].t).toBeGreaterThanOrEqual(s(1));
      expect(stops[0].t).toBeLessThan(s(1.3));
    }
  });
  it('breaks invariant 3 once per vCPU: the new kernel reads state while the old Caretaker runs it', () => {
    // one retrieve after the other, each taking timing.adoptPerVcpu (50 µs)
    expect(r.invariants.violations.map((v) => [v.id, v.atNs])).toEqual([
      [INV.KNOWN_STATE, s(9.69)],
      [INV.KNOWN_STATE, s(9.69005)],
    ]);
    expect(r.phases.adopted).toBe(s(9.6901));
    expect(r.invariants.violations[0].message).toMatch(/vm0\/vCPU0's state is read by the new kernel while it runs under the Caretaker/);
  });
  it("leaves the old kernel's Caretaker in the exit path: the CCB ends KVM_ATTACHED, never replaced", () => {
    for (const c of ['C2', 'C3']) expect(transitions(sim).filter((t) => t.entity === c).map((t) => t.to)).toEqual(['KVM_DETACHED', 'KVM_ATTACHED']);
    expect(r.vcpus.map((v) => v.state)).toEqual(['ATTACHED_RUNNING', 'ATTACHED_RUNNING']);
  });
  it('writes a telemetry buffer, not a trace ring', () => {
    expect(r.trace).toEqual({ produced: 0, consumed: 0, dropped: 0, pending: 0 });
    expect(sim.raw.st.kho.filter((k) => k.key.startsWith('telemetry:')).map((k) => k.restoredAt > 0)).toEqual([true, true]);
    expect(sim.raw.st.kho.some((k) => k.kind === 'trace-ring')).toBe(false);
  });
  it('handles its gap exits per walkthrough §5 (rfc-v0 column): nothing stalls an idle guest', () => {
    for (const v of r.vcpus) {
      expect(v.gapExits.HLT.fastpath).toBe(v.gapExits.HLT.total);
      expect(v.gapExits['MSR_WRITE/TSC_DEADLINE'].fastpath).toBeGreaterThan(1000);
      expect(v.stalledNs).toBe(0);
    }
  });
});

describe('rfc-v0 gap dispositions (walkthrough §5, rfc-v0 column)', () => {
  const cfg = (arch: 'intel-vmx' | 'amd-svm' | 'arm64', ipiv: boolean) =>
    coreConfig(resolve(presetScenario('rfc-v0-idle', { host: { arch, cpus: 8, housekeeping: '0-1', features: { apicv: ipiv, ipiv, avic: ipiv, gicv41: ipiv, postedInterrupts: true } } })));
  it('timers, IPIs, HLT, CPUID and safe MSR reads in place; INVD, other MSRs, EPT, MMIO, PIO, hypercalls spin', () => {
    const c = cfg('intel-vmx', false);
    expect(gapDisposition(X.TSC_DEADLINE, c)).toBe(Disp.FASTPATH);
    expect(gapDisposition(X.X2APIC_ICR, c)).toBe(Disp.FASTPATH); // emulated delivery without IPIv
    expect(gapDisposition(X.X2APIC_ICR, cfg('intel-vmx', true))).toBe(Disp.NONE);
    expect(gapDisposition(X.HLT, c)).toBe(Disp.FASTPATH);
    expect(gapDisposition(X.CPUID, c)).toBe(Disp.FASTPATH);
    expect(gapDisposition(X.MSR_READ, c)).toBe(Disp.FASTPATH);
    for (const k of [X.INVD, X.MSR_WRITE_OTHER, X.EPT_VIOLATION, X.EPT_MISCONFIG, X.IO_INSTRUCTION, X.VMCALL]) expect(gapDisposition(k, c)).toBe(Disp.STALLED);
    // per architecture: SVM has no preemption timer; arm64 does not trap its timer
    expect(gapDisposition(X.PREEMPTION_TIMER, cfg('amd-svm', false))).toBe(Disp.NONE);
    expect(gapDisposition(X.TSC_DEADLINE, cfg('amd-svm', false))).toBe(Disp.FASTPATH);
    expect(gapDisposition(X.TSC_DEADLINE, cfg('arm64', false))).toBe(Disp.NONE);
  });
});

describe('rfc-v0 scenarios', () => {
  it('spin-wait: the doorbell stalls vCPU0 until the flag flips at retrieve; the new KVM handles it', () => {
    const sim = runPreset('rfc-v0-spin-wait');
    const r = sim.report();
    const v0 = r.vcpus[0];
    expect(v0.stalledNs).toBeGreaterThan(s(8));
    expect(v0.pendingExits).toBe(0);
    expect(v0.gapExits.EPT_MISCONFIG.stalled).toBe(1);
    const c2 = transitions(sim).filter((t) => t.entity === 'C2').map((t) => t.to);
    expect(c2).toEqual(['KVM_DETACHED', 'SPIN_WAIT', 'KVM_ATTACHED']);
    const resumed = execChanges(sim, 'vm0/vCPU0').find((x) => x.running && x.t > s(9));
    // released by vCPU0's own retrieve (the first, at 9.69 s), one userspace exit later
    expect(resumed!.t).toBeGreaterThan(s(9.69));
    expect(resumed!.t - s(9.69)).toBeLessThan(10_000);
    // a spin-waiting vCPU is not running, but its Caretaker handled its timer writes since it was
    // serialized: the state the new kernel reads is stale all the same (invariant 3)
    expect(r.invariants.violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/^vm0\/vCPU0's state is read by the new kernel after its Caretaker handled \d+ exits since it was serialized/),
      expect.stringMatching(/^vm0\/vCPU1's state is read by the new kernel while it runs/),
    ]);
  });
  it('reports the RFC telemetry buffer: exits handled natively by reason, and the spin-wait profile', () => {
    const r = runPreset('rfc-v0-spin-wait').report();
    const t = r.vcpus[0].telemetryBuffer!;
    expect(t.spinWaitExitReason).toBe('EPT_MISCONFIG');
    expect(t.spinWaitNs).toBe(r.vcpus[0].stalledNs);
    expect(t.handled['MSR_WRITE/TSC_DEADLINE']).toBe(r.vcpus[0].gapExits['MSR_WRITE/TSC_DEADLINE'].fastpath);
    expect(r.vcpus[1].telemetryBuffer!.spinWaitExitReason).toBeNull();
    expect(runPreset('converged-idle').report().vcpus[0].telemetryBuffer).toBeUndefined();
  });
  it('cancel: the old kernel flips the flag back; kexec never happens and nothing is stopped', () => {
    const sim = runPreset('rfc-v0-cancel');
    const r = sim.report();
    expect(r.outcome).toBe('cancelled');
    expect(r.phases.kexec).toBeNull();
    expect(r.vcpus.map((v) => v.state)).toEqual(['ATTACHED_RUNNING', 'ATTACHED_RUNNING']);
    expect(sim.raw.st.pcpus.filter((p) => p.id >= 2 && p.id <= 3).map((p) => [p.owner, p.kernel])).toEqual([
      ['host', 0],
      ['host', 0],
    ]);
  });
  it('feature mismatch: no check before kexec; at retrieve each vCPU is kicked out and the VM ends', () => {
    const sim = runPreset('rfc-v0-feature-mismatch');
    const r = sim.report();
    expect(r.outcome).toBe('vm-terminated');
    expect(r.phases.kexec).not.toBeNull();
    expect(r.invariants.violations).toEqual([]);
    for (const c of ['C2', 'C3']) expect(transitions(sim).filter((t) => t.entity === c).map((t) => t.to)).toEqual(['KVM_DETACHED', 'STOPPED', 'RETIRED']);
    expect(transitions(sim).filter((t) => t.entity === 'CPU 3').map((t) => t.to)).toEqual(['CARETAKER', 'OFFLINE', 'ONLINE']);
  });
  it('MADV_FREE: pages freed while detached vCPUs map them (invariant 7), as walkthrough §6.3 says', () => {
    const r = runPreset('rfc-v0-madvise-free').report();
    expect(r.invariants.violations[0]).toMatchObject({ id: INV.NO_FREE_WHILE_MAPPED, atNs: s(1.3) });
  });
  it('a vCPU that stopped before it made any exit in the gap is read in a known state', () => {
    // strict timers: vCPU0 spin-waits on its first exit, before its Caretaker handled anything
    const r = runRaw(presetScenario('rfc-v0-idle', { vms: [{ name: 'vm0', vcpus: 1, pinning: [2], workload: { rates: { 'MSR_WRITE/TSC_DEADLINE': 0, HLT: 0, PREEMPTION_TIMER: 0, EXTERNAL_INTERRUPT: 0, MSR_READ: 0, VMCALL: 500 } } }] })).report();
    expect(r.vcpus[0].gapExits.VMCALL.stalled).toBe(1);
    expect(r.invariants.violations).toEqual([]);
  });
  it('a VM without the Caretaker keeps KVM\'s own exit path: CPUID goes to the host', () => {
    const r = runRaw(presetScenario('rfc-v0-idle', { vms: [{ name: 'vm0', vcpus: 1, pinning: [2], optIn: false, workload: { profile: 'idle', rates: { CPUID: 1000 } } }], steps: [], until: '1s' })).report();
    expect(r.vcpus[0].exits.CPUID.host).toBe(r.vcpus[0].exits.CPUID.total);
    const shim = runRaw(presetScenario('rfc-v0-idle', { vms: [{ name: 'vm0', vcpus: 1, pinning: [2], workload: { profile: 'idle', rates: { CPUID: 1000 } } }], steps: [], until: '1s' })).report();
    expect(shim.vcpus[0].exits.CPUID.fastpath).toBe(shim.vcpus[0].exits.CPUID.total);
  });
  it('a device without posted interrupts: the Caretaker injects in software, nothing is held', () => {
    const dev = { name: 'nic0', kind: 'passthrough', postedInterrupts: false, interruptsPerSec: 1000, vcpu: 0 };
    const raw = { vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], devices: [dev], workload: 'idle' }] };
    const v0 = runRaw(presetScenario('rfc-v0-idle', raw)).report();
    const conv = runRaw(presetScenario('converged-idle', raw)).report();
    expect(v0.vms[0].interrupts.held).toBe(0);
    expect(v0.vms[0].interrupts.exits).toBeGreaterThan(11_000); // ~1,000/s for 12 s, gap included
    expect(conv.vms[0].interrupts.held).toBeGreaterThan(7_000); // the converged gap holds them until adoption
  });
});
