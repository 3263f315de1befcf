/**
 * Reading the lab's URL (design.md §5). For now a bundled preset travels as `#p=<preset-id>`;
 * an unknown id falls back to the default preset.
 */
import { presetById } from '../model/presets.ts';

export function presetFromHash(hash: string): string | null {
  const m = /^#p=([A-Za-z0-9_.-]{1,64})$/.exec(hash);
  return m && presetById(m[1]) ? m[1] : null;
}
