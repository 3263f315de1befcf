/**
 * Exports of what the lab shows: the visible time window of the timeline as PNG or SVG at a chosen
 * size (all lanes from the top, as many as fit), and the Chrome JSON trace of the whole run. The
 * images are drawn by the same renderer as the screen.
 */
import type { LabStore } from '../../store/lab.ts';
import { buildLanes, lanesHeight } from '../timeline/lanes.ts';
import { render, type RenderInput } from '../timeline/render.ts';
import { SvgContext } from './svgContext.ts';

export interface ExportSize {
  width: number;
  /** null: as tall as all the lanes. */
  height: number | null;
}

export const EXPORT_SIZES: { label: string; size: ExportSize }[] = [
  { label: 'all lanes, 1600 wide', size: { width: 1600, height: null } },
  { label: '1280 × 720', size: { width: 1280, height: 720 } },
  { label: '1920 × 1080', size: { width: 1920, height: 1080 } },
  { label: '3840 × 2160', size: { width: 3840, height: 2160 } },
];

function inputAt(store: LabStore, size: ExportSize): RenderInput {
  const s = store.getState();
  const lanes = buildLanes(s.data, s.snapshot);
  const height = size.height ?? lanesHeight(lanes);
  return {
    data: s.data,
    lanes,
    view: { t0: s.view.t0, t1: s.view.t1, width: size.width, height, scrollY: 0 },
    cursor: s.cursor,
    until: s.until,
    ringCapacity: s.ringCapacity,
    selectedIpi: -1,
    selectedIndex: -1,
  };
}

/** A base name for files: the scenario's preset id or "scenario", and the window in ns. */
export function exportName(store: LabStore, ext: string): string {
  const s = store.getState();
  const id = (s.presetId || 'scenario').replace(/[^A-Za-z0-9_.-]/g, '_');
  return `caretaker-lab-${id}-${Math.round(s.view.t0)}-${Math.round(s.view.t1)}.${ext}`;
}

export function timelinePng(store: LabStore, size: ExportSize): Promise<Blob> {
  const inp = inputAt(store, size);
  const canvas = document.createElement('canvas');
  canvas.width = inp.view.width;
  canvas.height = inp.view.height;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  render(ctx, inp);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
}

export function timelineSvg(store: LabStore, size: ExportSize): string {
  const inp = inputAt(store, size);
  const measurer = document.createElement('canvas').getContext('2d')!;
  const svg = new SvgContext(inp.view.width, inp.view.height, measurer);
  render(svg as unknown as CanvasRenderingContext2D, inp);
  const s = store.getState();
  return svg.toSvg(`${s.title} — Caretaker Lab timeline`);
}

/** Saves a blob as a file through a temporary link (no server involved). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
