// Scenarios a review found that crashed, hung or mis-accounted, and an independent check of the
// report's time accounting recomputed from the raw event log.
import { describe, expect, it } from 'vitest';
import { L } from '../src/model/eventlog.ts';
import { parseScenario } from '../src/model/scenario.ts';
import { PRESETS } from '../src/model/presets.ts';
import type { Simulation } from '../src/sim/simulation.ts';
import { execChanges, firstEntry, presetScenario, runPreset, runRaw, s as sec, transitions } from './helpers.ts';
import { EXIT_IDS } from '../src/model/exits.ts';

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
