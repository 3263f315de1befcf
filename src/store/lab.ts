/**
 * The lab's state for the UI (a vanilla Zustand store): which preset is loaded, the run's report
 * and its status. It talks to the engine only through a SimClient.
 */
import { createStore } from 'zustand/vanilla';
import type { SimClient } from '../sim/client.ts';
import type { RunReport } from '../model/report.ts';
import type { SchemaError } from '../model/schema.ts';
import { DEFAULT_PRESET, presetById } from '../model/presets.ts';

export interface LabState {
  presetId: string;
  status: 'idle' | 'running' | 'ready' | 'error';
  report: RunReport | null;
  errors: SchemaError[];
  message: string | null;
  loadPreset(id: string): Promise<void>;
}

export type LabStore = ReturnType<typeof createLabStore>;

export function createLabStore(client: SimClient) {
  let seq = 0;
  return createStore<LabState>()((set) => ({
    presetId: DEFAULT_PRESET,
    status: 'idle',
    report: null,
    errors: [],
    message: null,
    async loadPreset(id: string) {
      const mine = ++seq;
      const preset = presetById(id);
      if (!preset) {
        set({ status: 'error', message: `unknown preset ${id}`, errors: [] });
        return;
      }
      set({ presetId: id, status: 'running', message: null, errors: [] });
      try {
        const loaded = await client.load(preset.scenario);
        if (!loaded.ok) {
          if (mine === seq) set({ status: 'error', errors: loaded.errors, report: null });
          return;
        }
        await client.runUntil(loaded.until);
        const report = await client.report();
        if (mine === seq) set({ status: 'ready', report });
      } catch (e) {
        if (mine === seq) set({ status: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    },
  }));
}

export const selectReport = (s: LabState) => s.report;
export const selectStatus = (s: LabState) => s.status;
export const selectPresetId = (s: LabState) => s.presetId;
