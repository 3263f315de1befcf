/**
 * Share and Embed: the URL of design.md §5 for the loaded scenario at the current cursor and
 * window (plus the run's event log hash), or an iframe snippet of it for a slide (`embed=1`, light
 * or projector theme), copied to the clipboard and shown to select by hand.
 */
import { useState } from 'react';
import type { LabStore } from '../store/lab.ts';
import { shareUrl } from './url.ts';

type Mode = 'link' | 'embed';

export function embedSnippet(src: string): string {
  return `<iframe src="${src.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}" width="1280" height="720" style="border:0" allow="fullscreen" title="Caretaker Lab"></iframe>`;
}

/** The lesson open in the lab, if any: a share link then names it and its step. */
export type LessonPlace = () => { id: string; step: number; own: boolean } | null;

export function Share({ store, lesson }: { store: LabStore; lesson?: LessonPlace }) {
  const [out, setOut] = useState<{ mode: Mode; text: string } | null>(null);
  const [copied, setCopied] = useState('');
  const [theme, setTheme] = useState<'light' | 'projector'>('projector');
  async function make(mode: Mode, th = theme) {
    const s = store.getState();
    if (s.status !== 'ready' || s.scenarioRaw === null) return;
    const hash = (await s.wholeReport()).engine.eventLogHash;
    const base = `${location.origin}${location.pathname}`;
    const url = shareUrl(base, s.scenarioRaw, { cursor: s.cursor, view: s.view, hash, embed: mode === 'embed', theme: mode === 'embed' ? th : undefined, lesson: lesson?.() ?? null });
    const text = mode === 'embed' ? embedSnippet(url) : url;
    setOut({ mode, text });
    try {
      await navigator.clipboard.writeText(text);
      setCopied('copied to the clipboard');
    } catch {
      setCopied('select it and copy');
    }
  }
  return (
    <div className="share">
      <button type="button" onClick={() => void make('link')} data-testid="share" title="A link to this scenario at this cursor and zoom">
        Share
      </button>{' '}
      <button type="button" onClick={() => void make('embed')} data-testid="embed" title="An iframe for a slide deck">
        Embed
      </button>
      {out && (
        <div className="share-box" role="dialog" aria-label={out.mode === 'link' ? 'Share link' : 'Embed snippet'}>
          <input readOnly value={out.text} data-testid={out.mode === 'link' ? 'share-url' : 'embed-snippet'} aria-label={out.mode === 'link' ? 'Share URL' : 'Embed snippet'} onFocus={(e) => e.currentTarget.select()} />
          {out.mode === 'embed' && (
            <label className="share-note">
              theme{' '}
              <select
                value={theme}
                onChange={(e) => {
                  const th = e.target.value as 'light' | 'projector';
                  setTheme(th);
                  void make('embed', th);
                }}
                aria-label="Embed theme"
              >
                <option value="projector">projector (large type, high contrast)</option>
                <option value="light">light</option>
              </select>
            </label>
          )}
          <span className="share-note">
            {copied} · {out.text.length.toLocaleString('en-US')} characters; the scenario travels in the link, never to a server
          </span>
          <button type="button" onClick={() => setOut(null)} aria-label="Close">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
