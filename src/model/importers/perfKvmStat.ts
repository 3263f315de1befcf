/**
 * Reads the tables of `perf kvm stat report` and `perf kvm stat live`: the VM-EXIT table (VMX, SVM
 * and arm64 names; with or without the Min/Max columns of newer perf), the per-MSR table of
 * `--event=msr`, and recognizes the MMIO and IO-port tables (`--event=mmio|ioport`), which count
 * accesses by address rather than exits by reason.
 *
 *   `             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time`
 *   `           MSR_WRITE       9167    35.40%     0.04%      0.45us   9554.94us      3.00us ( +-  41.94% )`
 *   `Total Samples:25898, Total events handled time:68281638.61us.`
 */
import { MSR_WRITE_ID, msrWriteKind } from './names.ts';
import type { CountRow, OpenContext, OpenTable, TableFormat, TableResult } from './tables.ts';

type PerfKind = 'vmexit' | 'msr' | 'mmio' | 'ioport';

const HEADER_RE = /^\s*(VM-EXIT|MSR Access|MMIO Access|IO Port Access)\s+Samples\s+Samples%\s+Time%/;
const ROW_RE = /^\s*(\S+)\s+(\d+)\s+(\d+(?:\.\d+)?)%\s+(\d+(?:\.\d+)?)%(?:\s.*)?$/;
const TOTAL_RE = /^\s*Total Samples:\s*(\d+)/;

const KIND_OF: Record<string, PerfKind> = { 'VM-EXIT': 'vmexit', 'MSR Access': 'msr', 'MMIO Access': 'mmio', 'IO Port Access': 'ioport' };

/** The lab id of a row of the per-MSR table: `0x6e0:W` is a WRMSR of MSR_IA32_TSC_DEADLINE. */
function msrRowTarget(reason: string): string | null {
  const m = /^0x([0-9a-f]+):([RW])$/i.exec(reason);
  if (!m) return null;
  return m[2].toUpperCase() === 'R' ? 'MSR_READ' : MSR_WRITE_ID[msrWriteKind(parseInt(m[1], 16))];
}

function perfTable(kind: PerfKind, line: number): OpenTable {
  const rows: CountRow[] = [];
  let total: number | null = null;
  let last = line;
  return {
    take(text, no) {
      if (total !== null) return false;
      const t = TOTAL_RE.exec(text);
      if (t) {
        total = Number(t[1]);
        last = no;
        return true;
      }
      const r = ROW_RE.exec(text);
      if (!r) return false;
      rows.push({ reason: r[1], count: Number(r[2]), percent: Number(r[3]), thread: null, line: no, target: kind === 'msr' ? msrRowTarget(r[1]) : undefined });
      last = no;
      return true;
    },
    close(): TableResult[] {
      if (kind === 'mmio' || kind === 'ioport') {
        const what = kind === 'mmio' ? 'perf kvm stat --event=mmio table' : 'perf kvm stat --event=ioport table';
        return [{ kind: 'skipped', line, endLine: last, what, why: `counts ${kind === 'mmio' ? 'MMIO' : 'port I/O'} accesses by address (${rows.length} rows), not exits by reason` }];
      }
      const bad = kind === 'msr' ? rows.filter((r) => r.target === null) : [];
      return [
        {
          kind: 'exits',
          format: kind === 'msr' ? 'perf kvm stat --event=msr (MSR exits by MSR)' : 'perf kvm stat (VM-EXIT table)',
          line,
          rows,
          statedTotal: total,
          percentColumn: 'Samples%',
          perMsr: kind === 'msr',
          notes: bad.map((r) => `line ${r.line}: MSR access ${JSON.stringify(r.reason)} is not of the form 0x<msr>:R|W; not modelled`),
        },
      ];
    },
  };
}

export const perfKvmStatFormat: TableFormat = {
  open(text: string, line: number, ctx: OpenContext): OpenTable | null {
    const h = HEADER_RE.exec(text);
    if (h) return perfTable(KIND_OF[h[1]], line);
    // a mail that annotates each row with a comment: the rows keep the last header's columns
    if (ctx.lastPerfHeader && ROW_RE.test(text)) {
      const kind = KIND_OF[HEADER_RE.exec(ctx.lastPerfHeader.text)![1]];
      const t = perfTable(kind, line);
      t.take(text, line);
      return t;
    }
    return null;
  },
};

export function isPerfHeader(text: string): boolean {
  return HEADER_RE.test(text);
}

/** `Analyze events for all VMs, VCPU 3:` — perf's line above a table: which vCPUs it counts. */
export function perfAnalyzeLine(text: string): { vcpu: number | null } | null {
  const m = /^\s*Analyze events for .*?(?:all VCPUs|VCPU (\d+)):\s*$/.exec(text);
  return m ? { vcpu: m[1] === undefined ? null : Number(m[1]) } : null;
}
