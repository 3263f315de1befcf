/** The details panel: what the selected mark is, the transition, functions and costs behind it, and its concept. */
import { useStore } from 'zustand';
import type { LabStore } from '../../store/lab.ts';
import { useConcept } from '../lessons/useConcept.ts';
import { Glossed } from '../lessons/Glossed.tsx';
import { describe } from '../describe.ts';
import { presetById } from '../../model/presets.ts';
import type { Arch } from '../../model/exits.ts';

export function Details({ store, onConcept }: { store: LabStore; onConcept?(id: string): void }) {
  const selection = useStore(store, (s) => s.selection);
  const data = useStore(store, (s) => s.data);
  useStore(store, (s) => s.dataVersion);
  const machines = useStore(store, (s) => s.machines);
  const presetId = useStore(store, (s) => s.presetId);
  const ringCapacity = useStore(store, (s) => s.ringCapacity);
  const arch = ((presetById(presetId)?.scenario.host as { arch?: Arch } | undefined)?.arch ?? 'intel-vmx') as Arch;
  const d = selection ? describe(data, selection, machines, arch, ringCapacity) : null;
  const concept = useConcept(d?.concept ?? null);
  if (!selection || !d) {
    return (
      <section className="panel" aria-labelledby="details-h" data-testid="details">
        <h3 id="details-h">Details</h3>
        <p className="hint">Click a mark on the timeline — an IPI arrow, an exit, a state — to see what it is, the transition and kernel function behind it, and its cost.</p>
      </section>
    );
  }
  return (
    <section className="panel" aria-labelledby="details-h" data-testid="details">
      <h3 id="details-h">Details</h3>
      <p className="details-title" data-testid="details-title">
        {d.title}
      </p>
      <dl className="kv">
        {d.rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {d.related.length > 0 && (
        <>
          <h4>At the same instant</h4>
          <ul className="related">
            {d.related.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </>
      )}
      {concept && (
        <aside className="concept" aria-label={`Concept: ${concept.title}`}>
          <strong>Concept: {concept.title}.</strong> <Glossed text={concept.summary} /> <span className="source">Source: {concept.sources.map((x) => x.ref).join('; ')}.</span>
          {onConcept && (
            <button type="button" className="linkish" onClick={() => onConcept(concept.id)} data-testid="details-concept">
              the concept page
            </button>
          )}
        </aside>
      )}
      <button type="button" className="link" onClick={() => store.getState().select(null)}>
        clear selection
      </button>
    </section>
  );
}
