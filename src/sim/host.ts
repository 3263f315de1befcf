/**
 * Serves SimRequests against one Simulation: the same code answers in process (tests, the CLI)
 * and inside the Web Worker. Also runs the loaded scenario under another design on request (the
 * metrics panel shows the classic blackout beside the chosen design).
 */
import { initialState, MACHINE_IDS, machineEdges, machineStates } from '../machines/index.ts';
import { parseScenario, type ResolvedScenario } from '../model/scenario.ts';
import type { RunReport } from '../model/report.ts';
import { Simulation } from './simulation.ts';
import { exportTrace, traceJsonChunks, traceSourceOf } from '../model/traceExport.ts';
import type { Have, LogDelta, SimRequest, SimResponse } from './protocol.ts';

export class SimHost {
  private sim: Simulation | null = null;
  private scenario: ResolvedScenario | null = null;
  private other = new Map<string, RunReport>();

  handle(req: SimRequest): SimResponse {
    try {
      if (req.op === 'load') {
        const r = parseScenario(req.scenario);
        if (!r.ok) return { op: 'load', result: { ok: false, errors: r.errors } };
        this.scenario = r.scenario;
        this.sim = new Simulation(r.scenario);
        this.other.clear();
        const sc = r.scenario;
        return {
          op: 'load',
          result: { ok: true, until: sc.until, title: sc.title, design: sc.design, description: sc.description, ringCapacity: sc.caretaker.traceRingRecords, estimatedEvents: estimateEvents(sc) },
        };
      }
      if (req.op === 'machines') {
        return {
          op: 'machines',
          machines: MACHINE_IDS.map((id) => ({ id, initial: initialState(id), states: machineStates(id), edges: machineEdges(id).map(({ from, event, to }) => ({ from, event, to })) })),
        };
      }
      const sim = this.sim;
      if (!sim) return { op: 'error', message: 'no scenario loaded' };
      switch (req.op) {
        case 'runUntil':
          sim.runUntil(req.t);
          return this.snap(sim, req.have);
        case 'seek':
          sim.seek(req.t);
          return this.snap(sim, req.have);
        case 'step':
          sim.step();
          return this.snap(sim, req.have);
        case 'snapshot':
          return { op: 'snapshot', snapshot: sim.snapshot() };
        case 'trace': {
          // the whole run, as `caretaker-lab trace` writes it (a fresh run: the cursor stays put)
          const whole = new Simulation(this.scenario!);
          whole.runUntil(this.scenario!.until);
          const trace = exportTrace(traceSourceOf(whole.raw), {});
          return { op: 'trace', json: [...traceJsonChunks(trace)].join(''), events: trace.traceEvents.length, capped: trace.otherData.exits.capped };
        }
        case 'report':
          if (!req.whole && (!req.design || req.design === this.scenario!.design)) return { op: 'report', report: sim.report() };
          return { op: 'report', report: this.reportAs(req.design ?? this.scenario!.design) };
      }
    } catch (e) {
      return { op: 'error', message: e instanceof Error ? e.message : String(e) };
    }
  }

  private snap(sim: Simulation, have?: Have): SimResponse {
    return { op: 'snapshot', snapshot: sim.snapshot(), delta: have ? logDelta(sim, have) : undefined };
  }

  /** The whole run of the loaded scenario under a design (cached), whatever the current instant. */
  private reportAs(design: string): RunReport {
    const hit = this.other.get(design);
    if (hit) return hit;
    const r = parseScenario(toRaw(this.scenario!, design));
    if (!r.ok) throw new Error(`the scenario cannot run under ${design}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    const sim = new Simulation(r.scenario);
    sim.runUntil(r.scenario.until);
    const rep = sim.report();
    this.other.set(design, rep);
    return rep;
  }
}

/** About how many exits a whole run logs: every vCPU at its workload's rate for the whole run. */
export function estimateEvents(sc: ResolvedScenario): number {
  let perSec = 0;
  for (const vm of sc.vms) {
    const rate = Object.values(vm.rates).reduce((a, b) => a + b, 0) + vm.devices.reduce((a, d) => a + (d.kind === 'emulated' ? d.accessesPerSec : d.interruptsPerSec), 0);
    perSec += rate * vm.vcpus;
  }
  return Math.round((perSec * sc.until) / 1e9);
}

/** A resolved scenario back in the input format (durations as integer ns are valid input). */
export function toRaw(sc: ResolvedScenario, design: string = sc.design): Record<string, unknown> {
  return {
    version: 1,
    title: sc.title,
    description: sc.description,
    seed: sc.seed,
    design,
    host: sc.host,
    vms: sc.vms.map((vm) => ({
      name: vm.name,
      vcpus: vm.vcpus,
      pinning: vm.pinning,
      optIn: vm.optIn,
      memory: vm.memory,
      memoryGiB: vm.memoryGiB,
      devices: vm.devices.map((d) =>
        d.kind === 'passthrough'
          ? { name: d.name, kind: d.kind, postedInterrupts: d.postedInterrupts, interruptsPerSec: d.interruptsPerSec, vcpu: d.vcpu }
          : { name: d.name, kind: d.kind, exit: d.exit, accessesPerSec: d.accessesPerSec, vcpus: d.vcpus },
      ),
      workload: {
        profile: vm.profile,
        scale: 1,
        rates: vm.rates,
        ...(vm.interArrival ? { interArrival: vm.interArrival } : {}),
        tlbShootdownsPerSec: vm.tlbShootdownsPerSec,
        newPageTouchesPerSec: vm.newPageTouchesPerSec,
      },
    })),
    caretaker: sc.caretaker,
    timing: sc.timing,
    steps: sc.steps.map((s) => (s.vm === null ? { at: s.at, action: s.action } : s)),
    faults: sc.faults.map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== null))),
    until: sc.until,
  };
}

/** The records, strings and entities the client lacks. */
export function logDelta(sim: Simulation, have: Have): LogDelta {
  const log = sim.log;
  const base = Math.min(have.events, log.length);
  const n = log.length - base;
  const t = new Float64Array(n);
  const ks = new Uint32Array(n);
  const a = new Uint32Array(n);
  const b = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const j = base + i;
    t[i] = log.time(j);
    ks[i] = (log.kind(j) << 24) | log.subject(j);
    a[i] = log.a(j);
    b[i] = log.b(j);
  }
  const stringBase = Math.min(have.strings, log.strings.length);
  const ents = sim.raw.st.ents;
  const entityBase = Math.min(have.entities, ents.length);
  return {
    base,
    length: log.length,
    t,
    ks,
    a,
    b,
    stringBase,
    strings: log.strings.slice(stringBase),
    entityBase,
    entities: ents.slice(entityBase).map((x) => ({ kind: x.kind, name: x.name, machine: x.machine })),
  };
}
