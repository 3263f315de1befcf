/**
 * The events in the visible window as a DOM list, for screen readers and keyboard users (a canvas
 * alone is not accessible): lifecycle records as buttons that select them, and exit counts per vCPU.
 */
import { useStore } from 'zustand';
import { formatInstant } from '../../base/time.ts';
import type { LabStore } from '../../store/lab.ts';
import { describeRecord } from '../describe.ts';

const MAX = 150;

export function EventList({ store }: { store: LabStore }) {
  const view = useStore(store, (s) => s.view);
  const data = useStore(store, (s) => s.data);
  useStore(store, (s) => s.dataVersion);
  const machines = useStore(store, (s) => s.machines);
  const { indices, total } = data.lifecycleIn(view.t0, view.t1, MAX);
  const exitRows = [...data.exits.entries()].map(([ent, tr]) => {
    const lo = tr.lower(view.t0);
    const hi = tr.lower(view.t1 + 1);
    return { name: data.entities[ent]?.name ?? '?', n: hi - lo, stalled: tr.cum[2][hi] - tr.cum[2][lo] };
  });
  return (
    <details className="panel events" data-testid="event-list">
      <summary>
        Events in view: {total} lifecycle events{total > MAX ? ` (first ${MAX} listed; zoom in for the rest)` : ''}, {exitRows.reduce((a, r) => a + r.n, 0)} exits
      </summary>
      <ul className="exit-counts">
        {exitRows.map((r) => (
          <li key={r.name}>
            {r.name}: {r.n} exits{r.stalled ? `, ${r.stalled} stalled` : ''}
          </li>
        ))}
      </ul>
      <ol className="event-list">
        {indices.map((i) => (
          <li key={i}>
            <button type="button" className="link" onClick={() => store.getState().select({ kind: 'record', index: i })}>
              {formatInstant(data.t[i])} s — {describeRecord(data, i, machines).title}
            </button>
          </li>
        ))}
      </ol>
    </details>
  );
}
