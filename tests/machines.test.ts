// Model-based tests of the lifecycle machines: @xstate/graph walks every transition of every
// machine on a real actor; then the engine, run over the presets, must take every one of those
// transitions (it can take no other: fire() rejects what a machine does not accept).
import { describe, expect, it } from 'vitest';
import { createActor, type AnyStateMachine } from 'xstate';
import { getShortestPaths } from '@xstate/graph';
import { MACHINES, MACHINE_IDS, machineEdges, nextState, type MachineId } from '../src/machines/index.ts';
import { PRESETS } from '../src/model/presets.ts';
import { runPreset, runRaw, presetScenario, transitions } from './helpers.ts';

const edgeKey = (m: string, from: string, ev: string, to: string) => `${m}: ${from} --${ev}--> ${to}`;

const V2_WEDGE = { version: 1, design: 'design-v2', steps: [{ at: '1s', action: 'preserve' }, { at: '1.5s', action: 'kexec' }] };

/** Situations beyond the presets that reach the remaining transitions, with the outcome each must have. */
const EXTRA: [string, Record<string, unknown>, string][] = [
  ['classic cancel', presetScenario('cancel-cycle', { design: 'classic' }), 'cancelled'],
  ['rfcv1: a CPU wedges after it was parked at vmfd retrieve (fast reclaim, never onlined)', presetScenario('rfcv1-kexec', { faults: [{ kind: 'wedge-cpu', at: '9.65s', cpu: 3 }] }), 'completed'],
  ['rfcv1: cancel while 8 jobs share a CPU, some never run', presetScenario('rfcv1-8-on-1', { steps: [{ at: '1s', action: 'preserve' }, { at: '1.1s', action: 'cancel' }], until: '2s' }), 'cancelled'],
  ['rfcv1: a VM left out of the update', presetScenario('vm-left-behind', { design: 'rfcv1' }), 'vm-terminated'],
  ['rfc-v0: a spin-waiting vCPU kicked out of its Caretaker for a terminated VM', presetScenario('rfc-v0-spin-wait', { faults: [{ kind: 'feature-mismatch', when: 'after-ponr' }] }), 'vm-terminated'],
  ['design-v2: a machine check fails the Caretaker; the VM is marked bugged at retrieve', presetScenario('design-v2-kexec', { faults: [{ kind: 'host-mce', at: '5s', cpu: 2 }] }), 'vm-terminated'],
  ['rfcv1: RAM-only vCPUs refused by the new kernel', presetScenario('rfcv1-ram-only', { faults: [{ kind: 'feature-mismatch', when: 'after-ponr' }] }), 'vm-terminated'],
  ['rfcv1: a CPU wedges on its way out of the park loop (EXITING), never onlined', presetScenario('rfcv1-kexec', { faults: [{ kind: 'wedge-cpu', at: 9_700_100_500, cpu: 3 }] }), 'completed'],
  // the attach handshake times out on a vCPU that does not run (F-ONCORE-QUARANTINE): quarantined where it is
  ['design-v2: two jobs on a CPU that wedges; the queued one (CARETAKER_PAUSED) is quarantined', { ...V2_WEDGE, vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 2] }], faults: [{ kind: 'wedge-cpu', at: '1.3s', cpu: 2 }] }, 'vm-terminated'],
  ['design-v2: a CPU wedges before its job first runs (PAUSED_IN_VMM), quarantined', { ...V2_WEDGE, vms: [{ name: 'vm0', vcpus: 1, pinning: [3] }], faults: [{ kind: 'wedge-cpu', at: '1.2s', cpu: 3 }] }, 'vm-terminated'],
  ['design-v2: a stalled vCPU (STALLED) whose CPU wedges, quarantined', { ...V2_WEDGE, vms: [{ name: 'vm0', vcpus: 1, devices: [{ name: 'virtio-net0', kind: 'emulated' }] }], faults: [{ kind: 'wedge-cpu', at: '9s', cpu: 2 }], until: '14s' }, 'vm-terminated'],
];

/** Runs where a fault must break invariants: the ids expected, and nothing else. */
const LUO_OFF = { faults: [{ kind: 'kexec-fail', mode: 'luo-disabled' }] };
const ARM64 = { arch: 'arm64', cpus: 8, housekeeping: '0-1', features: { gicv41: true, postedInterrupts: true } };
const BROKEN: [string, Record<string, unknown>, string, number[]][] = [
  ['converged-strict with LUO disabled: stalled vCPUs reset by INIT', presetScenario('converged-strict', LUO_OFF), 'vm-terminated', [8, 8]],
  ['rfc-v0 with LUO disabled: a spin-waiting and a running Caretaker reset', presetScenario('rfc-v0-spin-wait', LUO_OFF), 'vm-terminated', [8, 8]],
  ['rfcv1 with a stall and LUO disabled: the stalled job dies with its CPU', presetScenario('rfcv1-stall', LUO_OFF), 'vm-terminated', [8, 8]],
  ['rfcv1 2-on-1 with LUO disabled: the queued job dies with the last CPU', presetScenario('rfcv1-2-on-1', LUO_OFF), 'vm-terminated', [8]],
  ['design-v2 with LUO disabled: the staged vCPUs are lost with their CPUs', presetScenario('design-v2-kexec', LUO_OFF), 'vm-terminated', [8, 8]],
  ['arm64 with LUO disabled: PSCI CPU_ON finds the CPUs on; the running vCPUs are lost with their VM', presetScenario('converged-idle', { ...LUO_OFF, host: ARM64 }), 'vm-terminated', [8, 8]],
  ['rfcv1 8-on-1 on arm64 with LUO disabled: queued jobs are lost with their VM', presetScenario('rfcv1-8-on-1', { ...LUO_OFF, host: { ...ARM64, cpus: 4 } }), 'vm-terminated', [8]],
  ['classic with LUO disabled: nothing runs on a preserved CPU, the VM is lost', presetScenario('classic-baseline', LUO_OFF), 'vm-terminated', []],
];

describe('machines (model-based)', () => {
  for (const id of MACHINE_IDS) {
    it(`${id}: shortest paths keyed by transition cover every edge on a real actor`, () => {
      const machine = MACHINES[id];
      const edges = machineEdges(id);
      const events = [...new Set(edges.map((e) => e.event))].map((type) => ({ type }));
      const paths = getShortestPaths(machine as never, {
        events: events as never,
        serializeState: (s: { value: unknown }, e: { type: string } | undefined, prev: { value: unknown } | undefined) =>
          JSON.stringify([prev?.value ?? null, e?.type ?? null, s.value]),
        limit: 10_000,
      } as never) as { steps: { event: { type: string }; state: { value: unknown } }[] }[];
      const covered = new Set<string>();
      for (const path of paths) {
        const actor = createActor(machine as AnyStateMachine).start();
        for (const step of path.steps.slice(1)) {
          if ((actor.getSnapshot() as { status: string }).status === 'done') break; // later steps are events a final state ignores
          const before = String((actor.getSnapshot() as { value: unknown }).value);
          actor.send(step.event as never);
          const after = String((actor.getSnapshot() as { value: unknown }).value);
          expect(after).toBe(String(step.state.value));
          if (before !== after) covered.add(edgeKey(id, before, step.event.type, after));
          // the engine's transition function agrees with the actor
          expect(nextState(id, before, step.event.type) ?? before).toBe(after);
        }
        actor.stop();
      }
      expect(edges.map((e) => edgeKey(id, e.from, e.event, e.to)).filter((k) => !covered.has(k))).toEqual([]);
    });
  }

  it('the engine takes every transition of every machine across the presets (100% coverage)', () => {
    const seen = new Set<string>();
    const runs = [...PRESETS.map((p) => runPreset(p.id)), ...EXTRA.map(([, raw]) => runRaw(raw)), ...BROKEN.map(([, raw]) => runRaw(raw))];
    for (const sim of runs) {
      for (const t of transitions(sim)) {
        const ent = sim.raw.st.ents.find((x) => x.name === t.entity)!;
        seen.add(edgeKey(ent.machine!, t.from, t.event, t.to));
      }
    }
    const rows: string[] = [];
    const missing: string[] = [];
    for (const id of MACHINE_IDS as MachineId[]) {
      const edges = machineEdges(id).map((e) => edgeKey(id, e.from, e.event, e.to));
      const hit = edges.filter((k) => seen.has(k));
      missing.push(...edges.filter((k) => !seen.has(k)));
      rows.push(`${id.padEnd(11)} ${String(hit.length).padStart(2)}/${String(edges.length).padEnd(2)} ${((100 * hit.length) / edges.length).toFixed(0)}%`);
    }
    console.log(`transition coverage by the engine:\n${rows.join('\n')}`);
    expect(missing).toEqual([]);
    // and nothing the engine did lies outside the machines
    const all = new Set(MACHINE_IDS.flatMap((id) => machineEdges(id).map((e) => edgeKey(id, e.from, e.event, e.to))));
    expect([...seen].filter((k) => !all.has(k))).toEqual([]);
  });

  for (const [name, raw, outcome] of EXTRA) {
    it(`${name}: ${outcome}, no invariant broken`, () => {
      const r = runRaw(raw).report();
      expect(r.outcome).toBe(outcome);
      expect(r.invariants.violations).toEqual([]);
    });
  }

  for (const [name, raw, outcome, ids] of BROKEN) {
    it(`${name}: ${outcome}, invariants ${ids.join(', ') || 'none'} broken`, () => {
      const r = runRaw(raw).report();
      expect(r.outcome).toBe(outcome);
      expect(r.invariants.violations.map((v) => v.id)).toEqual(ids);
    });
  }

  it('fire() rejects a transition a machine does not accept', async () => {
    const { Engine } = await import('../src/model/engine/engine.ts');
    const { resolve } = await import('./helpers.ts');
    const e = new Engine(resolve(presetScenario('converged-idle')));
    const vcpu = e.st.vcpus[0].ent;
    expect(() => e.fire(vcpu, 'BLOCK')).toThrow(/BLOCK is not accepted in ATTACHED_RUNNING/);
  });
});
