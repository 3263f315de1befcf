// async-run (rfc-thread.md M8, M9): a VMM upgrade with KVM_RUN_ASYNC and no kernel gap, against
// what the thread says it buys — only exits that need a VMM wait, and only while no VMM holds the fds.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/model/scenario.ts';
import { execChanges, presetScenario, runPreset, runRaw, s, transitions } from './helpers.ts';
import { L } from '../src/model/eventlog.ts';

const timing = (() => {
  const r = parseScenario({ version: 1, vms: [{ name: 'vm0', vcpus: 1 }] });
  if (!r.ok) throw new Error('bad');
  return r.scenario.timing;
})();
/** Hand-over, new process, device models rebuilt: the VMM gap. */
const vmmGap = timing.fdHandover + timing.vmmStart + timing.vmmRestore;

describe('async-run, idle guest', () => {
  const sim = runPreset('async-run-idle');
  const r = sim.report();
  it('has no kernel gap: one kernel, always RUNNING; no kexec, no LUO, no KHO, no protocol IPIs', () => {
    expect(sim.raw.st.kernels.length).toBe(1);
    expect(transitions(sim).filter((t) => t.entity.startsWith('K'))).toEqual([]);
    expect(r.phases.kexec).toBeNull();
    expect(r.phases.newKernelUp).toBeNull();
    expect(sim.raw.st.kho).toEqual([]);
    expect(sim.raw.st.ipis.filter((i) => i.purpose !== 'guest')).toEqual([]);
  });
  it('hands the VM to a new VMM: adopted after hand-over, process start and device restore', () => {
    expect(r.outcome).toBe('completed');
    expect(r.phases.preserve).toBe(s(1));
    expect(r.phases.adopted).toBe(s(1.5) + vmmGap);
    expect(r.phases.finish).toBe(s(1.5) + vmmGap + timing.kvmRunEntry);
    expect(transitions(sim).filter((t) => t.entity === 'VMM vm0').map((t) => t.to)).toEqual(['STAGING', 'STAGED', 'HANDING_OVER', 'EXITED']);
    expect(transitions(sim).filter((t) => t.entity === 'VMM′ vm0').map((t) => t.to)).toEqual(['RECEIVING', 'RUNNING']);
  });
  it('pauses each vCPU only while it moves into its vhost_task', () => {
    expect(r.vms[0].blackoutNs).toBe(timing.asyncStage);
    for (const v of ['vm0/vCPU0', 'vm0/vCPU1']) {
      expect(transitions(sim).filter((t) => t.entity === v).map((t) => t.to)).toEqual(['ASYNC_RUNNING', 'KVM_RUN']);
      expect(execChanges(sim, v).filter((x) => !x.running).length).toBe(1);
    }
    expect(r.vcpus.every((v) => v.stalledNs === 0)).toBe(true);
  });
  it('the kernel handles every exit in the VMM gap as usual', () => {
    const gap = r.vcpus[0].gapExits;
    expect(gap.HLT.host).toBe(gap.HLT.total);
    expect(gap.HLT.total).toBeGreaterThan(0);
    expect(Object.values(gap).every((c) => c.stalled === 0)).toBe(true);
  });
});

describe('async-run scenarios', () => {
  it('a device model in the VMM gap: vCPU0 waits on one doorbell for under the gap, vCPU1 never stops', () => {
    const r = runPreset('async-run-virtio').report();
    expect(r.vcpus[0].exits.EPT_MISCONFIG.stalled).toBe(1);
    expect(r.vcpus[0].stalledNs).toBeGreaterThan(0);
    expect(r.vcpus[0].stalledNs).toBeLessThanOrEqual(vmmGap + timing.kvmRunEntry);
    expect(r.vcpus[0].pendingExits).toBe(0);
    expect(r.vcpus[1].stalledNs).toBe(0);
    expect(r.vms[0].blackoutNs).toBe(timing.asyncStage);
  });
  it('a slow VMM restart stretches only the doorbell wait', () => {
    const r = runPreset('async-run-slow-vmm').report();
    expect(r.vcpus[0].longestStallNs).toBeGreaterThan(s(2));
    expect(r.vcpus[0].longestStallNs).toBeLessThanOrEqual(s(2) + vmmGap + timing.kvmRunEntry);
    expect(r.phases.adopted).toBe(s(3.5) + vmmGap);
    expect(r.vms[0].blackoutNs).toBe(timing.asyncStage);
  });
  it('without KVM_RUN_ASYNC the VM is suspended for the VMM gap', () => {
    const sim = runPreset('async-run-without');
    const r = sim.report();
    expect(r.outcome).toBe('completed');
    expect(r.vms[0].blackoutNs).toBeGreaterThanOrEqual(vmmGap);
    expect(r.vms[0].blackoutNs).toBeLessThan(vmmGap + 2 * timing.kvmRunEntry);
    expect(transitions(sim).filter((t) => t.entity === 'vm0/vCPU0').map((t) => t.to)).toEqual(['SUSPENDED', 'KVM_RUN']);
  });
  it('a cancel takes the vCPUs back into VMM threads without stopping them', () => {
    const sim = runPreset('async-run-cancel');
    const r = sim.report();
    expect(r.outcome).toBe('cancelled');
    expect(r.phases.adopted).toBeNull();
    expect(transitions(sim).filter((t) => t.entity === 'VMM vm0').map((t) => t.to)).toEqual(['STAGING', 'STAGED', 'RUNNING']);
    expect(r.vcpus.map((v) => v.state)).toEqual(['KVM_RUN', 'KVM_RUN']);
    expect(execChanges(sim, 'vm0/vCPU0').filter((x) => !x.running).length).toBe(1);
  });
});

describe('async-run with several VMs and faults that do not apply', () => {
  it('adopted and finish follow the last VM handed over', () => {
    const sim = runRaw({
      version: 1,
      design: 'async-run',
      vms: [
        { name: 'vm0', vcpus: 1, pinning: [2] },
        { name: 'vm1', vcpus: 1, pinning: [3] },
      ],
      steps: [
        { at: '1s', action: 'preserve', vm: 'vm0' },
        { at: '1.5s', action: 'kexec' },
        { at: '3s', action: 'preserve', vm: 'vm1' },
      ],
      until: '4s',
    });
    const r = sim.report();
    expect(r.outcome).toBe('completed');
    // vm1 is staged at 3 s and, the upgrade being requested, handed over once staged
    expect(r.phases.adopted).toBe(s(3) + timing.vmmPauseAck + timing.asyncStage + vmmGap);
  });
  it('says which faults do not apply and ignores them', () => {
    const sim = runRaw(presetScenario('async-run-idle', { faults: [{ kind: 'kexec-fail' }, { kind: 'tsc-reset' }, { kind: 'wedge-cpu', at: '1s', cpu: 2 }] }));
    const notes: string[] = [];
    for (let i = 0; i < sim.log.length; i++) if (sim.log.kind(i) === L.MESSAGE) notes.push(sim.log.strings[sim.log.a(i)]);
    expect(notes.filter((m) => m.includes('does not apply to async-run'))).toHaveLength(3);
    expect(sim.report().outcome).toBe('completed');
  });
});
