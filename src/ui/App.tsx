/**
 * The lab page for now: the bundled presets, and for the chosen one its phases, per-VM blackout,
 * per-vCPU exits by disposition, the trace ring and the invariants. The timeline replaces most of
 * this view in a later issue.
 */
import { useStore } from 'zustand';
import { formatInstant, formatNs } from '../base/time.ts';
import { PRESETS, presetById } from '../model/presets.ts';
import type { RunReport } from '../model/report.ts';
import { INVARIANT_TEXT } from '../model/invariants.ts';
import { selectPresetId, selectReport, selectStatus, type LabStore } from '../store/lab.ts';

export function App({ store }: { store: LabStore }) {
  const presetId = useStore(store, selectPresetId);
  const status = useStore(store, selectStatus);
  const report = useStore(store, selectReport);
  const message = useStore(store, (s) => s.message);
  const preset = presetById(presetId);
  return (
    <div className="page">
      <header>
        <h1>Caretaker Lab</h1>
        <p className="tagline">KVM live update with vCPUs that keep running through the kexec gap</p>
      </header>
      <div className="columns">
        <nav aria-label="Presets">
          <h2>Presets</h2>
          <ul className="presets">
            {PRESETS.map((p) => (
              <li key={p.id}>
                <button type="button" aria-pressed={p.id === presetId} className={p.id === presetId ? 'active' : ''} onClick={() => void store.getState().loadPreset(p.id)}>
                  <span className="pid">{p.id}</span>
                  <span className="design">{String(p.scenario.design)}</span>
                  <span className="summary">{p.summary}</span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main>
          <h2 data-testid="title">{String(preset?.scenario.title ?? presetId)}</h2>
          <p className="description">{String(preset?.scenario.description ?? '')}</p>
          <p role="status" data-testid="status" className={`status ${status}`}>
            {status === 'running' ? 'running…' : status === 'error' ? `error: ${message ?? 'invalid scenario'}` : status === 'ready' ? `outcome: ${report?.outcome}` : ''}
          </p>
          {report && status === 'ready' && <ReportView report={report} />}
        </main>
      </div>
    </div>
  );
}

function ReportView({ report }: { report: RunReport }) {
  const totals = new Map<string, { total: number; fastpath: number; stalled: number; host: number; userspace: number }>();
  for (const v of report.vcpus) {
    for (const [k, c] of Object.entries(v.exits)) {
      const t = totals.get(k) ?? { total: 0, fastpath: 0, stalled: 0, host: 0, userspace: 0 };
      t.total += c.total;
      t.fastpath += c.fastpath;
      t.stalled += c.stalled;
      t.host += c.host;
      t.userspace += c.userspace;
      totals.set(k, t);
    }
  }
  return (
    <div className="report">
      <section aria-labelledby="phases-h">
        <h3 id="phases-h">Phases</h3>
        <table data-testid="phases">
          <tbody>
            {Object.entries(report.phases).map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td className="num">{v === null ? '—' : `${formatInstant(v)} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="vms-h">
        <h3 id="vms-h">Guest downtime</h3>
        <table data-testid="vms">
          <thead>
            <tr>
              <th>VM</th>
              <th>vCPUs</th>
              <th>blackout</th>
              <th>pause (total)</th>
              <th>terminated</th>
            </tr>
          </thead>
          <tbody>
            {report.vms.map((v) => (
              <tr key={v.name}>
                <td>{v.name}</td>
                <td className="num">{v.vcpus}</td>
                <td className="num" data-testid={`blackout-${v.name}`}>{formatNs(v.blackoutNs)}</td>
                <td className="num">{formatNs(v.pauseNs)}</td>
                <td>{v.terminated ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="vcpus-h">
        <h3 id="vcpus-h">vCPUs</h3>
        <table>
          <thead>
            <tr>
              <th>vCPU</th>
              <th>pCPU</th>
              <th>state</th>
              <th>guest</th>
              <th>progress</th>
              <th>stalled</th>
            </tr>
          </thead>
          <tbody>
            {report.vcpus.map((v) => (
              <tr key={`${v.vm}/${v.index}`}>
                <td>
                  {v.vm}/vCPU{v.index}
                </td>
                <td className="num">{v.pcpu}</td>
                <td>{v.state}</td>
                <td className="num">{formatNs(v.guestNs)}</td>
                <td className="num">{formatNs(v.progressNs)}</td>
                <td className="num">{formatNs(v.stalledNs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="exits-h">
        <h3 id="exits-h">Exits by disposition</h3>
        <table data-testid="exits">
          <thead>
            <tr>
              <th>exit</th>
              <th>total</th>
              <th>fastpath</th>
              <th>stalled</th>
              <th>host</th>
              <th>userspace</th>
            </tr>
          </thead>
          <tbody>
            {[...totals].map(([k, c]) => (
              <tr key={k}>
                <td>{k}</td>
                <td className="num">{c.total}</td>
                <td className="num">{c.fastpath}</td>
                <td className="num">{c.stalled}</td>
                <td className="num">{c.host}</td>
                <td className="num">{c.userspace}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="trace-h">
        <h3 id="trace-h">Trace ring and invariants</h3>
        <p data-testid="trace">
          {report.trace.produced} produced, {report.trace.consumed} consumed, {report.trace.dropped} dropped, {report.trace.pending} pending
        </p>
        <p data-testid="invariants">
          {report.invariants.checked} invariant checks, {report.invariants.violations.length} violated
        </p>
        {report.invariants.violations.length > 0 && (
          <ul className="violations">
            {report.invariants.violations.map((v, i) => (
              <li key={i}>
                #{v.id} {INVARIANT_TEXT[v.id]}: {v.message} (at {formatInstant(v.atNs)} s)
              </li>
            ))}
          </ul>
        )}
        <p className="hash">
          {report.engine.events} events, eventLogHash <code data-testid="hash">{report.engine.eventLogHash}</code>
        </p>
      </section>
    </div>
  );
}
