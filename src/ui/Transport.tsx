/**
 * Transport: play and pause, speed from 100× to 1/10⁶ of real time, step to the next event,
 * previous and next phase, start and end, a draggable cursor, zoom to fit. Every control has an
 * accessible name; the keys are listed in the Keys panel.
 */
import { useStore } from 'zustand';
import { formatInstant } from '../base/time.ts';
import { SPEEDS, type LabStore } from '../store/lab.ts';

export function speedLabel(s: number): string {
  if (s >= 1) return `${s}×`;
  const exp = Math.round(-Math.log10(s));
  return exp <= 2 ? `${s}×` : `1/10${'⁰¹²³⁴⁵⁶⁷⁸⁹'[exp]}`.replace('1/10¹', '1/10');
}

export function Transport({ store }: { store: LabStore }) {
  const playing = useStore(store, (s) => s.playing);
  const speed = useStore(store, (s) => s.speed);
  const cursor = useStore(store, (s) => s.cursor);
  const until = useStore(store, (s) => s.until);
  const ready = useStore(store, (s) => s.status === 'ready');
  const st = store.getState();
  return (
    <div className="transport" role="toolbar" aria-label="Transport">
      <button type="button" onClick={() => void st.seek(0)} aria-label="Go to start" disabled={!ready}>
        start
      </button>
      <button type="button" onClick={() => void st.jumpPhase(-1)} aria-label="Previous phase" disabled={!ready}>
        « phase
      </button>
      <button type="button" className="play" onClick={() => st.togglePlay()} aria-label={playing ? 'Pause' : 'Play'} aria-pressed={playing} disabled={!ready} data-testid="play">
        {playing ? 'Pause' : '▶ Play'}
      </button>
      <button type="button" onClick={() => void st.stepEvent()} aria-label="Step to the next event" disabled={!ready}>
        next event ▸
      </button>
      <button type="button" onClick={() => void st.jumpPhase(1)} aria-label="Next phase" disabled={!ready}>
        phase »
      </button>
      <button type="button" onClick={() => void st.seek(until)} aria-label="Go to end" disabled={!ready}>
        end
      </button>
      <label className="speed">
        speed{' '}
        <select value={speed} onChange={(e) => st.setSpeed(Number(e.target.value))} aria-label="Playback speed">
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {speedLabel(s)}
            </option>
          ))}
        </select>
      </label>
      <input
        className="scrub"
        type="range"
        min={0}
        max={until}
        step={Math.max(1, Math.round(until / 100000))}
        value={cursor}
        onChange={(e) => void st.seek(Number(e.target.value))}
        aria-label="Cursor"
        aria-valuetext={`${formatInstant(cursor)} seconds`}
        disabled={!ready}
      />
      <output className="now" data-testid="cursor" aria-live="off">
        {formatInstant(cursor)} s
      </output>
      <button type="button" onClick={() => st.fit()} aria-label="Zoom to fit the whole run" disabled={!ready}>
        fit
      </button>
    </div>
  );
}
