// Scenario validation: every error with its JSON path and expected form; the kernel's reasons
// (-EINVAL, -EBUSY) for what a design cannot do; defaults filled in with their sources.
import { describe, expect, it } from 'vitest';
import { parseScenario, SCENARIO_SCHEMA } from '../src/model/scenario.ts';
import { hoverText, type Schema } from '../src/model/schema.ts';
import { TIMING_DEFS, TIMING_KEYS } from '../src/model/timing.ts';
import { PRESETS } from '../src/model/presets.ts';

const base = { version: 1, vms: [{ name: 'vm0', vcpus: 2 }] };
const errorsOf = (raw: unknown) => {
  const r = parseScenario(raw);
  return r.ok ? [] : r.errors;
};

describe('scenario schema', () => {
  it('every preset is valid', () => {
    for (const p of PRESETS) expect(errorsOf(p.scenario), p.id).toEqual([]);
  });

  it('fills defaults: walkthrough §1 host, timings from mechanics.md §7, pinning to isolated CPUs', () => {
    const r = parseScenario(base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const sc = r.scenario;
    expect(sc.design).toBe('converged');
    expect(sc.host).toMatchObject({ arch: 'intel-vmx', cpus: 8, housekeeping: [0, 1], clockGHz: 2.5 });
    expect(sc.vms[0].pinning).toEqual([2, 3]);
    expect(sc.timing.kexecGap).toBe(8e9);
    expect(sc.timing.preservePerVm).toBe(200e6);
    expect(sc.timing.exitCycles).toEqual({ worldSwitch: 1000, fastpath: 1200, host: 2500, userspace: 6700 });
    expect(sc.vms[0].rates).toEqual({ 'MSR_WRITE/TSC_DEADLINE': 1400, HLT: 540, PREEMPTION_TIMER: 20, EXTERNAL_INTERRUPT: 10 });
    expect(sc.until).toBe(12e9);
  });

  it('lists every error with its JSON path and the expected form; nothing else', () => {
    const errs = errorsOf({ version: 2, vms: [{ name: 'bad name!', vcpus: 0, workload: { profile: 'nope', rates: { HLT: -1, BOGUS: 3 } } }], until: '5 parsecs', steps: [{ at: '1s', action: 'reboot' }] });
    expect(errs).toEqual([
      { path: '$.version', message: 'expected one of 1, got number 2' },
      { path: '$.vms[0].name', message: 'expected 1 to 32 letters, digits, "_", "." or "-", got the string "bad name!"' },
      { path: '$.vms[0].vcpus', message: 'expected an integer from 1 to 64, got number 0' },
      { path: '$.vms[0].workload.profile', message: 'expected one of "idle", "cpu-bound", "ipi-heavy", got the string "nope"' },
      { path: '$.vms[0].workload.rates.HLT', message: 'expected a number from 0 to 10000000, got number -1' },
      { path: '$.vms[0].workload.rates.BOGUS', message: 'unknown key "BOGUS"; expected exit ids such as "HLT" or "MSR_WRITE/TSC_DEADLINE"' },
      { path: '$.steps[0].action', message: 'expected one of "preserve", "kexec", "cancel", got the string "reboot"' },
      { path: '$.until', message: 'expected a duration: a string with a unit ("250ns", "12us", "10ms", "1.5s") or an integer number of ns, got the string "5 parsecs"' },
    ]);
  });

  it('rejects "__proto__" and "constructor" keys as unknown', () => {
    const errs = errorsOf(JSON.parse('{"version":1,"__proto__":{"polluted":1},"vms":[{"name":"a","vcpus":1,"constructor":{}}]}'));
    expect(errs.map((e) => e.path)).toEqual(['$.__proto__', '$.vms[0].constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses what converged cannot do with the errno the kernel gives, and where', () => {
    expect(errorsOf({ version: 1, vms: [{ name: 'vm0', vcpus: 2, pinning: [1, 2] }] })).toEqual([
      { path: '$.vms[0].pinning[0]', message: 'vm0 vCPU 0 on pCPU 1: -EINVAL: pCPU 1 is a housekeeping CPU; a preserved vCPU must be pinned to an isolated one (housekeeping: 0-1)' },
    ]);
    expect(errorsOf({ version: 1, vms: [{ name: 'vm0', vcpus: 2, pinning: [3, 3] }] })).toEqual([
      { path: '$.vms[0].pinning[1]', message: 'vm0 vCPU 1 on pCPU 3: -EBUSY: pCPU 3 already runs vm0 vCPU 0; the Caretaker needs one pCPU per vCPU' },
    ]);
    expect(errorsOf({ version: 1, vms: [{ name: 'a', vcpus: 1, pinning: [4] }, { name: 'b', vcpus: 1, pinning: [4] }] })[0].message).toMatch(/-EBUSY: pCPU 4 already runs a vCPU 0/);
    // classic has no Caretaker: sharing and housekeeping CPUs are fine
    expect(errorsOf({ version: 1, design: 'classic', vms: [{ name: 'vm0', vcpus: 2, pinning: [1, 1] }] })).toEqual([]);
    // without the opt-in the VM is suspended like today: no pinning rule
    expect(errorsOf({ version: 1, vms: [{ name: 'vm0', vcpus: 2, optIn: false, pinning: [1, 1] }] })).toEqual([]);
  });

  it('checks cross-references: CPUs exist, names are unique and known, steps within the run', () => {
    const errs = errorsOf({
      version: 1,
      host: { cpus: 4, housekeeping: '1' },
      vms: [
        { name: 'a', vcpus: 1, pinning: [9] },
        { name: 'a', vcpus: 1 },
      ],
      steps: [{ at: '20s', action: 'preserve', vm: 'zz' }],
      faults: [{ kind: 'wedge-cpu', at: '1s', cpu: 7 }],
    });
    expect(errs.map((e) => e.path)).toEqual(['$.vms[0].pinning[0]', '$.host.housekeeping', '$.vms[1].name', '$.steps[0].at', '$.steps[0].vm', '$.faults[0].cpu']);
    expect(errs[0].message).toBe('pCPU 9 does not exist; the host has CPUs 0-3');
  });

  it('every timing default names its source or is labelled an ASSUMPTION', () => {
    for (const k of TIMING_KEYS) expect(TIMING_DEFS[k].source, k).toMatch(/§|ASSUMPTION/);
    const timing = (SCENARIO_SCHEMA as Extract<Schema, { kind: 'object' }>).props.timing as Extract<Schema, { kind: 'object' }>;
    expect(hoverText(timing.props.kexecGap)).toBe(
      "from the kexec jump to the new kernel's userspace opening /dev/liveupdate Default: \"8s\". Source: mechanics.md §7 (Hy-FiX host reboot 7.6 s).",
    );
  });
});
