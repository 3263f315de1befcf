/**
 * `caretaker-lab import`, the pure part: reads the text of a file of real VM-exit data (perf kvm
 * stat tables, kvm_exit trace lines, and other tools' per-reason counts), then turns one of its
 * tables into a workload profile the engine replays (`vms[].workload`: exits per second per vCPU
 * by exit id, and from a trace the measured inter-arrival quantiles). No Node APIs: the command
 * line reads the file and prints.
 *
 * Every line is accounted for: it is data (a row, an event), context (a comment, a title, perf's
 * `Analyze events` line), part of a recognized table that holds no exit counts (skipped, with the
 * reason), or unread (counted, the first few kept with their line numbers).
 */
import { EXIT_IDS, type Arch } from '../exits.ts';
import { parseScenario, SCENARIO_VERSION } from '../scenario.ts';
import { exitName, MSR_WRITE_ID, MSR_WRITE_KINDS, type ExitTarget, type MsrWriteKind } from './names.ts';
import { OTHER_TABLE_FORMATS, perfProfTitle } from './otherTables.ts';
import { isPerfHeader, perfAnalyzeLine, perfKvmStatFormat } from './perfKvmStat.ts';
import type { OpenContext, OpenTable, ParsedTable, SkippedTable, TableFormat, TableResult } from './tables.ts';
import { BODY_KIND_TEXT, isHeaderOnly, parseEventLine, TraceCollector, type BodyKind, type EventLine, type TraceData } from './traceCmd.ts';

export { MSR_WRITE_KINDS, type MsrWriteKind } from './names.ts';

const FORMATS: readonly TableFormat[] = [perfKvmStatFormat, ...OTHER_TABLE_FORMATS];
const UNREAD_EXAMPLES = 5;

export interface LineRef {
  line: number;
  text: string;
}

/** One exit reason of a section, as the file names it. */
export interface SectionReason {
  reason: string;
  /** EXIT_REASON_*, SVM_EXIT_* or the arm64 class the name stands for. */
  canonical: string;
  arch: Arch | null;
  target: ExitTarget;
  count: number;
  /** The file's own percentage for the reason, where it prints one. */
  percent: number | null;
  assumption?: string;
}

/** A table of exit counts by reason, or all the kvm_exit events of the file. */
export interface Section {
  index: number;
  line: number;
  title: string;
  format: string;
  reasons: SectionReason[];
  statedTotal: number | null;
  percentColumn: string | null;
  perMsr: boolean;
  /** The column of a table that has one count column per snapshot. */
  column: string | null;
  durationSec: number | null;
  durationFrom: string | null;
  vcpus: number | null;
  vcpusFrom: string | null;
  /** Time between consecutive kvm_exit events of one vCPU, in ns (traces only). */
  gapsNs: number[] | null;
  trace: Omit<TraceData, 'reasons' | 'gapsNs' | 'msrWrites' | 'msrWriteLines'> | null;
  notes: string[];
}

export interface ImportResult {
  fileName: string;
  lines: number;
  sections: Section[];
  skipped: SkippedTable[];
  unread: { count: number; examples: LineRef[] };
  /** What the file says about the MSR of MSR_WRITE exits: kvm_msr lines or a per-MSR table. */
  msrWrites: { counts: Record<MsrWriteKind, number>; from: string } | null;
  /** Why the file has nothing to import, when it has no section. */
  nothingUsable: string | null;
}

// ---------------------------------------------------------------------------------------------
// What the file says about duration and vCPUs

interface Stated {
  durationSec: number | null;
  durationFrom: string | null;
  vcpus: number | null;
  vcpusFrom: string | null;
}

const TOOL_RE = /(?:\.\/)?kvmexit(?:\.py)?\b[^`"()]*|\bperf kvm\b[^'`"()]*|\bstap\s[^'`"()]*|\bperf-(?:prof|monitor)\s+kvm-exit\b[^'`"()]*/;

/** Duration and vCPUs from the command that made the table, as the file quotes it. */
function fromCommand(cmd: string): Partial<Stated> {
  const out: Partial<Stated> = {};
  const quoted = JSON.stringify(cmd.trim());
  if (/kvmexit/.test(cmd)) {
    // kvmexit.py [-p PID [-v VCPU | -a]] [-t TID | -T 'TID,TID'] [duration]
    const tok = cmd.replace(/^.*?kvmexit(?:\.py)?/, '').trim().split(/\s+/).filter(Boolean);
    for (let i = 0; i < tok.length; i++) {
      const t = tok[i];
      if (/^(-p|--pid)$/.test(t)) i++;
      else if (/^(-v|--vcpu)$/.test(t)) {
        i++;
        out.vcpus = 1;
      } else if (/^(-t|--tid)$/.test(t)) {
        i++;
        out.vcpus = 1;
      } else if (/^(-T|--tids)$/.test(t)) {
        out.vcpus = (tok[++i] ?? '').replace(/['"]/g, '').split(',').filter(Boolean).length || undefined;
      } else if (/^(-a|--alltids|-h)$/.test(t)) continue;
      else if (/^\d+(\.\d+)?$/.test(t)) out.durationSec = Number(t);
      else break;
    }
  } else if (/perf kvm/.test(cmd)) {
    const sleep = /\bsleep\s+(\d+(?:\.\d+)?)\b/.exec(cmd);
    if (sleep) out.durationSec = Number(sleep[1]);
    if (/--vcpu[= ]\d+/.test(cmd)) out.vcpus = 1;
  } else if (/\bstap\s/.test(cmd)) {
    const t = /\s-T\s+(\d+(?:\.\d+)?)\b/.exec(cmd);
    if (t) out.durationSec = Number(t[1]);
  } else {
    const i = /\s-i\s+(\d+)\b/.exec(cmd);
    if (i) out.durationSec = Number(i[1]) / 1000;
  }
  // `sleep 0`, `-T 0` or a run of digits too long for a number state no duration
  const d = out.durationSec;
  if (d !== undefined && !(d !== null && Number.isFinite(d) && d > 0)) delete out.durationSec;
  if (out.durationSec !== undefined) out.durationFrom = `the command ${quoted}`;
  if (out.vcpus !== undefined) out.vcpusFrom = `the command ${quoted}`;
  return out;
}

function statedBy(context: readonly string[]): Stated {
  const s: Stated = { durationSec: null, durationFrom: null, vcpus: null, vcpusFrom: null };
  // the first tool command quoted since the previous table is the one that made this table
  for (const c of context) {
    const m = TOOL_RE.exec(c);
    if (m) {
      Object.assign(s, fromCommand(m[0]));
      break;
    }
  }
  for (const c of context) {
    const a = perfAnalyzeLine(c);
    if (a && a.vcpu !== null) Object.assign(s, { vcpus: 1, vcpusFrom: `perf's line ${JSON.stringify(c.trim())}` });
    const p = perfProfTitle(c);
    if (p && p.thread !== null) Object.assign(s, { vcpus: 1, vcpusFrom: `perf-prof's title ${JSON.stringify(c.trim())}: one vCPU thread` });
  }
  return s;
}

function titleOf(context: readonly string[], comments: readonly string[]): string {
  const clean = (c: string) => c.replace(/^[\s#=-]+|[\s=-]+$/g, '').trim();
  const banner = [...comments].reverse().find((c) => /^\s*(?:={3,}|-{3,})/.test(c));
  const last = [...comments].reverse().find((c) => clean(c) !== '');
  // a tool's own line that narrows the table to one vCPU: `kvm-exit latency THREAD n`, `Analyze events for ..., VCPU n:`
  const tool = [...context].reverse().find((c) => perfProfTitle(c)?.thread || typeof perfAnalyzeLine(c)?.vcpu === 'number');
  // a long prose comment is a file header, not a title
  const head = banner ? clean(banner) : last && clean(last).length <= 100 ? clean(last) : '';
  return [head, tool ? clean(tool) : ''].filter(Boolean).join(' — ');
}

// ---------------------------------------------------------------------------------------------
// The line loop

/** Lines that describe the next table (or the trace) and hold no counts themselves. */
function isContextLine(text: string): boolean {
  return (
    perfAnalyzeLine(text) !== null ||
    perfProfTitle(text) !== null ||
    /^\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s*$/.test(text) || // perf-prof interval stamp
    /^\s*\d\d:\d\d:\d\d\.\d+\s*$/.test(text) || // perf kvm stat live refresh stamp
    /^\s*cpus=\d+\s*$/.test(text) || // trace-cmd report header
    /^\s*version = \d+\s*$/.test(text)
  );
}

interface RawTable {
  table: ParsedTable;
  context: string[];
  comments: string[];
}

/** Reads a file's text; never throws on bad input. */
export function importExits(text: string, fileName = '(input)'): ImportResult {
  const result: ImportResult = { fileName, lines: 0, sections: [], skipped: [], unread: { count: 0, examples: [] }, msrWrites: null, nothingUsable: null };
  if (text.includes('\u0000')) {
    result.nothingUsable = 'binary data (NUL bytes): import the text that `trace-cmd report` or `perf kvm stat report` prints, not trace.dat or perf.data';
    return result;
  }
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  result.lines = lines.length;

  const unread = (line: number, t: string) => {
    result.unread.count++;
    if (result.unread.examples.length < UNREAD_EXAMPLES) result.unread.examples.push({ line, text: t.length > 160 ? `${t.slice(0, 157)}...` : t });
  };
  const trace = new TraceCollector();
  const raw: RawTable[] = [];
  let open: { t: OpenTable; context: string[]; comments: string[] } | null = null;
  let context: string[] = [];
  let comments: string[] = [];
  let lastPerfHeader: OpenContext['lastPerfHeader'] = null;
  let inherit: { context: string[]; comments: string[] } | null = null;
  let pendingHeader: LineRef | null = null;
  let pendingEvent: { ev: EventLine; line: number; text: string } | null = null;

  const closeTable = () => {
    if (!open) return;
    const results = open.t.close() as TableResult[];
    for (const r of results) {
      if (r.kind === 'skipped') result.skipped.push(r);
      else if (r.rows.length === 0) result.skipped.push({ kind: 'skipped', line: r.line, endLine: r.line, what: `${r.format} header`, why: 'has no rows of exits below it' });
      else raw.push({ table: r, context: open.context, comments: open.comments });
    }
    // a table that holds no exit counts lends its heading to a table right below it that has none
    inherit = results.every((r) => r.kind === 'skipped' || r.rows.length === 0) ? { context: open.context, comments: open.comments } : null;
    open = null;
  };
  const flushEvent = () => {
    if (!pendingEvent) return;
    if (!trace.add(pendingEvent.ev, pendingEvent.line, pendingEvent.text)) unread(pendingEvent.line, pendingEvent.text);
    pendingEvent = null;
  };
  const flushHeader = () => {
    if (pendingHeader) unread(pendingHeader.line, pendingHeader.text);
    pendingHeader = null;
  };

  lines.forEach((text, i) => {
    const no = i + 1;
    const blank = /^\s*$/.test(text);
    const comment = /^\s*#/.test(text);
    // a header-less event (a trimmed paste) continues on deeper-indented lines
    if (pendingEvent && !blank && !comment && /^\s*/.exec(text)![0].length > pendingEvent.ev.indent) {
      pendingEvent.ev.body = `${pendingEvent.ev.body} ${text.trim()}`.trim();
      return;
    }
    flushEvent();
    if (blank) return;
    if (comment) {
      flushHeader();
      closeTable();
      comments.push(text.replace(/^\s*#/, ''));
      context.push(text.replace(/^\s*#/, ''));
      return;
    }
    if (pendingHeader) {
      // a header line wrapped before its event: `qemu-5665 [000] .... 280.971121:` / ` kvm_exit: reason ...`
      const joined = parseEventLine(`${pendingHeader.text} ${text.trim()}`);
      const alone = parseEventLine(text);
      if (joined && alone && alone.header.kind === 'no header') {
        if (!trace.add(joined, pendingHeader.line, `${pendingHeader.text} ${text.trim()}`)) unread(pendingHeader.line, pendingHeader.text);
        pendingHeader = null;
        return;
      }
      flushHeader();
    }
    if (open) {
      if (open.t.take(text, no)) return;
      closeTable();
    }
    const ev = parseEventLine(text);
    if (ev) {
      if (ev.header.kind === 'no header' || ev.header.kind === 'CPU prefix') pendingEvent = { ev, line: no, text };
      else if (!trace.add(ev, no, text)) unread(no, text);
      return;
    }
    if (isHeaderOnly(text)) {
      pendingHeader = { line: no, text };
      return;
    }
    if (isContextLine(text)) {
      context.push(text);
      return;
    }
    const ctx: OpenContext = { comments, lastPerfHeader };
    for (const f of FORMATS) {
      const t = f.open(text, no, ctx);
      if (t) {
        if (isPerfHeader(text)) lastPerfHeader = { text, line: no };
        if (inherit && comments.length === 0) {
          context = [...inherit.context, ...context];
          comments = inherit.comments;
        }
        inherit = null;
        open = { t, context, comments };
        context = [];
        comments = [];
        return;
      }
    }
    unread(no, text);
  });
  flushEvent();
  flushHeader();
  closeTable();

  // the tables in file order, then the kvm_exit events of the whole file
  const sections: Omit<Section, 'index'>[] = raw.map(({ table, context: c, comments: cm }) => tableSection(table, c, cm));
  const data = trace.finish();
  if (data.exits > 0) sections.push(traceSection(data));
  result.sections = sections.map((s, k) => ({ ...s, index: k + 1 }));

  const msrTables = result.sections.filter((s) => s.perMsr);
  if (data.msrWriteLines > 0) {
    result.msrWrites = { counts: data.msrWrites, from: `the file's ${data.msrWriteLines} kvm_msr msr_write lines` };
  } else if (msrTables.length) {
    const counts: Record<MsrWriteKind, number> = { 'tsc-deadline': 0, 'x2apic-icr': 0, other: 0 };
    for (const s of msrTables) for (const r of s.reasons) for (const k of MSR_WRITE_KINDS) if (r.target === MSR_WRITE_ID[k]) counts[k] += r.count;
    result.msrWrites = { counts, from: `the per-MSR table${msrTables.length > 1 ? 's' : ''} at line ${msrTables.map((s) => s.line).join(', ')}` };
  }
  if (!result.sections.length) result.nothingUsable = whyNothing(result, data);
  return result;
}

function whyNothing(r: ImportResult, data: TraceData): string {
  if (r.lines === 0) return 'the file is empty';
  const parts = ['no kvm_exit event lines and no table of exits per reason'];
  if (r.skipped.length) parts.push(`it holds ${r.skipped.map((s) => `line ${s.line}: ${s.what}, which ${s.why}`).join('; ')}`);
  const other = Object.entries(data.otherEvents);
  if (other.length) parts.push(`its trace lines are other tracepoints (${other.map(([k, v]) => `${k} ${v}`).join(', ')})`);
  if (r.unread.count) parts.push(`${r.unread.count} line${r.unread.count === 1 ? '' : 's'} not read`);
  return parts.join('; ');
}

function reasonOf(reason: string, count: number, percent: number | null, target?: ExitTarget): SectionReason {
  const n = exitName(reason);
  if (target !== undefined) return { reason, canonical: reason, arch: 'intel-vmx', target, count, percent };
  return { reason, canonical: n.canonical, arch: n.arch, target: n.target, count, percent, assumption: n.assumption };
}

function tableSection(t: ParsedTable, context: string[], comments: string[]): Omit<Section, 'index'> {
  const stated = statedBy(context);
  const notes = [...t.notes];
  // per-thread rows: the same reason once per vCPU thread
  const byReason = new Map<string, SectionReason>();
  const threads = new Set<string>();
  for (const r of t.rows) {
    if (r.thread !== null) threads.add(r.thread);
    const prev = byReason.get(r.reason);
    if (prev) {
      prev.count += r.count;
      if (prev.percent !== null && r.percent !== null) prev.percent += r.percent;
    } else byReason.set(r.reason, reasonOf(r.reason, r.count, r.percent, r.target));
  }
  if (threads.size > 0 && stated.vcpus === null) {
    stated.vcpus = threads.size;
    stated.vcpusFrom = `the table's ${threads.size} vCPU thread${threads.size === 1 ? '' : 's'}`;
  }
  const title = t.column ?? titleOf(context, comments);
  return {
    line: t.line,
    title,
    format: t.format,
    reasons: [...byReason.values()],
    statedTotal: t.statedTotal,
    percentColumn: t.percentColumn,
    perMsr: t.perMsr ?? false,
    column: t.column ?? null,
    ...stated,
    gapsNs: null,
    trace: null,
    notes,
  };
}

function traceSection(d: TraceData): Omit<Section, 'index'> {
  const notes: string[] = [];
  let durationSec: number | null = null;
  let durationFrom: string | null = null;
  if (d.backwards) {
    notes.push(`timestamps go backwards at line ${d.backwards.line}: the file joins separate traces, so its time span is not a duration`);
  } else if (d.spanNs !== null && d.spanNs > 0 && d.timestamped >= 2) {
    durationSec = d.spanNs / 1e9;
    durationFrom = `the time span of the trace's ${d.timestamped} timestamped kvm_exit events (first to last)`;
  }
  if (d.timestamped < d.exits) notes.push(`${d.exits - d.timestamped} kvm_exit lines have no timestamp: counted, not used for the time between exits`);
  const byCount = (rec: Record<string, number>) => Object.entries(rec).sort((a, b) => b[1] - a[1]);
  const headers = byCount(d.headerKinds);
  const bodies = byCount(d.bodyKinds);
  const more = headers.length > 1 || bodies.length > 1 ? ', and other line forms' : '';
  return {
    line: d.firstLine,
    title: 'kvm_exit events',
    format: `kvm_exit trace (${headers[0][0]} lines; ${BODY_KIND_TEXT[bodies[0][0] as BodyKind]}${more})`,
    column: null,
    reasons: [...d.reasons].sort((a, b) => b.count - a.count).map((r) => ({ reason: r.reason, canonical: r.name.canonical, arch: r.name.arch, target: r.target, count: r.count, percent: null, assumption: r.name.assumption })),
    statedTotal: null,
    percentColumn: null,
    perMsr: false,
    durationSec,
    durationFrom,
    vcpus: d.vcpuKeys > 0 ? d.vcpuKeys : null,
    vcpusFrom: d.vcpuKeys > 0 ? `the trace: ${d.vcpuKeys} vCPU thread${d.vcpuKeys === 1 ? '' : 's'} (pid, and the vcpu field where printed)` : null,
    gapsNs: d.gapsNs,
    trace: {
      firstLine: d.firstLine,
      exits: d.exits,
      vcpuKeys: d.vcpuKeys,
      timestamped: d.timestamped,
      spanNs: d.spanNs,
      backwards: d.backwards,
      headerKinds: d.headerKinds,
      bodyKinds: d.bodyKinds,
      otherEvents: d.otherEvents,
    },
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// The profile

export interface ProfileOptions {
  /** 1-based index of the section (table) to import; default 1. */
  table?: number;
  seconds?: number;
  vcpus?: number;
  /** Which MSR an MSR_WRITE hits when the file does not say. */
  msrWrite?: MsrWriteKind;
  /** Points of the inter-arrival quantiles (evenly spaced in probability from 0 to 1). */
  quantiles?: number;
}

export interface ReasonRow {
  reason: string;
  /** The lab's exit id, or null: not modelled. */
  labId: string | null;
  count: number;
  /** count / total exits of the table (0 to 1). */
  share: number;
  /** The file's own percentage for the raw reason (before an MSR split), if printed. */
  filePercent: number | null;
  /** Exits per second per vCPU, when the duration is known. */
  ratePerVcpu: number | null;
}

export interface Workload {
  rates: Record<string, number>;
  interArrival?: number[];
}

export interface Profile {
  file: string;
  format: string;
  arch: string;
  table: { index: number; of: number; line: number; title: string };
  durationSec: number | null;
  vcpus: number | null;
  exits: number;
  reasons: ReasonRow[];
  notModelled: { count: number; share: number };
  unread: { count: number; examples: LineRef[] };
  skipped: { line: number; what: string; why: string }[];
  assumptions: string[];
  notes: string[];
  /** Quantiles of the time between consecutive exits of one vCPU (ns), from a trace. */
  interArrival: number[] | null;
  /** A trace's kvm_exit lines by header form and by body form. */
  lineForms: { headers: Record<string, number>; bodies: Record<string, number> } | null;
  /** Usable as `vms[].workload`; null when the duration is not known. */
  workload: Workload | null;
}

export type ProfileResult = { ok: true; profile: Profile } | { ok: false; error: string };

/** Splits `n` in the proportions of `w` into integers that sum to `n` (largest remainder). */
export function apportion(n: number, w: readonly number[]): number[] {
  const total = w.reduce((a, b) => a + b, 0);
  if (total <= 0) return w.map((_, i) => (i === 0 ? n : 0));
  const exact = w.map((x) => (n * x) / total);
  const out = exact.map(Math.floor);
  let left = n - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]++;
    left--;
  }
  return out;
}

/** Evenly spaced quantiles (p = 0, 1/(k-1), ..., 1) of `xs`, linear between order statistics, in integer ns. */
export function quantiles(xs: readonly number[], k: number): number[] {
  const s = [...xs].sort((a, b) => a - b);
  return [...Array(k).keys()].map((j) => {
    const h = ((s.length - 1) * j) / (k - 1);
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, s.length - 1);
    return Math.round(s[lo] + (h - lo) * (s[hi] - s[lo]));
  });
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
/** Seconds with up to 9 decimals and no float noise. */
export const seconds = (x: number) => String(+x.toFixed(9));

/** Why a scenario would refuse `w` as a VM's workload (its first errors, paths from the workload), or null. */
function workloadErrors(w: Workload): string | null {
  const r = parseScenario({ version: SCENARIO_VERSION, vms: [{ name: 'vm0', vcpus: 1, workload: w }] });
  if (r.ok) return null;
  return r.errors
    .slice(0, 3)
    .map((e) => `${e.path.replace(/^\$\.vms\[0\]\./, '')}: ${e.message}`)
    .join('; ');
}

export function buildProfile(r: ImportResult, opts: ProfileOptions = {}): ProfileResult {
  if (!r.sections.length) return { ok: false, error: `nothing usable: ${r.nothingUsable ?? 'no exit counts'}` };
  const idx = opts.table ?? 1;
  const s = r.sections[idx - 1];
  if (!s) {
    const list = r.sections.map((x) => `${x.index}: line ${x.line}, ${x.format}${x.title ? ` (${x.title})` : ''}`).join('; ');
    return { ok: false, error: `--table ${idx}: the file has ${r.sections.length} table${r.sections.length === 1 ? '' : 's'} of exits (${list})` };
  }
  // a count of more digits than a double holds exactly (or Infinity) would make every share and
  // rate meaningless: say so instead
  const where = `table ${s.index} (line ${s.line})`;
  const inexact = s.reasons.find((x) => !Number.isSafeInteger(x.count));
  if (inexact) return { ok: false, error: `${where}: the count of ${inexact.reason} is too large to read exactly (over ${Number.MAX_SAFE_INTEGER} exits)` };
  if (!Number.isSafeInteger(s.reasons.reduce((a, x) => a + x.count, 0))) return { ok: false, error: `${where}: its counts add up to more than ${Number.MAX_SAFE_INTEGER} exits, too many to read exactly` };
  if (s.statedTotal !== null && !Number.isSafeInteger(s.statedTotal)) return { ok: false, error: `${where}: the file's total is too large to read exactly (over ${Number.MAX_SAFE_INTEGER} exits)` };
  const badPercent = s.reasons.find((x) => x.percent !== null && !Number.isFinite(x.percent));
  if (badPercent) return { ok: false, error: `${where}: the percentage of ${badPercent.reason} is not a number it can read` };
  const assumptions = new Set<string>();
  const notes: string[] = [...s.notes];

  // 1. resolve each reason to lab ids (MSR_WRITE split by MSR)
  interface Part { reason: string; labId: string | null; count: number; filePercent: number | null }
  const parts: Part[] = [];
  const msrKind = opts.msrWrite ?? 'tsc-deadline';
  for (const x of s.reasons) {
    if (x.assumption) assumptions.add(x.assumption);
    let target = x.target;
    if (target === 'SVM_MSR') {
      target = 'MSR_WRITE';
      assumptions.add('SVM msr exits without EXITINFO1 do not tell RDMSR from WRMSR: counted as MSR writes');
    } else if (target === 'SVM_NPF') {
      target = 'EPT_VIOLATION';
      assumptions.add('SVM npf exits without their error code counted as EPT_VIOLATION (an MMIO access would be EPT_MISCONFIG)');
    }
    if (target !== 'MSR_WRITE') {
      parts.push({ reason: x.reason, labId: target, count: x.count, filePercent: x.percent });
      continue;
    }
    const known = r.msrWrites && !s.perMsr ? r.msrWrites : null;
    const weights = known ? MSR_WRITE_KINDS.map((k) => known.counts[k]) : MSR_WRITE_KINDS.map((k) => (k === msrKind ? 1 : 0));
    if (known && weights.some((w) => w > 0)) {
      notes.push(`${x.reason} split by MSR in the proportions of ${known.from} (0x6e0 TSC_DEADLINE ${known.counts['tsc-deadline']}, 0x830 X2APIC_ICR ${known.counts['x2apic-icr']}, other ${known.counts.other})`);
      const split = apportion(x.count, weights);
      MSR_WRITE_KINDS.forEach((k, j) => {
        if (split[j] > 0) parts.push({ reason: `${x.reason} (${k === 'other' ? 'other MSRs' : k === 'tsc-deadline' ? '0x6e0' : '0x830'})`, labId: MSR_WRITE_ID[k], count: split[j], filePercent: x.percent });
      });
    } else {
      assumptions.add(
        `the file does not say which MSR its MSR_WRITE exits write: all taken as ${MSR_WRITE_ID[msrKind]}${opts.msrWrite ? ' (--msr-write)' : ' (default; --msr-write tsc-deadline|x2apic-icr|other)'}`,
      );
      parts.push({ reason: x.reason, labId: MSR_WRITE_ID[msrKind], count: x.count, filePercent: x.percent });
    }
  }

  // 2. the total: the rows, or more when the file prints a total or percentages of a longer table
  const shown = s.reasons.reduce((a, x) => a + x.count, 0);
  let total = shown;
  let hiddenPercent: number | null = null;
  if (s.statedTotal !== null && s.statedTotal > shown) {
    total = s.statedTotal;
    notes.push(`the file's total (${s.statedTotal}) is above its rows (${shown}): ${s.statedTotal - shown} exits are in rows the file does not show`);
  } else if (s.statedTotal !== null && s.statedTotal < shown) {
    notes.push(`the file's total (${s.statedTotal}) is below the sum of its rows (${shown}); shares are of the rows`);
  } else if (s.statedTotal === null && s.percentColumn) {
    const pct = s.reasons.reduce((a, x) => a + (x.percent ?? 0), 0);
    // each printed percentage is within half a unit of its last digit: a full table sums to 100 within that
    const tolerance = 0.005 * s.reasons.length + 1e-6;
    const big = s.reasons.reduce((a, x) => (x.count > a.count ? x : a), s.reasons[0]);
    if (pct < 100 - tolerance && big?.percent) {
      total = Math.max(shown, Math.round(big.count / (big.percent / 100)));
      hiddenPercent = Math.round((100 - pct) * 100) / 100;
      notes.push(`the rows' ${s.percentColumn} add up to ${Math.round(pct * 100) / 100}%: the table has rows the file does not show; the total (${total}) is implied by ${big.reason} (${big.count} = ${big.percent}%)`);
    }
  }
  if (total > shown) parts.push({ reason: '(rows not in the file)', labId: null, count: total - shown, filePercent: hiddenPercent });

  // 3. duration and vCPUs: options, else what the file states
  let durationSec = s.durationSec;
  let vcpus = s.vcpus;
  if (opts.seconds !== undefined) {
    if (durationSec !== null && durationSec !== opts.seconds) notes.push(`--seconds ${opts.seconds} replaces the duration the file states (${durationSec} s, from ${s.durationFrom})`);
    durationSec = opts.seconds;
  } else if (durationSec !== null) notes.push(`duration ${seconds(durationSec)} s: from ${s.durationFrom}`);
  if (opts.vcpus !== undefined) {
    if (vcpus !== null && vcpus !== opts.vcpus) notes.push(`--vcpus ${opts.vcpus} replaces the vCPU count the file states (${vcpus}, from ${s.vcpusFrom})`);
    vcpus = opts.vcpus;
  } else if (vcpus !== null) notes.push(`${vcpus} vCPU${vcpus === 1 ? '' : 's'}: from ${s.vcpusFrom}`);
  let rateVcpus = vcpus;
  if (durationSec !== null && vcpus === null) {
    rateVcpus = 1;
    assumptions.add('the file does not say how many vCPUs made these exits: rates are for all of them as if one vCPU (give --vcpus N)');
  }
  if (durationSec === null) notes.push('rates need --seconds S: the file does not state how long it counted');

  const rate = (count: number) => (durationSec !== null && rateVcpus !== null ? round3(count / durationSec / rateVcpus) : null);
  const reasons: ReasonRow[] = parts.map((p) => ({ reason: p.reason, labId: p.labId, count: p.count, share: total > 0 ? p.count / total : 0, filePercent: p.filePercent, ratePerVcpu: rate(p.count) }));
  const notModelledCount = reasons.filter((x) => x.labId === null).reduce((a, x) => a + x.count, 0);

  // 4. inter-arrival quantiles from the trace
  let interArrival: number[] | null = null;
  if (s.gapsNs && s.gapsNs.length > 0 && s.gapsNs.some((g) => g > 0)) {
    interArrival = quantiles(s.gapsNs, opts.quantiles ?? 101);
    notes.push(`interArrival: ${opts.quantiles ?? 101} quantiles of ${s.gapsNs.length} gaps between consecutive kvm_exit events of one vCPU (all reasons, modelled or not)`);
  } else if (s.gapsNs) notes.push('no interArrival: the trace has no two timestamped exits of one vCPU');

  // 5. the workload: every exit id listed, so a profile's defaults do not add exits the file lacks
  let workload: Workload | null = null;
  if (durationSec !== null && rateVcpus !== null) {
    const sums: Record<string, number> = Object.fromEntries(EXIT_IDS.map((id) => [id, 0]));
    for (const p of parts) if (p.labId !== null) sums[p.labId] += p.count;
    const rates = Object.fromEntries(EXIT_IDS.map((id) => [id, round3(sums[id] / durationSec! / rateVcpus!)]));
    workload = interArrival ? { rates, interArrival } : { rates };
    // usable as vms[].workload: a scenario's limits (at most 10,000,000 exits/s per vCPU, gaps of
    // at most 10 min) hold, or the note says why there is none
    const refused = workloadErrors(workload);
    if (refused && workload.interArrival && !workloadErrors({ rates })) {
      notes.push(`no interArrival in the workload: a scenario would refuse it (${refused})`);
      workload = { rates };
    } else if (refused) {
      notes.push(`no workload: a scenario would refuse these rates (${refused}); check --seconds${opts.vcpus === undefined ? ' and --vcpus' : ''}`);
      workload = null;
    }
  }

  const others = r.sections.filter((x) => x !== s);
  if (others.length) {
    const where = (x: Section) => (x.trace ? `${x.index}: the kvm_exit lines` : `${x.index} at line ${x.line}${x.column ? ` (${x.column})` : ''}`);
    notes.push(`the file has ${r.sections.length} tables of exits; this is table ${s.index} (--table N for another: ${others.map(where).join(', ')})`);
  }

  const arches = new Map<string, number>();
  for (const x of s.reasons) if (x.arch) arches.set(x.arch, (arches.get(x.arch) ?? 0) + x.count);
  const arch = arches.size === 0 ? 'unknown' : arches.size === 1 ? [...arches.keys()][0] : `mixed (${[...arches].map(([a, n]) => `${a} ${n}`).join(', ')})`;

  return {
    ok: true,
    profile: {
      file: r.fileName,
      format: s.format,
      arch,
      table: { index: s.index, of: r.sections.length, line: s.line, title: s.title },
      durationSec,
      vcpus,
      exits: total,
      reasons,
      notModelled: { count: notModelledCount, share: total > 0 ? notModelledCount / total : 0 },
      unread: r.unread,
      skipped: r.skipped.map(({ line, what, why }) => ({ line, what, why })),
      assumptions: [...assumptions],
      notes,
      interArrival,
      lineForms: s.trace ? { headers: s.trace.headerKinds, bodies: Object.fromEntries(Object.entries(s.trace.bodyKinds).map(([k, v]) => [BODY_KIND_TEXT[k as BodyKind], v])) } : null,
      workload,
    },
  };
}
