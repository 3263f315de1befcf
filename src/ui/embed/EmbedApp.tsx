/**
 * The lab embedded in a slide (`?embed=1`): the timeline with compact controls and a caption that
 * names the scenario and the step the cursor is in, and a link to open the full lab at the same
 * run and moment. Presenter keys drive it; other keys go to the deck (presenter.ts).
 */
import { useStore } from 'zustand';
import { formatInstant } from '../../base/time.ts';
import type { LabStore } from '../../store/lab.ts';
import { Timeline } from '../timeline/Timeline.tsx';
import { shareUrl } from '../url.ts';

/** The phase the cursor is in, as the caption names it. */
function phaseAt(store: LabStore): string {
  const { data, cursor } = store.getState();
  let name = 'before the update';
  for (const p of data.phases) if (p.t <= cursor) name = `after ${p.name}`;
  return name;
}

export function EmbedApp({ store }: { store: LabStore }) {
  const title = useStore(store, (s) => s.title);
  const cursor = useStore(store, (s) => s.cursor);
  const playing = useStore(store, (s) => s.playing);
  const ready = useStore(store, (s) => s.status === 'ready');
  const notice = useStore(store, (s) => s.notice);
  useStore(store, (s) => s.dataVersion);
  const st = store.getState();
  const step = (dir: 1 | -1) => void st.jumpPhase(dir);
  const fullLab = () => {
    const s = store.getState();
    return shareUrl(`${location.origin}${location.pathname}`, s.scenarioRaw, { cursor: s.cursor, view: s.view, hash: null });
  };
  return (
    // a click anywhere in the embed gives it the keys (the timeline's drag handling would not)
    <div className="embed" onPointerDown={() => window.focus()}>
      <header className="embed-caption">
        <strong data-testid="title">{title}</strong>
        <span className="embed-step" data-testid="embed-step">
          {phaseAt(store)} · {formatInstant(cursor)} s
        </span>
        <a href={ready ? fullLab() : undefined} target="_blank" rel="noopener" className="embed-open" data-testid="embed-open">
          open the full lab ↗
        </a>
      </header>
      {notice && (
        <p className="notice" role="alert" data-testid="notice">
          {notice}
        </p>
      )}
      <Timeline store={store} />
      <div className="embed-controls" role="toolbar" aria-label="Presenter controls">
        <button type="button" onClick={() => step(-1)} disabled={!ready} aria-label="Previous step">
          ◀
        </button>
        <button type="button" onClick={() => st.togglePlay()} disabled={!ready} aria-label={playing ? 'Pause' : 'Play'}>
          {playing ? '❚❚' : '▶'}
        </button>
        <button type="button" onClick={() => step(1)} disabled={!ready} aria-label="Next step">
          ▶▶
        </button>
        <span className="hint">→ / PageDown next step · ← / PageUp previous · f full screen</span>
      </div>
    </div>
  );
}
