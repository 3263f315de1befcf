/**
 * The editor's draft, kept in the browser's storage on every change, so a reload or a crash never
 * loses what the user typed. One draft per lab origin; it records when it was saved.
 */
export const DRAFT_KEY = 'caretaker-lab.scenario-draft.v1';

export interface Draft {
  text: string;
  savedAt: number;
}

/** The saved draft, or null (nothing saved, storage unavailable, or a damaged entry). */
export function loadDraft(storage: Pick<Storage, 'getItem'> | null): Draft | null {
  try {
    const v = storage?.getItem(DRAFT_KEY);
    if (!v) return null;
    const d = JSON.parse(v) as Partial<Draft>;
    return typeof d.text === 'string' && typeof d.savedAt === 'number' ? { text: d.text, savedAt: d.savedAt } : null;
  } catch {
    return null;
  }
}

/** Saves the draft; false when storage refuses (private mode, quota), so the page can say so. */
export function saveDraft(storage: Pick<Storage, 'setItem'> | null, text: string, now: number): boolean {
  try {
    if (!storage) return false;
    storage.setItem(DRAFT_KEY, JSON.stringify({ text, savedAt: now }));
    return true;
  } catch {
    return false;
  }
}

export function clearDraft(storage: Pick<Storage, 'removeItem'> | null): void {
  try {
    storage?.removeItem(DRAFT_KEY);
  } catch {
    /* nothing to clear */
  }
}
