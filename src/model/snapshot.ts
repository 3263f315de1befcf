/**
 * A live view of the engine at its current instant for the UI's panels: every entity with its
 * machine state, pCPU owners, vCPU activity, trace rings and KHO regions. Plain data, so it
 * crosses a Worker boundary as is.
 */
import type { Ns } from '../base/time.ts';
import { EXIT_IDS } from './exits.ts';
import type { Engine } from './engine/engine.ts';
import type { EntKind, InvariantViolation, KhoRegion, Owner, Phases } from './engine/state.ts';

export interface SimSnapshot {
  now: Ns;
  until: Ns;
  events: number;
  eventLogHash: string;
  phases: Phases;
  entities: { id: number; kind: EntKind; name: string; machine: string | null; state: string; since: Ns }[];
  pcpus: { id: number; state: string; owner: Owner; kernel: number; vcpu: number; housekeeping: boolean; preserved: boolean; wedged: boolean }[];
  vcpus: {
    name: string;
    vm: string;
    index: number;
    pcpu: number;
    state: string;
    executing: boolean;
    waiting: boolean;
    pendingExit: string | null;
    /** rfcv1: the vCPU's oncore job. */
    job: { onCpu: number; runs: number; preemptions: number; migrations: number } | null;
    ring: { capacity: number; fill: number; produced: number; consumed: number; dropped: number } | null;
  }[];
  kho: { state: string; regions: KhoRegion[] };
  violations: InvariantViolation[];
}

export function buildSnapshot(e: Engine): SimSnapshot {
  const st = e.st;
  const hot = st.hot;
  return {
    now: st.now,
    until: st.sc.until,
    events: e.log.length,
    eventLogHash: e.log.digest(),
    phases: { ...st.phases },
    entities: st.ents.map((x, id) => ({ id, kind: x.kind, name: x.name, machine: x.machine, state: x.state, since: x.since })),
    pcpus: st.pcpus.map((p) => ({
      id: p.id,
      state: st.ents[p.ent].state,
      owner: p.owner,
      kernel: p.kernel,
      vcpu: p.vcpu,
      housekeeping: p.housekeeping,
      preserved: p.preserved,
      wedged: p.wedged,
    })),
    vcpus: st.vcpus.map((vc, v) => ({
      name: st.ents[vc.ent].name,
      vm: st.vms[vc.vm].name,
      index: vc.index,
      pcpu: vc.pcpu,
      job: vc.oncore ? { onCpu: vc.oncore.onCpu, runs: vc.oncore.totalRuns, preemptions: vc.oncore.preemptions, migrations: vc.oncore.migrations } : null,
      state: st.ents[vc.ent].state,
      executing: vc.executing,
      waiting: vc.waitAcks > 0,
      pendingExit: vc.stallKind >= 0 ? EXIT_IDS[vc.stallKind] : null,
      ring:
        vc.ct >= 0 && e.ringOn
          ? { capacity: st.sc.caretaker.traceRingRecords, fill: hot.ringFill[v], produced: hot.ringProduced[v], consumed: hot.ringConsumed[v], dropped: hot.ringDropped[v] }
          : null,
    })),
    kho: { state: st.ents[st.khoEnt].state, regions: st.kho.map((r) => ({ ...r })) },
    violations: st.violations.map((v) => ({ ...v })),
  };
}
