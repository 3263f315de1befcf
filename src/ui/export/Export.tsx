/**
 * The Export menu: the visible timeline as PNG or SVG at a chosen size, and the run's Chrome JSON
 * trace for Perfetto. Files are made in the browser and saved directly.
 */
import { useState } from 'react';
import type { LabStore } from '../../store/lab.ts';
import { download, EXPORT_SIZES, exportName, timelinePng, timelineSvg } from './exports.ts';

export function Export({ store }: { store: LabStore }) {
  const [open, setOpen] = useState(false);
  const [size, setSize] = useState(0);
  const [note, setNote] = useState('');
  const chosen = EXPORT_SIZES[size].size;
  async function run(kind: 'png' | 'svg' | 'trace') {
    try {
      if (kind === 'png') download(await timelinePng(store, chosen), exportName(store, 'png'));
      else if (kind === 'svg') download(new Blob([timelineSvg(store, chosen)], { type: 'image/svg+xml' }), exportName(store, 'svg'));
      else {
        setNote('running the whole scenario for its trace…');
        const t = await store.getState().traceJson();
        download(new Blob([t.json], { type: 'application/json' }), exportName(store, 'trace.json').replace(/-\d+-\d+\.trace/, '.trace'));
        setNote(`${t.events.toLocaleString('en-US')} trace events${t.capped ? ' (exits capped: see docs/trace.md)' : ''}; open it in ui.perfetto.dev`);
        return;
      }
      setNote('');
    } catch (e) {
      setNote(`export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return (
    <div className="share">
      <button type="button" onClick={() => setOpen((x) => !x)} aria-expanded={open} data-testid="export">
        Export
      </button>
      {open && (
        <div className="share-box" role="dialog" aria-label="Export">
          <label className="share-note">
            size{' '}
            <select value={size} onChange={(e) => setSize(Number(e.target.value))} aria-label="Export size" data-testid="export-size">
              {EXPORT_SIZES.map((s, i) => (
                <option key={s.label} value={i}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void run('png')} data-testid="export-png">
            PNG
          </button>
          <button type="button" onClick={() => void run('svg')} data-testid="export-svg">
            SVG
          </button>
          <button type="button" onClick={() => void run('trace')} data-testid="export-trace" title="Chrome JSON trace events of the whole run, for Perfetto">
            Trace (Perfetto)
          </button>
          <span className="share-note" data-testid="export-note">
            {note || 'the visible time window; the trace is the whole run'}
          </span>
          <button type="button" onClick={() => setOpen(false)} aria-label="Close">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
