/**
 * The shapes every table reader shares: a table opens on its header (or on a first row that says
 * what it is), takes the lines that belong to it, and closes into exit counts per reason or into a
 * "skipped" note that says why it holds no such counts.
 */
import type { ExitTarget } from './names.ts';

export interface CountRow {
  /** The reason as the file prints it (`MSR_WRITE`, `EXIT_REASON_HLT`, `12`, `0x6e0:W`). */
  reason: string;
  count: number;
  /** The file's own share of this row in percent, where it prints one. */
  percent: number | null;
  /** The thread (vCPU) of a per-thread row. */
  thread: string | null;
  line: number;
  /** A lab id the table itself decides (a per-MSR table names the MSR); otherwise from the name. */
  target?: ExitTarget;
}

export interface ParsedTable {
  kind: 'exits';
  format: string;
  line: number;
  rows: CountRow[];
  /** A total the file prints (`Total Samples:`), which may exceed the rows shown. */
  statedTotal: number | null;
  /** The name of the file's percentage column, if it has one. */
  percentColumn: string | null;
  /** A column title that names what the counts are (a snapshot of cumulative counters). */
  column?: string;
  /** A table of MSR accesses (perf kvm stat --event=msr): every row is an MSR exit. */
  perMsr?: boolean;
  notes: string[];
}

export interface SkippedTable {
  kind: 'skipped';
  line: number;
  endLine: number;
  what: string;
  why: string;
}

export type TableResult = ParsedTable | SkippedTable;

export interface OpenTable {
  /** Takes the next non-blank, non-comment line; false when it is not part of the table. */
  take(text: string, line: number): boolean;
  close(): TableResult[];
}

export interface OpenContext {
  /** The comment lines since the previous table, without their `#`. */
  comments: readonly string[];
  /** The column header of the last perf kvm stat table, for rows that follow it after a comment. */
  lastPerfHeader: { text: string; line: number } | null;
}

export interface TableFormat {
  /** Opens a table at this line when it is the format's header or a row that identifies it. */
  open(text: string, line: number, ctx: OpenContext): OpenTable | null;
}

/** `1,934` or `1934` or `13.174` (a thousands separator in the German locale). */
export function parseGroupedInt(s: string, sep: ',' | '.'): number | null {
  const re = sep === ',' ? /^\d{1,3}(,\d{3})*$|^\d+$/ : /^\d{1,3}(\.\d{3})*$|^\d+$/;
  return re.test(s) ? Number(s.split(sep).join('')) : null;
}
