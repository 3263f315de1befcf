/**
 * `caretaker-lab run --compare a,b,...`: one scenario under several designs, its metrics side by
 * side — guest downtime per VM, phases, exits by disposition, in-gap progress, trace ring and
 * invariants. A design the scenario cannot run under gets its column with the kernel's reason.
 */
import { formatInstant, formatNs } from '../base/time.ts';
import type { RunReport } from '../model/report.ts';
import { DESIGNS, parseScenario, type ResolvedScenario } from '../model/scenario.ts';
import { toRaw } from '../sim/host.ts';
import { Simulation } from '../sim/simulation.ts';

export type CompareColumn = { design: string; report: RunReport } | { design: string; error: string };

/** Parses the `--compare` list: known designs, no repeats, at least one. Returns an error message or the list. */
export function parseDesignList(v: string): string[] | string {
  const list = v.split(',').map((x) => x.trim());
  for (const d of list) {
    if (!(DESIGNS as readonly string[]).includes(d)) return `--compare ${JSON.stringify(v)}: unknown design ${JSON.stringify(d)}; expected a comma-separated list of ${DESIGNS.join(', ')}`;
  }
  if (new Set(list).size !== list.length) return `--compare ${JSON.stringify(v)}: a design is listed twice`;
  return list;
}

/** Runs the scenario to its end under each design (the scenario otherwise unchanged). */
export function compareDesigns(sc: ResolvedScenario, designs: string[]): CompareColumn[] {
  return designs.map((design) => {
    const r = parseScenario(toRaw(sc, design));
    if (!r.ok) return { design, error: r.errors.map((e) => `${e.path}: ${e.message}`).join('; ') };
    const sim = new Simulation(r.scenario);
    sim.runUntil(r.scenario.until);
    return { design, report: sim.report() };
  });
}

type Row = [string, ...string[]];

/** The side-by-side table: one column per design, one row per metric. */
export function renderCompare(sc: ResolvedScenario, cols: CompareColumn[]): string {
  const ok = cols.filter((c): c is { design: string; report: RunReport } => 'report' in c);
  const cell = (c: CompareColumn, f: (r: RunReport) => string) => ('report' in c ? f(c.report) : '—');
  const rows: Row[] = [];
  const row = (label: string, f: (r: RunReport) => string) => rows.push([label, ...cols.map((c) => cell(c, f))]);
  const section = (label: string) => rows.push([label, ...cols.map(() => '')]);
  row('outcome', (r) => r.outcome);
  section('guest downtime');
  for (const vm of sc.vms) {
    row(`  ${vm.name} blackout`, (r) => formatNs(r.vms.find((x) => x.name === vm.name)!.blackoutNs));
    row(`  ${vm.name} pause (total)`, (r) => formatNs(r.vms.find((x) => x.name === vm.name)!.pauseNs));
    row(`  ${vm.name} terminated`, (r) => (r.vms.find((x) => x.name === vm.name)!.terminated ? 'yes' : 'no'));
  }
  section('phases (s)');
  for (const k of ['preserve', 'kexec', 'newKernelUp', 'adopted', 'finish'] as const) row(`  ${k}`, (r) => (r.phases[k] === null ? '—' : formatInstant(r.phases[k]!)));
  section('vCPUs (all)');
  const sum = (r: RunReport, f: (v: RunReport['vcpus'][number]) => number) => r.vcpus.reduce((a, v) => a + f(v), 0);
  const exitSum = (r: RunReport, key: 'total' | 'fastpath' | 'stalled' | 'host' | 'userspace', gap = false) =>
    sum(r, (v) => Object.values(gap ? v.gapExits : v.exits).reduce((a, c) => a + c[key], 0));
  row('  guest time', (r) => formatNs(sum(r, (v) => v.guestNs)));
  row('  progress', (r) => formatNs(sum(r, (v) => v.progressNs)));
  row('  stalled', (r) => formatNs(sum(r, (v) => v.stalledNs)));
  row('  longest stall', (r) => formatNs(Math.max(0, ...r.vcpus.map((v) => v.longestStallNs))));
  row('  exits', (r) => String(exitSum(r, 'total')));
  row('    fastpath', (r) => String(exitSum(r, 'fastpath')));
  row('    stalled', (r) => String(exitSum(r, 'stalled')));
  row('    host', (r) => String(exitSum(r, 'host')));
  row('    userspace', (r) => String(exitSum(r, 'userspace')));
  row('  exits in the gap', (r) => String(exitSum(r, 'total', true)));
  row('  lost exits', (r) => String(sum(r, (v) => v.lostExits)));
  section('trace ring');
  row('  produced', (r) => String(r.trace.produced));
  row('  dropped', (r) => String(r.trace.dropped));
  section('invariants');
  row('  checks', (r) => String(r.invariants.checked));
  row('  violated', (r) => String(r.invariants.violations.length));
  row('events', (r) => String(r.engine.events));

  const head: Row = ['', ...cols.map((c) => c.design)];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  const out = [`${sc.title || '(untitled scenario)'} — seed ${sc.seed}, until ${formatNs(sc.until)}, under ${cols.map((c) => c.design).join(', ')}`, ''];
  out.push(line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line));
  for (const c of cols) if ('error' in c) out.push('', `${c.design}: cannot run this scenario: ${c.error}`);
  for (const c of ok) {
    const vs = c.report.invariants.violations;
    if (vs.length) out.push('', `${c.design}: ${vs.length} invariant violation${vs.length > 1 ? 's' : ''}`);
    for (const v of vs.slice(0, 5)) out.push(`  #${v.id} at ${formatInstant(v.atNs)} s: ${v.message}`);
    if (vs.length > 5) out.push(`  … and ${vs.length - 5} more (run --json for all)`);
  }
  return `${out.join('\n')}\n`;
}
