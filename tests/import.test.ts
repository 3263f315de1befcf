// `caretaker-lab import` on every file of real VM-exit data (tests/fixtures/real-exits, copied from
// shared/data/real-exits; the large trace-cmd reports gzipped): what each file is read as, that
// every table's per-reason shares match the file's own percentages (or its own counts), that
// traces count what an independent scan of their lines counts, and that files with nothing
// usable exit 2 and say why.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cmdImport } from '../src/cli/import.ts';
import { buildProfile, importExits, type ImportResult, type Profile, type ProfileOptions, type Section } from '../src/model/importers/index.ts';

const FIXTURES = join(new URL('.', import.meta.url).pathname, 'fixtures', 'real-exits');
const text = (name: string) => {
  const buf = readFileSync(join(FIXTURES, name));
  return (name.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
};
const cache = new Map<string, ImportResult>();
const imported = (name: string) => cache.get(name) ?? cache.set(name, importExits(text(name), name)).get(name)!;
const profileOf = (name: string, opts: ProfileOptions = {}): Profile => {
  const b = buildProfile(imported(name), opts);
  if (!b.ok) throw new Error(b.error);
  return b.profile;
};
async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await cmdImport(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/**
 * Every table's shares against the file: with a percentage column, each reason's share of the
 * total is within rounding of the file's own percentage (half a unit of the last printed digit;
 * twice that where the total is implied by the percentages of a table shown in part); without
 * one, each share is the reason's count over the table's counts. The profile's rows keep every
 * exit of the table (an MSR_WRITE split sums back to the row) and their shares add up to 1.
 */
function checkShares(name: string, s: Section): Profile {
  const p = profileOf(name, { table: s.index });
  const shown = s.reasons.reduce((a, r) => a + r.count, 0);
  const implied = s.statedTotal === null && p.exits > shown;
  for (const r of s.reasons) {
    const share = (r.count / p.exits) * 100;
    if (s.percentColumn) expect(Math.abs(share - r.percent!), `${name} table ${s.index} ${r.reason}: ${share} vs ${r.percent}%`).toBeLessThanOrEqual((implied ? 0.01 : 0.005) + 1e-9);
    const rows = p.reasons.filter((x) => x.reason === r.reason || x.reason.startsWith(`${r.reason} (`));
    expect(rows.reduce((a, x) => a + x.count, 0), `${name} ${r.reason}`).toBe(r.count);
  }
  if (!s.percentColumn) expect(p.exits).toBe(shown);
  if (s.statedTotal !== null) expect(p.exits).toBe(Math.max(s.statedTotal, shown));
  const hidden = p.reasons.find((x) => x.reason === '(rows not in the file)');
  if (hidden) expect(Math.abs(hidden.share * 100 - hidden.filePercent!)).toBeLessThanOrEqual(0.005 * (s.reasons.length + 1));
  expect(p.reasons.reduce((a, x) => a + x.share, 0)).toBeCloseTo(1, 12);
  expect(p.reasons.reduce((a, x) => a + x.count, 0)).toBe(p.exits);
  return p;
}

/** An independent count of a trace's kvm_exit lines by reason: the word after `reason`. */
function scanTrace(t: string) {
  const counts: Record<string, number> = {};
  const ts: number[] = [];
  for (const line of t.split('\n')) {
    const m = /\s(\d+\.\d+): kvm_exit: +reason (\S+)/.exec(line);
    if (!m) continue;
    counts[m[2]] = (counts[m[2]] ?? 0) + 1;
    ts.push(Number(m[1]));
  }
  return { counts, first: ts[0], last: ts[ts.length - 1], n: ts.length };
}

const byReason = (s: Section) => Object.fromEntries(s.reasons.map((r) => [r.reason, r.count]));
const rate = (p: Profile, labId: string) => p.reasons.filter((r) => r.labId === labId).reduce((a, r) => a + (r.ratePerVcpu ?? NaN), 0);

interface Expect {
  file: string;
  format: RegExp;
  tables: number;
  unread: number;
  skipped?: number;
  check?: (r: ImportResult) => void;
}

const MASTERARBEIT = ['balanced', 'default', 'normal', 'performance', 'power-saver', 'real-time', 'real-time-irq', 'taskset'].map(
  (k) => `trace-cmd-report-kvm_exit-intel-i7-13800H-rt-guest-${k}-hip24-masterarbeit.txt.gz`,
);

const FILES: Expect[] = [
  {
    file: 'bcc-kvmexit-counts-intel-iovisor-example.txt',
    format: /^bcc kvmexit$/,
    tables: 8,
    unread: 0,
    check: (r) => {
      // `./kvmexit.py 6`: two VMs' vCPU threads over 6 s
      expect(r.sections[1]).toMatchObject({ durationSec: 6, vcpus: 2 });
      expect(byReason(r.sections[1]).EXIT_REASON_HLT).toBe(6043 + 989);
      // `./kvmexit.py -t 1273819 10`: one thread, 10 s
      const p = profileOf(r.fileName, { table: 7 });
      expect(p).toMatchObject({ durationSec: 10, vcpus: 1, exits: 13318 + 5274 + 263 + 171 + 109 + 8 + 5 + 4 + 2 });
      expect(p.workload!.rates['MSR_WRITE/TSC_DEADLINE']).toBe(1331.8);
      expect(p.workload!.rates.HLT).toBe(527.4);
      // `-T '1273820,1273819'` names two threads; Ctrl-C leaves the duration unstated
      expect(r.sections[7]).toMatchObject({ vcpus: 2, durationSec: null });
    },
  },
  {
    file: 'bcc-kvmexit-counts-intel-qemu-boot-to-login-bcc-pr3477-review.txt',
    format: /^bcc kvmexit$/,
    tables: 1,
    unread: 0,
    check: (r) => {
      expect(r.sections[0].vcpus).toBe(1);
      expect(profileOf(r.fileName).exits).toBe(728 + 196 + 1447 + 424 + 11 + 1 + 19642 + 92 + 1989);
      expect(r.sections[0].reasons.find((x) => x.reason === 'EXIT_REASON_DR_ACCESS')!.target).toBeNull();
    },
  },
  {
    file: 'cpuid-leaf-per-reason-exit-counts-intel-nested-ubuntu-boot-cmpe283-nicolashanout.txt',
    format: /VMX reason number, one column per snapshot/,
    tables: 4,
    unread: 0,
    check: (r) => {
      expect(r.sections.map((s) => s.title)).toEqual(['after-boot(EPT)', 'after-use(EPT)', 'after-idle(EPT)', 'after-boot(ept=0, shadow paging)']);
      expect(byReason(r.sections[3])['28']).toBe(8618699);
      const p = profileOf(r.fileName, { table: 4 });
      expect(p.reasons.find((x) => x.reason === '28')!.labId).toBe('CR_ACCESS');
      expect(p.assumptions.join()).toMatch(/numbers are read as VMX basic exit reasons/);
    },
  },
  {
    file: 'ftrace-kvm-event-line-format-samples-by-kernel-era-compiled.txt',
    format: /^kvm_exit trace/,
    tables: 1,
    unread: 0,
    check: (r) => {
      const s = r.sections[0];
      expect(s.trace!.exits).toBe(17);
      expect(s.trace!.bodyKinds).toEqual({ 'reason/rip': 2, 'reason/rip/info': 8, 'vcpu/reason/rip/info': 3, 'vcpu/reason/rip/info1/info2/intr_info/error_code': 4 });
      expect(s.trace!.headerKinds).toEqual({ 'trace-cmd report': 2, 'ftrace (4-char flags)': 8, 'no header': 3, 'ftrace (5-char flags)': 3, 'CPU prefix': 1 });
      // blocks from different traces: no duration from the timestamps
      expect(s.durationSec).toBeNull();
      expect(s.trace!.backwards!.line).toBe(43);
      expect(byReason(s)['npf (fault)']).toBe(3);
      expect(byReason(s)['EXIT_NPF (fault)']).toBe(1);
      expect(profileOf(r.fileName).arch).toBe('mixed (amd-svm 6, intel-vmx 11)');
    },
  },
  {
    file: 'ftrace-kvm-events-full-format-nested-l1-on-esxi-lkml-krause-2023.txt',
    format: /^kvm_exit trace \(ftrace \(5-char flags\) lines; `vcpu N reason X rip R info1/,
    tables: 1,
    unread: 0,
    check: (r) => {
      const p = profileOf(r.fileName);
      expect(p).toMatchObject({ vcpus: 2, exits: 12 });
      // kvm_msr names the MSRs: EFER (c0000080) and TSC_AUX (c0000103), neither 0x6e0 nor 0x830
      expect(p.reasons.find((x) => x.labId === 'MSR_WRITE/OTHER')!.count).toBe(2);
      expect(p.assumptions.join()).not.toMatch(/MSR/);
      expect(p.durationSec).toBeCloseTo(1404.389646 - 1404.389366, 9); // first to last kvm_exit
    },
  },
  {
    file: 'ftrace-trace-cmd-kvm_exit-entry-pio-intel-freedos-ps2-qemu-devel-ruemelin-2021.txt',
    format: /^kvm_exit trace \(ftrace \(4-char flags\) lines/,
    tables: 1,
    unread: 0,
    check: (r) => {
      // each event wrapped onto the line after its header
      expect(byReason(r.sections[0])).toEqual({ IO_INSTRUCTION: 6, EXTERNAL_INTERRUPT: 3, PENDING_INTERRUPT: 1 });
      expect(r.sections[0].trace!.otherEvents).toMatchObject({ kvm_entry: 9, tracing_mark_write: 10, kvm_ack_irq: 2 });
      expect(r.sections[0].vcpus).toBe(1);
    },
  },
  {
    file: 'perf-kvm-stat-arm64-lkml-and-kylin-kvmexit.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 6,
    unread: 0,
    check: (r) => {
      expect(r.sections.map((s) => s.format)).toEqual([...Array(4).fill('perf kvm stat (VM-EXIT table)'), 'bcc kvmexit', 'bcc kvmexit']);
      const b = profileOf(r.fileName, { table: 2 });
      expect(b.arch).toBe('arm64');
      expect(b.reasons.map((x) => [x.reason, x.labId])).toEqual([
        ['DABT_LOW', 'EPT_VIOLATION'], ['IRQ', 'EXTERNAL_INTERRUPT'], ['WFx', 'HLT'], ['IABT_LOW', 'EPT_VIOLATION'], ['SYS64', 'MSR_WRITE/OTHER'], ['HVC64', 'VMCALL'],
      ]);
      expect(b.assumptions.length).toBe(3);
      expect(profileOf(r.fileName).reasons.find((x) => x.reason === 'TRAP')!.labId).toBeNull();
      expect(r.sections[3].vcpus).toBe(1); // perf kvm stat report --vcpu 27
      expect(byReason(r.sections[4])).toEqual({ EC_WFx: 7 + 25 + 93, UNKNOWN_EC: 4 + 3, EC_DABT_LOW: 2 + 2, EC_SYS64: 11 });
    },
  },
  {
    file: 'perf-kvm-stat-intel-arrowlake-6.15-bpf-test-guest-2026.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 2,
    unread: 0,
    check: (r) => {
      // "top rows only": the total follows from HLT's 42148 = 75.72%
      const p = profileOf(r.fileName);
      expect(p.exits).toBe(55663);
      expect(p.reasons.at(-1)).toMatchObject({ reason: '(rows not in the file)', labId: null, count: 112, filePercent: 0.21 });
      // the record table's Samples% add up to 99.97% over 5 rows: 94 exits (0.03%) are in rows not shown
      const t2 = profileOf(r.fileName, { table: 2 });
      expect(t2.exits - (239111 + 68094 + 5401 + 4905 + 489)).toBe(94);
      expect(t2.reasons.at(-1)).toMatchObject({ reason: '(rows not in the file)', count: 94, filePercent: 0.03 });
    },
  },
  {
    file: 'perf-kvm-stat-intel-ebpf-tracing-and-pipe-pingpong-lkml-aarcange-2019.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 2,
    unread: 0,
    check: (r) => {
      expect(r.sections.map((s) => s.title)).toEqual(['Table 1: eBPF tracing workload in guest', 'Table 2: pipe ping-pong between two processes in guest']);
      expect(profileOf(r.fileName, { table: 2 }).reasons[0]).toMatchObject({ reason: 'MSR_WRITE', labId: 'MSR_WRITE/TSC_DEADLINE', count: 498945 });
    },
  },
  {
    file: 'perf-kvm-stat-intel-hackbench-ipi-msr-write-lkml-wanpengli-2019.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 4,
    unread: 0,
    check: (r) => {
      // one header, then one annotated MSR_WRITE row per configuration
      expect(r.sections.map((s) => s.title)).toEqual(['retpolines on, before patch', 'retpolines on, after patch', 'mitigations=off, before patch', 'mitigations=off, after patch']);
      const p = profileOf(r.fileName, { table: 3, msrWrite: 'x2apic-icr' });
      expect(p.reasons[0]).toMatchObject({ labId: 'MSR_WRITE/X2APIC_ICR', count: 2681713 });
      expect(p.exits).toBe(Math.round(2681713 / 0.9298));
    },
  },
  {
    file: 'perf-kvm-stat-intel-host-wide-100s-chinese-perf-blog-2021.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 1,
    unread: 0,
    check: (r) => {
      const p = profileOf(r.fileName);
      expect(p).toMatchObject({ durationSec: 100, vcpus: null, exits: 79744 });
      expect(rate(p, 'MSR_WRITE/TSC_DEADLINE')).toBe(425.21);
      expect(p.reasons.find((x) => x.reason === 'APIC_WRITE')).toMatchObject({ labId: null, count: 6226, ratePerVcpu: 62.26 });
      expect(p.assumptions.join()).toMatch(/as if one vCPU/);
    },
  },
  {
    file: 'perf-kvm-stat-intel-idle-openeuler-kvm_stat-ftrace-pengji.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 1,
    unread: 0,
    skipped: 1,
    check: (r) => {
      expect(r.skipped[0].why).toBe('counts 15 tracepoints, not exits by reason (kvm_exit: 1133 in total)');
      // the 9 kvm_msr lines all write 0x6e0: MSR_WRITE is TSC_DEADLINE by the file, not by assumption
      expect(r.msrWrites).toEqual({ counts: { 'tsc-deadline': 9, 'x2apic-icr': 0, other: 0 }, from: "the file's 9 kvm_msr msr_write lines" });
      const p = profileOf(r.fileName);
      expect(p.reasons[0]).toMatchObject({ reason: 'MSR_WRITE (0x6e0)', labId: 'MSR_WRITE/TSC_DEADLINE', count: 232 });
      expect(p.assumptions).toEqual([]);
    },
  },
  {
    file: 'perf-kvm-stat-intel-msr-breakdown-lkml-lirongqing-2021.txt',
    format: /^perf kvm stat --event=msr/,
    tables: 1,
    unread: 0,
    check: (r) => {
      const p = profileOf(r.fileName);
      expect(p.reasons.map((x) => [x.reason, x.labId, x.count])).toEqual([
        ['0x6e0:W', 'MSR_WRITE/TSC_DEADLINE', 67007],
        ['0x830:W', 'MSR_WRITE/X2APIC_ICR', 1186],
        ['0x3b:R', 'MSR_READ', 66],
      ]);
      expect(p.exits).toBe(68259);
    },
  },
  {
    file: 'perf-kvm-stat-intel-sysbench-cpu-0xba1a-blog-2020.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 1,
    unread: 0,
    check: (r) => {
      expect(profileOf(r.fileName).exits).toBe(25898);
      // the file states 22.66 s only in prose: --seconds gives the rates
      const p = profileOf(r.fileName, { seconds: 22.66 });
      expect(p.workload!.rates.PREEMPTION_TIMER).toBe(Math.round((5728 / 22.66) * 1000) / 1000);
    },
  },
  {
    file: 'perf-kvm-stat-intel-win7-guest-vmexit-mmio-ioport-chinaunix-2013.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 2,
    unread: 0,
    skipped: 3,
    check: (r) => {
      expect(r.skipped.map((s) => s.what)).toEqual(["perf stat -e 'kvm:*' counts", 'perf kvm stat --event=mmio table', 'perf kvm stat --event=ioport table']);
      expect(r.skipped[0].why).toMatch(/kvm_exit: 1934 in total/);
      expect(r.sections[1]).toMatchObject({ vcpus: 1, statedTotal: 10914 }); // --vcpu=0
      expect(profileOf(r.fileName).reasons[0]).toMatchObject({ reason: 'APIC_ACCESS', labId: 'APIC_ACCESS', count: 65381 });
    },
  },
  {
    file: 'perf-kvm-stat-live-intel-windows10-idle-high-sys-before-after-hpet-huataihuang.txt',
    format: /^perf kvm stat \(VM-EXIT table\)$/,
    tables: 2,
    unread: 0,
    check: (r) => {
      expect(r.sections.map((s) => s.statedTotal)).toEqual([70746, 1981]);
      expect(profileOf(r.fileName, { table: 2 }).reasons[0]).toMatchObject({ reason: 'MSR_READ', count: 1501 });
      expect(profileOf(r.fileName).reasons.find((x) => x.reason === 'TPR_BELOW_THRESHOLD')!.labId).toBeNull();
    },
  },
  {
    file: 'perf-prof-kvm-exit-latency-intel-tencent-opencloudos.txt',
    format: /^perf-prof kvm-exit$/,
    tables: 7,
    unread: 0,
    skipped: 1,
    check: (r) => {
      expect(r.sections.map((s) => s.format.split(' (')[0])).toEqual([...Array(6).fill('perf-prof kvm-exit'), 'kvm_exit trace']);
      expect(r.sections[3].vcpus).toBe(1); // kvm-exit latency THREAD 126953
      // B: `perf-monitor kvm-exit ... -i 1000`, a 1 s window (after the latency histogram, which is skipped)
      expect(r.skipped[0].what).toBe('exit-latency histogram');
      const b = profileOf(r.fileName, { table: 6 });
      expect(b).toMatchObject({ durationSec: 1, exits: 40619 + 65240 + 2035 + 2173 + 202 + 37 + 96 });
      expect(b.table.title).toMatch(/^B: perf-monitor kvm-exit/);
      // the outlier lines perf-prof prints between its tables
      expect(byReason(r.sections[6])).toEqual({ APIC_WRITE: 1, EXTERNAL_INTERRUPT: 2 });
      expect(r.sections[6].trace!.headerKinds).toEqual({ 'perf-prof': 3 });
    },
  },
  {
    file: 'systemtap-kvm_service_time-intel-pause-heavy-sourceware.txt',
    format: /SystemTap/,
    tables: 1,
    unread: 0,
    check: (r) => {
      const p = profileOf(r.fileName);
      expect(p.durationSec).toBe(10); // stap kvm_service_time.stp -T 10
      expect(p.reasons.find((x) => x.reason === '40')).toMatchObject({ labId: 'PAUSE_INSTRUCTION', count: 4966918, ratePerVcpu: 496691.8 });
      expect(p.reasons.find((x) => x.reason === '7')!.labId).toBeNull(); // interrupt window
    },
  },
  ...MASTERARBEIT.map(
    (file): Expect => ({
      file,
      format: /^kvm_exit trace \(trace-cmd report lines; `reason X rip R info A B`/,
      tables: 1,
      unread: 0,
      check: (r) => {
        const scan = scanTrace(text(file));
        const s = r.sections[0];
        expect(byReason(s)).toEqual(scan.counts);
        expect(s.vcpus).toBe(1);
        expect(s.durationSec).toBeCloseTo(scan.last - scan.first, 6);
        expect(s.gapsNs!.length).toBe(scan.n - 1);
        const p = profileOf(file);
        expect(p.interArrival).toHaveLength(101);
        expect(p.workload!.interArrival).toBe(p.interArrival);
        expect(p.reasons.find((x) => x.reason === 'APIC_WRITE')!.labId).toBeNull();
        expect(p.workload!.rates.HLT).toBe(Math.round((scan.counts.HLT / (scan.last - scan.first)) * 1000) / 1000);
      },
    }),
  ),
  {
    file: 'trace-cmd-report-kvm_exit-intel-i7-13800H-rt-guest-vapic-x2apic-hip24-masterarbeit.txt',
    format: /^kvm_exit trace \(trace-cmd report lines/,
    tables: 1,
    unread: 0,
    check: (r) => {
      const scan = scanTrace(text(r.fileName));
      expect(byReason(r.sections[0])).toEqual(scan.counts);
      expect(scan.counts.MSR_WRITE).toBe(820);
      expect(profileOf(r.fileName).assumptions.join()).toMatch(/all taken as MSR_WRITE\/TSC_DEADLINE \(default/);
      expect(profileOf(r.fileName, { msrWrite: 'other' }).workload!.rates['MSR_WRITE/OTHER']).toBeGreaterThan(0);
    },
  },
];

const UNUSABLE: { file: string; why: RegExp }[] = [
  { file: 'exit-cost-microbenchmarks-cycles-lkml-compiled.txt', why: /kvm-unit-tests vmexit table \(cycles before\/after\), which gives the cost of 13 exit tests in cycles, not exit counts; 3 lines not read/ },
  { file: 'trace-cmd-host-event-counts-kvm-intel-i7-13800H-rt-guest-hip24-masterarbeit.txt', why: /counts 142 tracepoints, not exits by reason \(kvm_exit: 13173 in total\).*kvm_exit: 13999.*kvm_exit: 14287/ },
];

describe('import: every real data file', () => {
  it('the fixtures are the 29 files of shared/data/real-exits, the large traces gzipped', () => {
    const files = readdirSync(FIXTURES).sort();
    expect(files).toHaveLength(29);
    expect([...FILES.map((f) => f.file), ...UNUSABLE.map((u) => u.file)].sort()).toEqual(files);
    expect(files.filter((f) => f.endsWith('.gz'))).toEqual([...MASTERARBEIT].sort());
  });

  it.each(FILES)('$file', (e) => {
    const r = imported(e.file);
    expect(r.sections).toHaveLength(e.tables);
    expect(r.sections[0].format).toMatch(e.format);
    expect(r.unread.count).toBe(e.unread);
    expect(r.skipped).toHaveLength(e.skipped ?? 0);
    expect(r.nothingUsable).toBeNull();
    for (const s of r.sections) checkShares(e.file, s);
    e.check?.(r);
  });

  it.each(UNUSABLE)('$file has nothing usable: exit 2, and says why', async (u) => {
    const r = await cli(join(FIXTURES, u.file));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`caretaker-lab: ${join(FIXTURES, u.file)}: nothing usable: no kvm_exit event lines and no table of exits per reason`);
    expect(r.err).toMatch(u.why);
  });

  it('the unread lines of the cost file are listed with their line numbers', async () => {
    const r = await cli(join(FIXTURES, UNUSABLE[0].file));
    expect(r.err).toContain('first lines not read:\n  line 23: [1] With existing mitigation:  Average: 2026 cycles\n  line 24:');
  });
});

describe('import: the command on real files', () => {
  const normal = MASTERARBEIT[2];

  it('reads .gz transparently: the same profile as the plain text', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const plain = join(mkdtempSync(join(tmpdir(), 'ctl-import-')), normal.replace(/\.gz$/, ''));
    writeFileSync(plain, text(normal));
    const a = await cli(join(FIXTURES, normal), '--json');
    const b = await cli(plain, '--json');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ja = JSON.parse(a.out);
    const jb = JSON.parse(b.out);
    expect(ja.file).toMatch(/\.txt\.gz$/);
    expect({ ...ja, file: '' }).toEqual({ ...jb, file: '' });
  });

  it('--json prints the profile object, with a workload usable as vms[].workload', async () => {
    const r = await cli(join(FIXTURES, normal), '--json');
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['file', 'format', 'arch', 'durationSec', 'vcpus', 'reasons', 'unread', 'assumptions', 'workload']));
    expect(j).toMatchObject({ arch: 'intel-vmx', vcpus: 1, exits: 13173, unread: { count: 0, examples: [] } });
    expect(j.durationSec).toBeCloseTo(4.910641, 9);
    expect(j.reasons[0]).toEqual({ reason: 'APIC_WRITE', labId: null, count: 7766, share: 7766 / 13173, filePercent: null, ratePerVcpu: 1581.464 });
    expect(Object.keys(j.workload)).toEqual(['rates', 'interArrival']);
    const q: number[] = j.workload.interArrival;
    expect(q).toHaveLength(101);
    expect(q.every((x, i) => Number.isInteger(x) && (i === 0 || x >= q[i - 1]))).toBe(true);
  });

  it('prints a human summary: table, unread lines, assumptions, the workload line', async () => {
    const r = await cli(join(FIXTURES, 'perf-kvm-stat-intel-host-wide-100s-chinese-perf-blog-2021.txt'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^format {5}perf kvm stat \(VM-EXIT table\)$/m);
    expect(r.out).toMatch(/^duration {3}100 s$/m);
    expect(r.out).toMatch(/^MSR_WRITE +MSR_WRITE\/TSC_DEADLINE +42521 +53\.32% +53\.32% +425\.21$/m);
    expect(r.out).toMatch(/^APIC_WRITE +not modelled +6226 +7\.81% +7\.81% +62\.26$/m);
    expect(r.out).toContain('unread lines: 0');
    expect(r.out).toContain('  ASSUMPTION: the file does not say which MSR its MSR_WRITE exits write');
    const last = r.out.trim().split('\n').at(-1)!;
    expect(JSON.parse(last).rates.HLT).toBe(158.85);
  });

  it('without a duration it prints counts and shares, says rates need --seconds, and exits 0', async () => {
    const r = await cli(join(FIXTURES, 'perf-kvm-stat-intel-sysbench-cpu-0xba1a-blog-2020.txt'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('duration   not stated (give --seconds S)');
    expect(r.out).toContain('no workload: rates need --seconds S (and --vcpus N)');
    const j = JSON.parse((await cli(join(FIXTURES, 'perf-kvm-stat-intel-sysbench-cpu-0xba1a-blog-2020.txt'), '--json')).out);
    expect(j.workload).toBeNull();
    expect(j.reasons[0]).toMatchObject({ reason: 'MSR_WRITE', count: 9167, filePercent: 35.4, ratePerVcpu: null });
  });

  it('--table picks another table; a table that does not exist is bad input naming the tables', async () => {
    const f = join(FIXTURES, 'perf-kvm-stat-live-intel-windows10-idle-high-sys-before-after-hpet-huataihuang.txt');
    const two = JSON.parse((await cli(f, '--json', '--table', '2', '--seconds', '1')).out);
    expect(two.table).toMatchObject({ index: 2, of: 2, line: 27 });
    expect(two.workload.rates.MSR_READ).toBe(1501);
    const bad = await cli(f, '--table=3');
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      `caretaker-lab: ${f}: --table 3: the file has 2 tables of exits (1: line 9, perf kvm stat (VM-EXIT table) (Table 1: hpet absent (15:52:35.709821)); 2: line 27, perf kvm stat (VM-EXIT table) (Table 2: hpet present, guest idle (19:24:22.553073)))\n`,
    );
  });
});
