/**
 * Reads kvm tracepoint lines as ftrace, `trace-cmd report`, `perf script` and perf-prof print them
 * (realdata.md §3), and collects the kvm_exit events of a file: counts per reason, the vCPU of
 * each exit, the time between consecutive exits of one vCPU, and the MSRs of kvm_msr writes.
 *
 * Line header forms (the part before `kvm_exit:`):
 *   ftrace          `<comm>-<pid> [<cpu>] <flags> <sec.usec>:`  (flags 4 chars `d..1`, or 5 `d....`)
 *   trace-cmd       `<comm>-<pid> [<cpu>] <sec.usec>:`
 *   perf script     `<comm> <pid> [<cpu>] <sec.usec>:`  with the event as `kvm:kvm_exit:`
 *   perf-prof       `<date> <time> <comm> <pid> <flags> [<cpu>] <sec.usec>:`
 *   none            the event alone (a trimmed paste), or `CPU <n>:`
 * kvm_exit bodies:
 *   `reason apic_access rip 0x..`                                   2.6.3x kernels
 *   `reason NAME rip 0x.. info A B`                                 3.x-5.4 kernels; the libtraceevent kvm plugin
 *   `vcpu N reason NAME rip 0x.. info A B`                          ~5.5-5.12 kernels
 *   `vcpu N reason NAME rip 0x.. info1 0x.. info2 0x.. intr_info 0x.. error_code 0x..`   ~5.13+
 *   `TRAP: HSR_EC: 0x0024 (DABT_LOW), PC: 0x..`                     arm64
 */
import { exitName, msrWriteKind, svmMsrTarget, svmNpfTarget, type ExitName, type ExitTarget, type MsrWriteKind } from './names.ts';

export type HeaderKind = 'ftrace' | 'trace-cmd report' | 'perf script' | 'perf-prof' | 'CPU prefix' | 'no header';

export interface TraceHeader {
  kind: HeaderKind;
  /** Timestamp in ns since the trace clock's origin (BigInt: uptimes of months overflow 2^53 ns). */
  tsNs: bigint | null;
  cpu: number | null;
  pid: number | null;
  /** Length of the ftrace flags field (4 or 5), when printed. */
  flags: number | null;
}

export interface EventLine {
  header: TraceHeader;
  /** Tracepoint name without its system (`kvm_exit`, not `kvm:kvm_exit`). */
  event: string;
  body: string;
  /** Columns of leading white space: a deeper-indented line after a header-less event continues it. */
  indent: number;
}

const FLAGS = '[.dXD][.NnpLlBb][.HhSsZz][.0-9a-f][.0-9a-f]?';
const HEADER_RE = new RegExp(`^(.*?)\\s*\\[(\\d+)\\]\\s+(?:(${FLAGS})\\s+)?(\\d+)\\.(\\d+):\\s*$`);
const FLAGS_BEFORE_CPU_RE = new RegExp(`^(.*?)\\s+(${FLAGS})$`);
const DATE_RE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+(.*)$/;
const EVENT_RE = /(^|\s)(?:([a-z_][a-z0-9_]*):)?([a-z_][a-z0-9_]*):(?=\s|$)/;

function tsToNs(sec: string, frac: string): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

/** Parses what precedes the event name; null when it is text that no tracer prints. */
export function parseHeader(left: string): TraceHeader | null {
  if (/^\s*$/.test(left)) return { kind: 'no header', tsNs: null, cpu: null, pid: null, flags: null };
  const cpuOnly = /^\s*CPU\s+(\d+):\s*$/.exec(left);
  if (cpuOnly) return { kind: 'CPU prefix', tsNs: null, cpu: Number(cpuOnly[1]), pid: null, flags: null };
  const m = HEADER_RE.exec(left);
  if (!m) return null;
  let who = m[1].trim();
  let kind: HeaderKind = m[3] ? 'ftrace' : 'trace-cmd report';
  let flags = m[3] ? m[3].length : null;
  const date = DATE_RE.exec(who);
  if (date) {
    kind = 'perf-prof';
    who = date[1].trim();
  }
  const before = FLAGS_BEFORE_CPU_RE.exec(who);
  if (before) {
    who = before[1].trim();
    flags = before[2].length;
  }
  let pid: number | null = null;
  const dash = /^(.*\S)-(\d+)$/.exec(who);
  const space = /^(.*\S)\s+(\d+)$/.exec(who);
  if (dash) pid = Number(dash[2]);
  else if (space) {
    pid = Number(space[2]);
    if (kind === 'trace-cmd report') kind = 'perf script';
  } else if (/^\d+$/.test(who)) pid = Number(who);
  return { kind, tsNs: tsToNs(m[4], m[5]), cpu: Number(m[2]), pid, flags };
}

/** A tracepoint line (`kvm_exit:`, `kvm_msr:`, `sched_switch:` ...), or null. */
export function parseEventLine(text: string): EventLine | null {
  const m = EVENT_RE.exec(text);
  if (!m) return null;
  const left = text.slice(0, m.index + m[1].length);
  const header = parseHeader(left);
  if (!header) return null;
  return { header, event: m[3], body: text.slice(m.index + m[0].length).trim(), indent: /^\s*/.exec(text)![0].length };
}

/** A header with no event after it: some mail clients wrap each ftrace line after the timestamp. */
export function isHeaderOnly(text: string): boolean {
  const h = HEADER_RE.test(text) ? parseHeader(text) : null;
  return h !== null && h.tsNs !== null;
}

export type BodyKind = 'reason/rip' | 'reason/rip/info' | 'vcpu/reason/rip/info' | 'vcpu/reason/rip/info1/info2/intr_info/error_code' | 'arm64';

/** Which kernel era or tool prints each kvm_exit body form (realdata.md §3). */
export const BODY_KIND_TEXT: Readonly<Record<BodyKind, string>> = {
  'reason/rip': '`reason X rip R` (2.6.3x kernels)',
  'reason/rip/info': '`reason X rip R info A B` (3.x-5.4 kernels, or the libtraceevent kvm plugin of trace-cmd/perf)',
  'vcpu/reason/rip/info': '`vcpu N reason X rip R info A B` (~5.5-5.12 kernels)',
  'vcpu/reason/rip/info1/info2/intr_info/error_code': '`vcpu N reason X rip R info1 .. info2 .. intr_info .. error_code ..` (~5.13+ kernels)',
  arm64: '`TRAP: HSR_EC: 0x.. (EC), PC: 0x..` (arm64)',
};

export interface KvmExitFields {
  reason: string;
  vcpu: number | null;
  info1: string | null;
  kind: BodyKind;
}

/** The fields of a kvm_exit body in any form above, or null. */
export function parseKvmExit(body: string): KvmExitFields | null {
  const arm = /^(\w+):\s*[HE]SR_EC:\s*0x[0-9a-f]+\s*\((\w+)\)/i.exec(body);
  if (arm) return { reason: arm[1] === 'TRAP' ? arm[2] : arm[1], vcpu: null, info1: null, kind: 'arm64' };
  const m = /^(?:vcpu (\d+),? )?reason ([A-Z]{2} excp|\S+)(?: rip (?:0x)?[0-9a-f]+)?(.*)$/i.exec(body);
  if (!m) return null;
  const rest = m[3].trim();
  const vcpu = m[1] === undefined ? null : Number(m[1]);
  let info1: string | null = null;
  let kind: BodyKind;
  const newer = /^info1 (\S+)(?: info2 \S+)?(?: intr_info \S+)?(?: error_code \S+)?$/.exec(rest);
  const older = /^info (\S+) (\S+)$/.exec(rest);
  if (newer) {
    info1 = newer[1];
    kind = 'vcpu/reason/rip/info1/info2/intr_info/error_code';
  } else if (older) {
    info1 = older[1];
    kind = vcpu === null ? 'reason/rip/info' : 'vcpu/reason/rip/info';
  } else if (rest === '') {
    // a vcpu line whose info fields were cut off still has the ~5.5-5.12 layout
    kind = vcpu === null ? 'reason/rip' : 'vcpu/reason/rip/info';
  } else return null;
  return { reason: m[2], vcpu, info1, kind };
}

/** `msr_write 6e0 = 0x...` (kvm_msr), or null for reads and other forms. */
export function parseKvmMsrWrite(body: string): number | null {
  const m = /^msr_write ([0-9a-f]+) = /i.exec(body);
  return m ? parseInt(m[1], 16) : null;
}

/** One exit reason as a trace names it, with the lab id refined by the exit's own fields. */
export interface TraceReason {
  reason: string;
  name: ExitName;
  target: ExitTarget;
  count: number;
}

/** Everything the kvm_exit and kvm_msr lines of one file say. */
export interface TraceData {
  firstLine: number;
  exits: number;
  reasons: TraceReason[];
  /** Exits with a timestamp, per vCPU key, in file order: for the time span and the gaps. */
  gapsNs: number[];
  vcpuKeys: number;
  timestamped: number;
  spanNs: number | null;
  /** The first place the timestamps go backwards (a file that joins separate traces), if any. */
  backwards: { line: number; text: string } | null;
  headerKinds: Record<string, number>;
  bodyKinds: Record<string, number>;
  /** Lines of other tracepoints (kvm_entry, kvm_msr, sched_switch ...), by name. */
  otherEvents: Record<string, number>;
  msrWrites: Record<MsrWriteKind, number>;
  msrWriteLines: number;
}

/** Accumulates the tracepoint lines of a file, in order. */
export class TraceCollector {
  private firstLine = 0;
  private exits = 0;
  private reasons = new Map<string, TraceReason>();
  private lastTs = new Map<string, bigint>();
  private vcpus = new Set<string>();
  private gaps: number[] = [];
  private minTs: bigint | null = null;
  private maxTs: bigint | null = null;
  private prevTs: bigint | null = null;
  private timestamped = 0;
  private backwards: { line: number; text: string } | null = null;
  private headerKinds: Record<string, number> = {};
  private bodyKinds: Record<string, number> = {};
  private otherEvents: Record<string, number> = {};
  private msrWrites: Record<MsrWriteKind, number> = { 'tsc-deadline': 0, 'x2apic-icr': 0, other: 0 };
  private msrWriteLines = 0;

  /** Takes one event line; returns false for a kvm_exit whose body it cannot read. */
  add(ev: EventLine, line: number, text: string): boolean {
    if (ev.event !== 'kvm_exit') {
      this.otherEvents[ev.event] = (this.otherEvents[ev.event] ?? 0) + 1;
      if (ev.event === 'kvm_msr') {
        const msr = parseKvmMsrWrite(ev.body);
        if (msr !== null) {
          this.msrWrites[msrWriteKind(msr)]++;
          this.msrWriteLines++;
        }
      }
      return true;
    }
    const f = parseKvmExit(ev.body);
    if (!f) return false;
    if (this.exits === 0) this.firstLine = line;
    this.exits++;
    const h = ev.header;
    const hk = h.kind === 'ftrace' ? `ftrace (${h.flags}-char flags)` : h.kind === 'perf-prof' || h.flags === null ? h.kind : `${h.kind} (${h.flags}-char flags)`;
    this.headerKinds[hk] = (this.headerKinds[hk] ?? 0) + 1;
    this.bodyKinds[f.kind] = (this.bodyKinds[f.kind] ?? 0) + 1;
    this.count(f);
    // a vCPU is one thread: its pid (or the trace CPU without one), and the vcpu field when printed
    const key = h.pid === null && h.cpu === null && f.vcpu === null ? null : `${h.pid ?? `cpu${h.cpu ?? '?'}`}/${f.vcpu ?? ''}`;
    if (key !== null) this.vcpus.add(key);
    if (h.tsNs !== null && key !== null) {
      this.timestamped++;
      if (this.prevTs !== null && h.tsNs < this.prevTs && !this.backwards) this.backwards = { line, text: text.trim() };
      this.prevTs = h.tsNs;
      if (this.minTs === null || h.tsNs < this.minTs) this.minTs = h.tsNs;
      if (this.maxTs === null || h.tsNs > this.maxTs) this.maxTs = h.tsNs;
      const last = this.lastTs.get(key);
      if (last !== undefined && h.tsNs >= last) this.gaps.push(Number(h.tsNs - last));
      this.lastTs.set(key, h.tsNs);
    }
    return true;
  }

  private count(f: KvmExitFields): void {
    const name = exitName(f.reason);
    let reason = f.reason;
    let target: ExitTarget = name.target;
    if (name.target === 'SVM_MSR') {
      const t = svmMsrTarget(f.info1);
      if (t) {
        reason = `${f.reason} (${t.label})`;
        target = t.target;
      }
    } else if (name.target === 'SVM_NPF') {
      const t = svmNpfTarget(f.info1);
      if (t) {
        reason = `${f.reason} (${t.label})`;
        target = t.target;
      }
    }
    const r = this.reasons.get(reason);
    if (r) r.count++;
    else this.reasons.set(reason, { reason, name, target, count: 1 });
  }

  get exitCount(): number {
    return this.exits;
  }

  finish(): TraceData {
    return {
      firstLine: this.firstLine,
      exits: this.exits,
      reasons: [...this.reasons.values()],
      gapsNs: this.gaps,
      vcpuKeys: this.vcpus.size,
      timestamped: this.timestamped,
      spanNs: this.minTs !== null && this.maxTs !== null ? Number(this.maxTs - this.minTs) : null,
      backwards: this.backwards,
      headerKinds: this.headerKinds,
      bodyKinds: this.bodyKinds,
      otherEvents: this.otherEvents,
      msrWrites: this.msrWrites,
      msrWriteLines: this.msrWriteLines,
    };
  }
}
