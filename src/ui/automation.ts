/**
 * window.caretakerLab, the automation face of the page (design.md §5): ready() resolves when the
 * scenario is loaded and shown; report() is the RunReport exactly as `caretaker-lab run --json`.
 */
import type { RunReport } from '../model/report.ts';
import type { LabStore } from '../store/lab.ts';

export interface CaretakerLabApi {
  ready(): Promise<void>;
  report(): Promise<RunReport>;
  loadPreset(id: string): Promise<void>;
}

declare global {
  interface Window {
    caretakerLab?: CaretakerLabApi;
  }
}

export function installAutomation(store: LabStore): void {
  const ready = () =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        const s = store.getState();
        if (s.status === 'ready') return resolve(), true;
        if (s.status === 'error') return reject(new Error(s.message ?? 'the scenario did not load')), true;
        return false;
      };
      if (check()) return;
      const unsub = store.subscribe(() => {
        if (check()) unsub();
      });
    });
  window.caretakerLab = {
    ready,
    async report() {
      await ready();
      return store.getState().report!;
    },
    async loadPreset(id: string) {
      await store.getState().loadPreset(id);
    },
  };
}
