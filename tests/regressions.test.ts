// Scenarios a review found that crashed, hung or mis-accounted, and an independent check of the
// report's time accounting recomputed from the raw event log.
import { describe, expect, it } from 'vitest';
import { L } from '../src/model/eventlog.ts';
import { parseScenario } from '../src/model/scenario.ts';
import { PRESETS } from '../src/model/presets.ts';
import type { Simulation } from '../src/sim/simulation.ts';
import { execChanges, firstEntry, presetScenario, runPreset, runRaw, s as sec, transitions } from './helpers.ts';
import { EXIT_IDS } from '../src/model/exits.ts';
import { accountingProblems } from './fuzz/arbitraries.ts';

const B = (extra: Record<string, unknown>) => ({
  version: 1,
  vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3] }],
  steps: [
    { at: '1s', action: 'preserve' },
    { at: '1.5s', action: 'kexec' },
  ],
  ...extra,
});

describe('scenarios that once broke the engine', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a delayed attach IPI and its re-kick both arrive', B({ faults: [{ kind: 'delay-ipi', cpu: 2, purpose: 'attach', by: '998us' }] }), 'completed'],
    ['a known state slower than the re-kick', B({ timing: { knownState: '2ms' } }), 'completed'],
    ['an invalidation still in flight when a cancel attaches', B({ steps: [{ at: '1s', action: 'preserve' }, { at: '2.5s', action: 'cancel' }], faults: [{ kind: 'madvise-free', at: '2.5s', vm: 'vm0' }], until: '4s' }), 'cancelled'],
    ['a CPU wedging between the forced exit and the known state', B({ faults: [{ kind: 'wedge-cpu', at: 9690003000, cpu: 2 }] }), 'vm-terminated'],
    ['a cancel during liveupdate_reboot() is refused', B({ steps: [{ at: '1s', action: 'preserve' }, { at: '1.5s', action: 'kexec' }, { at: '1.52s', action: 'cancel' }] }), 'completed'],
    ['preserve and kexec at the same instant', B({ steps: [{ at: '1s', action: 'preserve' }, { at: '1s', action: 'kexec' }] }), 'completed'],
    ['a cancel while the VMM is still preserving', B({ steps: [{ at: '1s', action: 'preserve' }, { at: '1.1s', action: 'cancel' }], until: '3s' }), 'cancelled'],
    ['a kexec requested while a cancel runs goes ahead after it', B({ steps: [{ at: '1s', action: 'preserve' }, { at: '2.5s', action: 'cancel' }, { at: '2.5001s', action: 'kexec' }] }), 'vm-terminated'],
    [
      'a late duplicate invalidation lost to a CPU that wedges later',
      B({ faults: [{ kind: 'madvise-free', at: '1.3s', vm: 'vm0' }, { kind: 'delay-ipi', cpu: 2, purpose: 'invalidate', by: '5ms' }, { kind: 'wedge-cpu', at: '1.303s', cpu: 2 }] }),
      'vm-terminated',
    ],
    ["an attach IPI lost, then a blocking exit while the vCPU is being adopted (converged)", {"version":1,"design":"converged","vms":[{"name":"vm0","vcpus":1,"pinning":[2]}],"steps":[{"at":"1s","action":"preserve"},{"at":"1.5s","action":"kexec"}],"faults":[{"kind":"drop-ipi","at":"0s","cpu":2,"purpose":"attach"},{"kind":"host-mce","at":"9.6905s","cpu":2}],"until":"11s"}, 'completed'],
    ["no kernel staged, a cancel whose attach IPI is lost while the vCPU runs (converged, SVM)", {"version":1,"design":"converged","host":{"arch":"amd-svm","cpus":8,"housekeeping":"0-1"},"vms":[{"name":"vm0","vcpus":2,"pinning":[2,3]}],"steps":[{"at":"1s","action":"preserve"},{"at":"1s","action":"kexec"}],"faults":[{"kind":"kexec-fail","mode":"no-image"},{"kind":"drop-ipi","at":"0s","cpu":3,"purpose":"attach"}],"until":"3s"}, 'cancelled'],
    ["async-run: vm_suspend slower than the VMM gap", {"version":1,"design":"async-run","vms":[{"name":"vm0","vcpus":2,"pinning":[2,3],"optIn":false}],"timing":{"vmmPauseAck":"500ms"},"steps":[{"at":"1s","action":"preserve"},{"at":"1.5s","action":"kexec"}],"until":"3s"}, 'completed'],
    ["rfcv1: a cancel after a wedged CPU got its vCPU quarantined", {"version":1,"vms":[{"name":"vm0","vcpus":2,"pinning":[2,3]}],"until":"5s","design":"rfcv1","steps":[{"at":"1s","action":"preserve"},{"at":"1.5s","action":"kexec"}],"faults":[{"kind":"kexec-fail","mode":"no-image"},{"kind":"wedge-cpu","at":"1.3s","cpu":3}]}, 'vm-terminated'],
    ["rfcv1: preserving again onto a CPU that wedged", {"version":1,"vms":[{"name":"vm0","vcpus":2,"pinning":[2,3]}],"until":"3s","design":"rfcv1","steps":[{"at":"1s","action":"preserve"},{"at":"1.5s","action":"kexec"},{"at":"2s","action":"preserve"}],"faults":[{"kind":"kexec-fail","mode":"no-image"},{"kind":"wedge-cpu","at":"0.5s","cpu":2}]}, 'cancelled'],
    ["design-v2: a cancel after a machine check failed a vCPU", {"version":1,"vms":[{"name":"vm0","vcpus":2,"pinning":[2,3]}],"until":"3s","design":"design-v2","steps":[{"at":"1s","action":"preserve"},{"at":"1.5s","action":"kexec"}],"faults":[{"kind":"kexec-fail","mode":"no-image"},{"kind":"host-mce","at":"1.3s","cpu":3}]}, 'vm-terminated'],
    ["design-v2: a job cancelled while its quantum expires", {"version":1,"design":"design-v2","host":{"arch":"amd-svm","cpus":8,"housekeeping":"0-1"},"vms":[{"name":"vm0","vcpus":2,"pinning":[2,3],"memory":"lazy","devices":[{"name":"nvme","kind":"passthrough","postedInterrupts":false,"interruptsPerSec":500},{"name":"v","kind":"emulated","exit":"IO_INSTRUCTION","accessesPerSec":100,"vcpus":[1]}],"workload":{"profile":"idle","tlbShootdownsPerSec":200}},{"name":"vm1","vcpus":1,"pinning":[4],"optIn":false}],"steps":[{"at":"1s","action":"preserve","vm":"vm0"},{"at":"1.1s","action":"kexec"},{"at":"1.15s","action":"preserve"},{"at":"1.2s","action":"cancel","vm":"vm0"}],"until":"11s","faults":[{"kind":"kexec-fail","mode":"no-image"},{"kind":"drop-ipi","at":"0.5s","cpu":2,"purpose":"any","count":3}]}, 'cancelled'],
    ["async-run: one VM cancels, the other is upgraded", {"version":1,"design":"async-run","vms":[{"name":"vm0","vcpus":1,"pinning":[2]},{"name":"vm1","vcpus":1,"pinning":[3]}],"steps":[{"at":"1s","action":"preserve"},{"at":"1.2s","action":"cancel","vm":"vm0"},{"at":"1.5s","action":"kexec"}],"until":"3s"}, 'completed'],
    ['1,000 TLB shootdowns a second on 8 vCPUs', { ...B({}), host: { cpus: 12 }, vms: [{ name: 'v', vcpus: 8, workload: { profile: 'idle', tlbShootdownsPerSec: 1000 } }] }, 'completed'],
  ];
  for (const [name, raw, outcome] of cases) {
    it(name, () => {
      const r = runRaw(raw).report();
      expect(r.outcome).toBe(outcome);
      expect(r.invariants.violations).toEqual([]);
    });
  }

  it('the cancel-while-preserving run onlines each CPU before its vCPU runs again', () => {
    const sim = runRaw(B({ steps: [{ at: '1s', action: 'preserve' }, { at: '1.1s', action: 'cancel' }], until: '3s' }));
    expect(sim.report().vms[0].blackoutNs).toBe(1_060_000);
  });

  it('refuses what would loop forever or cannot be parsed', () => {
    const r1 = parseScenario(B({ timing: { attachRekick: '0ns' } }));
    expect(r1.ok ? [] : r1.errors.map((e) => e.path)).toEqual(['$.timing.attachRekick']);
    const r2 = parseScenario({ ...B({}), host: { housekeeping: '1-0' } });
    expect(r2.ok ? [] : r2.errors).toEqual([{ path: '$.host.housekeeping', message: 'expected a cpulist whose ranges go low to high, such as "0-1,4", got "1-0"' }]);
  });

  it('guest IPIs do not accumulate in the engine state', () => {
    const sim = runRaw({ ...B({}), host: { cpus: 12 }, vms: [{ name: 'v', vcpus: 8, workload: { profile: 'idle', tlbShootdownsPerSec: 1000 } }] });
    expect(sim.raw.st.ipis.length).toBeLessThan(100);
  });
});

/** Recomputes guestNs per vCPU and pause/blackout per VM from EXEC and EXIT records alone. */
function fromLog(sim: Simulation) {
  const log = sim.log;
  const st = sim.raw.st;
  const end = st.now;
  const vcpuOfEnt = new Map(st.vcpus.map((vc, v) => [vc.ent, v]));
  const exec: [number, number][][] = st.vcpus.map(() => []);
  const exits: [number, number][][] = st.vcpus.map(() => []);
  const since: number[] = st.vcpus.map(() => -1);
  for (let i = 0; i < log.length; i++) {
    const k = log.kind(i);
    const v = vcpuOfEnt.get(log.subject(i));
    if (v === undefined) continue;
    const t = log.time(i);
    if (k === L.EXEC) {
      if (log.a(i) === 1) since[v] = t;
      else {
        exec[v].push([since[v], t]);
        since[v] = -1;
      }
    } else if (k === L.EXIT && ((log.a(i) >>> 8) & 0xf) !== 2) exits[v].push([t, t + log.b(i)]);
  }
  since.forEach((s, v) => s >= 0 && exec[v].push([s, end]));
  // an exit counts when it lies inside an executing interval (a forced exit ends execution at its start)
  const stopped = st.vcpus.map((_, v) => {
    const out: [number, number][] = [];
    let last = 0;
    for (const [a, b] of exec[v]) {
      if (a > last) out.push([last, a]);
      last = b;
    }
    if (last < end) out.push([last, end]);
    // an exit counts when it lies inside an executing interval (a forced exit ends execution at its
    // start); one still in progress at the end of the run counts up to the end
    const inside = exits[v].filter(([a, b]) => exec[v].some(([x, y]) => a >= x && a < y && (b <= y || y === end)));
    return { stops: merge([...out, ...inside]), inside };
  });
  const guest = st.vcpus.map((_, v) => exec[v].reduce((s, [a, b]) => s + b - a, 0) - stopped[v].inside.reduce((s, [a, b]) => s + Math.min(b, end) - a, 0));
  const vms = st.vms.map((vm) => {
    let common = stopped[vm.vcpus[0]].stops;
    for (const v of vm.vcpus.slice(1)) common = intersect(common, stopped[v].stops);
    const runs = merge(common);
    return { pause: common.reduce((s, [a, b]) => s + b - a, 0), blackout: runs.reduce((m, [a, b]) => Math.max(m, b - a), 0) };
  });
  return { guest, vms };
}

function merge(xs: [number, number][]): [number, number][] {
  const s = [...xs].filter(([a, b]) => b > a).sort((p, q) => p[0] - q[0]);
  const out: [number, number][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function intersect(x: [number, number][], y: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const a = Math.max(x[i][0], y[j][0]);
    const b = Math.min(x[i][1], y[j][1]);
    if (b > a) out.push([a, b]);
    if (x[i][1] < y[j][1]) i++;
    else j++;
  }
  return out;
}

describe('time accounting, recomputed from the event log', () => {
  for (const p of PRESETS.filter((x) => !x.id.startsWith('bench') && !x.id.startsWith('scale'))) {
    it(`${p.id}: guestNs, pauseNs and blackoutNs agree with the log`, () => {
      const sim = runRaw(p.scenario);
      const r = sim.report();
      const o = fromLog(sim);
      r.vcpus.forEach((v, i) => expect(v.guestNs, `${v.vm}/${v.index}`).toBeCloseTo(o.guest[i], -1));
      r.vms.forEach((vm, i) => {
        expect(vm.pauseNs, vm.name).toBe(o.vms[i].pause);
        expect(vm.blackoutNs, vm.name).toBe(o.vms[i].blackout);
      });
    });
  }
});

/** Operations of one name in the log: instant and entity. */
function opsNamed(sim: Simulation, name: string): { t: number; entity: string }[] {
  const log = sim.log;
  const out: { t: number; entity: string }[] = [];
  for (let i = 0; i < log.length; i++) {
    if (log.kind(i) === L.OP && log.strings[log.a(i)] === name) out.push({ t: log.time(i), entity: sim.raw.st.ents[log.subject(i)].name });
  }
  return out;
}

/** Exits of one kind a vCPU took, with whether it was spinning in a TLB-shootdown wait then. */
function exitsOf(sim: Simulation, vcpu: string, kind: string): { t: number; waiting: boolean }[] {
  const log = sim.log;
  const ent = sim.raw.st.ents.findIndex((x) => x.name === vcpu);
  const k = EXIT_IDS.indexOf(kind);
  const out: { t: number; waiting: boolean }[] = [];
  let waiting = false;
  for (let i = 0; i < log.length; i++) {
    if (log.subject(i) !== ent) continue;
    if (log.kind(i) === L.WAIT) waiting = log.a(i) === 1;
    else if (log.kind(i) === L.EXIT && (log.a(i) & 0xff) === k) out.push({ t: log.time(i), waiting });
  }
  return out;
}

describe("modelling bugs the lesson authors reported", () => {
  it('madvise-free: the pages are freed only once both vCPUs acknowledged (exit, INVEPT, re-enter: ≈6 µs)', () => {
    const sim = runPreset('madvise-free');
    const sent = sim.raw.st.ipis.filter((i) => i.purpose === 'invalidate');
    expect(sent.map((i) => i.sentAt)).toEqual([sec(1.3), sec(1.3)]);
    const freed = opsNamed(sim, 'pages freed');
    expect(freed.map((x) => x.t)).toEqual([sec(1.300006)]);
    const lastArrival = Math.max(...sent.map((i) => i.arriveAt));
    expect(freed[0].t).toBe(lastArrival + sim.raw.st.sc.timing.forcedExit);
    expect(sim.report().invariants.violations).toEqual([]);
  });

  it('a vCPU quarantined through lost attach IPIs stops with its terminated VM (converged)', () => {
    const sim = runPreset('dropped-attach-ipi', { faults: [{ kind: 'drop-ipi', at: '9s', cpu: 3, purpose: 'attach', count: 5000 }] });
    const r = sim.report();
    expect(r.outcome).toBe('vm-terminated');
    const q = firstEntry(sim, 'vm0/vCPU1', 'QUARANTINED')!;
    expect(q).toBe(sec(11.691056));
    expect(firstEntry(sim, 'vm0/vCPU1', 'TERMINATED')).toBe(q);
    expect(firstEntry(sim, 'C3', 'QUARANTINED')).toBe(q); // never forced to a known state
    const ex = execChanges(sim, 'vm0/vCPU1');
    expect(ex[ex.length - 1]).toMatchObject({ t: q, running: false });
    expect(exitsOf(sim, 'vm0/vCPU1', 'MSR_WRITE/TSC_DEADLINE').filter((x) => x.t > q)).toEqual([]);
    expect(exitsOf(sim, 'vm0/vCPU1', 'HLT').filter((x) => x.t > q)).toEqual([]);
    // no vCPU of the VM executes from vCPU1's stop to the end of the run
    expect(r.vms[0].blackoutNs).toBe(sec(12) - q);
    expect(firstEntry(sim, 'CPU 3', 'ONLINE', sec(2))).toBeUndefined();
    expect(r.invariants.violations).toEqual([]);
  });

  for (const id of ['rfcv1-lost-park-kick', 'design-v2-lost-kick']) {
    it(`${id}: a quarantined job stops with its VM before its CPU is given back`, () => {
      const sim = runPreset(id, { faults: [{ kind: 'drop-ipi', at: '9s', cpu: 3, purpose: 'any', count: 5000 }] });
      const r = sim.report();
      expect(r.outcome).toBe('vm-terminated');
      const q = firstEntry(sim, 'vm0/vCPU1', 'QUARANTINED')!;
      const ex = execChanges(sim, 'vm0/vCPU1');
      expect(ex[ex.length - 1]).toMatchObject({ t: q, running: false });
      expect(r.invariants.violations).toEqual([]);
    });
  }

  it('feature-mismatch-adoption: the restore and feature check (adoptPerVcpu) pass before the vCPU is terminated', () => {
    const sim = runPreset('feature-mismatch-adoption');
    const stopped = firstEntry(sim, 'C2', 'STOPPED')!;
    expect(stopped).toBe(sec(9.690006));
    expect(firstEntry(sim, 'vm0/vCPU0', 'TERMINATED')).toBe(stopped + sim.raw.st.sc.timing.adoptPerVcpu);
    expect(firstEntry(sim, 'C2', 'RETIRED')).toBe(sec(9.690056));
    // vCPU1 is stopped by its attach IPI once the VM is terminated: nothing left to restore
    expect(firstEntry(sim, 'vm0/vCPU1', 'ADOPTING')).toBe(sec(9.690056));
    expect(firstEntry(sim, 'vm0/vCPU1', 'TERMINATED')).toBe(firstEntry(sim, 'C3', 'STOPPED'));
    expect(sim.report().invariants.violations).toEqual([]);
  });

  it('rfcv1 telemetry counts each idle exit (ONCORE_EXIT_YIELD_IDLE) once', () => {
    for (const id of ['rfcv1-4-on-2', 'rfcv1-kexec', 'rfcv1-8-on-1']) {
      for (const v of runPreset(id).report().vcpus) {
        const g = v.gapExits;
        const idle = (g.HLT?.fastpath ?? 0) + (g.PAUSE_INSTRUCTION?.fastpath ?? 0) + (g.MWAIT_INSTRUCTION?.fastpath ?? 0);
        expect(idle, `${id} vCPU${v.index}`).toBeGreaterThan(0);
        expect(v.telemetry!.yields, `${id} vCPU${v.index}`).toBe(idle);
      }
    }
  });

  it('a vCPU spinning for TLB-shootdown acknowledgements takes no HLT (or MWAIT) exits', () => {
    const sim = runPreset('tlb-shootdown-cascade');
    for (const name of ['vm0/vCPU1', 'vm0/vCPU2', 'vm0/vCPU3']) {
      const hlt = exitsOf(sim, name, 'HLT');
      expect(hlt.length, name).toBeGreaterThan(0); // it idles while it does not wait
      expect(hlt.filter((x) => x.waiting), name).toEqual([]);
      // timer interrupts still arrive while it spins
      expect(exitsOf(sim, name, 'MSR_WRITE/TSC_DEADLINE').filter((x) => x.waiting).length, name).toBeGreaterThan(10_000);
    }
    expect(sim.report().invariants.violations).toEqual([]);
  });

  it('FINISH frees the old Caretaker (converged) and the preserved CPUs\' state (rfcv1); a cancel drops it too', () => {
    const conv = runPreset('converged-idle');
    const ct = conv.raw.st.kho.filter((x) => x.key === 'caretaker');
    expect(ct.map((x) => x.freedAt)).toEqual([conv.report().phases.finish]);
    const v1 = runPreset('rfcv1-kexec');
    for (const cpu of [2, 3]) {
      const r = v1.raw.st.kho.find((x) => x.key === `cpu:${cpu}`)!;
      expect(r.freedAt, `cpu:${cpu}`).toBe(firstEntry(v1, `CPU ${cpu}`, 'DEAD'));
    }
    expect(v1.raw.st.kho.filter((x) => x.freedAt < 0)).toEqual([]);
    // cancel, then preserve again: the Caretaker is unpreserved at the close and preserved again
    const again = runRaw(presetScenario('cancel-cycle', { steps: [{ at: '1s', action: 'preserve' }, { at: '2.5s', action: 'cancel' }, { at: '3s', action: 'preserve' }, { at: '3.5s', action: 'kexec' }], until: '14s' }));
    const regions = again.raw.st.kho.filter((x) => x.key === 'caretaker');
    expect(regions.length).toBe(2);
    expect(regions[0].freedAt).toBe(firstEntry(again, 'LUO session vm0', 'CLOSED'));
    expect(regions[1].freedAt).toBe(again.report().phases.finish);
    expect(again.report().outcome).toBe('completed');
    // the prototype's permanent Caretaker (rfc-v0) stays in the exit path: never freed
    expect(runPreset('rfc-v0-idle').raw.st.kho.find((x) => x.key === 'caretaker')!.freedAt).toBe(-1);
  });

  it('converged offlines the pCPU with play_dead(), not the prototype\'s cpu_preserved_park()', () => {
    const sim = runPreset('converged-idle');
    expect(opsNamed(sim, 'cpu_preserved_park()')).toEqual([]);
    expect(opsNamed(sim, 'play_dead()')).toEqual([
      { t: sec(1.205006), entity: 'CPU 2' },
      { t: sec(1.210056), entity: 'CPU 3' },
    ]);
    expect(transitions(sim).find((x) => x.entity === 'CPU 2' && x.to === 'OFFLINE')!.t).toBe(sec(1.205006));
  });
});

// The engine findings of the fuzzing (issue 7; tests/fuzz/arbitraries.ts once listed them in
// KNOWN_FINDINGS, with the generator exclusions that kept the property clear of them). Each
// reproducer, as shrunk by fast-check, runs to `until` without an EngineBug, breaks no invariant
// and accounts for every exit and every nanosecond (the fuzzing's own checks).
describe('engine findings of the fuzzing, fixed', () => {
  const clean = (raw: Record<string, unknown>, outcome: string): Simulation => {
    const sim = runRaw(raw);
    const r = sim.report();
    expect(r.outcome).toBe(outcome);
    expect(r.invariants.violations).toEqual([]);
    expect(accountingProblems(sim, r)).toEqual([]);
    return sim;
  };
  /** When an entity took an event (first time), or undefined. */
  const tookAt = (sim: Simulation, entity: string, event: string, from?: string) =>
    transitions(sim).find((t) => t.entity === entity && t.event === event && (from === undefined || t.from === from))?.t;

  describe('F-ONCORE-QUARANTINE: an attach timeout quarantines a vCPU in whatever state it is (rfcv1, design-v2)', () => {
    it('design-v2, no fault: an attach timeout (20 ms) shorter than the known state (50 ms); the late sync reaches no one', () => {
      const sim = clean({ version: 1, design: 'design-v2', vms: [{ name: 'vm0', vcpus: 1 }], caretaker: { attachTimeout: '20ms' }, timing: { knownState: '50ms' }, steps: [{ at: '1s', action: 'preserve' }, { at: '1.5s', action: 'kexec' }] }, 'vm-terminated');
      // the kick forces the exit at 9.690001; the host gives up 20 ms after its request, never forcing STOPPED
      expect(tookAt(sim, 'vm0/vCPU0', 'QUARANTINE')).toBe(sec(9.71));
      expect(firstEntry(sim, 'vm0/vCPU0', 'STOPPED')).toBeUndefined();
      // the Caretaker still publishes ATTACHED when its sync is done; CPU 2 leaves its loop only then (cpu_wait_dead())
      expect(tookAt(sim, 'ccb vm0/vCPU0', 'SYNCED')).toBe(sec(9.740001));
      expect(firstEntry(sim, 'CPU 2', 'DEAD')).toBe(sec(9.740001));
    });
    it('design-v2: a stalled vCPU (STALLED) whose CPU wedges', () => {
      const sim = clean({ version: 1, design: 'design-v2', vms: [{ name: 'vm0', vcpus: 1, devices: [{ name: 'virtio-net0', kind: 'emulated' }] }], steps: [{ at: '1s', action: 'preserve' }, { at: '1.5s', action: 'kexec' }], faults: [{ kind: 'wedge-cpu', at: '9s', cpu: 2 }], until: '14s' }, 'vm-terminated');
      expect(transitions(sim).find((t) => t.entity === 'vm0/vCPU0' && t.event === 'QUARANTINE')).toMatchObject({ from: 'STALLED', t: sec(11.69) });
      expect(sim.report().vcpus[0].lostExits).toBe(1); // its pending exit is reported lost with the VM (invariant 4)
    });
    it('design-v2: a CPU that wedges before its job ever ran (PAUSED_IN_VMM)', () => {
      const sim = clean({ version: 1, design: 'design-v2', vms: [{ name: 'vm0', vcpus: 1, pinning: [3] }], steps: [{ at: '1s', action: 'preserve' }, { at: '1.5s', action: 'kexec' }], faults: [{ kind: 'wedge-cpu', at: '1.2s', cpu: 3 }] }, 'vm-terminated');
      expect(transitions(sim).find((t) => t.entity === 'vm0/vCPU0' && t.event === 'QUARANTINE')).toMatchObject({ from: 'PAUSED_IN_VMM' });
    });
    it('design-v2: two jobs on a CPU that wedges; the queued one (CARETAKER_PAUSED) leaves the runqueue', () => {
      const sim = clean({ version: 1, design: 'design-v2', vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 2] }], steps: [{ at: '1s', action: 'preserve' }, { at: '1.5s', action: 'kexec' }], faults: [{ kind: 'wedge-cpu', at: '1.3s', cpu: 2 }] }, 'vm-terminated');
      expect(transitions(sim).find((t) => t.entity === 'vm0/vCPU0' && t.event === 'QUARANTINE')).toMatchObject({ from: 'CARETAKER_PAUSED' });
      expect(sim.raw.st.vms[0].oncore!.runq).toEqual([]);
    });
    it('rfcv1: a cancel reclaims a job picked but not yet entered: run_fn sees STOPPING before VMRESUME (no kick needed)', () => {
      const sim = clean({ version: 1, design: 'rfcv1', vms: [{ name: 'vm0', vcpus: 1, pinning: [3] }], caretaker: { attachTimeout: '20ms' }, steps: [{ at: '1s', action: 'preserve' }, { at: '1.001s', action: 'cancel' }], faults: [{ kind: 'drop-ipi', cpu: 3, count: 50 }], until: '3s' }, 'cancelled');
      // CAS_STOPPING at the pick (1.205011); the entry (4 µs) sees it and serializes (5 µs): STOPPED, every kick lost
      expect(tookAt(sim, 'cb vm0/vCPU0', 'PUBLISH_STOPPED')).toBe(sec(1.20502));
      expect(tookAt(sim, 'vm0/vCPU0', 'RUN')).toBeUndefined();
      expect(sim.raw.st.ipis.filter((i) => i.purpose === 'attach').every((i) => i.status === 'lost')).toBe(true);
    });
  });

  it('rfcv1: a CPU that wedges between cpu_signal_exit() and DEAD is given up, as one found wedged (found while fixing the above)', () => {
    const sim = clean(presetScenario('rfcv1-kexec', { faults: [{ kind: 'wedge-cpu', at: 9_700_100_500, cpu: 3 }] }), 'completed');
    expect(transitions(sim).filter((t) => t.entity === 'CPU 3' && t.t > sec(9.7)).map((t) => t.to)).toEqual(['EXITING', 'WEDGED']);
    expect(sim.report().phases.finish).not.toBeNull();
  });

  describe('F-ONCORE-CANCEL-PRESERVING: an exit while the host reclaims the vCPU hands it over (kvm_caretaker_should_exit())', () => {
    it('rfcv1 2-on-1: a stall between CAS_STOPPING and the kick', () => {
      const sim = clean(
        {
          version: 1,
          seed: 972235684,
          design: 'rfcv1',
          host: { arch: 'arm64', clockGHz: 10 },
          vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 2], devices: [{ name: 'nvme0', kind: 'passthrough', interruptsPerSec: 1000 }, { name: 'virtio-net.0', kind: 'emulated', accessesPerSec: 5, vcpus: [1] }], workload: 'cpu-bound' }],
          timing: { hotplugOffline: 1000, ipi: '0.1ms', vmmPauseAck: '500000us' },
          steps: [{ at: '482000000ns', action: 'cancel' }, { at: 0, action: 'preserve' }],
        },
        'cancelled',
      );
      // the stalled vCPU goes STALLED → STOPPED (never PAUSED), and its pending exit is handled after KVM_RUN
      const t = transitions(sim).filter((x) => x.entity === 'vm0/vCPU0' && x.t >= sec(0.7002));
      expect(t.slice(0, 3).map((x) => `${x.event}:${x.to}`)).toEqual(['STALL:STALLED', 'STOP:STOPPED', 'KVM_RUN:KVM_RUN']);
      expect(sim.raw.st.vcpus[0].stalledHandled).toBe(1);
    });
    it('rfcv1: a stall while the reclaim kicks are delayed', () => {
      const sim = clean({ version: 1, design: 'rfcv1', vms: [{ name: 'vm0', vcpus: 1, memory: 'lazy' }], timing: { preservePerVm: '1us' }, steps: [{ at: '571ms', action: 'preserve' }, { at: '581ms', action: 'cancel' }], faults: [{ kind: 'delay-ipi', cpu: 2, by: '5ms', count: 4 }], until: '3s' }, 'cancelled');
      const stall = tookAt(sim, 'vm0/vCPU0', 'STALL')!;
      // STOPPED one known state (5 µs) after the stall, before the first delayed kick arrives
      expect(tookAt(sim, 'cb vm0/vCPU0', 'PUBLISH_STOPPED')).toBe(stall + 5000);
      expect(stall + 5000).toBeLessThan(Math.min(...sim.raw.st.ipis.filter((i) => i.purpose === 'attach').map((i) => i.arriveAt)));
      expect(sim.raw.st.vcpus[0].stalledHandled).toBe(1);
    });
  });

  it('F-PROGRESS-TLB: an exit that straddles the end of a TLB-shootdown wait is lost progress only after it (progressNs <= guestNs)', () => {
    const sim = clean({ version: 1, seed: 5, vms: [{ name: 'vm0', vcpus: 2, devices: [{ name: 'v', kind: 'emulated' }], workload: { interArrival: [1000, 1000, 1000, 4000000, 5000000], tlbShootdownsPerSec: 1 } }], until: '300ms' }, 'no-update');
    for (const v of sim.report().vcpus) expect(v.progressNs).toBeLessThanOrEqual(v.guestNs);
  });

  it('F-PROGRESS-TLB (found once the exclusions were gone): a scheduler NMI kick reaching a vCPU inside an exit takes no exit of its own (root mode), so exits never overlap', () => {
    // rfcv1 at 0.5 GHz (2.4 µs fastpath exits): the second job's activation kick reached vm1/vCPU0
    // in the middle of its TLB-shootdown ICR write, which made a second, overlapping exit
    const sim = clean(
      {
        version: 1,
        seed: 998,
        design: 'rfcv1',
        host: { arch: 'arm64', clockGHz: 0.5 },
        vms: [
          { name: 'vm0', vcpus: 2, workload: { scale: 1.0102372889700406e-165, tlbShootdownsPerSec: 1 } },
          { name: 'vm1', vcpus: 2, memory: 'lazy', workload: { scale: 2.3802859126158318e-86, interArrival: [1128326, 1143407, 1232548, 1902224, 2143415, 2618116, 3147921, 3426699, 3731781, 4192564, 4622048], tlbShootdownsPerSec: 80, newPageTouchesPerSec: 300 } },
        ],
        timing: { caretakerEntry: ' 0 µs ', vmmPauseAck: '500ms' },
        steps: [{ at: ' 6000 µs ', action: 'preserve', vm: 'vm1' }],
      },
      'in-progress',
    );
    for (const v of sim.report().vcpus) expect(v.progressNs).toBeLessThanOrEqual(v.guestNs);
  });

  describe('F-SHORT-STEP: protocol steps as short as an exit', () => {
    for (const design of ['rfcv1', 'design-v2']) {
      it(`${design}: vm_suspend() with a 0 ns pause ack returns only once the vCPU left KVM_RUN, before its CPU is preserved`, () => {
        const sim = clean({ version: 1, design, vms: [{ name: 'vm0', vcpus: 1 }], timing: { preservePerVm: 0, vmmPauseAck: 0 }, steps: [{ at: '1s', action: 'preserve' }], until: '2s' }, 'in-progress');
        const order = transitions(sim).filter((t) => (t.entity === 'vm0/vCPU0' && t.event === 'SUSPEND') || (t.entity === 'CPU 2' && t.event === 'REMOVE_CPU'));
        expect(order.map((t) => [t.entity, t.t])).toEqual([
          ['vm0/vCPU0', sec(1)],
          ['CPU 2', sec(1)],
        ]);
      });
    }
    it('async-run: a staging right after a cancel waits for the threads to be back in KVM_RUN (found once the exclusions were gone)', () => {
      const sim = clean({ version: 1, design: 'async-run', vms: [{ name: 'vm0', vcpus: 1 }], timing: { vmmPauseAck: 0, asyncStage: 0 }, steps: [{ at: 0, action: 'preserve' }, { at: 0, action: 'cancel' }, { at: '1us', action: 'preserve' }, { at: '1s', action: 'kexec' }], until: '2s' }, 'cancelled');
      // the old VMM runs again only once its thread took the vCPU back (kvmRunEntry, 5 µs): the preserve at 1 µs finds it cancelling
      expect(tookAt(sim, 'VMM vm0', 'RESUME')).toBe(sec(0.000005));
      expect(transitions(sim).filter((t) => t.entity === 'vm0/vCPU0').map((t) => t.to)).toEqual(['ASYNC_RUNNING', 'KVM_RUN']);
    });
    it('rfc-v0: a VM terminated (kexec right after a cancel, 0 ns freeze) while KVM handles a released pending exit: the vCPU does not run again (found once the exclusions were gone)', () => {
      const sim = runRaw(presetScenario('rfc-v0-spin-wait', { timing: { freeze: 0, adoptPerVcpu: 0 }, steps: [{ at: '1s', action: 'preserve' }, { at: '2s', action: 'cancel' }, { at: '2s', action: 'kexec' }], until: '3s' }));
      const r = sim.report();
      expect(r.outcome).toBe('vm-terminated');
      expect(r.invariants.violations.map((v) => v.id)).toEqual([3, 3]); // rfc-v0's own, at the cancel's reads (DESIGN_BREAKS)
      expect(accountingProblems(sim, r)).toEqual([]);
      const terminated = firstEntry(sim, 'vm0/vCPU0', 'TERMINATED')!;
      expect(execChanges(sim, 'vm0/vCPU0').filter((x) => x.t >= terminated && x.running)).toEqual([]);
      expect(r.vcpus[0].lostExits).toBe(1); // the doorbell exit KVM was handling is lost with the VM
    });
    it('converged: a VM terminated in the middle of an exit counts its pause once (pauseNs <= the run)', () => {
      const sim = clean({ version: 1, host: { clockGHz: 1 }, vms: [{ name: 'vm0', vcpus: 1 }], timing: { freeze: 1000 }, steps: [{ at: 0, action: 'kexec' }], faults: [{ kind: 'madvise-free', at: 0, vm: 'vm0', touchAfter: 0 }] }, 'vm-terminated');
      const r = sim.report();
      // the EPT_VIOLATION exit (2.5 µs) from 0, then terminated at 1 µs: stopped from 0 to the end
      expect(r.vms[0].pauseNs).toBe(r.engine.nowNs);
      expect(r.vms[0].blackoutNs).toBe(r.engine.nowNs);
    });
  });

  describe('F-SLOW-EXIT: an exit still in progress finishes before the lifecycle step takes its vCPU', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['classic: a cancel after a 40 µs exit', { version: 1, design: 'classic', vms: [{ name: 'vm0', vcpus: 1 }, { name: 'vm1', vcpus: 1 }], timing: { preservePerVm: ' 1 µs ', vmmPauseAck: '0.5s', exitCycles: { fastpath: 100000 } }, steps: [{ at: 536000000, action: 'preserve' }, { at: 545000000, action: 'cancel' }] }, 'cancelled'],
      ['classic at 0.5 GHz (200 µs exits): preserve and kexec at once', { version: 1, seed: 0, design: 'classic', host: { clockGHz: 0.5 }, vms: [{ name: 'vm0', vcpus: 1, pinning: [0], workload: 'cpu-bound' }], timing: { preservePerVm: 1000, freeze: 1000, vmmPauseAck: '500ms', exitCycles: { fastpath: 100000, host: 100000 } }, steps: [{ at: 0, action: 'preserve' }, { at: 0, action: 'kexec' }] }, 'completed'],
      ['converged: a VM without opt-in cancelled while it suspends', { version: 1, vms: [{ name: 'vm0', vcpus: 2, memory: 'lazy' }, { name: 'vm1', vcpus: 1, optIn: false, memory: 'lazy' }], timing: { preservePerVm: '1000ns', freeze: 1000, vmmPauseAck: '500ms', exitCycles: { fastpath: 100000, host: 100000 } }, steps: [{ at: '500ms', action: 'cancel', vm: 'vm1' }, { at: 0, action: 'preserve' }, { at: 0, action: 'kexec' }] }, 'vm-terminated'],
      ['rfcv1: RAM-only vCPUs, preserve and cancel at once', { version: 1, design: 'rfcv1', host: { features: { ipiv: false } }, vms: [{ name: 'vm1', vcpus: 1, optIn: false, workload: { profile: 'ipi-heavy' } }], timing: { preservePerVm: 1000, exitCycles: { fastpath: 100000 } }, steps: [{ at: 0, action: 'preserve' }, { at: 0, action: 'cancel' }] }, 'cancelled'],
      [
        'rfcv1: two VMs, a measured inter-arrival shape',
        {
          version: 1,
          design: 'rfcv1',
          vms: [{ name: 'vm0', vcpus: 1 }, { name: 'vm1', vcpus: 2, devices: [{ name: 'nvme1', kind: 'passthrough', interruptsPerSec: 1000 }], workload: { interArrival: [177443, 259819, 1094784, 1176902, 1383458, 1704166, 2780919, 3114926, 3413003] } }],
          timing: { preservePerVm: 1000, hotplugOffline: 1000, exitCycles: { fastpath: 100000, host: 100000 } },
          steps: [{ at: ' 591000 µs ', action: 'preserve' }],
        },
        'in-progress',
      ],
      [
        'design-v2: a 500 ms pause ack',
        {
          version: 1,
          design: 'design-v2',
          vms: [{ name: 'vm0', vcpus: 1, memory: 'lazy', workload: { profile: 'cpu-bound', rates: { EPT_VIOLATION: 1, MWAIT_INSTRUCTION: 277 }, interArrival: [1275352, 2946133, 3257714, 4073529, 4466734], tlbShootdownsPerSec: 1 } }],
          timing: { preservePerVm: 1000, hotplugOffline: 1000, vmmPauseAck: '500000us', exitCycles: { fastpath: 100000, host: 100000 } },
          steps: [{ at: 0, action: 'preserve' }],
        },
        'in-progress',
      ],
      ['design-v2 at 0.5 GHz', { version: 1, design: 'design-v2', host: { clockGHz: 0.5 }, vms: [{ name: 'vm0', vcpus: 2 }], timing: { preservePerVm: 1000, hotplugOffline: 1000, exitCycles: { fastpath: 100000, host: 1 } }, steps: [{ at: '380ms', action: 'preserve' }] }, 'in-progress'],
      [
        'async-run at 0.5 GHz with TLB shootdowns',
        {
          version: 1,
          design: 'async-run',
          host: { arch: 'amd-svm', clockGHz: 0.5, features: { avic: true } },
          vms: [{ name: 'vm0', vcpus: 2, memory: 'lazy', workload: { profile: 'cpu-bound', tlbShootdownsPerSec: 20 } }, { name: 'vm1', vcpus: 2, devices: [{ name: 'nvme1', kind: 'passthrough', postedInterrupts: false, interruptsPerSec: 1000 }], workload: 'cpu-bound' }],
          timing: { vmmStart: 1000, fdHandover: 1000, exitCycles: { fastpath: 100000, host: 1000 } },
          steps: [{ at: 0, action: 'kexec' }, { at: 0, action: 'preserve', vm: 'vm0' }],
          until: '2785000us',
        },
        'completed',
      ],
    ];
    for (const [name, raw, outcome] of cases) it(name, () => void clean(raw, outcome));

    it('vm_suspend() returns only once every vCPU thread is out of KVM_RUN: the VMM waits for an exit in progress', () => {
      const sim = clean(cases[1][1], 'completed');
      const session = transitions(sim).find((t) => t.entity === 'LUO session vm0' && t.event === 'PRESERVE_FD')!.t;
      const suspended = tookAt(sim, 'vm0/vCPU0', 'SUSPEND')!;
      expect(suspended).toBeGreaterThanOrEqual(sec(0.5)); // the pause ack (500 ms), then the exit in progress
      expect(session).toBe(suspended); // the VMM goes on at once, not before
    });
  });
});
