/**
 * The RunReport of design.md §4, built from the engine's state at its current instant (intervals
 * still open are closed at `now` without changing the state), and a live snapshot for the UI.
 */
import type { Ns } from '../base/time.ts';
import { EXIT_IDS, NUM_EXITS } from './exits.ts';
import { BYTES_PER_EVENT } from './eventlog.ts';
import type { Engine } from './engine/engine.ts';
import type { InvariantViolation, Phases } from './engine/state.ts';

export type Outcome = 'completed' | 'cancelled' | 'vm-terminated' | 'in-progress' | 'no-update';

export interface ExitCounts {
  total: number;
  fastpath: number;
  stalled: number;
  host: number;
  userspace: number;
}

export interface VcpuReport {
  vm: string;
  index: number;
  pcpu: number;
  state: string;
  guestNs: Ns;
  progressNs: Ns;
  stalledNs: Ns;
  longestStallNs: Ns;
  pendingExits: number;
  lostExits: number;
  exits: Record<string, ExitCounts>;
  /** The subset of `exits` that happened while detached under the Caretaker, in the gap. */
  gapExits: Record<string, ExitCounts>;
  /** rfcv1: the prototype's telemetry (kvm_caretaker_telemetry_ser) and oncore job accounting. */
  telemetry?: {
    total_runs: number;
    total_exits: number;
    stall_count: number;
    stall_exit_reason: string | null;
    preemptions: number;
    yields: number;
    migrations: number;
  };
  /**
   * rfc-v0: the RFC's telemetry buffer (rfc-thread.md Phase F [RFC]): exits the Caretaker handled
   * natively, by reason, and its spin-wait profile (the exit that blocked it, the time spun).
   */
  telemetryBuffer?: {
    handled: Record<string, number>;
    spinWaitExitReason: string | null;
    spinWaitNs: Ns;
  };
}

export interface VmReport {
  name: string;
  vcpus: number;
  blackoutNs: Ns;
  pauseNs: Ns;
  terminated: boolean;
  interrupts: { posted: number; exits: number; held: number; queued: number; longestHoldNs: Ns };
}

export interface RunReport {
  outcome: Outcome;
  scenario: { title: string; design: string; seed: number };
  engine: { events: number; eventLogHash: string; nowNs: Ns; untilNs: Ns; logBytesPerEvent: number };
  phases: Phases;
  vms: VmReport[];
  vcpus: VcpuReport[];
  trace: { produced: number; consumed: number; dropped: number; pending: number };
  invariants: { checked: number; violations: InvariantViolation[] };
}

export function buildReport(e: Engine): RunReport {
  const st = e.st;
  const now = st.now;
  const hot = st.hot;
  const vcpus: VcpuReport[] = st.vcpus.map((vc, v) => {
    const exits = countsOf(hot.counts, v);
    const gapExits = countsOf(hot.gapCounts, v);
    const openExec = vc.executing ? now - vc.execSince : 0;
    const openStall = vc.stallKind >= 0 ? now - vc.stallSince : 0;
    const openProgress = vc.executing && vc.waitAcks === 0 ? now - vc.progressSince : 0;
    return {
      vm: st.vms[vc.vm].name,
      index: vc.index,
      pcpu: vc.pcpu,
      state: st.ents[vc.ent].state,
      // an exit still in progress at `now` counts only up to now
      guestNs: Math.max(0, vc.execNs + openExec - hot.exitNs[v] + (vc.executing ? Math.max(0, hot.busyUntil[v] - now) : 0)),
      // progress intervals exclude TLB-shootdown waits; exits outside waits are no progress either
      progressNs: Math.max(0, vc.progressNs + openProgress - (hot.exitNs[v] - hot.waitExitNs[v]) + (vc.executing && vc.waitAcks === 0 ? Math.max(0, hot.busyUntil[v] - now) : 0)),
      stalledNs: vc.stalledNs + openStall,
      longestStallNs: Math.max(vc.longestStallNs, openStall),
      pendingExits: vc.stallKind >= 0 ? 1 : 0,
      lostExits: vc.lostExits,
      exits,
      gapExits,
      ...(vc.oncore
        ? {
            telemetry: {
              total_runs: vc.oncore.totalRuns,
              total_exits: Object.values(gapExits).reduce((a, c) => a + c.total, 0),
              stall_count: Object.values(gapExits).reduce((a, c) => a + c.stalled, 0),
              stall_exit_reason: vc.oncore.stallExitReason >= 0 ? EXIT_IDS[vc.oncore.stallExitReason] : null,
              preemptions: vc.oncore.preemptions,
              // ONCORE_EXIT_YIELD_IDLE: yields++ at every idle exit (HLT, PAUSE, MWAIT; WFI/WFE) the Caretaker
              // handles, whether the CPU then runs another job or the same one goes on (orphanvm.md §2)
              yields: (gapExits.HLT?.fastpath ?? 0) + (gapExits.PAUSE_INSTRUCTION?.fastpath ?? 0) + (gapExits.MWAIT_INSTRUCTION?.fastpath ?? 0),
              migrations: vc.oncore.migrations,
            },
          }
        : {}),
      ...(st.sc.design === 'rfc-v0' && vc.ct >= 0
        ? {
            telemetryBuffer: {
              handled: Object.fromEntries(Object.entries(gapExits).filter(([, c]) => c.fastpath > 0).map(([k, c]) => [k, c.fastpath])),
              spinWaitExitReason: vc.lastStallKind >= 0 ? EXIT_IDS[vc.lastStallKind] : null,
              spinWaitNs: vc.stalledNs + openStall,
            },
          }
        : {}),
    };
  });
  const vms: VmReport[] = st.vms.map((vm) => {
    const pt = vm.pause;
    let pause = pt.pauseNs;
    let blackout = pt.blackoutNs;
    if (pt.runStart >= 0 && pt.runEnd > now) {
      // an exit still in progress at `now` counts only up to now (as in guestNs)
      pause -= pt.runEnd - now;
      blackout = Math.max(pt.prevMax, now - pt.runStart);
    }
    if (pt.openSince >= 0) {
      // the open all-stopped interval may begin inside the current run (a vCPU that stopped in the
      // middle of an exit already counted as all stopped): count only what extends that run
      const joins = pt.runStart >= 0 && pt.runEnd >= pt.openSince;
      pause += Math.max(0, now - (joins ? Math.max(pt.runEnd, pt.openSince) : pt.openSince));
      const start = joins ? pt.runStart : pt.openSince;
      blackout = Math.max(blackout, now - start);
    }
    return {
      name: vm.name,
      vcpus: vm.vcpus.length,
      blackoutNs: blackout,
      pauseNs: pause,
      terminated: vm.terminated,
      interrupts: {
        posted: vm.irqPosted,
        exits: vm.irqExits,
        held: vm.irqHeld,
        queued: vm.irqQueued,
        longestHoldNs: Math.max(vm.longestIrqHoldNs, vm.irqHeldSince >= 0 ? now - vm.irqHeldSince : 0),
      },
    };
  });
  let produced = 0;
  let consumed = 0;
  let dropped = 0;
  let pending = 0;
  for (let v = 0; v < st.vcpus.length; v++) {
    produced += hot.ringProduced[v];
    consumed += hot.ringConsumed[v];
    dropped += hot.ringDropped[v];
    pending += hot.ringFill[v];
  }
  return {
    outcome: outcomeOf(e),
    scenario: { title: st.sc.title, design: st.sc.design, seed: st.sc.seed },
    engine: { events: e.log.length, eventLogHash: e.log.digest(), nowNs: now, untilNs: st.sc.until, logBytesPerEvent: BYTES_PER_EVENT },
    phases: { ...st.phases },
    vms,
    vcpus,
    trace: { produced, consumed, dropped, pending },
    invariants: { checked: st.invChecked, violations: st.violations.map((v) => ({ ...v })) },
  };
}

function countsOf(counts: Float64Array, v: number): Record<string, ExitCounts> {
  const out: Record<string, ExitCounts> = {};
  for (let k = 0; k < NUM_EXITS; k++) {
    const base = (v * NUM_EXITS + k) * 5;
    const c = { total: 0, fastpath: counts[base + 1], stalled: counts[base + 2], host: counts[base + 3], userspace: counts[base + 4] };
    c.total = c.fastpath + c.stalled + c.host + c.userspace;
    if (c.total > 0) out[EXIT_IDS[k]] = c;
  }
  return out;
}

function outcomeOf(e: Engine): Outcome {
  const st = e.st;
  if (st.vms.some((vm) => vm.terminated)) return 'vm-terminated';
  if (st.phases.preserve === null) return 'no-update';
  // async-run: no kexec; the VMs handed to new VMMs are all back in KVM_RUN (others may have cancelled)
  if (st.sc.design === 'async-run' && st.vms.some((vm) => vm.newVmm)) return st.vms.every((vm) => !vm.newVmm || vm.finished) ? 'completed' : 'in-progress';
  if (st.phases.kexec === null && st.cancelled && st.vms.every((vm) => vm.session < 0)) return 'cancelled';
  if (st.phases.kexec !== null && st.vms.every((vm) => vm.finished)) return 'completed';
  return 'in-progress';
}


