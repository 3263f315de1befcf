// The editor's draft in browser storage: saved and read back; a damaged entry, a missing storage or
// one that refuses to store never throws, and says so.
import { describe, expect, it } from 'vitest';
import { clearDraft, DRAFT_KEY, loadDraft, saveDraft } from '../src/ui/editor/drafts.ts';

class Mem {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

describe('drafts', () => {
  it('round-trips the text with its time', () => {
    const s = new Mem();
    expect(saveDraft(s, '{"version": 1', 1234)).toBe(true);
    expect(loadDraft(s)).toEqual({ text: '{"version": 1', savedAt: 1234 });
    clearDraft(s);
    expect(loadDraft(s)).toBeNull();
  });
  it('ignores a damaged entry and a missing storage', () => {
    const s = new Mem();
    s.setItem(DRAFT_KEY, 'not json');
    expect(loadDraft(s)).toBeNull();
    s.setItem(DRAFT_KEY, JSON.stringify({ text: 3 }));
    expect(loadDraft(s)).toBeNull();
    expect(loadDraft(null)).toBeNull();
    expect(saveDraft(null, 'x', 1)).toBe(false);
  });
  it('reports a storage that refuses (quota, private mode)', () => {
    const full = { setItem() {
      throw new Error('QuotaExceededError');
    } };
    expect(saveDraft(full, 'x', 1)).toBe(false);
  });
});
