/**
 * window.caretakerLab, the automation face of the page (design.md §5): ready() resolves when the
 * scenario is loaded and drawn; seek(ns), step(n); report() is the RunReport of the loaded
 * scenario exactly as `caretaker-lab run --json` prints it (the whole run). view() and cursor()
 * read the timeline for tests and the benchmark.
 */
import type { RunReport } from '../model/report.ts';
import type { LabStore } from '../store/lab.ts';
import { presetById } from '../model/presets.ts';
import { workerClient } from '../sim/client.ts';
import { injectPanelFailure } from './PanelBoundary.tsx';

export interface CaretakerLabApi {
  ready(): Promise<void>;
  seek(ns: number): Promise<void>;
  step(n?: number): Promise<void>;
  report(): Promise<RunReport>;
  loadPreset(id: string): Promise<void>;
  view(): { t0: number; t1: number };
  setView(t0: number, t1: number): void;
  cursor(): number;
  /** The loaded run's end, ns. */
  until(): number;
  /**
   * How fast a fresh Worker advances a preset, in simulated seconds per wall second, stepping
   * `stepMs` of simulated time per request for `simSeconds` (the benchmark's real-time check).
   */
  measureRealtime(presetId: string, simSeconds: number, stepMs?: number): Promise<{ simPerWall: number; maxStepWallMs: number }>;
  /** Runs a scenario to its end in a fresh Worker (the page's run is untouched): its event log hash, or its errors. */
  hashOf(scenario: unknown): Promise<{ ok: true; hash: string; events: number } | { ok: false; errors: string[] }>;
  /** Makes a panel throw on its next render, to show its error boundary (PanelBoundary.tsx). */
  injectPanelFailure(name: string): void;
}

declare global {
  interface Window {
    caretakerLab?: CaretakerLabApi;
  }
}

export function installAutomation(store: LabStore): CaretakerLabApi {
  const ready = () =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        const s = store.getState();
        if (s.status === 'ready') return requestAnimationFrame(() => resolve()), true;
        if (s.status === 'error') return reject(new Error(s.message ?? 'the scenario did not load')), true;
        return false;
      };
      if (check()) return;
      const unsub = store.subscribe(() => {
        if (check()) unsub();
      });
    });
  const api: CaretakerLabApi = {
    ready,
    async seek(ns: number) {
      await ready();
      await store.getState().seek(ns);
    },
    async step(n = 1) {
      await ready();
      for (let i = 0; i < n; i++) await store.getState().stepEvent();
    },
    async report() {
      await ready();
      return store.getState().wholeReport();
    },
    async loadPreset(id: string) {
      await store.getState().loadPreset(id);
      await ready();
    },
    view: () => ({ ...store.getState().view }),
    setView: (t0, t1) => store.getState().setView(t0, t1),
    cursor: () => store.getState().cursor,
    until: () => store.getState().until,
    async hashOf(scenario) {
      const client = workerClient(new Worker(new URL('../sim/worker.ts', import.meta.url), { type: 'module' }));
      try {
        const loaded = await client.load(scenario);
        if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `${e.path}: ${e.message}`) };
        await client.runUntil(loaded.until);
        const r = await client.report(undefined, true);
        return { ok: true, hash: r.engine.eventLogHash, events: r.engine.events };
      } finally {
        client.dispose();
      }
    },
    injectPanelFailure,
    async measureRealtime(presetId, simSeconds, stepMs = 16) {
      const preset = presetById(presetId);
      if (!preset) throw new Error(`unknown preset ${presetId}`);
      const client = workerClient(new Worker(new URL('../sim/worker.ts', import.meta.url), { type: 'module' }));
      try {
        const loaded = await client.load(preset.scenario);
        if (!loaded.ok) throw new Error('invalid preset');
        let maxStep = 0;
        const start = performance.now();
        for (let t = stepMs * 1e6; t <= simSeconds * 1e9; t += stepMs * 1e6) {
          const t0 = performance.now();
          await client.runUntil(t);
          maxStep = Math.max(maxStep, performance.now() - t0);
        }
        return { simPerWall: simSeconds / ((performance.now() - start) / 1000), maxStepWallMs: maxStep };
      } finally {
        client.dispose();
      }
    },
  };
  window.caretakerLab = api;
  return api;
}
