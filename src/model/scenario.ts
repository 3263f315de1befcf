/**
 * The scenario format, version 1 (design.md §3): its one schema definition, the parse that
 * checks it (every error with its JSON path and expected form), the checks a kernel would make
 * (-EINVAL, -EBUSY, with where), and the resolved form the engine runs, with every default filled
 * in and every duration in ns.
 */
import { formatCpuList, parseCpuList } from '../base/cpulist.ts';
import { parseDuration, type Ns } from '../base/time.ts';
import { ARCHES, EXIT_IDS, type Arch } from './exits.ts';
import { childPath, s, toJsonSchema, validate, type Schema, type SchemaError } from './schema.ts';
import { EXIT_CYCLE_DEFS, TIMING_DEFS, TIMING_KEYS, type ExitCycleKey, type TimingKey } from './timing.ts';
import { PROFILE_IDS, profileById } from './workloads.ts';

export const SCENARIO_VERSION = 1;
/** Designs this engine runs. design.md §1 lists the rest; they arrive with their issue. */
export const DESIGNS = ['classic', 'converged', 'rfcv1', 'design-v2', 'rfc-v0', 'async-run'] as const;

/** Designs built on the prototype's preserved CPUs and oncore scheduler (M vCPUs may share N pCPUs). */
export const ONCORE_DESIGNS: readonly string[] = ['rfcv1', 'design-v2'];
export type DesignId = (typeof DESIGNS)[number];

export const STEP_ACTIONS = ['preserve', 'kexec', 'cancel'] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];
export const IPI_PURPOSES = ['detach', 'attach', 'invalidate', 'park', 'any'] as const;
export type IpiPurposeFilter = (typeof IPI_PURPOSES)[number];

const MAX_UNTIL = 600_000_000_000; // 10 minutes of simulated time

const name = (description: string) =>
  s.string({ description, minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', patternText: '1 to 32 letters, digits, "_", "." or "-"' });
const cpu = (description: string) => s.integer({ description, min: 0, max: 255 });
const cpuList = (description: string, def: string) =>
  s.union(
    [
      s.string({ pattern: '^\\s*\\d+(\\s*-\\s*\\d+)?(\\s*,\\s*\\d+(\\s*-\\s*\\d+)?)*\\s*$', patternText: 'a cpulist such as "0-1,4"' }),
      s.array(cpu('a CPU number'), { maxItems: 256 }),
    ],
    'a cpulist string such as "0-1,4" or an array of CPU numbers',
    { description, default: def },
  );

const timingSchema = s.object(
  {
    ...Object.fromEntries(
      TIMING_KEYS.map((k) => [
        k,
        // re-kicks at 0 ns would repeat forever at one instant
        s.duration({ description: TIMING_DEFS[k].description, default: TIMING_DEFS[k].default, source: TIMING_DEFS[k].source, max: MAX_UNTIL, min: k === 'attachRekick' ? 1000 : undefined }),
      ]),
    ),
    exitCycles: s.object(
      Object.fromEntries(
        (Object.keys(EXIT_CYCLE_DEFS) as ExitCycleKey[]).map((k) => [
          k,
          s.integer({ min: 1, max: 10_000_000, description: `${EXIT_CYCLE_DEFS[k].description} (cycles)`, default: EXIT_CYCLE_DEFS[k].default, source: EXIT_CYCLE_DEFS[k].source }),
        ]),
      ),
      [],
      { description: 'cost of one exit in CPU cycles, by how it is handled; converted at host.clockGHz' },
    ),
  },
  [],
  { description: 'durations of each step of the update; every one has a default with its source' },
);

const deviceSchema = s.union(
  [
    s.object(
      {
        name: name('device name, e.g. "nvme0"'),
        kind: s.enumOf(['passthrough'], { description: 'a VFIO passthrough device: DMA and interrupts bypass the VMM' }),
        postedInterrupts: s.boolean({ description: 'interrupts are posted into the guest (VT-d PI, AVIC, GICv4) with no exit; defaults to host.features.postedInterrupts' }),
        interruptsPerSec: s.number({ min: 0, max: 1_000_000, description: 'completion interrupts per second', default: 0 }),
        vcpu: s.integer({ min: 0, max: 255, description: 'the vCPU its interrupt is affine to', default: 0 }),
      },
      ['name', 'kind'],
    ),
    s.object(
      {
        name: name('device name, e.g. "virtio-net0"'),
        kind: s.enumOf(['emulated'], { description: 'a device model in the VMM: every access exits to userspace' }),
        exit: s.enumOf(['EPT_MISCONFIG', 'IO_INSTRUCTION'], { description: 'how the guest reaches it: MMIO (EPT_MISCONFIG) or port I/O', default: 'EPT_MISCONFIG' }),
        accessesPerSec: s.number({ min: 0, max: 1_000_000, description: 'guest accesses (doorbells, register reads) per second per listed vCPU', default: 50 }),
        vcpus: s.array(s.integer({ min: 0, max: 255 }), { description: 'the vCPUs whose drivers touch it (default: all)' }),
      },
      ['name', 'kind'],
    ),
  ],
  'a device: {"kind": "passthrough", ...} or {"kind": "emulated", ...}',
  { discriminator: 'kind' },
);

const workloadObject = s.object(
  {
    profile: s.enumOf(PROFILE_IDS, { description: 'a named profile of per-vCPU exit rates from real data', default: 'idle' }),
    scale: s.number({ min: 0, max: 1000, description: 'multiplies every rate of the profile', default: 1 }),
    rates: s.record(EXIT_IDS, s.number({ min: 0, max: 10_000_000 }), 'exit ids such as "HLT" or "MSR_WRITE/TSC_DEADLINE"', {
      description: 'exits per second per vCPU by exit id; replaces the profile rate of each exit listed',
    }),
    interArrival: s.array(s.number({ min: 0, max: 600e9 }), {
      minItems: 2,
      maxItems: 1001,
      description:
        'measured quantiles of the time between consecutive exits of one vCPU, in ns, ascending and evenly spaced in probability from 0 to 1 (caretaker-lab import prints them from a trace); exit gaps are drawn from this shape, rescaled to the mean the rates give, instead of a Poisson stream',
    }),
    tlbShootdownsPerSec: s.number({
      min: 0,
      max: 100_000,
      description: 'TLB shootdowns per second per vCPU: an IPI to every other vCPU of the VM, then a wait for all acknowledgements',
      default: 0,
    }),
    newPageTouchesPerSec: s.number({
      min: 0,
      max: 1_000_000,
      description: 'first touches of guest pages not yet mapped in the EPT (only with memory "lazy")',
      default: 50,
      source: 'ASSUMPTION',
    }),
  },
  [],
);

const vmSchema = s.object(
  {
    name: name('VM name'),
    vcpus: s.integer({ min: 1, max: 64, description: 'number of vCPUs' }),
    pinning: s.array(cpu('pCPU'), { description: 'the pCPU of each vCPU, in order (default: the next free isolated pCPUs)', maxItems: 64 }),
    optIn: s.boolean({
      description: 'the VMM enabled the preserve capability on each vcpufd (KVM_ENABLE_CAP, rfc-thread.md M12); without it the VM is suspended across the gap',
      default: true,
    }),
    memory: s.enumOf(['prefaulted', 'lazy'], {
      description: 'prefaulted: every guest page is mapped in the EPT before detach (no EPT_VIOLATION); lazy: first touches fault',
      default: 'prefaulted',
      source: 'rfc-thread.md Phase C (Graf M2)',
    }),
    memoryGiB: s.number({ min: 0.0625, max: 16384, description: 'guest memory size, for the KHO region sizes', default: 4 }),
    devices: s.array(deviceSchema, { description: 'passthrough and emulated devices', maxItems: 32 }),
    workload: s.union([s.enumOf(PROFILE_IDS), workloadObject], 'a profile name or a workload object', {
      description: 'the guest workload: a named profile ("idle", "cpu-bound", "ipi-heavy") or an object',
      default: 'idle',
    }),
  },
  ['name', 'vcpus'],
);

const faultSchema = s.union(
  [
    s.object(
      {
        kind: s.enumOf(['drop-ipi'], { description: 'the next matching IPI or NMI kick to `cpu` is lost' }),
        at: s.duration({ description: 'from when the fault is armed', default: 0 }),
        cpu: cpu('target pCPU'),
        purpose: s.enumOf(IPI_PURPOSES, { description: 'which protocol IPI (park: the prototype\'s detach_workload NMI)', default: 'any' }),
        count: s.integer({ min: 1, max: 1_000_000, description: 'how many to drop', default: 1 }),
      },
      ['kind', 'cpu'],
    ),
    s.object(
      {
        kind: s.enumOf(['delay-ipi'], { description: 'the next matching IPI to `cpu` arrives late' }),
        at: s.duration({ description: 'from when the fault is armed', default: 0 }),
        cpu: cpu('target pCPU'),
        purpose: s.enumOf(IPI_PURPOSES, { description: 'which protocol IPI', default: 'any' }),
        by: s.duration({ description: 'extra latency', max: MAX_UNTIL }),
        count: s.integer({ min: 1, max: 1_000_000, description: 'how many to delay', default: 1 }),
      },
      ['kind', 'cpu', 'by'],
    ),
    s.object(
      {
        kind: s.enumOf(['wedge-cpu'], { description: 'the pCPU stops executing and answering IPIs (a hardware hang)' }),
        at: s.duration({ description: 'when it wedges' }),
        cpu: cpu('the pCPU'),
      },
      ['kind', 'at', 'cpu'],
    ),
    s.object(
      {
        kind: s.enumOf(['feature-mismatch'], { description: 'the staged kernel cannot take over what the old one preserved' }),
        when: s.enumOf(['before-ponr', 'after-ponr'], {
          description: 'found by the check in liveupdate_reboot() (the update is cancelled) or only at vcpufd retrieve (the VM is terminated)',
        }),
        vm: name('the VM affected (default: all)'),
      },
      ['kind', 'when'],
    ),
    s.object(
      {
        kind: s.enumOf(['madvise-free'], { description: 'the old host frees guest memory that detached vCPUs may use (madvise(MADV_FREE) or any invalidation)' }),
        at: s.duration({ description: 'when userspace calls madvise()' }),
        vm: name('the VM whose memory is freed'),
        touchAfter: s.duration({ description: 'when a vCPU of the VM touches the freed range, after the call', default: '10ms', max: MAX_UNTIL }),
      },
      ['kind', 'at', 'vm'],
    ),
    s.object(
      {
        kind: s.enumOf(['host-nmi', 'host-mce'], {
          description: 'an NMI or a machine check reaches a pCPU while a Caretaker holds it: its own vectors handle an NMI; a machine check parks the core (converged) or fails the Caretaker (rfcv1: FAILED, the VM is marked bugged)',
        }),
        at: s.duration({ description: 'when it arrives' }),
        cpu: cpu('the pCPU'),
      },
      ['kind', 'at', 'cpu'],
    ),
    s.object(
      {
        kind: s.enumOf(['tsc-reset'], {
          description: 'the new kernel rewrites the TSC offset and kvmclock with defaults instead of the preserved ones: guest time jumps (rfc-thread.md §5, time jumps)',
        }),
        vm: name('the VM affected (default: all)'),
      },
      ['kind'],
    ),
    s.object(
      {
        kind: s.enumOf(['kexec-fail'], { description: 'the kexec does not deliver a working live update' }),
        mode: s.enumOf(['no-image', 'luo-disabled'], {
          description:
            'no-image: reboot(LINUX_REBOOT_CMD_KEXEC) returns -EINVAL before anything is frozen (no kernel was staged) and the sessions are closed; luo-disabled: the new kernel boots but its LUO early start-up fails, so live update is off for this boot: preserved CPUs are not hidden from smp_init() and no session can be retrieved',
          default: 'luo-disabled',
          source: 'mechanics.md §1.5 (kernel_kexec(), luo_early_startup())',
        }),
      },
      ['kind'],
    ),
    s.object(
      {
        kind: s.enumOf(['vmm-slow-restart'], { description: 'the new VMM starts late' }),
        vm: name('the VM whose VMM is slow'),
        delay: s.duration({ description: 'extra start-up time', max: MAX_UNTIL }),
      },
      ['kind', 'vm', 'delay'],
    ),
  ],
  'a fault object with a known "kind"',
  { discriminator: 'kind' },
);

export const SCENARIO_SCHEMA: Schema = s.object(
  {
    $schema: s.string({ description: 'the JSON Schema this file follows', maxLength: 500 }),
    version: s.enumOf([SCENARIO_VERSION], { description: 'scenario format version' }),
    title: s.string({ description: 'shown in the lab; plain text', maxLength: 120, default: '' }),
    description: s.string({ description: 'shown in the lab; plain text', maxLength: 4000, default: '' }),
    seed: s.integer({ min: 0, max: 4294967295, description: 'PRNG seed: same scenario and seed give the same run, bit for bit', default: 1 }),
    design: s.enumOf(DESIGNS, { description: 'which design runs the update (design.md §1)', default: 'converged' }),
    host: s.object(
      {
        arch: s.enumOf(ARCHES, { description: 'host architecture', default: 'intel-vmx' }),
        cpus: s.integer({ min: 2, max: 256, description: 'number of pCPUs; CPU 0 is the boot CPU', default: 8, source: 'walkthrough §1' }),
        housekeeping: cpuList('CPUs kept for the host; the others are isolated (isolcpus, nohz_full)', '0-1'),
        clockGHz: s.number({ min: 0.5, max: 10, description: 'CPU clock, to turn exit cycles into time', default: 2.5, source: 'mechanics.md §7 (judgment)' }),
        features: s.object(
          {
            apicv: s.boolean({ description: 'Intel APICv (virtual APIC, posted interrupts to the vCPU)', default: true }),
            ipiv: s.boolean({ description: 'Intel IPI virtualization: x2APIC ICR writes do not exit', default: true }),
            avic: s.boolean({ description: 'AMD AVIC: IPIs between running vCPUs without exits', default: false }),
            gicv41: s.boolean({ description: 'Arm GICv4.1 vSGI: IPIs between vCPUs without traps', default: false }),
            postedInterrupts: s.boolean({ description: 'device interrupts posted by the IOMMU (VT-d PI, AVIC, GICv4)', default: true }),
          },
          [],
          { description: 'hardware virtualization features' },
        ),
      },
      [],
      { description: 'the physical host' },
    ),
    vms: s.array(vmSchema, { description: 'the guests', minItems: 1, maxItems: 16 }),
    caretaker: s.object(
      {
        policy: s.enumOf(['fastpath', 'strict'], {
          description: "fastpath: handle in the gap what KVM's fastpath handles (rfc-thread.md M6); strict: every exit but HLT blocks (Pasha's PoC, M10)",
          default: 'fastpath',
        }),
        hlt: s.enumOf(['skip', 'disable-intercepts'], {
          description: 'HLT, PAUSE and MWAIT in the gap: skipped by the Caretaker, or their intercepts disabled (no exit)',
          default: 'skip',
          source: 'rfc-thread.md Phase F (M10, M12)',
        }),
        timers: s.enumOf(['auto', 'block'], {
          description: 'guest timer exits in the gap: as the architecture allows (VMX preemption timer; SVM has none; arm64 does not trap), or always blocking',
          default: 'auto',
          source: 'rfc-thread.md Phase F',
        }),
        apicFastpath: s.boolean({ description: 'emulate x2APIC ICR writes in the gap when the hardware does not virtualize IPIs (kvm_x2apic_icr_write_fast)', default: true }),
        quantum: s.duration({ description: 'scheduling quantum when vCPUs share a pCPU (unarmed at 1:1)', default: '10ms', source: 'orphanvm.md §7.3', max: MAX_UNTIL }),
        attachTimeout: s.duration({ description: 'attach handshake timeout, then -ETIMEDOUT and quarantine', default: '2s', source: 'orphanvm.md §7.3 (KVM_CARETAKER_ATTACH_TIMEOUT_US)', max: MAX_UNTIL }),
        traceRingRecords: s.integer({ min: 16, max: 16_777_216, description: 'records per vCPU in the KHO-preserved trace ring', default: 32768, source: 'ASSUMPTION' }),
      },
      [],
      { description: 'Caretaker policies' },
    ),
    timing: timingSchema,
    steps: s.array(
      s.object(
        {
          at: s.duration({ description: 'when the operator acts', max: MAX_UNTIL }),
          action: s.enumOf(STEP_ACTIONS, { description: 'preserve: VMMs preserve into LUO; kexec: reboot(LINUX_REBOOT_CMD_KEXEC); cancel: close the sessions before kexec' }),
          vm: name('only this VM (preserve, cancel)'),
        },
        ['at', 'action'],
      ),
      { description: "the operator's script; retrieve and finish follow automatically in the new kernel", maxItems: 64 },
    ),
    faults: s.array(faultSchema, { description: 'injected faults', maxItems: 64 }),
    until: s.duration({ description: 'when the run ends', default: '12s', max: MAX_UNTIL }),
  },
  ['version', 'vms'],
  { description: 'A Caretaker Lab scenario (version 1)' },
);

// ---------------------------------------------------------------------------------------------
// The resolved form

export interface ResolvedDevice {
  name: string;
  kind: 'passthrough' | 'emulated';
  postedInterrupts: boolean;
  interruptsPerSec: number;
  vcpu: number;
  exit: 'EPT_MISCONFIG' | 'IO_INSTRUCTION';
  accessesPerSec: number;
  vcpus: number[];
}

export interface ResolvedVm {
  name: string;
  vcpus: number;
  pinning: number[];
  optIn: boolean;
  memory: 'prefaulted' | 'lazy';
  memoryGiB: number;
  devices: ResolvedDevice[];
  profile: string;
  /** Per-vCPU exits per second by exit id, devices excluded. */
  rates: Record<string, number>;
  /**
   * The measured inter-arrival shape of the VM's exits, normalized to mean 1: ascending quantiles
   * evenly spaced in probability, or null for a Poisson stream.
   */
  interArrival: number[] | null;
  tlbShootdownsPerSec: number;
  newPageTouchesPerSec: number;
}

export type ResolvedFault =
  | { kind: 'drop-ipi'; at: Ns; cpu: number; purpose: IpiPurposeFilter; count: number }
  | { kind: 'delay-ipi'; at: Ns; cpu: number; purpose: IpiPurposeFilter; by: Ns; count: number }
  | { kind: 'wedge-cpu'; at: Ns; cpu: number }
  | { kind: 'feature-mismatch'; when: 'before-ponr' | 'after-ponr'; vm: string | null }
  | { kind: 'madvise-free'; at: Ns; vm: string; touchAfter: Ns }
  | { kind: 'host-nmi' | 'host-mce'; at: Ns; cpu: number }
  | { kind: 'tsc-reset'; vm: string | null }
  | { kind: 'vmm-slow-restart'; vm: string; delay: Ns }
  | { kind: 'kexec-fail'; mode: 'no-image' | 'luo-disabled' };

export interface ResolvedScenario {
  version: 1;
  title: string;
  description: string;
  seed: number;
  design: DesignId;
  host: {
    arch: Arch;
    cpus: number;
    housekeeping: number[];
    clockGHz: number;
    features: { apicv: boolean; ipiv: boolean; avic: boolean; gicv41: boolean; postedInterrupts: boolean };
  };
  vms: ResolvedVm[];
  caretaker: {
    policy: 'fastpath' | 'strict';
    hlt: 'skip' | 'disable-intercepts';
    timers: 'auto' | 'block';
    apicFastpath: boolean;
    quantum: Ns;
    attachTimeout: Ns;
    traceRingRecords: number;
  };
  timing: Record<TimingKey, Ns> & { exitCycles: Record<ExitCycleKey, number> };
  steps: { at: Ns; action: StepAction; vm: string | null }[];
  faults: ResolvedFault[];
  until: Ns;
}

export type ParseResult = { ok: true; scenario: ResolvedScenario } | { ok: false; errors: SchemaError[] };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const dur = (v: unknown, def: string | number): Ns => parseDuration(v ?? def)!;

/**
 * Checks a scenario (already parsed from JSON) against the schema and the kernel's rules, and
 * returns it resolved, or every error found. Nothing is run.
 */
export function parseScenario(input: unknown): ParseResult {
  const errors = validate(SCENARIO_SCHEMA, input);
  if (errors.length) return { ok: false, errors };
  const raw = input as Obj;
  const host = obj(raw.host);
  const feats = obj(host.features);
  const hk = host.housekeeping;
  const parsedHk = typeof hk === 'string' ? parseCpuList(hk) : Array.isArray(hk) ? [...new Set(hk as number[])].sort((a, b) => a - b) : [0, 1];
  if (parsedHk === null) return { ok: false, errors: [{ path: '$.host.housekeeping', message: `expected a cpulist whose ranges go low to high, such as "0-1,4", got ${JSON.stringify(hk)}` }] };
  const housekeeping = parsedHk;
  const cpus = (host.cpus as number | undefined) ?? 8;
  const features = {
    apicv: (feats.apicv as boolean | undefined) ?? true,
    ipiv: (feats.ipiv as boolean | undefined) ?? true,
    avic: (feats.avic as boolean | undefined) ?? false,
    gicv41: (feats.gicv41 as boolean | undefined) ?? false,
    postedInterrupts: (feats.postedInterrupts as boolean | undefined) ?? true,
  };
  const ct = obj(raw.caretaker);
  const tm = obj(raw.timing);
  const cyc = obj(tm.exitCycles);
  const timing = Object.fromEntries(TIMING_KEYS.map((k) => [k, dur(tm[k], TIMING_DEFS[k].default)])) as Record<TimingKey, Ns>;
  const exitCycles = Object.fromEntries(
    (Object.keys(EXIT_CYCLE_DEFS) as ExitCycleKey[]).map((k) => [k, (cyc[k] as number | undefined) ?? EXIT_CYCLE_DEFS[k].default]),
  ) as Record<ExitCycleKey, number>;
  const scenario: ResolvedScenario = {
    version: 1,
    title: (raw.title as string | undefined) ?? '',
    description: (raw.description as string | undefined) ?? '',
    seed: (raw.seed as number | undefined) ?? 1,
    design: (raw.design as DesignId | undefined) ?? 'converged',
    host: { arch: (host.arch as Arch | undefined) ?? 'intel-vmx', cpus, housekeeping, clockGHz: (host.clockGHz as number | undefined) ?? 2.5, features },
    vms: [],
    caretaker: {
      policy: (ct.policy as 'fastpath' | 'strict' | undefined) ?? 'fastpath',
      hlt: (ct.hlt as 'skip' | 'disable-intercepts' | undefined) ?? 'skip',
      timers: (ct.timers as 'auto' | 'block' | undefined) ?? 'auto',
      apicFastpath: (ct.apicFastpath as boolean | undefined) ?? true,
      quantum: dur(ct.quantum, '10ms'),
      attachTimeout: dur(ct.attachTimeout, '2s'),
      traceRingRecords: (ct.traceRingRecords as number | undefined) ?? 32768,
    },
    timing: { ...timing, exitCycles },
    steps: ((raw.steps as Obj[] | undefined) ?? []).map((st) => ({ at: dur(st.at, 0), action: st.action as StepAction, vm: (st.vm as string | undefined) ?? null })),
    faults: ((raw.faults as Obj[] | undefined) ?? []).map(resolveFault),
    until: dur(raw.until, '12s'),
  };
  const used = new Map<number, { who: string; caretaker: boolean; vm: number }>();
  const rawVms = raw.vms as Obj[];
  rawVms.forEach((v, i) => scenario.vms.push(resolveVm(v, i, scenario, used, errors)));
  checkScenario(scenario, rawVms, errors);
  return errors.length ? { ok: false, errors } : { ok: true, scenario };
}

function resolveFault(f: Obj): ResolvedFault {
  switch (f.kind) {
    case 'drop-ipi':
      return { kind: 'drop-ipi', at: dur(f.at, 0), cpu: f.cpu as number, purpose: (f.purpose as IpiPurposeFilter | undefined) ?? 'any', count: (f.count as number | undefined) ?? 1 };
    case 'delay-ipi':
      return { kind: 'delay-ipi', at: dur(f.at, 0), cpu: f.cpu as number, purpose: (f.purpose as IpiPurposeFilter | undefined) ?? 'any', by: dur(f.by, 0), count: (f.count as number | undefined) ?? 1 };
    case 'wedge-cpu':
      return { kind: 'wedge-cpu', at: dur(f.at, 0), cpu: f.cpu as number };
    case 'feature-mismatch':
      return { kind: 'feature-mismatch', when: f.when as 'before-ponr' | 'after-ponr', vm: (f.vm as string | undefined) ?? null };
    case 'madvise-free':
      return { kind: 'madvise-free', at: dur(f.at, 0), vm: f.vm as string, touchAfter: dur(f.touchAfter, '10ms') };
    case 'tsc-reset':
      return { kind: 'tsc-reset', vm: (f.vm as string | undefined) ?? null };
    case 'host-nmi':
    case 'host-mce':
      return { kind: f.kind, at: dur(f.at, 0), cpu: f.cpu as number };
    case 'kexec-fail':
      return { kind: 'kexec-fail', mode: (f.mode as 'no-image' | 'luo-disabled' | undefined) ?? 'luo-disabled' };
    default:
      return { kind: 'vmm-slow-restart', vm: f.vm as string, delay: dur(f.delay, 0) };
  }
}

/** Whether the design hands vCPUs to Caretakers (and so needs isolated, exclusive pCPUs). */
export function designUsesCaretaker(design: DesignId): boolean {
  return design !== 'classic' && design !== 'async-run';
}

function resolveVm(v: Obj, i: number, sc: ResolvedScenario, used: Map<number, { who: string; caretaker: boolean; vm: number }>, errors: SchemaError[]): ResolvedVm {
  const path = `$.vms[${i}]`;
  const vcpus = v.vcpus as number;
  const optIn = (v.optIn as boolean | undefined) ?? true;
  const isolated = [...Array(sc.host.cpus).keys()].filter((c) => c !== 0 && !sc.host.housekeeping.includes(c));
  let pinning: number[];
  if (Array.isArray(v.pinning)) {
    pinning = v.pinning as number[];
    if (pinning.length !== vcpus) errors.push({ path: childPath(path, 'pinning'), message: `expected ${vcpus} pCPUs (one per vCPU), got ${pinning.length}` });
  } else {
    // default placement: next isolated pCPUs not yet taken; without isolated ones left, share
    const free = isolated.filter((c) => !used.has(c));
    pinning = [...Array(vcpus).keys()].map((k) => (k < free.length ? free[k] : isolated.length ? isolated[k % isolated.length] : k % sc.host.cpus));
  }
  const w = v.workload;
  const wo = typeof w === 'string' ? { profile: w } : obj(w);
  const profile = (wo.profile as string | undefined) ?? 'idle';
  const scale = (wo.scale as number | undefined) ?? 1;
  const rates: Record<string, number> = {};
  for (const [k, r] of Object.entries(profileById(profile)!.rates)) rates[k] = r * scale;
  for (const [k, r] of Object.entries(obj(wo.rates))) rates[k] = r as number;
  const interArrival = resolveInterArrival(wo.interArrival as number[] | undefined, `${path}.workload.interArrival`, errors);
  const devices = ((v.devices as Obj[] | undefined) ?? []).map(
    (d): ResolvedDevice => ({
      name: d.name as string,
      kind: d.kind as 'passthrough' | 'emulated',
      postedInterrupts: (d.postedInterrupts as boolean | undefined) ?? sc.host.features.postedInterrupts,
      interruptsPerSec: (d.interruptsPerSec as number | undefined) ?? 0,
      vcpu: (d.vcpu as number | undefined) ?? 0,
      exit: (d.exit as 'EPT_MISCONFIG' | 'IO_INSTRUCTION' | undefined) ?? 'EPT_MISCONFIG',
      accessesPerSec: (d.accessesPerSec as number | undefined) ?? 50,
      vcpus: (d.vcpus as number[] | undefined) ?? [...Array(vcpus).keys()],
    }),
  );
  devices.forEach((d, j) => {
    const dp = `${path}.devices[${j}]`;
    if (d.kind === 'passthrough' && d.vcpu >= vcpus) errors.push({ path: `${dp}.vcpu`, message: `expected a vCPU index below ${vcpus}, got ${d.vcpu}` });
    d.vcpus.forEach((x, k) => {
      if (x >= vcpus) errors.push({ path: `${dp}.vcpus[${k}]`, message: `expected a vCPU index below ${vcpus}, got ${x}` });
    });
  });
  const caretaker = designUsesCaretaker(sc.design) && optIn;
  pinning.forEach((p, k) => {
    const pp = Array.isArray(v.pinning) ? `${path}.pinning[${k}]` : `${path}.vcpus`;
    if (p >= sc.host.cpus) {
      errors.push({ path: pp, message: `pCPU ${p} does not exist; the host has CPUs 0-${sc.host.cpus - 1}` });
      return;
    }
    const who = `${v.name as string} vCPU ${k}`;
    const prev = used.get(p);
    // rfcv1 time-slices M vCPUs of one VM on its N preserved pCPUs: sharing within a VM is fine
    const sameSession = ONCORE_DESIGNS.includes(sc.design) && prev?.caretaker && prev.vm === i;
    // kvm_vcpu_luo_preserve(): a preserved vCPU needs an isolated pCPU that no other session or VM runs on
    if (caretaker) {
      const err = preserveVcpuCheck(p, sc.host.housekeeping, prev && !sameSession ? new Map([[p, prev.who]]) : new Map());
      if (err) errors.push({ path: pp, message: `${who} on pCPU ${p}: ${err}` });
    } else if (prev?.caretaker) {
      errors.push({ path: pp, message: `${who} on pCPU ${p}: -EBUSY: pCPU ${p} is preserved for ${prev.who}, whose Caretaker takes it from Linux` });
    }
    if (!prev || (caretaker && !sameSession)) used.set(p, { who, caretaker, vm: i });
  });
  return {
    name: v.name as string,
    vcpus,
    pinning,
    optIn,
    memory: (v.memory as 'prefaulted' | 'lazy' | undefined) ?? 'prefaulted',
    memoryGiB: (v.memoryGiB as number | undefined) ?? 4,
    devices,
    profile,
    rates,
    interArrival,
    tlbShootdownsPerSec: (wo.tlbShootdownsPerSec as number | undefined) ?? 0,
    newPageTouchesPerSec: (wo.newPageTouchesPerSec as number | undefined) ?? 50,
  };
}

/**
 * The errno `LIVEUPDATE_SESSION_PRESERVE_FD` of a vcpufd returns for a vCPU pinned to `pcpu`, or
 * null when it can be preserved (walkthrough §7.6): -EINVAL unless pinned to an isolated CPU
 * (CPU 0 boots and cannot be preserved); -EBUSY when another preserved vCPU holds the pCPU.
 */
export function preserveVcpuCheck(pcpu: number, housekeeping: readonly number[], taken: ReadonlyMap<number, string>): string | null {
  if (pcpu === 0) return '-EINVAL: CPU 0 is the boot CPU and cannot be preserved';
  if (housekeeping.includes(pcpu)) return `-EINVAL: pCPU ${pcpu} is a housekeeping CPU; a preserved vCPU must be pinned to an isolated one (housekeeping: ${formatCpuList(housekeeping)})`;
  const other = taken.get(pcpu);
  if (other) return `-EBUSY: pCPU ${pcpu} already runs ${other}; the Caretaker needs one pCPU per vCPU`;
  return null;
}

/** Checks a measured inter-arrival shape and normalizes it to mean 1 (trapezoids between quantiles). */
function resolveInterArrival(q: number[] | undefined, path: string, errors: SchemaError[]): number[] | null {
  if (!q) return null;
  for (let i = 1; i < q.length; i++) {
    if (q[i] < q[i - 1]) {
      errors.push({ path: `${path}[${i}]`, message: `expected quantiles in ascending order, got ${q[i]} after ${q[i - 1]}` });
      return null;
    }
  }
  const mean = quantileMean(q);
  if (!(mean > 0)) {
    errors.push({ path, message: 'expected some gap above 0 ns: every quantile is 0' });
    return null;
  }
  return q.map((x) => x / mean);
}

/** The mean of a distribution given by evenly spaced quantiles, linear between them. */
export function quantileMean(q: readonly number[]): number {
  let sum = 0;
  for (let i = 1; i < q.length; i++) sum += (q[i - 1] + q[i]) / 2;
  return sum / (q.length - 1);
}

function checkScenario(sc: ResolvedScenario, rawVms: Obj[], errors: SchemaError[]): void {
  if (!sc.host.housekeeping.includes(0)) errors.push({ path: '$.host.housekeeping', message: 'expected CPU 0 among the housekeeping CPUs: it is the boot CPU that runs kexec' });
  sc.host.housekeeping.forEach((c) => {
    if (c >= sc.host.cpus) errors.push({ path: '$.host.housekeeping', message: `CPU ${c} does not exist; the host has CPUs 0-${sc.host.cpus - 1}` });
  });
  if (sc.timing.earlyBoot >= sc.timing.kexecGap) errors.push({ path: '$.timing.earlyBoot', message: `expected less than timing.kexecGap (${sc.timing.kexecGap} ns): smp_init() runs before userspace` });
  const names = new Set<string>();
  rawVms.forEach((v, i) => {
    if (names.has(v.name as string)) errors.push({ path: `$.vms[${i}].name`, message: `expected a unique VM name; ${JSON.stringify(v.name)} is used twice` });
    names.add(v.name as string);
  });
  sc.steps.forEach((st, i) => {
    if (st.at > sc.until) errors.push({ path: `$.steps[${i}].at`, message: `expected an instant within the run (until ${sc.until} ns)` });
    if (st.vm !== null && !names.has(st.vm)) errors.push({ path: `$.steps[${i}].vm`, message: `expected one of the VM names ${[...names].map((n) => JSON.stringify(n)).join(', ')}` });
  });
  sc.faults.forEach((f, i) => {
    if ('cpu' in f && f.cpu >= sc.host.cpus) errors.push({ path: `$.faults[${i}].cpu`, message: `pCPU ${f.cpu} does not exist; the host has CPUs 0-${sc.host.cpus - 1}` });
    if ('vm' in f && f.vm !== null && !names.has(f.vm)) errors.push({ path: `$.faults[${i}].vm`, message: `expected one of the VM names ${[...names].map((n) => JSON.stringify(n)).join(', ')}` });
  });
}

/** The published JSON Schema (public/scenario.schema.json is generated from this). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://caretaker-lab.invalid/scenario.schema.json',
    title: 'Caretaker Lab scenario',
    ...toJsonSchema(SCENARIO_SCHEMA),
  };
}
