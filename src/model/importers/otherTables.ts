/**
 * Reads exit counts per reason in the formats of other tools, and recognizes tables that look
 * similar but hold no such counts, so the import can say what they are instead of calling their
 * lines unreadable.
 *
 * Exit counts:
 *   bcc kvmexit        `PID  TID  KVM_EXIT_REASON  COUNT` (also TGID, TIDS, COMM, STAT, AVG_TIME columns)
 *   perf-prof kvm-exit `exit_reason  calls  total(us)  min(us)  avg(us)  max(us)  [%gsys]`
 *   numbered reasons   `12: 182 29145513 58 160140 500054` (SystemTap: count first) or
 *                      `12: 27229 | 141722 | 292668` (one column per snapshot, titled by a `# reason: a | b` comment)
 * Not exit counts (skipped, with the reason):
 *   tracepoint counts  `perf stat -e 'kvm:*'`, kvm_stat, a markdown `| Event | Count |` table
 *   perf-prof's exit-latency histogram, and kvm-unit-tests cycle costs (`before  after`)
 */
import { parseGroupedInt, type CountRow, type OpenContext, type OpenTable, type TableFormat, type TableResult } from './tables.ts';

// ---------------------------------------------------------------------------------------------
// bcc tools/kvmexit.py (and the Kylin arm64 variant)

/** Splits a row into columns; bcc prints COMM as a Python bytes literal, `b'CPU 3/KVM'`. */
function columns(text: string): string[] {
  return text.trim().match(/b'[^']*'|b"[^"]*"|\S+/g) ?? [];
}

function bccTable(header: string[], line: number): OpenTable {
  const reasonCol = header.indexOf('KVM_EXIT_REASON');
  const countCol = header.findIndex((h) => h === 'COUNT' || h === 'STAT');
  // the vCPU thread: TID or TIDS; with TGID, bcc's PID column is the thread
  const threadCol = header.findIndex((h) => h === 'TID' || h === 'TIDS' || (h === 'PID' && header.includes('TGID')));
  const rows: CountRow[] = [];
  return {
    take(text, no) {
      const c = columns(text);
      if (c.length !== header.length) return false;
      const count = /^\d+$/.test(c[countCol]) ? Number(c[countCol]) : null;
      if (count === null || /^\d+$/.test(c[reasonCol])) return false;
      if (header.some((h, i) => /^(PID|TID|TGID|TIDS)$/.test(h) && !/^\d+$/.test(c[i]))) return false;
      rows.push({ reason: c[reasonCol], count, percent: null, thread: threadCol >= 0 ? c[threadCol] : null, line: no });
      return true;
    },
    close: () => [{ kind: 'exits', format: 'bcc kvmexit', line, rows, statedTotal: null, percentColumn: null, notes: [] }],
  };
}

const bccFormat: TableFormat = {
  open(text, line) {
    const h = columns(text);
    if (!h.includes('KVM_EXIT_REASON') || !h.some((x) => x === 'COUNT' || x === 'STAT')) return null;
    if (!h.every((x) => /^[A-Z_]+$/.test(x))) return null;
    return bccTable(h, line);
  },
};

// ---------------------------------------------------------------------------------------------
// perf-prof kvm-exit (OpenCloudOS/perf-prof; formerly perf-monitor)

const PERF_PROF_HEADER = /^\s*exit_reason\s+calls\s+total\(us\)\s+min\(us\)\s+avg\(us\)/;
const PERF_PROF_ROW = /^\s*(\S+)\s+(\d+)\s+\d+(?:\.\d+)?\s+\d+(?:\.\d+)?\s+\d+(?:\.\d+)?(?:\s+\d+(?:\.\d+)?)*\s*$/;

const perfProfFormat: TableFormat = {
  open(text, line) {
    if (!PERF_PROF_HEADER.test(text)) return null;
    const rows: CountRow[] = [];
    return {
      take(t, no) {
        if (/^\s*-+(\s+-+)+\s*$/.test(t) && rows.length === 0) return true;
        const m = PERF_PROF_ROW.exec(t);
        if (!m) return false;
        rows.push({ reason: m[1], count: Number(m[2]), percent: null, thread: null, line: no });
        return true;
      },
      close: () => [{ kind: 'exits', format: 'perf-prof kvm-exit', line, rows, statedTotal: null, percentColumn: null, notes: [] }],
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Numbered reasons: SystemTap's kvm_service_time.stp, and counters read back through CPUID

const NUMBERED_ROW = /^\s*(\d+):\s+(\d+(?:\s*\|\s*\d+)+|\d+(?:\s+\d+)*)\s*$/;

const numberedFormat: TableFormat = {
  open(text, line, ctx: OpenContext) {
    const first = NUMBERED_ROW.exec(text);
    if (!first) return null;
    const piped = first[2].includes('|');
    // a `reason: a | b | c` comment above the rows titles the columns
    const titleComment = [...ctx.comments].reverse().find((c) => /^\s*reason\s*:/i.test(c));
    const titles = titleComment ? titleComment.replace(/^\s*reason\s*:/i, '').split(piped ? '|' : /\s+/).map((s) => s.trim()).filter(Boolean) : [];
    const width = piped ? first[2].split('|').length : first[2].trim().split(/\s+/).length;
    const rows: { reason: string; values: number[]; line: number }[] = [];
    const table: OpenTable = {
      take(t, no) {
        const m = NUMBERED_ROW.exec(t);
        if (!m || m[2].includes('|') !== piped) return false;
        const values = (piped ? m[2].split('|') : m[2].trim().split(/\s+/)).map((v) => Number(v.trim()));
        if (values.length !== width) return false;
        rows.push({ reason: m[1], values, line: no });
        return true;
      },
      close(): TableResult[] {
        // piped: one table per column (a snapshot each); spaced: the first number is the count
        const cols = piped ? width : 1;
        return [...Array(cols).keys()].map((k) => ({
          kind: 'exits' as const,
          format: piped ? 'exit counts by VMX reason number, one column per snapshot' : 'exit counts by VMX reason number (SystemTap kvm_service_time)',
          line,
          rows: rows.map((r) => ({ reason: r.reason, count: r.values[k], percent: null, thread: null, line: r.line })),
          statedTotal: null,
          percentColumn: null,
          column: piped ? (titles[k] ?? `column ${k + 1}`) : (titles[0] ?? 'count'),
          notes: piped ? [`column ${k + 1} of ${cols}${titles[k] ? ` (${titles[k]})` : ''}; the counters are cumulative where the file says so`] : [],
        }));
      },
    };
    table.take(text, line);
    return table;
  },
};

// ---------------------------------------------------------------------------------------------
// Tables that count something else

function skippedTable(line: number, what: string, why: (rows: number, kvmExit: number | null) => string, row: (t: string) => { name?: string; count?: number } | null): OpenTable {
  let rows = 0;
  let end = line;
  let kvmExit: number | null = null;
  return {
    take(t, no) {
      const r = row(t);
      if (!r) return false;
      if (r.name === 'kvm_exit' && r.count !== undefined) kvmExit = r.count;
      if (r.name !== undefined) rows++;
      end = no;
      return true;
    },
    close: () => [{ kind: 'skipped', line, endLine: end, what, why: why(rows, kvmExit) }],
  };
}

const tracepointWhy = (rows: number, kvmExit: number | null) =>
  `counts ${rows} tracepoints, not exits by reason${kvmExit !== null ? ` (kvm_exit: ${kvmExit} in total)` : ''}`;

const PERF_STAT_ROW = /^\s*([\d,]+)\s+kvm(?:mmu)?:(\w+)\s*$/;
const perfStatFormat: TableFormat = {
  open(text, line) {
    if (!PERF_STAT_ROW.test(text)) return null;
    const t = skippedTable(line, "perf stat -e 'kvm:*' counts", tracepointWhy, (s) => {
      const m = PERF_STAT_ROW.exec(s);
      return m ? { name: m[2], count: parseGroupedInt(m[1], ',') ?? undefined } : null;
    });
    t.take(text, line);
    return t;
  },
};

const KVM_STAT_ROW = /^\s*(\w+)\s+(\d+)\s+(?:\d+(?:\.\d+)?\s+)?\d+\s*$/;
const kvmStatFormat: TableFormat = {
  open(text, line) {
    if (!/^\s*kvm statistics\b/.test(text) && !/^\s*Event\s+Total\s+%Total\s+CurAvg\/s\s*$/.test(text)) return null;
    return skippedTable(line, 'kvm_stat table', tracepointWhy, (s) => {
      if (/^\s*Event\s+Total\s+%Total\s+CurAvg\/s\s*$/.test(s)) return {};
      const m = KVM_STAT_ROW.exec(s);
      if (!m) return null;
      return m[1] === 'Total' ? {} : { name: m[1], count: Number(m[2]) };
    });
  },
};

const MD_ROW = /^\s*\|\s*([\w.:-]+)\s*\|\s*([\d.,]+)\s*\|\s*$/;
const markdownCountsFormat: TableFormat = {
  open(text, line) {
    if (!/^\s*Total count of all events:/.test(text) && !/^\s*\|\s*Event\s*\|\s*Count\s*\|\s*$/.test(text)) return null;
    return skippedTable(line, 'table of tracepoint event counts', tracepointWhy, (s) => {
      if (/^\s*\|\s*Event\s*\|\s*Count\s*\|\s*$/.test(s) || /^\s*\|\s*-+\s*\|\s*-+\s*\|\s*$/.test(s)) return {};
      const m = MD_ROW.exec(s);
      if (!m) return null;
      // the German locale prints 13.174 for 13174
      return { name: m[1], count: parseGroupedInt(m[2], '.') ?? undefined };
    });
  },
};

const HIST_ROW = /^\s*\d+\s*->\s*\d+\s*:\s*\d+\s*\|[* ]*\|\s*$/;
const latencyHistogramFormat: TableFormat = {
  open(text, line) {
    if (!/latency\(ns\)\s*:\s*count\s+distribution/.test(text)) return null;
    return skippedTable(line, 'exit-latency histogram', (rows) => `gives exit-handling time in ${rows} buckets, not exits by reason`, (s) => (HIST_ROW.test(s) ? { name: 'bucket' } : null));
  },
};

const COST_ROW = /^\s*[a-z][a-z0-9_]*\s+\d+\s+\d+\s*$/;
const cycleCostFormat: TableFormat = {
  open(text, line) {
    if (!/^\s*before\s+after\s*$/.test(text)) return null;
    return skippedTable(line, 'kvm-unit-tests vmexit table (cycles before/after)', (rows) => `gives the cost of ${rows} exit tests in cycles, not exit counts`, (s) => (COST_ROW.test(s) ? { name: 'test' } : null));
  },
};

export const OTHER_TABLE_FORMATS: readonly TableFormat[] = [
  bccFormat,
  perfProfFormat,
  numberedFormat,
  perfStatFormat,
  kvmStatFormat,
  markdownCountsFormat,
  latencyHistogramFormat,
  cycleCostFormat,
];

/** perf-prof's title line over a table: `kvm-exit latency THREAD 126953` counts one vCPU thread. */
export function perfProfTitle(text: string): { thread: string | null } | null {
  const m = /^\s*kvm-exit latency(?: THREAD (\d+))?\s*$/.exec(text);
  return m ? { thread: m[1] ?? null } : null;
}
