/** The human-readable summary `caretaker-lab run` prints: phases, VMs, vCPUs, exits, trace, invariants. */
import { formatInstant, formatNs } from '../base/time.ts';
import type { RunReport } from '../model/report.ts';
import type { ResolvedScenario } from '../model/scenario.ts';

export function renderReport(r: RunReport, sc: ResolvedScenario): string {
  const out: string[] = [];
  out.push(`${sc.title || '(untitled scenario)'} — design ${sc.design}, seed ${sc.seed}, until ${formatNs(sc.until)}`);
  out.push(`outcome: ${r.outcome}`);
  out.push('');
  out.push('phases');
  for (const [k, v] of Object.entries(r.phases)) out.push(`  ${k.padEnd(12)} ${v === null ? '—' : `${formatInstant(v)} s`}`);
  out.push('');
  out.push(table(['VM', 'vCPUs', 'blackout', 'pause', 'terminated'], r.vms.map((v) => [v.name, String(v.vcpus), formatNs(v.blackoutNs), formatNs(v.pauseNs), v.terminated ? 'yes' : 'no'])));
  out.push('');
  out.push(
    table(
      ['vCPU', 'pCPU', 'state', 'guest', 'progress', 'stalled', 'longest stall', 'exits', 'fastpath', 'stalled', 'host', 'user'],
      r.vcpus.map((v) => {
        const sum = { total: 0, fastpath: 0, stalled: 0, host: 0, userspace: 0 };
        for (const c of Object.values(v.exits)) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += c[k];
        return [`${v.vm}/${v.index}`, String(v.pcpu), v.state, formatNs(v.guestNs), formatNs(v.progressNs), formatNs(v.stalledNs), formatNs(v.longestStallNs), String(sum.total), String(sum.fastpath), String(sum.stalled), String(sum.host), String(sum.userspace)];
      }),
    ),
  );
  out.push('');
  const byKind = new Map<string, { total: number; fastpath: number; stalled: number; host: number; userspace: number }>();
  for (const v of r.vcpus) {
    for (const [k, c] of Object.entries(v.exits)) {
      const acc = byKind.get(k) ?? { total: 0, fastpath: 0, stalled: 0, host: 0, userspace: 0 };
      acc.total += c.total;
      acc.fastpath += c.fastpath;
      acc.stalled += c.stalled;
      acc.host += c.host;
      acc.userspace += c.userspace;
      byKind.set(k, acc);
    }
  }
  out.push(table(['exit', 'total', 'fastpath', 'stalled', 'host', 'userspace'], [...byKind].map(([k, c]) => [k, String(c.total), String(c.fastpath), String(c.stalled), String(c.host), String(c.userspace)])));
  out.push('');
  out.push(`trace ring: ${r.trace.produced} produced, ${r.trace.consumed} consumed, ${r.trace.dropped} dropped, ${r.trace.pending} pending`);
  out.push(`invariants: ${r.invariants.checked} checks, ${r.invariants.violations.length} violated`);
  for (const v of r.invariants.violations) out.push(`  #${v.id} at ${formatInstant(v.atNs)} s: ${v.message}`);
  out.push(`events: ${r.engine.events}, eventLogHash ${r.engine.eventLogHash}`);
  return `${out.join('\n')}\n`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}
