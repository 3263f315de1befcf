// The line formats `import` reads (realdata.md §3), one example of each written for this test,
// and the pieces of the profile: name mapping, MSR split, inter-arrival quantiles, unread lines,
// options and bad input.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cmdImport } from '../src/cli/import.ts';
import { apportion, buildProfile, importExits, quantiles, type Profile, type ProfileOptions } from '../src/model/importers/index.ts';
import { exitName } from '../src/model/importers/names.ts';
import { parseEventLine, parseKvmExit } from '../src/model/importers/traceCmd.ts';

const dir = mkdtempSync(join(tmpdir(), 'ctl-import-'));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await cmdImport(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}
const profile = (text: string, opts: ProfileOptions = {}): Profile => {
  const b = buildProfile(importExits(text, 't.txt'), opts);
  if (!b.ok) throw new Error(b.error);
  return b.profile;
};
const counts = (p: Profile) => Object.fromEntries(p.reasons.map((r) => [r.reason, [r.labId, r.count]]));

describe('kvm_exit lines in every form of realdata.md §3', () => {
  const cases: { form: string; line: string; header: string; body: string; reason: string; vcpu: number | null; pid: number | null; cpu: number | null; ts: bigint | null }[] = [
    {
      form: '2.6.3x kernel: lower-case VMX names, no info',
      line: '     qemu-kvm-4411  [002]  5021.300118: kvm_exit: reason io_instruction rip 0xc0104a66',
      header: 'trace-cmd report', body: 'reason/rip', reason: 'io_instruction', vcpu: null, pid: 4411, cpu: 2, ts: 5021300118000n,
    },
    {
      form: '3.x-5.4 kernel, raw ftrace with 4-char flags',
      line: '  qemu-system-x86-2210  [001] d..1  1200.000100: kvm_exit: reason MSR_WRITE rip 0xffffffff8106b2a4 info 0 0',
      header: 'ftrace', body: 'reason/rip/info', reason: 'MSR_WRITE', vcpu: null, pid: 2210, cpu: 1, ts: 1200000100000n,
    },
    {
      form: '5.5-5.12 kernel, AMD: vcpu field and lower-case SVM names',
      line: '<...>-3301  [004] ....   752.118240: kvm_exit: vcpu 2 reason npf rip 0xffffffff81a0c3d2 info 10000000f fec00000',
      header: 'ftrace', body: 'vcpu/reason/rip/info', reason: 'npf', vcpu: 2, pid: 3301, cpu: 4, ts: 752118240000n,
    },
    {
      form: '5.13+ kernel, 5-char flags, info1/info2/intr_info/error_code',
      line: '      CPU 1/KVM-5120    [006] d.... 9031.662310: kvm_exit: vcpu 1 reason HLT rip 0xffffffff81c3d6ab info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
      header: 'ftrace', body: 'vcpu/reason/rip/info1/info2/intr_info/error_code', reason: 'HLT', vcpu: 1, pid: 5120, cpu: 6, ts: 9031662310000n,
    },
    {
      form: 'libtraceevent kvm plugin (trace-cmd report), SVM EXIT_ names, padded event name',
      line: ' qemu-system-x86-7003  [009]  4410.250071: kvm_exit:             reason EXIT_MSR rip 0xffffffff8107a1e4 info 1 0',
      header: 'trace-cmd report', body: 'reason/rip/info', reason: 'EXIT_MSR', vcpu: null, pid: 7003, cpu: 9, ts: 4410250071000n,
    },
    {
      form: 'perf script: comm pid [cpu] ts: kvm:kvm_exit:',
      line: '       CPU 0/KVM 18022 [003] 61002.770011525: kvm:kvm_exit: vcpu 0 reason EXTERNAL_INTERRUPT rip 0xffffffff81b0f1c6 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x800000ec error_code 0x00000000',
      header: 'perf script', body: 'vcpu/reason/rip/info1/info2/intr_info/error_code', reason: 'EXTERNAL_INTERRUPT', vcpu: 0, pid: 18022, cpu: 3, ts: 61002770011525n,
    },
    {
      form: 'perf-prof: date, comm pid, flags before [cpu]',
      line: '2023-02-01 10:00:00.000001            <...> 4400 d... [012] 8811.100200: kvm:kvm_exit: reason EPT_MISCONFIG rip 0xffffffff8163f0a1 info 0 0',
      header: 'perf-prof', body: 'reason/rip/info', reason: 'EPT_MISCONFIG', vcpu: null, pid: 4400, cpu: 12, ts: 8811100200000n,
    },
    {
      form: 'arm64 kernel: exit type and ESR class',
      line: '   CPU 0/KVM-912   [002] d..1   300.000001: kvm_exit: TRAP: HSR_EC: 0x0024 (DABT_LOW), PC: 0x0000ffff9c7a4e10',
      header: 'ftrace', body: 'arm64', reason: 'DABT_LOW', vcpu: null, pid: 912, cpu: 2, ts: 300000001000n,
    },
  ];

  it.each(cases)('$form', (c) => {
    const ev = parseEventLine(c.line)!;
    expect(ev.event).toBe('kvm_exit');
    expect(ev.header).toMatchObject({ kind: c.header, pid: c.pid, cpu: c.cpu, tsNs: c.ts });
    const f = parseKvmExit(ev.body)!;
    expect(f).toMatchObject({ kind: c.body, reason: c.reason, vcpu: c.vcpu });
    // and a file of just that line imports as one exit, nothing unread
    const r = importExits(`${c.line}\n`);
    expect(r.sections).toHaveLength(1);
    expect(r.unread.count).toBe(0);
    expect(r.sections[0].reasons[0].count).toBe(1);
  });

  it('flags are 4 or 5 characters, and trace-cmd report prints none', () => {
    const r = importExits([cases[1].line, cases[3].line, cases[4].line].join('\n'));
    expect(r.sections[0].trace!.headerKinds).toEqual({ 'ftrace (4-char flags)': 1, 'ftrace (5-char flags)': 1, 'trace-cmd report': 1 });
  });

  it('SVM: EXITINFO1 tells an MSR read from a write, and the npf error code an MMIO access from a fault', () => {
    const p = profile(
      [
        ' qemu-7003  [009]  4410.250071: kvm_exit:             reason EXIT_MSR rip 0xffffffff8107a1e4 info 1 0',
        ' qemu-7003  [009]  4410.250171: kvm_exit:             reason EXIT_MSR rip 0xffffffff8107a1e4 info 0 0',
        '<...>-3301  [004] ....   752.118240: kvm_exit: vcpu 2 reason npf rip 0xffffffff81a0c3d2 info 10000000f fec00000',
        '<...>-3301  [004] ....   752.118250: kvm_exit: vcpu 2 reason npf rip 0xffffffff81a0c3d2 info 100000004 7f3e000',
        '<...>-3301  [004] ....   752.118260: kvm_exit: vcpu 2 reason io rip 0xffffffff81a0c3d2 info 3f80008 0',
        '<...>-3301  [004] ....   752.118270: kvm_exit: vcpu 2 reason GP excp rip 0xffffffff81a0c3d2 info 0 0',
      ].join('\n'),
      { msrWrite: 'x2apic-icr' },
    );
    expect(counts(p)).toEqual({
      'EXIT_MSR (write)': ['MSR_WRITE/X2APIC_ICR', 1],
      'EXIT_MSR (read)': ['MSR_READ', 1],
      'npf (rsvd: MMIO)': ['EPT_MISCONFIG', 1],
      'npf (fault)': ['EPT_VIOLATION', 1],
      io: ['IO_INSTRUCTION', 1],
      'GP excp': ['EXCEPTION_NMI', 1],
    });
    expect(p.arch).toBe('amd-svm');
  });

  it('joins a header wrapped before its event, and indented continuation lines of a trimmed paste', () => {
    const r = importExits(
      [
        'qemu-system-x86-5665  [000] ....   280.971121:',
        ' kvm_exit: reason IO_INSTRUCTION rip 0x22da info 640008 0',
        '  kvm_exit:             reason EXIT_NPF rip 0xffffffffffbbe119 info',
        '    20000000e fee00000',
        '  kvm_entry:            vcpu 0, rip 0x7ffbb280',
      ].join('\n'),
    );
    expect(r.unread.count).toBe(0);
    expect(r.sections[0].reasons.map((x) => [x.reason, x.target, x.count])).toEqual([
      ['IO_INSTRUCTION', 'IO_INSTRUCTION', 1],
      ['EXIT_NPF (rsvd: MMIO)', 'EPT_MISCONFIG', 1],
    ]);
    expect(r.sections[0].trace!.timestamped).toBe(1);
  });
});

describe('exit names → lab ids', () => {
  it.each([
    ['EXTERNAL_INTERRUPT', 'EXTERNAL_INTERRUPT', 'intel-vmx'],
    ['EXIT_REASON_MSR_WRITE', 'MSR_WRITE', 'intel-vmx'],
    ['PENDING_INTERRUPT', null, 'intel-vmx'],
    ['APIC_WRITE', null, 'intel-vmx'],
    ['ext_irq', 'EXTERNAL_INTERRUPT', 'intel-vmx'],
    ['halt', 'HLT', 'intel-vmx'],
    ['wrmsr', 'MSR_WRITE', 'intel-vmx'],
    ['apic_access', 'APIC_ACCESS', 'intel-vmx'],
    ['hlt', 'HLT', 'amd-svm'],
    ['interrupt', 'EXTERNAL_INTERRUPT', 'amd-svm'],
    ['io', 'IO_INSTRUCTION', 'amd-svm'],
    ['msr', 'SVM_MSR', 'amd-svm'],
    ['GP excp', 'EXCEPTION_NMI', 'amd-svm'],
    ['write_cr4', 'CR_ACCESS', 'amd-svm'],
    ['vintr', null, 'amd-svm'],
    ['avic_incomplete_ipi', null, 'amd-svm'],
    ['EXIT_AVIC_UNACCELERATED_ACCESS', 'APIC_ACCESS', 'amd-svm'],
    ['EXIT_INTR', 'EXTERNAL_INTERRUPT', 'amd-svm'],
    ['EXIT_IOIO', 'IO_INSTRUCTION', 'amd-svm'],
    ['cpuid', 'CPUID', null],
    ['hypercall', 'VMCALL', null],
    ['12', 'HLT', 'intel-vmx'],
    ['56', null, 'intel-vmx'],
    ['WFx', 'HLT', 'arm64'],
    ['EC_SYS64', 'MSR_WRITE/OTHER', 'arm64'],
    ['HVC64', 'VMCALL', 'arm64'],
    ['TRAP', null, 'arm64'],
    ['FROB', null, null],
  ])('%s → %s (%s)', (raw, target, arch) => {
    expect(exitName(raw)).toMatchObject({ target, arch });
  });
});

describe('profile arithmetic', () => {
  it('apportion keeps the total and follows the weights', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(232, [9, 0, 0])).toEqual([232, 0, 0]);
    expect(apportion(7, [2, 1, 4])).toEqual([2, 1, 4]);
    expect(apportion(5, [0, 0, 0])).toEqual([5, 0, 0]);
  });

  it('quantiles are evenly spaced in probability, linear between order statistics, integer ns', () => {
    expect(quantiles([1000000, 100000, 200000], 3)).toEqual([100000, 200000, 1000000]);
    const q = quantiles([100000, 200000, 1000000], 101);
    expect([q[0], q[25], q[50], q[75], q[100]]).toEqual([100000, 150000, 200000, 600000, 1000000]);
    expect(quantiles([7], 5)).toEqual([7, 7, 7, 7, 7]);
    expect(quantiles([0, 1, 2], 5)).toEqual([0, 1, 1, 2, 2]); // 0.5 and 1.5 round half up
  });

  it('a trace: gaps between exits of the same vCPU thread, pooled; duration its span; rates per vCPU', () => {
    const t = [
      ' qemu-100  [001]    10.000000: kvm_exit:             reason HLT rip 0x1 info 0 0',
      ' qemu-200  [002]    10.000050: kvm_exit:             reason HLT rip 0x1 info 0 0',
      ' qemu-100  [001]    10.000100: kvm_exit:             reason MSR_WRITE rip 0x2 info 0 0',
      ' qemu-100  [001]    10.000300: kvm_exit:             reason HLT rip 0x1 info 0 0',
      ' qemu-100  [001]    10.000301: kvm_msr:              msr_write 6e0 = 0x1',
      ' qemu-200  [003]    10.001050: kvm_exit:             reason MSR_WRITE rip 0x2 info 0 0',
      ' qemu-200  [003]    10.001051: kvm_msr:              msr_write 830 = 0xfd',
    ].join('\n');
    const p = profile(t);
    expect(p).toMatchObject({ durationSec: 0.00105, vcpus: 2, exits: 5 });
    expect(p.interArrival![0]).toBe(100000);
    expect(p.interArrival![50]).toBe(200000);
    expect(p.interArrival![100]).toBe(1000000);
    // the two kvm_msr lines name the MSRs: one TSC deadline, one ICR
    expect(counts(p)).toEqual({ HLT: ['HLT', 3], 'MSR_WRITE (0x6e0)': ['MSR_WRITE/TSC_DEADLINE', 1], 'MSR_WRITE (0x830)': ['MSR_WRITE/X2APIC_ICR', 1] });
    expect(p.workload!.rates.HLT).toBe(Math.round((3 / 0.00105 / 2) * 1000) / 1000);
    expect(p.workload!.rates['MSR_WRITE/X2APIC_ICR']).toBe(Math.round((1 / 0.00105 / 2) * 1000) / 1000);
    expect(p.workload!.rates.CPUID).toBe(0); // every exit id is listed
    expect(p.assumptions).toEqual([]);
  });

  it('--msr-write without MSR data labels an assumption; options replace what the file states', () => {
    const t = ' qemu-1  [001]    1.000000: kvm_exit: reason MSR_WRITE rip 0x2 info 0 0\n qemu-1  [001]    3.000000: kvm_exit: reason MSR_WRITE rip 0x2 info 0 0\n';
    const d = profile(t);
    expect(d.reasons[0].labId).toBe('MSR_WRITE/TSC_DEADLINE');
    expect(d.assumptions[0]).toMatch(/all taken as MSR_WRITE\/TSC_DEADLINE \(default/);
    const o = profile(t, { msrWrite: 'other', seconds: 4, vcpus: 2 });
    expect(o.reasons[0].labId).toBe('MSR_WRITE/OTHER');
    expect(o.assumptions[0]).toMatch(/\(--msr-write\)/);
    expect(o.workload!.rates['MSR_WRITE/OTHER']).toBe(0.25);
    expect(o.notes).toContain('--seconds 4 replaces the duration the file states (2 s, from the time span of the trace\'s 2 timestamped kvm_exit events (first to last))');
  });
});

describe('unread lines and bad input', () => {
  it('counts lines it cannot read and keeps the first five with their line numbers; the rest still imports', async () => {
    const lines = [
      '             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time',
      '                 HLT        300    60.00%    99.00%      1.00us     90.00us     10.00us ( +-   1.00% )',
      '           MSR_WRITE        200    40.00%     1.00%      0.50us      2.00us      1.00us ( +-   1.00% )',
      'this line is not data',
      ...Array.from({ length: 6 }, (_, k) => `garbage ${k}`),
      ' qemu-1  [001]    1.000000: kvm_exit: something without a reason',
    ];
    const p = profile(lines.join('\n'));
    expect(p.unread.count).toBe(8);
    expect(p.unread.examples).toEqual([
      { line: 4, text: 'this line is not data' },
      { line: 5, text: 'garbage 0' },
      { line: 6, text: 'garbage 1' },
      { line: 7, text: 'garbage 2' },
      { line: 8, text: 'garbage 3' },
    ]);
    const r = await cli(file('mixed.txt', `${lines.join('\n')}\n`));
    expect(r.code).toBe(0);
    expect(r.out).toContain('unread lines: 8\n  line 4: this line is not data\n');
    expect(r.out).toContain('  ... and 3 more\n');
  });

  it('a file with nothing usable exits 2, names the file and says why', async () => {
    const p = file('prose.txt', 'Some notes about KVM.\nNothing here is a table.\n');
    const r = await cli(p);
    expect(r).toEqual({
      code: 2,
      out: '',
      err: `caretaker-lab: ${p}: nothing usable: no kvm_exit event lines and no table of exits per reason; 2 lines not read\nfirst lines not read:\n  line 1: Some notes about KVM.\n  line 2: Nothing here is a table.\n`,
    });
    const entries = file('entries.txt', ' qemu-1  [001]    1.000000: kvm_entry: vcpu 0, rip 0x1\n');
    expect((await cli(entries)).err).toContain('its trace lines are other tracepoints (kvm_entry 1)');
    expect((await cli(file('empty.txt', ''))).err).toBe(`caretaker-lab: ${join(dir, 'empty.txt')}: nothing usable: the file is empty\n`);
  });

  it('binary input, bad gzip, a missing file and bad options are bad input (exit 2)', async () => {
    const bin = file('trace.dat', Buffer.from([0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67, 0x00, 0x01]));
    expect((await cli(bin)).err).toMatch(/trace\.dat: nothing usable: binary data \(NUL bytes\): import the text that `trace-cmd report`/);
    const gz = file('bad.txt.gz', 'not gzip at all');
    expect(await cli(gz)).toMatchObject({ code: 2, err: expect.stringMatching(/bad\.txt\.gz: not valid gzip data/) });
    expect(await cli(join(dir, 'nope.txt'))).toMatchObject({ code: 2, err: `caretaker-lab: ${join(dir, 'nope.txt')}: cannot read the file (no such file)\n` });
    expect(await cli()).toMatchObject({ code: 2, err: expect.stringContaining('caretaker-lab: import: which file?') });
    const ok = file('ok.txt.gz', gzipSync(' qemu-1  [001]    1.000000: kvm_exit: reason HLT rip 0x1 info 0 0\n'));
    expect((await cli(ok, '--seconds', '0')).err).toBe('caretaker-lab: import: --seconds "0": expected a number of seconds above 0\n');
    expect((await cli(ok, '--vcpus', '1.5')).err).toBe('caretaker-lab: import: --vcpus "1.5": expected a whole number, 1 or more\n');
    expect((await cli(ok, '--msr-write', 'icr')).err).toBe('caretaker-lab: import: --msr-write "icr": expected tsc-deadline, x2apic-icr, other\n');
    expect((await cli(ok, '--quantiles', '3')).err).toBe('caretaker-lab: import: unknown option --quantiles; expected --json, --table, --seconds, --vcpus, --msr-write\n');
    expect((await cli(ok, '--table')).err).toBe('caretaker-lab: import: --table needs a value\n');
    const good = await cli(ok, '--seconds=2', '--vcpus=1', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out).workload.rates.HLT).toBe(0.5);
  });
});
