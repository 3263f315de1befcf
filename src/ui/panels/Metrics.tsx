/**
 * The metrics panel at the cursor: blackout and pause per VM with the same scenario's classic
 * blackout beside them, stall and exits by disposition per vCPU, the trace ring counters, and
 * the invariant checks.
 */
import { useStore } from 'zustand';
import { formatInstant, formatNs } from '../../base/time.ts';
import type { ExitCounts } from '../../model/report.ts';
import type { LabStore } from '../../store/lab.ts';

function sum(exits: Record<string, ExitCounts>): ExitCounts {
  const s = { total: 0, fastpath: 0, stalled: 0, host: 0, userspace: 0 };
  for (const c of Object.values(exits)) for (const k of Object.keys(s) as (keyof ExitCounts)[]) s[k] += c[k];
  return s;
}

export function Metrics({ store }: { store: LabStore }) {
  const report = useStore(store, (s) => s.report);
  const classic = useStore(store, (s) => s.classicReport);
  const design = useStore(store, (s) => s.design);
  if (!report) return <section className="panel" aria-label="Metrics" />;
  return (
    <section className="panel metrics" aria-labelledby="metrics-h" data-testid="metrics">
      <h3 id="metrics-h">
        Metrics at {formatInstant(report.engine.nowNs)} s <span className="hint">({report.outcome})</span>
      </h3>
      <table>
        <caption>Guest downtime per VM</caption>
        <thead>
          <tr>
            <th scope="col">VM</th>
            <th scope="col">blackout</th>
            <th scope="col">pause</th>
            {classic && <th scope="col">classic blackout</th>}
          </tr>
        </thead>
        <tbody>
          {report.vms.map((v) => {
            const c = classic?.vms.find((x) => x.name === v.name);
            return (
              <tr key={v.name}>
                <th scope="row">{v.name}</th>
                <td className="num" data-testid={`m-blackout-${v.name}`}>
                  {formatNs(v.blackoutNs)}
                  {v.terminated ? ' (terminated)' : ''}
                </td>
                <td className="num">{formatNs(v.pauseNs)}</td>
                {classic && (
                  <td className="num" data-testid={`m-classic-${v.name}`}>
                    {c ? formatNs(c.blackoutNs) : '—'}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {!classic && design === 'classic' && <p className="hint">This is the classic design: its blackout is the baseline.</p>}
      <table>
        <caption>Per vCPU: stalls and exits by disposition (in the gap)</caption>
        <thead>
          <tr>
            <th scope="col">vCPU</th>
            <th scope="col">stalled</th>
            <th scope="col">longest</th>
            <th scope="col">fastpath</th>
            <th scope="col">stalled</th>
            <th scope="col">host</th>
            <th scope="col">user</th>
          </tr>
        </thead>
        <tbody>
          {report.vcpus.map((v) => {
            const all = sum(v.exits);
            const gap = sum(v.gapExits);
            return (
              <tr key={`${v.vm}/${v.index}`}>
                <th scope="row">
                  {v.vm}/vCPU{v.index}
                </th>
                <td className="num">{formatNs(v.stalledNs)}</td>
                <td className="num">{formatNs(v.longestStallNs)}</td>
                <td className="num">
                  {all.fastpath} <span className="gap">({gap.fastpath})</span>
                </td>
                <td className="num">
                  {all.stalled} <span className="gap">({gap.stalled})</span>
                </td>
                <td className="num">{all.host}</td>
                <td className="num">{all.userspace}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p data-testid="m-trace">
        Trace rings: {report.trace.produced} produced, {report.trace.consumed} consumed, {report.trace.dropped} dropped, {report.trace.pending} pending
      </p>
      <p data-testid="m-invariants" className={report.invariants.violations.length ? 'bad' : ''}>
        Invariants: {report.invariants.checked} checks, {report.invariants.violations.length} violated
      </p>
      <p className="hint">eventLogHash {report.engine.eventLogHash}</p>
    </section>
  );
}


