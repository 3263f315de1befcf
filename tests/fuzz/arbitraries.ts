// Fuzzing building blocks (issue 7, item 1), shared by tests/fuzz.test.ts (small, seeded) and
// scripts/fuzz.ts (the larger campaign): fast-check arbitraries of valid scenarios under every
// design, mutators of scenario JSON, share URLs and importer files, and the checks each property
// makes. The checks return problems as strings (never throw on a finding), so the campaign can
// count and print them and the test can assert there are none.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import LZString from 'lz-string';
import { EXIT_IDS, ARCHES } from '../../src/model/exits.ts';
import { L } from '../../src/model/eventlog.ts';
import { INV } from '../../src/model/invariants.ts';
import { PRESETS } from '../../src/model/presets.ts';
import { DESIGNS, IPI_PURPOSES, ONCORE_DESIGNS, designUsesCaretaker, parseScenario, type DesignId } from '../../src/model/scenario.ts';
import { EXIT_CYCLE_DEFS } from '../../src/model/timing.ts';
import type { RunReport } from '../../src/model/report.ts';
import { Simulation } from '../../src/sim/simulation.ts';

// =============================================================================================
// Valid scenarios
// =============================================================================================

export const FAULT_KINDS = [
  'drop-ipi',
  'delay-ipi',
  'wedge-cpu',
  'feature-mismatch',
  'madvise-free',
  'host-nmi',
  'host-mce',
  'tsc-reset',
  'kexec-fail',
  'vmm-slow-restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * How a VM's vCPUs are placed. `exclusive`: one free isolated pCPU each (always valid);
 * `default`: no `pinning` (the next free isolated pCPUs); `shared`: M vCPUs on fewer of the VM's
 * own isolated pCPUs; `housekeeping`: one vCPU on a housekeeping CPU; `cross-vm`: one vCPU on a
 * pCPU an earlier VM already uses.
 */
export type Layout = 'exclusive' | 'default' | 'shared' | 'housekeeping' | 'cross-vm';

export interface GenScenario {
  /** The scenario JSON, as a user would write it. */
  raw: Record<string, unknown>;
  design: DesignId;
  /** Whether any fault was injected (the run may then break invariants the fault targets). */
  faulted: boolean;
  faultKinds: FaultKind[];
  /**
   * The kernel's refusal docs/scenario.md ("What a scenario cannot do") predicts for this layout,
   * as the errnos expected (empty: the scenario must be accepted).
   */
  refusal: ('-EBUSY' | '-EINVAL')[];
  layouts: Layout[];
}

const MS = 1_000_000;

/** A duration in one of the accepted spellings: integer ns, or a string with a unit. */
function spell(ns: number, style: number): string | number {
  switch (style % 6) {
    case 0:
      return ns;
    case 1:
      return `${ns}ns`;
    case 2:
      return ns >= 1 ? `${ns / 1e6}ms` : `${ns}ns`;
    case 3:
      return ns >= 1000 ? `${ns / 1e9}s` : `${ns}ns`;
    case 4:
      return ns % 1000 === 0 ? `${ns / 1000}us` : `${ns}ns`;
    default:
      return ns % 1000 === 0 ? ` ${ns / 1000} µs ` : ` ${ns} ns`;
  }
}

const vmSpecArb = fc.record({
  vcpus: fc.integer({ min: 1, max: 3 }),
  layout: fc.constantFrom<Layout>('exclusive', 'exclusive', 'exclusive', 'default', 'shared', 'housekeeping', 'cross-vm'),
  cpuPicks: fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }),
  optIn: fc.constantFrom<boolean | undefined>(true, true, undefined, false),
  memory: fc.constantFrom<string | undefined>('prefaulted', 'lazy', undefined),
  memoryGiB: fc.constantFrom<number | undefined>(undefined, 0.0625, 1, 4, 512),
  workload: fc.oneof(
    { arbitrary: fc.constantFrom<unknown>('idle', 'cpu-bound', undefined), weight: 2 },
    {
      arbitrary: fc.record(
        {
          profile: fc.constantFrom('idle', 'cpu-bound', 'ipi-heavy'),
          scale: fc.double({ min: 0, max: 0.3, noNaN: true, noDefaultInfinity: true }),
          rates: fc.dictionary(fc.constantFrom(...EXIT_IDS), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1500 }), fc.double({ min: 0, max: 300, noNaN: true, noDefaultInfinity: true })), { maxKeys: 4 }),
          interArrival: fc.array(fc.integer({ min: 0, max: 5 * MS }), { minLength: 2, maxLength: 12 }).map((xs) => {
            const q = [...xs].sort((a, b) => a - b);
            if (q[q.length - 1] === 0) q[q.length - 1] = 1000;
            return q;
          }),
          tlbShootdownsPerSec: fc.constantFrom(0, 1, 20, 80),
          newPageTouchesPerSec: fc.constantFrom(0, 5, 50, 300),
        },
        { requiredKeys: [] },
      ),
      weight: 3,
    },
  ),
  passthrough: fc.option(fc.record({ posted: fc.option(fc.boolean(), { nil: undefined }), rate: fc.constantFrom(0, 10, 200, 1000), vcpuPick: fc.nat(10) }), { nil: undefined }),
  emulated: fc.option(fc.record({ exit: fc.constantFrom<string | undefined>('EPT_MISCONFIG', 'IO_INSTRUCTION', undefined), rate: fc.constantFrom(0, 5, 50, 300), vcpuMask: fc.nat(7), all: fc.boolean() }), { nil: undefined }),
});

const faultSpecArb = fc.record({
  kind: fc.constantFrom(...FAULT_KINDS),
  atFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  cpuPick: fc.nat(1000),
  vmPick: fc.nat(10),
  purpose: fc.option(fc.constantFrom(...IPI_PURPOSES), { nil: undefined }),
  count: fc.option(fc.constantFrom(1, 2, 3, 50), { nil: undefined }),
  by: fc.constantFrom(0, 1000, 300_000, 1_100_000, 5 * MS),
  when: fc.constantFrom('before-ponr', 'after-ponr'),
  touchAfter: fc.option(fc.constantFrom(0, 1000, 10 * MS), { nil: undefined }),
  delay: fc.constantFrom(0, 1 * MS, 50 * MS, 400 * MS),
  mode: fc.option(fc.constantFrom('no-image', 'luo-disabled'), { nil: undefined }),
  style: fc.nat(5),
});

type FaultSpec = typeof faultSpecArb extends fc.Arbitrary<infer T> ? T : never;

const stepSpecArb = fc.record({
  atFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  action: fc.constantFrom('preserve', 'kexec', 'cancel'),
  vmPick: fc.option(fc.nat(10), { nil: undefined }),
});

/** Timings that change the protocol's order of events; the rest keep their defaults. */
const timingArb = fc.record(
  {
    preservePerVm: fc.constantFrom(0, 1000, 5 * MS, 200 * MS),
    freeze: fc.constantFrom(0, 1 * MS, 50 * MS),
    apBringup: fc.constantFrom(0, 1000, 1 * MS),
    hotplugOffline: fc.constantFrom(0, 5 * MS),
    ipi: fc.constantFrom(0, 1000, 100_000),
    // 50 ms: a known state slower than the shortest attach timeout generated (20 ms)
    knownState: fc.constantFrom(0, 5000, 2 * MS, 50 * MS),
    caretakerEntry: fc.constantFrom(0, 4000),
    adoptPerVcpu: fc.constantFrom(0, 50_000, 3 * MS),
    forcedExit: fc.constantFrom(0, 5000),
    vmmPauseAck: fc.constantFrom(0, 5000, 500 * MS),
    vmmStart: fc.constantFrom(0, 50 * MS, 300 * MS),
    retrieve: fc.constantFrom(0, 90 * MS),
    finish: fc.constantFrom(0, 10 * MS),
    asyncStage: fc.constantFrom(0, 20_000),
    fdHandover: fc.constantFrom(0, 1 * MS),
    vmmRestore: fc.constantFrom(0, 10 * MS),
    attachPoll: fc.constantFrom(1000, 10_000),
    attachRekick: fc.constantFrom(100_000, 1 * MS, 5 * MS),
    exitCycles: fc.record(
      Object.fromEntries(Object.keys(EXIT_CYCLE_DEFS).map((k) => [k, fc.constantFrom(1, 1000, 100_000)])) as Record<string, fc.Arbitrary<number>>,
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

export interface ScenarioArbOptions {
  /** Only these designs (default: every design of DESIGNS). */
  designs?: readonly DesignId[];
  /** Never inject a fault. */
  noFaults?: boolean;
  /** Only layouts every design accepts (exclusive, default). */
  acceptedOnly?: boolean;
}

/**
 * Valid scenarios under every design: 1-3 VMs of 1-3 vCPUs on 4-10 pCPUs, every workload form,
 * both device kinds, every fault kind, timings that reorder the protocol, random operator steps,
 * and runs of at most a few simulated seconds at modest exit rates (milliseconds of real time).
 * A layout some design refuses is generated on purpose, with the refusal it must get.
 */
export function scenarioArb(opts: ScenarioArbOptions = {}): fc.Arbitrary<GenScenario> {
  return fc
    .record({
      design: fc.constantFrom(...(opts.designs ?? DESIGNS)),
      designInRaw: fc.boolean(),
      seed: fc.oneof(fc.nat(1000), fc.constant(4294967295), fc.nat()),
      // at most 120 UTF-16 units (the schema's maxLength): 40 code points of up to 2 units each
      title: fc.option(fc.string({ maxLength: 40, unit: 'binary' }), { nil: undefined }),
      arch: fc.option(fc.constantFrom(...ARCHES), { nil: undefined }),
      cpus: fc.integer({ min: 4, max: 10 }),
      hk: fc.constantFrom<'0' | '0-1' | 'arr01' | '0,2' | 'none'>('0-1', '0-1', 'arr01', '0', '0,2', 'none'),
      clockGHz: fc.option(fc.constantFrom(0.5, 2.5, 3.7, 10), { nil: undefined }),
      features: fc.record({ apicv: fc.boolean(), ipiv: fc.boolean(), avic: fc.boolean(), gicv41: fc.boolean(), postedInterrupts: fc.boolean() }, { requiredKeys: [] }),
      vms: fc.array(vmSpecArb, { minLength: 1, maxLength: 3 }),
      caretaker: fc.record(
        {
          policy: fc.constantFrom('fastpath', 'strict'),
          hlt: fc.constantFrom('skip', 'disable-intercepts'),
          timers: fc.constantFrom('auto', 'block'),
          apicFastpath: fc.boolean(),
          quantum: fc.constantFrom(1 * MS, 10 * MS, 20 * MS),
          attachTimeout: fc.constantFrom(20 * MS, 300 * MS, 2000 * MS),
          traceRingRecords: fc.constantFrom(16, 100, 4096, 32768),
        },
        { requiredKeys: [] },
      ),
      timing: timingArb,
      kexecGap: fc.integer({ min: 50, max: 2000 }),
      earlyFrac: fc.double({ min: 0, max: 0.99, noNaN: true }),
      plan: fc.constantFrom('kexec', 'kexec', 'kexec', 'cancel', 'preserve-only', 'random', 'none'),
      preserveAt: fc.integer({ min: 0, max: 600 }),
      secondAfter: fc.integer({ min: 0, max: 600 }),
      planVm: fc.option(fc.nat(10), { nil: undefined }),
      extraSteps: fc.array(stepSpecArb, { maxLength: 3 }),
      tail: fc.integer({ min: 0, max: 1500 }),
      faults: opts.noFaults
        ? fc.constant<FaultSpec[]>([])
        : fc.oneof({ arbitrary: fc.constant<FaultSpec[]>([]), weight: 2 }, { arbitrary: fc.array(faultSpecArb, { minLength: 1, maxLength: 3 }), weight: 3 }),
      style: fc.nat(5),
    })
    .map((g): GenScenario => {
      const hkSet = g.hk === '0' ? [0] : g.hk === '0,2' ? [0, 2] : [0, 1];
      const housekeeping = g.hk === 'arr01' ? [0, 1] : g.hk === 'none' ? undefined : g.hk;
      const isolated = [...Array(g.cpus).keys()].filter((c) => !hkSet.includes(c));
      const caretakerDesign = designUsesCaretaker(g.design);
      const oncore = ONCORE_DESIGNS.includes(g.design);

      // place the vCPUs as kernel rules allow, or break one rule on purpose (recorded in `refusal`).
      // The rules, docs/scenario.md "What a scenario cannot do" (preserveVcpuCheck in
      // src/model/scenario.ts): a vCPU preserved with a Caretaker (a design that uses one, and
      // optIn) pinned to a housekeeping CPU or CPU 0 is -EINVAL; two vCPUs on one pCPU when either
      // is preserved with a Caretaker are -EBUSY, except vCPUs of one VM under rfcv1 and design-v2
      // (the oncore run queue time-slices them); classic, async-run and optIn: false share freely.
      const pool = [...isolated];
      const owner = new Map<number, number>(); // pCPU -> VM index
      const refusal = new Set<'-EBUSY' | '-EINVAL'>();
      const layouts: Layout[] = [];
      const vms: Record<string, unknown>[] = [];
      const vmCaretaker: boolean[] = [];
      let housekeepingUsed = false;
      for (const spec of g.vms) {
        const i = vms.length;
        const optIn = spec.optIn ?? true;
        const ct = caretakerDesign && optIn;
        let layout: Layout = opts.acceptedOnly && !['exclusive', 'default'].includes(spec.layout) ? 'exclusive' : spec.layout;
        // one vCPU on a housekeeping CPU per scenario, and cross-VM sharing of isolated pCPUs only,
        // so that each broken rule gets exactly one errno (a preserved vCPU on a housekeeping CPU
        // is -EINVAL before it could be -EBUSY)
        const sharable = [...owner.keys()].filter((c) => !hkSet.includes(c));
        if (layout === 'cross-vm' && sharable.length === 0) layout = 'exclusive';
        if (layout === 'housekeeping' && housekeepingUsed) layout = 'exclusive';
        if (layout === 'housekeeping') housekeepingUsed = true;
        if (layout === 'shared' && spec.vcpus < 2) layout = 'exclusive';
        let vcpus = spec.vcpus;
        let pinning: number[] | undefined;
        const take = (k: number) => {
          const out: number[] = [];
          for (let j = 0; j < k && pool.length; j++) out.push(pool.splice(spec.cpuPicks[j % 3] % pool.length, 1)[0]);
          return out;
        };
        if (layout === 'exclusive') {
          vcpus = Math.min(vcpus, pool.length);
          if (vcpus === 0) break;
          pinning = take(vcpus);
        } else if (layout === 'default') {
          vcpus = Math.min(vcpus, pool.length);
          if (vcpus === 0) break;
          // the parse takes the lowest free isolated pCPUs, as the pool holds them in order
          pinning = undefined;
          pool.splice(0, vcpus).forEach((p) => owner.set(p, i));
        } else if (layout === 'shared') {
          const n = Math.min(Math.ceil(vcpus / 2), pool.length);
          if (n === 0) break;
          const cpus = take(n);
          pinning = [...Array(vcpus).keys()].map((k) => cpus[k % n]);
          if (ct && !oncore) refusal.add('-EBUSY');
        } else if (layout === 'housekeeping') {
          vcpus = Math.min(vcpus, pool.length + 1);
          const hkCpu = hkSet[spec.cpuPicks[0] % hkSet.length];
          pinning = [hkCpu, ...take(vcpus - 1)];
          vcpus = pinning.length;
          if (ct) refusal.add('-EINVAL');
        } else {
          const shared = sharable[spec.cpuPicks[0] % sharable.length];
          const prevVm = owner.get(shared)!;
          pinning = [shared, ...take(vcpus - 1)];
          vcpus = pinning.length;
          if (ct || vmCaretaker[prevVm]) refusal.add('-EBUSY');
        }
        pinning?.forEach((p) => owner.has(p) || owner.set(p, i));
        layouts.push(layout);
        vmCaretaker.push(ct);
        const devices: Record<string, unknown>[] = [];
        if (spec.passthrough) {
          devices.push({
            name: `nvme${i}`,
            kind: 'passthrough',
            ...(spec.passthrough.posted === undefined ? {} : { postedInterrupts: spec.passthrough.posted }),
            interruptsPerSec: spec.passthrough.rate,
            vcpu: spec.passthrough.vcpuPick % vcpus,
          });
        }
        if (spec.emulated) {
          const list = [...Array(vcpus).keys()].filter((k) => (spec.emulated!.vcpuMask >> k) & 1);
          devices.push({
            name: `virtio-net.${i}`,
            kind: 'emulated',
            ...(spec.emulated.exit ? { exit: spec.emulated.exit } : {}),
            accessesPerSec: spec.emulated.rate,
            ...(spec.emulated.all ? {} : { vcpus: list }),
          });
        }
        vms.push({
          name: `vm${i}`,
          vcpus,
          ...(pinning ? { pinning } : {}),
          ...(spec.optIn === undefined ? {} : { optIn: spec.optIn }),
          ...(spec.memory ? { memory: spec.memory } : {}),
          ...(spec.memoryGiB ? { memoryGiB: spec.memoryGiB } : {}),
          ...(devices.length ? { devices } : {}),
          ...(spec.workload === undefined ? {} : { workload: spec.workload }),
        });
      }
      if (vms.length === 0) {
        vms.push({ name: 'vm0', vcpus: 1, pinning: [isolated[0]] });
        layouts.push('exclusive');
      }
      const names = vms.map((v) => v.name as string);
      const pickVm = (n: number) => names[n % names.length];

      // the operator's script and the end of the run
      const gap = g.kexecGap * MS;
      const early = Math.floor(gap * g.earlyFrac);
      const p = g.preserveAt * MS;
      const t2 = p + g.secondAfter * MS;
      const timing: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g.timing)) {
        // exits as costly as 100,000 cycles (40 µs at 2.5 GHz, 200 µs at 0.5 GHz) and protocol
        // steps as short as an exit (0 ns, 1 µs) are generated on purpose: an exit in progress
        // must finish before a lifecycle step takes its vCPU (findings F-SLOW-EXIT, F-SHORT-STEP)
        if (k === 'exitCycles') {
          timing[k] = v;
          continue;
        }
        timing[k] = spell(v as number, g.style + k.length);
      }
      timing.kexecGap = spell(gap, g.style);
      timing.earlyBoot = spell(early, g.style + 1);
      const steps: { at: number; action: string; vm?: string }[] = [];
      const vmOf = g.planVm === undefined ? {} : { vm: pickVm(g.planVm) };
      if (g.plan === 'kexec') steps.push({ at: p, action: 'preserve', ...vmOf }, { at: t2, action: 'kexec' });
      else if (g.plan === 'cancel') steps.push({ at: p, action: 'preserve', ...vmOf }, { at: t2, action: 'cancel', ...vmOf });
      else if (g.plan === 'preserve-only') steps.push({ at: p, action: 'preserve', ...vmOf });
      // the update's own length (preserve, freeze, the gap, VMM restart, retrieve) plus a tail
      const span = Math.max(p, t2) + gap + 700 * MS;
      let until = g.plan === 'none' ? p + g.tail * MS + MS : span + g.tail * MS;
      if (g.plan === 'random' || g.extraSteps.length) {
        for (const s of g.extraSteps) steps.push({ at: Math.floor(s.atFrac * until), action: s.action, ...(s.vmPick === undefined ? {} : { vm: pickVm(s.vmPick) }) });
      }
      const lastStep = Math.max(0, ...steps.map((x) => x.at));
      if (lastStep > until) until = lastStep + 100 * MS;
      const faults = g.faults.map((f) => {
        const atNs = Math.floor(f.atFrac * until);
        const at = spell(atNs, f.style);
        // mostly the pCPUs the VMs run on, sometimes any pCPU
        const cpu = f.cpuPick % 4 === 0 ? f.cpuPick % g.cpus : isolated[f.cpuPick % isolated.length];
        const vm = pickVm(f.vmPick);
        switch (f.kind) {
          case 'drop-ipi':
            return { kind: f.kind, at, cpu, ...(f.purpose ? { purpose: f.purpose } : {}), ...(f.count ? { count: f.count } : {}) };
          case 'delay-ipi':
            return { kind: f.kind, at, cpu, by: spell(f.by, f.style), ...(f.purpose ? { purpose: f.purpose } : {}), ...(f.count ? { count: f.count } : {}) };
          case 'wedge-cpu':
          case 'host-nmi':
          case 'host-mce':
            return { kind: f.kind, at, cpu };
          case 'feature-mismatch':
            return { kind: f.kind, when: f.when, ...(f.vmPick % 3 === 0 ? {} : { vm }) };
          case 'madvise-free':
            return { kind: f.kind, at, vm, ...(f.touchAfter === undefined ? {} : { touchAfter: spell(f.touchAfter, f.style) }) };
          case 'tsc-reset':
            return { kind: f.kind, ...(f.vmPick % 3 === 0 ? {} : { vm }) };
          case 'kexec-fail':
            return { kind: f.kind, ...(f.mode ? { mode: f.mode } : {}) };
          case 'vmm-slow-restart':
            return { kind: f.kind, vm, delay: spell(f.delay, f.style) };
        }
      });
      const features = g.features;
      const raw: Record<string, unknown> = {
        version: 1,
        ...(g.title === undefined ? {} : { title: g.title }),
        seed: g.seed,
        ...(g.designInRaw || g.design !== 'converged' ? { design: g.design } : {}),
        host: {
          ...(g.arch ? { arch: g.arch } : {}),
          cpus: g.cpus,
          ...(housekeeping === undefined ? {} : { housekeeping }),
          ...(g.clockGHz ? { clockGHz: g.clockGHz } : {}),
          features,
        },
        vms,
        caretaker: g.caretaker,
        timing,
        steps: steps.map((s) => ({ ...s, at: spell(s.at, g.style + 2) })),
        faults,
        until: spell(until, g.style + 3),
      };
      return { raw, design: g.design, faulted: faults.length > 0, faultKinds: [...new Set(faults.map((f) => f.kind as FaultKind))], refusal: [...refusal].sort(), layouts };
    });
}

// =============================================================================================
// What a valid run must satisfy
// =============================================================================================

/**
 * Invariants no design and no fault may break: exit accounting, trace conservation, IPI
 * accounting and pCPU ownership (tests/designs.test.ts, BOOKKEEPING).
 */
export const BOOKKEEPING: readonly number[] = [INV.ONE_OWNER, INV.NO_LOST_EXIT, INV.TRACE_CONSERVED, INV.IPI_ACCOUNTED];

/**
 * Invariants a design breaks with no fault injected, by design:
 * - rfc-v0 breaks invariant 3: the new kernel reads each vCPU's state while the old Caretaker
 *   still runs it, at a retrieve and likewise at a cancel (docs/concepts.md, "The original RFC";
 *   docs/walkthrough.md "Where the engine differs from the walkthrough", item 8; tests/rfcv0.test.ts).
 * Every other design must run a fault-free scenario without a violation.
 */
export const DESIGN_BREAKS: Readonly<Record<DesignId, readonly number[]>> = {
  classic: [],
  converged: [],
  rfcv1: [],
  'design-v2': [],
  'rfc-v0': [INV.KNOWN_STATE],
  'async-run': [],
};

/**
 * Invariants a fault may break (beyond the design's own), as the docs say it does:
 * - tsc-reset breaks 9 (docs/scenario.md "Faults"; tests/faults.test.ts);
 * - madvise-free breaks 7 where there is no MMU-notifier kick: the prototype's designs (rfcv1 and
 *   its older design-v2) and rfc-v0 (docs/concepts/madvise.md "The prototype has no such kick";
 *   docs/concepts.md "The original RFC"; walkthrough §6.3);
 * - kexec-fail in mode luo-disabled (also the default mode) sends INIT/SIPI to preserved CPUs: 8
 *   (docs/scenario.md "Faults"; tests/machines.test.ts BROKEN); no-image breaks nothing.
 * Every other fault breaks none: drop-ipi and delay-ipi are counted and re-kicked (6 holds),
 * wedge-cpu and feature-mismatch terminate the VM with its exits reported (4 holds), host-nmi,
 * host-mce and vmm-slow-restart change timing only (tests/faults.test.ts).
 */
export function faultMayBreak(fault: { kind: string; mode?: unknown }, design: DesignId): readonly number[] {
  switch (fault.kind) {
    case 'tsc-reset':
      return [INV.TIME_MONOTONIC];
    case 'madvise-free':
      return design === 'rfcv1' || design === 'rfc-v0' || design === 'design-v2' ? [INV.NO_FREE_WHILE_MAPPED] : [];
    case 'kexec-fail':
      return fault.mode === 'no-image' ? [] : [INV.NO_SIPI_PRESERVED];
    default:
      return [];
  }
}

export interface RunOutcome {
  sim: Simulation;
  report: RunReport;
  /** Events handled (step() calls that returned true). */
  steps: number;
}

/** Runs a scenario with step() up to `budget` events; null when the budget ran out first. */
export function runBudgeted(sc: Parameters<typeof parseScenario>[0], budget: number): RunOutcome | { exhausted: true; steps: number; now: number } {
  const parsed = parseScenario(sc);
  if (!parsed.ok) throw new Error(`runBudgeted: invalid scenario ${JSON.stringify(parsed.errors)}`);
  const sim = new Simulation(parsed.scenario);
  let steps = 0;
  while (sim.step()) {
    if (++steps >= budget) return { exhausted: true, steps, now: sim.now };
  }
  return { sim, report: sim.report(), steps };
}

/**
 * Exit and time accounting of a finished run (the checks of tests/properties.test.ts, for any
 * design): every counted exit is logged once and every logged exit counted; each exit has one
 * disposition; every stalled exit is handled, pending or lost with its VM; guest time within the
 * run; blackout within pause; trace records conserved; a completed update terminates no VM.
 */
export function accountingProblems(sim: Simulation, r: RunReport): string[] {
  const out: string[] = [];
  const logged = new Map<number, number>();
  for (let i = 0; i < sim.log.length; i++) if (sim.log.kind(i) === L.EXIT) logged.set(sim.log.subject(i), (logged.get(sim.log.subject(i)) ?? 0) + 1);
  sim.raw.st.vcpus.forEach((vc, v) => {
    const rep = r.vcpus[v];
    const who = `${rep.vm}/vCPU${rep.index}`;
    let total = 0;
    let stalled = 0;
    for (const [k, c] of Object.entries(rep.exits)) {
      if (c.total !== c.fastpath + c.stalled + c.host + c.userspace) out.push(`${who} ${k}: total ${c.total} != fastpath ${c.fastpath} + stalled ${c.stalled} + host ${c.host} + userspace ${c.userspace}`);
      total += c.total;
      stalled += c.stalled;
    }
    for (const [k, c] of Object.entries(rep.gapExits)) {
      const all = rep.exits[k];
      if (c.total > (all?.total ?? 0)) out.push(`${who} ${k}: ${c.total} gap exits but ${all?.total ?? 0} exits in all`);
    }
    if ((logged.get(vc.ent) ?? 0) !== total) out.push(`${who}: ${logged.get(vc.ent) ?? 0} EXIT records logged, ${total} exits counted`);
    if (stalled !== vc.stalledHandled + rep.pendingExits + rep.lostExits) out.push(`${who}: ${stalled} stalled exits != handled ${vc.stalledHandled} + pending ${rep.pendingExits} + lost ${rep.lostExits}`);
    if (rep.guestNs > r.engine.nowNs) out.push(`${who}: guestNs ${rep.guestNs} > now ${r.engine.nowNs}`);
    if (rep.progressNs > rep.guestNs + 1) out.push(`${who}: progressNs ${rep.progressNs} > guestNs ${rep.guestNs}`);
    if (!(rep.guestNs >= 0 && rep.stalledNs >= 0 && rep.longestStallNs <= rep.stalledNs + 1)) out.push(`${who}: stall times out of range (stalled ${rep.stalledNs}, longest ${rep.longestStallNs}, guest ${rep.guestNs})`);
  });
  for (const vm of r.vms) {
    if (vm.blackoutNs > vm.pauseNs) out.push(`${vm.name}: blackoutNs ${vm.blackoutNs} > pauseNs ${vm.pauseNs}`);
    if (vm.pauseNs > r.engine.nowNs) out.push(`${vm.name}: pauseNs ${vm.pauseNs} > now ${r.engine.nowNs}`);
  }
  if (r.trace.produced !== r.trace.consumed + r.trace.dropped + r.trace.pending) out.push(`trace: produced ${r.trace.produced} != consumed ${r.trace.consumed} + dropped ${r.trace.dropped} + pending ${r.trace.pending}`);
  if (r.outcome === 'completed' && r.vms.some((v) => v.terminated)) out.push(`outcome completed but VM ${r.vms.filter((v) => v.terminated).map((v) => v.name).join(', ')} terminated`);
  if (r.engine.nowNs !== r.engine.untilNs) out.push(`the run ended at ${r.engine.nowNs}, not at until ${r.engine.untilNs}`);
  return out;
}

/** Which violations are not explained by the design or an injected fault. */
export function unexplainedViolations(g: GenScenario, r: RunReport): { id: number; atNs: number; message: string }[] {
  const allowed = new Set<number>(DESIGN_BREAKS[g.design]);
  for (const f of (g.raw.faults ?? []) as { kind: string; mode?: unknown }[]) for (const id of faultMayBreak(f, g.design)) allowed.add(id);
  return r.invariants.violations.filter((v) => BOOKKEEPING.includes(v.id) || !allowed.has(v.id));
}

export interface ValidStats {
  designs: Map<string, number>;
  faults: Map<string, number>;
  outcomes: Map<string, number>;
  refused: number;
  exhausted: number;
  events: number;
  violations: Map<string, number>;
}

export function newValidStats(): ValidStats {
  return { designs: new Map(), faults: new Map(), outcomes: new Map(), refused: 0, exhausted: 0, events: 0, violations: new Map() };
}

const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

/**
 * The property over generated valid scenarios: parsed as docs/scenario.md predicts (accepted, or
 * refused with exactly the expected errnos); run to `until` within `budget` events without an
 * exception; every exit accounted for; no bookkeeping invariant broken under any design or fault,
 * no invariant at all without a fault (but those the design breaks by design); and the same
 * scenario run again with runUntil() gives the same report, bit for bit.
 */
export function checkValidScenario(g: GenScenario, budget: number, stats?: ValidStats): string[] {
  const parsed = parseScenario(g.raw);
  stats && bump(stats.designs, g.design);
  for (const k of g.faultKinds) stats && bump(stats.faults, k);
  if (g.refusal.length) {
    if (parsed.ok) return [`expected a refusal (${g.refusal.join(', ')}) for layouts ${g.layouts.join(', ')}, but the scenario was accepted`];
    stats && stats.refused++;
    const errnos = new Set<string>();
    const out: string[] = [];
    for (const e of parsed.errors) {
      const m = /-EBUSY|-EINVAL/.exec(e.message);
      if (!m || !/^\$\.vms\[\d+\]\.(pinning\[\d+\]|vcpus)$/.test(e.path)) out.push(`unexpected error ${e.path}: ${e.message}`);
      else errnos.add(m[0]);
    }
    if ([...errnos].sort().join() !== g.refusal.join()) out.push(`expected ${g.refusal.join(', ')}, got ${[...errnos].join(', ')}`);
    return out;
  }
  if (!parsed.ok) return [`a valid scenario was refused: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`];
  const a = runBudgeted(g.raw, budget);
  if ('exhausted' in a) {
    stats && stats.exhausted++;
    return [`the run did not reach until within ${a.steps} events (at ${a.now} of ${parsed.scenario.until} ns): a hang or a runaway event stream`];
  }
  stats && (stats.events += a.report.engine.events);
  stats && bump(stats.outcomes, a.report.outcome);
  for (const v of a.report.invariants.violations) stats && bump(stats.violations, `${g.design}: inv ${v.id}${g.faulted ? ' (faulted)' : ''}`);
  const out = accountingProblems(a.sim, a.report);
  const bad = unexplainedViolations(g, a.report);
  if (bad.length) out.push(`invariants broken${g.faulted ? ` (faults: ${g.faultKinds.join(', ')})` : ' with no fault injected'}: ${bad.map((v) => `${v.id} at ${v.atNs}: ${v.message}`).join(' | ')}`);
  // determinism: a second run, by runUntil() with its checkpoints, gives the same report
  const b = new Simulation(parsed.scenario);
  b.runUntil(parsed.scenario.until);
  const rb = b.report();
  if (rb.engine.eventLogHash !== a.report.engine.eventLogHash || rb.engine.events !== a.report.engine.events) {
    out.push(`not deterministic: eventLogHash ${a.report.engine.eventLogHash} (${a.report.engine.events} events) by step(), ${rb.engine.eventLogHash} (${rb.engine.events}) by runUntil()`);
  } else if (JSON.stringify(rb) !== JSON.stringify(a.report)) out.push('not deterministic: same eventLogHash but a different report');
  return out;
}

// =============================================================================================
// Mutated scenario JSON
// =============================================================================================

/** A JSON path into a value: object keys and array indices. */
type Path = (string | number)[];

function paths(v: unknown, at: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(at);
  if (depth > 12 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out, depth + 1));
  else for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, k], out, depth + 1);
  return out;
}

function getAt(v: unknown, p: Path): unknown {
  let x = v;
  for (const k of p) x = (x as Record<string | number, unknown>)[k];
  return x;
}

/** Sets an own property (never the prototype, even for "__proto__"). */
function setOwn(o: object, k: string | number, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export const HUGE_NUMBERS: readonly number[] = [
  -1,
  -0,
  0.5,
  1e21,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  4294967296,
  600_000_000_001,
  1e-7,
];
/** Values no JSON text holds but a caller of parseScenario(unknown) might pass. */
const NON_JSON: readonly unknown[] = [NaN, Infinity, -Infinity, undefined];
export const NAN_LIKE_STRINGS: readonly string[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '1e308s',
  '0x10',
  '1_000',
  '1,5s',
  '1.5.5s',
  '-1ms',
  '+1ms',
  '∞',
  '',
  ' ',
  '10 min',
  '1e3ms',
  '.5s',
  '5.s',
  '99999999999999999999s',
  '0.0000000000001ns',
  '1 ms ms',
  '\u0000',
  '1ms\n',
  'null',
  'true',
  '__proto__',
];
export const PROTO_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

const scalarArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HUGE_NUMBERS),
  fc.constantFrom(...NAN_LIKE_STRINGS),
  fc.constantFrom<unknown>(null, true, false, 0, 1, '1s', 'converged', 'vm0', [], {}),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
);

export type JsonMutation =
  | { op: 'drop'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'rename'; at: number; key: string }
  | { op: 'retype'; at: number; value: unknown }
  | { op: 'nonJson'; at: number; value: unknown }
  | { op: 'nest'; at: number; depth: number; asArray: boolean }
  | { op: 'protoKey'; at: number; key: string; value: unknown }
  | { op: 'swap'; at: number; with: number }
  | { op: 'grow'; at: number; times: number };

export const jsonMutationArb: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('rename' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 }), fc.constantFrom('Version', 'vm', 'VMS', 'faults ', 'design\u0000')) }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat(), value: scalarArb }),
  fc.record({ op: fc.constant('nonJson' as const), at: fc.nat(), value: fc.constantFrom(...NON_JSON) }),
  fc.record({ op: fc.constant('nest' as const), at: fc.nat(), depth: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(600, 3000)), asArray: fc.boolean() }),
  fc.record({ op: fc.constant('protoKey' as const), at: fc.nat(), key: fc.constantFrom(...PROTO_KEYS), value: fc.oneof(scalarArb, fc.constant({ polluted: true })) }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant('grow' as const), at: fc.nat(), times: fc.constantFrom(2, 65, 300) }),
);

/** A deep copy by JSON; a value nested too deeply for that is shared instead. */
function copy(x: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(x ?? null));
  } catch {
    return x;
  }
}

/** The JSON text of a mutated value; one nested too deeply for JSON.stringify (or undefined) is a deep text of its own. */
export function jsonText(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return `${'['.repeat(20000)}${']'.repeat(20000)}`;
  }
}

/** fast-check hands out the same object for a constant: insert a copy, never the constant itself. */
const fresh = (v: unknown) => (v !== null && typeof v === 'object' ? copy(v) : v);

/** Applies mutations to a deep copy of `base` (the copy is built by JSON, so no shared objects). */
export function mutateJson(base: unknown, muts: readonly JsonMutation[]): unknown {
  const root: { v: unknown } = { v: JSON.parse(JSON.stringify(base)) };
  for (const m of muts) {
    const all = paths(root.v);
    const p = all[m.at % all.length];
    const parent = p.length ? getAt(root.v, p.slice(0, -1)) : root;
    const key = p.length ? p[p.length - 1] : 'v';
    const cur = getAt(root.v, p);
    const set = (x: unknown) => (Array.isArray(parent) && typeof key === 'number' ? (parent[key] = x) : setOwn(parent as object, key, x));
    switch (m.op) {
      case 'drop':
        if (!p.length) root.v = undefined;
        else if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete (parent as Record<string, unknown>)[key];
        break;
      case 'duplicate':
        if (Array.isArray(parent)) parent.splice(key as number, 0, copy(cur));
        else if (p.length) setOwn(parent as object, `${key}`.toUpperCase() === `${key}` ? `${key}_` : `${key}`.toUpperCase(), cur);
        else root.v = [cur, cur];
        break;
      case 'rename':
        if (p.length && !Array.isArray(parent)) {
          delete (parent as Record<string, unknown>)[key];
          setOwn(parent as object, m.key, cur);
        }
        break;
      case 'retype':
      case 'nonJson':
        set(fresh(m.value));
        break;
      case 'nest': {
        let x: unknown = cur;
        for (let i = 0; i < m.depth; i++) x = m.asArray ? [x] : { v: x };
        set(x);
        break;
      }
      case 'protoKey':
        if (cur !== null && typeof cur === 'object' && !Array.isArray(cur)) setOwn(cur, m.key, fresh(m.value));
        else {
          const o = {};
          setOwn(o, m.key, fresh(m.value));
          set(o);
        }
        break;
      case 'swap': {
        const q = all[m.with % all.length];
        if (q.length && p.length && !q.every((k, i) => p[i] === k) && !p.every((k, i) => q[i] === k)) {
          const other = getAt(root.v, q);
          set(other);
          const qp = getAt(root.v, q.slice(0, -1));
          const qk = q[q.length - 1];
          if (qp !== null && typeof qp === 'object') Array.isArray(qp) ? (qp[qk as number] = cur) : setOwn(qp, qk, cur);
        }
        break;
      }
      case 'grow':
        if (Array.isArray(cur) && cur.length) set(Array.from({ length: m.times }, (_, i) => copy(cur[i % cur.length])));
        else if (typeof cur === 'string') set(cur.repeat(m.times));
        else if (typeof cur === 'number') set(cur * 10 ** Math.min(m.times, 300));
        break;
    }
  }
  return root.v;
}

/** Text-level mutations of a scenario file: what JSON-level edits cannot express. */
export type TextMutation =
  | { op: 'truncate'; frac: number }
  | { op: 'dupKey'; at: number }
  | { op: 'insert'; frac: number; text: string }
  | { op: 'deepText'; depth: number }
  | { op: 'bom' }
  | { op: 'flip'; frac: number; ch: string };

export const textMutationArb: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('dupKey' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.oneof(fc.constantFrom(',', '}', ']', '"', '\\', 'NaN', '1e999', '\u0000', '/*x*/', ',,', '\ud800'), fc.string({ maxLength: 6 })) }),
  fc.record({ op: fc.constant('deepText' as const), depth: fc.constantFrom(100, 600, 20000) }),
  fc.constant({ op: 'bom' as const }),
  fc.record({ op: fc.constant('flip' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), ch: fc.string({ minLength: 1, maxLength: 1 }) }),
);

export function mutateText(text: string, m: TextMutation): string {
  const at = (f: number) => Math.min(text.length, Math.floor(f * text.length));
  switch (m.op) {
    case 'truncate':
      return text.slice(0, at(m.frac));
    case 'dupKey': {
      // a key given twice: JSON.parse keeps the last; the file's reader must not be confused
      const keys = [...text.matchAll(/"([A-Za-z]+)":("[^"]*"|-?\d+(?:\.\d+)?|true|false|null)/g)];
      if (!keys.length) return text;
      const k = keys[m.at % keys.length];
      return `${text.slice(0, k.index)}${k[0]},${k[0].replace(/:.*/, ':{"x":[1,2]}')},${text.slice(k.index)}`;
    }
    case 'insert':
      return `${text.slice(0, at(m.frac))}${m.text}${text.slice(at(m.frac))}`;
    case 'deepText':
      return `{"version":1,"vms":[{"name":"vm0","vcpus":1}],"title":${'['.repeat(m.depth)}${']'.repeat(m.depth)}}`;
    case 'bom':
      return `\ufeff${text}`;
    case 'flip': {
      const i = at(m.frac);
      return `${text.slice(0, i)}${m.ch}${text.slice(i + 1)}`;
    }
  }
}

/** Bases for mutation: generated valid scenarios and the bundled presets (small ones). */
export function mutationBaseArb(): fc.Arbitrary<unknown> {
  const presets = PRESETS.filter((p) => !p.id.startsWith('bench') && !p.id.startsWith('scale')).map((p) => p.scenario);
  return fc.oneof(
    scenarioArb().map((g) => g.raw),
    fc.constantFrom(...presets),
  );
}

/** Checks a parse result's shape: ok with a scenario, or errors that each name a JSON path and say what is wrong. */
export function parseResultProblems(r: unknown): string[] {
  if (r === null || typeof r !== 'object') return [`parseScenario returned ${String(r)}`];
  const x = r as { ok?: unknown; errors?: unknown; scenario?: unknown };
  if (x.ok === true) return x.scenario && typeof x.scenario === 'object' ? [] : ['ok without a scenario'];
  if (x.ok !== false || !Array.isArray(x.errors) || x.errors.length === 0) return [`neither ok nor errors: ${JSON.stringify(r).slice(0, 200)}`];
  const out: string[] = [];
  for (const e of x.errors as { path?: unknown; message?: unknown }[]) {
    if (typeof e.path !== 'string' || !/^\$/.test(e.path)) out.push(`error without a JSON path: ${JSON.stringify(e).slice(0, 200)}`);
    if (typeof e.message !== 'string' || e.message.trim() === '') out.push(`error without a message at ${String(e.path)}`);
    else if (/\[object Object\]/.test(e.message)) out.push(`unclear message at ${String(e.path)}: ${e.message.slice(0, 200)}`);
  }
  return out;
}

// =============================================================================================
// Mutated share URLs
// =============================================================================================

export type UrlMutation =
  | { op: 'truncate'; frac: number }
  | { op: 'flip'; frac: number; ch: string }
  | { op: 'percent'; frac: number; junk: string }
  | { op: 'prefix'; prefix: string }
  | { op: 'insert'; frac: number; text: string }
  | { op: 'double' };

export const LZ_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';

export const urlMutationArb: fc.Arbitrary<UrlMutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('flip' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), ch: fc.oneof(fc.constantFrom(...LZ_ALPHABET.split('')), fc.constantFrom('%', '#', '&', '=', ' ', '\u00e9', '\ud800', '/', '?')) }),
  fc.record({ op: fc.constant('percent' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), junk: fc.constantFrom('%', '%2', '%zz', '%00', '%25', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%2B', '%24', '%20') }),
  fc.record({ op: fc.constant('prefix' as const), prefix: fc.constantFrom('', '#', '#S=', '#s:', 's=', '#p=', '##s=', '#s==', '#s=#s=', '#%73=', ' #s=', '#p=converged-idle#s=') }),
  fc.record({ op: fc.constant('insert' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.string({ maxLength: 8, unit: 'binary' }) }),
  fc.constant({ op: 'double' as const }),
);

export function mutateUrlHash(hash: string, m: UrlMutation): string {
  const at = (f: number) => Math.min(hash.length, Math.floor(f * hash.length));
  switch (m.op) {
    case 'truncate':
      return hash.slice(0, at(m.frac));
    case 'flip': {
      const i = at(m.frac);
      return `${hash.slice(0, i)}${m.ch}${hash.slice(i + 1)}`;
    }
    case 'percent':
    case 'insert': {
      const i = at(m.frac);
      return `${hash.slice(0, i)}${m.op === 'percent' ? m.junk : m.text}${hash.slice(i)}`;
    }
    case 'prefix':
      return `${m.prefix}${hash.replace(/^#[sp]=/, '')}`;
    case 'double':
      return hash + hash;
  }
}

/** The search part of a lab URL: the known parameters with plausible and broken values. */
export const searchArb: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.constantFrom('t', 'view', 'h', 'theme', 'embed', 'lesson', 'step', 's', '__proto__', 'constructor'),
      fc.oneof(
        fc.constantFrom('0', '1', '9690000123', '999999999999999999999', '-1', '1e9', 'NaN', '5,3', '3,5', '0123456789abcdef', 'dark', 'projector', 'x'.repeat(70), 'lesson-1', '%', '%zz', ''),
        fc.string({ maxLength: 10 }),
      ),
    ),
    { maxLength: 5 },
  )
  .map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

/** A fragment: a share URL's `#s=` of a scenario (valid or mutated JSON), a preset link, or junk; then mutated. */
export function hashArb(): fc.Arbitrary<string> {
  const packed = fc.oneof(
    mutationBaseArb().map((raw) => `#s=${LZString.compressToEncodedURIComponent(JSON.stringify(raw))}`),
    fc.tuple(mutationBaseArb(), fc.array(jsonMutationArb, { minLength: 1, maxLength: 3 })).map(([b, ms]) => `#s=${LZString.compressToEncodedURIComponent(jsonText(mutateJson(b, ms)))}`),
    fc.tuple(mutationBaseArb(), textMutationArb).map(([b, m]) => `#s=${LZString.compressToEncodedURIComponent(mutateText(JSON.stringify(b), m))}`),
    fc.string({ maxLength: 40 }).map((s) => `#s=${LZString.compressToEncodedURIComponent(s)}`),
    fc.constantFrom(...PRESETS.map((p) => `#p=${p.id}`), '#p=', '#p=../../etc', '#p=__proto__', '#p=constructor', '#p=toString'),
    fc.string({ maxLength: 30 }).map((s) => `#${s}`),
    fc.stringMatching(/^[A-Za-z0-9+\-$]{0,60}$/).map((s) => `#s=${s}`),
    fc.integer({ min: 1, max: 200_000 }).map((k) => `#s=${lzBomb(k)}`),
  );
  return fc.tuple(packed, fc.array(urlMutationArb, { maxLength: 3 })).map(([h, ms]) => ms.reduce(mutateUrlHash, h));
}

// =============================================================================================
// Mutated importer files
// =============================================================================================

export type FileMutation =
  | { op: 'truncate'; frac: number }
  | { op: 'truncateLines'; frac: number }
  | { op: 'shuffle'; seed: number }
  | { op: 'dropLines'; every: number; offset: number }
  | { op: 'dupLines'; at: number; times: number }
  | { op: 'garble'; seed: number; rate: number }
  | { op: 'numbers'; value: string; rate: number; seed: number }
  | { op: 'binary'; bytes: Uint8Array; frac: number }
  | { op: 'empty'; what: string }
  | { op: 'crlf'; style: number }
  | { op: 'longLine'; frac: number; n: number; unit: string }
  | { op: 'insertLine'; frac: number; line: string };

/** Lines a tool might print, broken in small ways; some open a table, some look like events. */
const JUNK_LINES = [
  '             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time',
  '           MSR_WRITE  99999999999999999999999    35.40%     0.04%      0.45us   9554.94us      3.00us ( +-  41.94% )',
  '           HLT  1e400    100.00%     0.04%',
  'Total Samples:0, Total events handled time:0us.',
  'Total Samples:99999999999999999999999999999',
  'PID  TID  KVM_EXIT_REASON  COUNT',
  '1 2 HLT 99999999999999999999999',
  'exit_reason  calls  total(us)  min(us)  avg(us)  max(us)',
  '12: 182 29145513 58 160140 500054',
  '12: 1 | 2 | 3 | 4',
  '# reason: a | b',
  'qemu-5665 [000] .... 280.971121: kvm_exit: reason HLT rip 0x0 info 0 0',
  'qemu-5665 [000] .... 99999999999999999999.971121: kvm_exit: reason HLT rip 0x0 info 0 0',
  'qemu-5665 [000] .... 0.000000: kvm_exit: reason EXTERNAL_INTERRUPT rip 0x0 info 0 0',
  ' CPU-1 [001] d..1 1.5: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0',
  'CPU 3: kvm_exit: reason HLT rip 0x0',
  '   kvm_exit: reason',
  'kvm_msr: msr_write 6e0 = 0x1',
  'kvm_msr: msr_write zzzz = 0x1',
  'qemu-5665 [000] .... 280.971121:',
  'TRAP: HSR_EC: 0x0024 (DABT_LOW), PC: 0x0',
  'Analyze events for all VMs, VCPU 99999999999999999999:',
  'Analyze events for all VMs, all VCPUs:',
  '# perf kvm stat record -a sleep 0',
  '# perf kvm stat record -a sleep 99999999999999999999999',
  '# ./kvmexit.py -p 1 -T \'1,2,3\' 0',
  '# ./kvmexit.py 1e309',
  '# stap -T 0 kvm_service_time.stp',
  '# perf-prof kvm-exit -i 0',
  '| Event | Count |',
  '|---|---|',
  '| kvm_exit | 12 |',
  'cpus=0',
  'version = 6',
  '2024-01-01 00:00:00.000000',
  '        before        after',
];

export const fileMutationArb: fc.Arbitrary<FileMutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('truncateLines' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('shuffle' as const), seed: fc.nat() }),
  fc.record({ op: fc.constant('dropLines' as const), every: fc.integer({ min: 2, max: 7 }), offset: fc.nat(6) }),
  fc.record({ op: fc.constant('dupLines' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ op: fc.constant('garble' as const), seed: fc.nat(), rate: fc.double({ min: 0.01, max: 1, noNaN: true }) }),
  fc.record({
    op: fc.constant('numbers' as const),
    value: fc.constantFrom('99999999999999999999999', '9'.repeat(400), '0', '-1', '1e400', 'NaN', '00000000000000000001', '4294967296', '1.7976931348623157e308', '0.000000000000000001', '1,000,000', '٣'),
    rate: fc.double({ min: 0.05, max: 1, noNaN: true }),
    seed: fc.nat(),
  }),
  fc.record({ op: fc.constant('binary' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('empty' as const), what: fc.constantFrom('', '\n', '\n\n\n', '   ', '\r\n', '#', '\ufeff', '\u0000') }),
  fc.record({ op: fc.constant('crlf' as const), style: fc.nat(2) }),
  fc.record({ op: fc.constant('longLine' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), n: fc.constantFrom(1000, 20000), unit: fc.constantFrom(' ', 'a', '[0] ', 'kvm_exit: ', '9', ': ', '\t', '|') }),
  fc.record({ op: fc.constant('insertLine' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), line: fc.oneof({ arbitrary: fc.constantFrom(...JUNK_LINES), weight: 4 }, { arbitrary: fc.string({ maxLength: 60 }), weight: 1 }) }),
);

/** A tiny deterministic PRNG for the mutators (mulberry32), seeded by fast-check. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutateFile(text: string, m: FileMutation): string {
  const lines = () => text.split('\n');
  switch (m.op) {
    case 'truncate':
      return text.slice(0, Math.floor(m.frac * text.length));
    case 'truncateLines': {
      const ls = lines();
      return ls.slice(0, Math.floor(m.frac * ls.length)).join('\n');
    }
    case 'shuffle': {
      const ls = lines();
      const r = prng(m.seed);
      for (let i = ls.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [ls[i], ls[j]] = [ls[j], ls[i]];
      }
      return ls.join('\n');
    }
    case 'dropLines':
      return lines().filter((_, i) => i % m.every !== m.offset % m.every).join('\n');
    case 'dupLines': {
      const ls = lines();
      const i = m.at % ls.length;
      ls.splice(i, 0, ...Array(m.times).fill(ls[i]));
      return ls.join('\n');
    }
    case 'garble': {
      // columns swapped, dropped, duplicated or merged
      const r = prng(m.seed);
      return lines()
        .map((l) => {
          if (r() > m.rate) return l;
          const cols = l.split(/(\s+)/);
          const k = Math.floor(r() * 4);
          const i = Math.floor(r() * cols.length);
          const j = Math.floor(r() * cols.length);
          if (k === 0) [cols[i], cols[j]] = [cols[j], cols[i]];
          else if (k === 1) cols.splice(i, 1);
          else if (k === 2) cols.splice(i, 0, cols[j]);
          else cols[i] = cols[i] + cols[j];
          return cols.join('');
        })
        .join('\n');
    }
    case 'numbers': {
      const r = prng(m.seed);
      return text.replace(/\d+(?:\.\d+)?/g, (d) => (r() < m.rate ? m.value : d));
    }
    case 'binary': {
      const i = Math.floor(m.frac * text.length);
      return `${text.slice(0, i)}${Buffer.from(m.bytes).toString('utf8')}${text.slice(i)}`;
    }
    case 'empty':
      return m.what;
    case 'crlf':
      return m.style === 0 ? text.replace(/\n/g, '\r\n') : m.style === 1 ? text.replace(/\n/g, '\r') : text.replace(/\n/g, '\n\r');
    case 'longLine': {
      const ls = lines();
      ls.splice(Math.floor(m.frac * ls.length), 0, m.unit.repeat(m.n));
      return ls.join('\n');
    }
    case 'insertLine': {
      const ls = lines();
      ls.splice(Math.floor(m.frac * ls.length), 0, m.line);
      return ls.join('\n');
    }
  }
}

export const profileOptionsArb = fc.record(
  {
    table: fc.constantFrom(1, 1, 1, 2, 3, 5),
    seconds: fc.constantFrom(1e-9, 0.001, 1, 22.66, 1e12),
    vcpus: fc.constantFrom(1, 2, 64, 1_000_000),
    msrWrite: fc.constantFrom('tsc-deadline' as const, 'x2apic-icr' as const, 'other' as const),
    quantiles: fc.constantFrom(2, 11, 101),
  },
  { requiredKeys: [] },
);

// =============================================================================================
// The checks of the robustness properties
// =============================================================================================

const describeError = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e));

/** Object.prototype must never gain a key from a parsed scenario or URL. */
export function prototypeProblems(): string[] {
  const probe = {} as Record<string, unknown>;
  const extra = ['polluted', 'x', 'v'].filter((k) => k in probe);
  return extra.length ? [`Object.prototype was polluted: ${extra.join(', ')}`] : [];
}

/**
 * A mutated scenario value: parseScenario and the simulation host's `load` return a result (ok,
 * or errors that each name a JSON path and what was expected) and never throw; the JSON text of
 * the value reads the same way; a mutation that is still valid runs `budget` events without an
 * exception.
 */
export function mutatedScenarioProblems(
  value: unknown,
  budget: number,
  load: (v: unknown) => { op: string; message?: string; result?: { ok: boolean } },
  onKnown?: (findingId: string) => void,
): string[] {
  const out: string[] = [];
  let r: ReturnType<typeof parseScenario>;
  try {
    r = parseScenario(value);
  } catch (e) {
    return [`parseScenario threw: ${describeError(e)}`];
  }
  out.push(...parseResultProblems(r));
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    try {
      const again = parseScenario(JSON.parse(text));
      out.push(...parseResultProblems(again).map((p) => `(after a JSON round trip) ${p}`));
    } catch (e) {
      out.push(`parseScenario threw on the JSON text: ${describeError(e)}`);
    }
  }
  try {
    const res = load(value);
    if (res.op !== 'load') out.push(`the simulation host answered load with ${res.op}: ${res.message ?? ''}`);
    else if (res.result?.ok !== r.ok) out.push(`load says ok=${res.result?.ok}, parseScenario ok=${r.ok}`);
  } catch (e) {
    out.push(`the simulation host threw on load: ${describeError(e)}`);
  }
  if (r.ok && budget > 0) {
    try {
      const sim = new Simulation(r.scenario);
      for (let i = 0; i < budget && sim.step(); i++);
      sim.report();
    } catch (e) {
      // EXCLUSION: a mutation that lands on a known engine finding (KNOWN_FINDINGS) is counted
      // by the caller (onKnown), not failed; any other crash is a new finding
      const known = knownFindingOf(describeError(e));
      if (known) onKnown?.(known.id);
      else out.push(`a mutated scenario that parses crashed the engine: ${describeError(e)}`);
    }
  }
  out.push(...prototypeProblems());
  return out;
}

export interface LabUrlLike {
  scenario: { kind: 'preset'; id: string } | { kind: 'inline'; raw: unknown } | null;
  problem: string | null;
  t: number | null;
  view: { t0: number; t1: number } | null;
  hash: string | null;
  theme: string;
  embed: boolean;
  lesson: string | null;
  step: number | null;
}

/**
 * A mutated lab URL: parseLabUrl never throws; it gives a scenario (a preset the lab has, or an
 * inline value that parseScenario then reads without throwing) and no problem, or no scenario and
 * a problem string (or neither, for an empty fragment); the view parameters are well formed.
 */
export function urlProblems(parse: (search: string, hash: string) => LabUrlLike, presetIds: ReadonlySet<string>, search: string, hash: string): string[] {
  let r: LabUrlLike;
  try {
    r = parse(search, hash);
  } catch (e) {
    return [`parseLabUrl threw: ${describeError(e)}`];
  }
  const out: string[] = [];
  if (r.scenario === null) {
    if (hash !== '' && hash !== '#' && (typeof r.problem !== 'string' || r.problem.trim() === '')) out.push(`no scenario and no problem for ${JSON.stringify(hash.slice(0, 80))}`);
  } else {
    if (r.problem !== null) out.push(`a scenario and a problem: ${r.problem}`);
    if (r.scenario.kind === 'preset' && !presetIds.has(r.scenario.id)) out.push(`an unknown preset ${r.scenario.id} was accepted`);
    if (r.scenario.kind === 'inline') {
      try {
        out.push(...parseResultProblems(parseScenario(r.scenario.raw)));
      } catch (e) {
        out.push(`parseScenario threw on a URL's scenario: ${describeError(e)}`);
      }
    }
  }
  if (r.t !== null && !(Number.isSafeInteger(r.t) && r.t >= 0)) out.push(`t = ${r.t}`);
  if (r.view !== null && !(Number.isSafeInteger(r.view.t0) && Number.isSafeInteger(r.view.t1) && r.view.t1 > r.view.t0)) out.push(`view = ${JSON.stringify(r.view)}`);
  if (!['light', 'dark', 'projector'].includes(r.theme)) out.push(`theme = ${r.theme}`);
  if (r.step !== null && !(Number.isInteger(r.step) && r.step >= 1)) out.push(`step = ${r.step}`);
  if (r.hash !== null && !/^[0-9a-f]{16}$/.test(r.hash)) out.push(`hash = ${r.hash}`);
  out.push(...prototypeProblems());
  return out;
}

export interface ImporterApi {
  importExits(text: string, name: string): {
    sections: { reasons: { count: number }[] }[];
    nothingUsable: string | null;
    unread: { count: number };
    lines: number;
  };
  buildProfile(
    r: never,
    opts: { table?: number; seconds?: number; vcpus?: number; msrWrite?: 'tsc-deadline' | 'x2apic-icr' | 'other'; quantiles?: number },
  ): { ok: true; profile: ProfileLike } | { ok: false; error: string };
}

export interface ProfileLike {
  exits: number;
  durationSec: number | null;
  vcpus: number | null;
  reasons: { count: number; share: number; ratePerVcpu: number | null }[];
  notModelled: { count: number; share: number };
  interArrival: number[] | null;
  workload: { rates: Record<string, number>; interArrival?: number[] } | null;
}

const finiteNonNeg = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/**
 * A mutated importer file: importExits and buildProfile never throw; the result is a clear error
 * (a non-empty message) or a profile whose figures are finite, whose shares add up to 1, and whose
 * workload a scenario accepts as `vms[].workload` (the Profile type's promise).
 */
export function importerProblems(api: ImporterApi, text: string, name: string, opts: Parameters<ImporterApi['buildProfile']>[1]): string[] {
  let res: ReturnType<ImporterApi['importExits']>;
  try {
    res = api.importExits(text, name);
  } catch (e) {
    return [`importExits threw: ${describeError(e)}`];
  }
  const out: string[] = [];
  if (!res.sections.length && !(typeof res.nothingUsable === 'string' && res.nothingUsable.trim())) out.push('no exit table and no reason why');
  // a count may be beyond what a double holds exactly (even Infinity): buildProfile must then refuse
  for (const s of res.sections) for (const r of s.reasons) if (!(typeof r.count === 'number' && r.count >= 0)) out.push(`a section reason with count ${r.count}`);
  let built: ReturnType<ImporterApi['buildProfile']>;
  try {
    built = api.buildProfile(res as never, opts);
  } catch (e) {
    return [...out, `buildProfile threw: ${describeError(e)}`];
  }
  if (!built.ok) {
    if (typeof built.error !== 'string' || built.error.trim() === '') out.push('an error without a message');
    return out;
  }
  const p = built.profile;
  if (!finiteNonNeg(p.exits)) out.push(`profile.exits = ${p.exits}`);
  if (p.durationSec !== null && !(finiteNonNeg(p.durationSec) && p.durationSec > 0)) out.push(`durationSec = ${p.durationSec}`);
  if (p.vcpus !== null && !(Number.isSafeInteger(p.vcpus) && p.vcpus >= 1)) out.push(`vcpus = ${p.vcpus}`);
  for (const r of p.reasons) {
    if (!finiteNonNeg(r.count) || !finiteNonNeg(r.share) || r.share > 1 + 1e-9) out.push(`a reason row with count ${r.count}, share ${r.share}`);
    if (r.ratePerVcpu !== null && !finiteNonNeg(r.ratePerVcpu)) out.push(`a reason row with rate ${r.ratePerVcpu}`);
  }
  if (p.exits > 0 && p.reasons.length) {
    const sum = p.reasons.reduce((a: number, r: { share: number }) => a + r.share, 0);
    if (Math.abs(sum - 1) > 1e-6) out.push(`shares add up to ${sum}`);
  }
  if (p.interArrival) {
    for (let i = 0; i < p.interArrival.length; i++) {
      if (!finiteNonNeg(p.interArrival[i]) || (i > 0 && p.interArrival[i] < p.interArrival[i - 1])) {
        out.push(`interArrival not ascending and finite at ${i}: ${p.interArrival.slice(Math.max(0, i - 1), i + 1).join(', ')}`);
        break;
      }
    }
  }
  if (p.workload) {
    for (const [k, v] of Object.entries(p.workload.rates)) if (!finiteNonNeg(v)) out.push(`workload rate ${k} = ${v}`);
    const sc = parseScenario({ version: 1, vms: [{ name: 'vm0', vcpus: 1, workload: JSON.parse(JSON.stringify(p.workload)) }], until: '1ms' });
    if (!sc.ok) out.push(`the profile's workload is not a valid vms[].workload: ${sc.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  return out;
}

export interface Captured {
  code: number;
  out: string;
  err: string;
}

/** Runs a CLI entry point with captured output; an exception escaping it is returned, not thrown. */
export async function capture(fn: (io: { out(s: string): void; err(s: string): void }) => Promise<number>): Promise<Captured | { threw: string }> {
  let out = '';
  let err = '';
  try {
    const code = await fn({ out: (s) => void (out += s), err: (s) => void (err += s) });
    return { code, out, err };
  } catch (e) {
    return { threw: describeError(e) };
  }
}

/**
 * The command line on a bad file: exit 0 (usable) or 2 with one message that starts with
 * "caretaker-lab: " and names the file; never 3 (an internal error) and never an exception.
 */
export function cliProblems(r: Captured | { threw: string }, file: string, okCodes: readonly number[] = [0, 2]): string[] {
  if ('threw' in r) return [`an exception escaped the command: ${r.threw}`];
  const out: string[] = [];
  if (!okCodes.includes(r.code)) out.push(`exit ${r.code}: ${r.err.slice(0, 600)}`);
  if (r.code === 2) {
    if (!r.err.startsWith('caretaker-lab: ')) out.push(`exit 2 without a "caretaker-lab: " message: ${JSON.stringify(r.err.slice(0, 200))}`);
    if (!r.err.includes(file)) out.push(`exit 2 with a message that does not name the file: ${r.err.slice(0, 200)}`);
  }
  if (r.code === 0 && r.err !== '') out.push(`exit 0 with stderr: ${r.err.slice(0, 200)}`);
  return out;
}

/** Importer inputs: every small fixture whole, and the first `maxLines` lines of each big trace. */
export interface CorpusFile {
  name: string;
  text: string;
}

export function loadCorpus(dir: string, maxLines = 400): CorpusFile[] {
  return readdirSync(dir)
    .filter((n) => /\.txt(\.gz)?$/.test(n))
    .sort()
    .map((name) => {
      const buf = readFileSync(join(dir, name));
      const text = (name.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
      const lines = text.split('\n');
      return { name, text: lines.length > maxLines ? lines.slice(0, maxLines).join('\n') : text };
    });
}

/** A corpus file, mutated 0-4 times (0: the file as it is, which must import as before). */
export function mutatedFileArb(corpus: readonly CorpusFile[]): fc.Arbitrary<{ name: string; text: string; muts: FileMutation[] }> {
  return fc.tuple(fc.constantFrom(...corpus), fc.array(fileMutationArb, { maxLength: 4 })).map(([f, muts]) => ({ name: f.name, text: muts.reduce(mutateFile, f.text), muts }));
}

// =============================================================================================
// What the fuzzing found in the engine and is not fixed yet
// =============================================================================================

export interface KnownFinding {
  id: string;
  summary: string;
  /** What a run shows: an EngineBug message, an invariant violation or an accounting problem. */
  symptom: RegExp;
  /** Minimal scenarios (shrunk by fast-check, then by a delta-debugging pass), each reproducing it. */
  reproducers: Record<string, unknown>[];
  /** The exclusion in scenarioArb (a commented option, added with the finding) that keeps the property clear of it. */
  exclusion: string;
}

/**
 * Engine findings the generator must keep clear of (with an exclusion in scenarioArb, added with
 * the finding) until they are fixed. None at present: F-ONCORE-QUARANTINE,
 * F-ONCORE-CANCEL-PRESERVING, F-PROGRESS-TLB, F-SHORT-STEP and F-SLOW-EXIT were fixed in the
 * engine; their reproducers are tests/regressions.test.ts "engine findings of the fuzzing, fixed".
 */
export const KNOWN_FINDINGS: readonly KnownFinding[] = [];

/** One line on how a scenario runs: "THREW ...", or the outcome with any violation and accounting problem. */
export function describeRun(raw: unknown, budget = 5_000_000): string {
  const p = parseScenario(raw);
  if (!p.ok) return `REFUSED ${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
  try {
    const sim = new Simulation(p.scenario);
    let n = 0;
    while (sim.step()) if (++n >= budget) return `HANG after ${n} events at ${sim.now} ns`;
    const r = sim.report();
    return [r.outcome, ...r.invariants.violations.map((v) => `invariant ${v.id} at ${v.atNs}: ${v.message}`), ...accountingProblems(sim, r)].join(' | ');
  } catch (e) {
    return `THREW ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The known finding a symptom matches, if any. */
export function knownFindingOf(symptom: string): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((f) => f.symptom.test(symptom));
}

// =============================================================================================
// Share links built to decompress to far more than they hold
// =============================================================================================

/**
 * An lz-string stream (URI alphabet) of `codes` codes that each name the dictionary entry being
 * defined: it decompresses to "a", "aa", "aaa", ... — codes²/2 characters from ~2.4 codes per
 * link character. 150,000 codes (a 406 KB link, under the lab's 1 MB limit) would be 11 billion
 * characters.
 */
export function lzBomb(codes: number): string {
  let out = '';
  let val = 0;
  let pos = 0;
  const write = (v: number, bits: number) => {
    for (let i = 0; i < bits; i++) {
      val = (val << 1) | (v & 1);
      v >>= 1;
      if (pos === 5) {
        out += LZ_ALPHABET[val];
        val = 0;
        pos = 0;
      } else pos++;
    }
  };
  write(0, 2);
  write(97, 8);
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  for (let k = 0; k < codes; k++) {
    write(dictSize, numBits);
    dictSize++;
    enlargeIn--;
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
  write(2, numBits);
  while (pos !== 0) write(0, 1);
  return out;
}

/**
 * The lab's bounded decompressor reads every stream lz-string's compressor writes exactly as
 * lz-string does, and any other stream the same way whenever it gives a text.
 */
export function decompressProblems(decompress: (s: string, max: number) => string | { tooBig: true } | null, packed: string, original: string | null): string[] {
  let mine: ReturnType<typeof decompress>;
  try {
    mine = decompress(packed, 1 << 22);
  } catch (e) {
    return [`decompressLink threw: ${describeError(e)}`];
  }
  if (original !== null) return mine === original ? [] : [`decompressLink(compress(s)) != s for s = ${JSON.stringify(original.slice(0, 80))}`];
  if (typeof mine !== 'string') return [];
  let theirs: string | null;
  try {
    theirs = LZString.decompressFromEncodedURIComponent(packed);
  } catch {
    theirs = null;
  }
  return mine === theirs ? [] : [`decompressLink gives ${JSON.stringify(mine.slice(0, 40))}, lz-string ${JSON.stringify(theirs?.slice(0, 40) ?? null)} for ${JSON.stringify(packed.slice(0, 80))}`];
}
