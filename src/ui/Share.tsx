/**
 * The Share button: the URL of design.md §5 for the loaded scenario at the current cursor and
 * window (plus the run's event log hash), copied to the clipboard and shown to select by hand.
 */
import { useState } from 'react';
import type { LabStore } from '../store/lab.ts';
import { shareUrl } from './url.ts';

export function Share({ store }: { store: LabStore }) {
  const [url, setUrl] = useState<string | null>(null);
  const [copied, setCopied] = useState<string>('');
  async function share() {
    const s = store.getState();
    if (s.status !== 'ready' || s.scenarioRaw === null) return;
    const hash = (await s.wholeReport()).engine.eventLogHash;
    const base = `${location.origin}${location.pathname}`;
    const u = shareUrl(base, s.scenarioRaw, { cursor: s.cursor, view: s.view, hash });
    setUrl(u);
    try {
      await navigator.clipboard.writeText(u);
      setCopied('copied to the clipboard');
    } catch {
      setCopied('select it and copy');
    }
  }
  return (
    <div className="share">
      <button type="button" onClick={() => void share()} data-testid="share" title="A link to this scenario at this cursor and zoom">
        Share
      </button>
      {url && (
        <div className="share-box" role="dialog" aria-label="Share link">
          <input readOnly value={url} data-testid="share-url" aria-label="Share URL" onFocus={(e) => e.currentTarget.select()} />
          <span className="share-note">
            {copied} · {url.length.toLocaleString('en-US')} characters; the scenario travels in the link, never to a server
          </span>
          <button type="button" onClick={() => setUrl(null)} aria-label="Close the share link">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
