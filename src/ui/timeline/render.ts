/**
 * Draws the timeline on a canvas: state slices per lane, execution and waits, exits summarised
 * per pixel (cumulative counts, so a million exits cost two binary searches per pixel and row),
 * trace ring fill, IPIs as arrows between pCPU lanes, phases, invariant breaches, the cursor and
 * the time axis. Framework-free: (context, inputs) → pixels.
 */
import { formatNs } from '../../base/time.ts';
import { L } from '../../model/eventlog.ts';
import type { IpiMark, TimelineData } from '../../store/logMirror.ts';
import { AXIS_H, GUTTER, VCPU_ROWS, cpuLane, type Lane } from './lanes.ts';
import { DISP_ROWS, GONE, IPI_COLORS, NEW_KERNEL_ONLINE, stateColor } from './palette.ts';

export interface Viewport {
  t0: number;
  t1: number;
  width: number;
  /** Height of the canvas (the visible part of the lanes, plus the axis). */
  height: number;
  /** How far the lanes are scrolled: a lane at y is drawn at y - scrollY. */
  scrollY: number;
}

export interface RenderInput {
  data: TimelineData;
  lanes: Lane[];
  view: Viewport;
  cursor: number;
  until: number;
  ringCapacity: number;
  selectedIpi: number;
  selectedIndex: number;
  /** Lit regions (a lesson step's highlights): a time range over lanes (null: all lanes). */
  highlights?: { t0: number; t1: number; laneKeys: string[] | null; label: string }[];
  /** The future beyond the cursor is hidden, not dimmed (a checkpoint waiting for a prediction). */
  veiled?: boolean;
}

/** Most IPI arrows drawn in one frame; beyond it, the densest ones are skipped (and said so). */
export const MAX_ARROWS = 3000;

export function xOf(v: Viewport, t: number): number {
  return GUTTER + ((t - v.t0) / (v.t1 - v.t0)) * (v.width - GUTTER);
}

export function tOf(v: Viewport, x: number): number {
  return v.t0 + ((x - GUTTER) / (v.width - GUTTER)) * (v.t1 - v.t0);
}

export function render(ctx: CanvasRenderingContext2D, inp: RenderInput): { arrows: number; skippedArrows: number } {
  const { data, lanes, view } = inp;
  const W = view.width;
  ctx.clearRect(0, 0, W, view.height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, view.height);
  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, AXIS_H, W - GUTTER, view.height - AXIS_H);
  ctx.clip();
  ctx.translate(0, -view.scrollY);
  const end = Math.max(inp.cursor, data.length ? data.t[data.length - 1] : 0);
  const top = view.scrollY;
  const bottom = view.scrollY + view.height;
  for (const lane of lanes) {
    if (lane.y + lane.h < top || lane.y > bottom) continue; // only lanes in the scroll viewport
    switch (lane.kind) {
      case 'vcpu':
        drawStates(ctx, inp, lane, lane.y + VCPU_ROWS.state[0], VCPU_ROWS.state[1] - VCPU_ROWS.state[0], end);
        drawExec(ctx, inp, lane, end);
        drawExits(ctx, inp, lane);
        break;
      case 'ring':
        drawRing(ctx, inp, lane);
        break;
      case 'invariants':
        drawViolations(ctx, inp, lane);
        break;
      default:
        drawStates(ctx, inp, lane, lane.y, lane.h, end);
        if (lane.kind === 'session' || lane.kind === 'vmm' || lane.kind === 'kho') drawTicks(ctx, inp, lane);
    }
  }
  drawPhases(ctx, inp);
  const arrows = drawIpis(ctx, inp);
  // cursor and the computed future beyond it: dimmed, or hidden while a prediction is asked for
  const xc = xOf(view, inp.cursor);
  if (xc < W) {
    const x = Math.max(GUTTER, xc);
    ctx.fillStyle = inp.veiled ? '#eceff3' : 'rgba(240, 242, 245, 0.55)';
    ctx.fillRect(x, view.scrollY, W - x, view.height);
    if (inp.veiled && W - x > 120) {
      ctx.fillStyle = '#56606b';
      ctx.font = font('italic 12px system-ui, sans-serif');
      ctx.fillText('predict first: the run is hidden from here', x + 10, view.scrollY + AXIS_H + 18);
    }
  }
  drawHighlights(ctx, inp);
  ctx.restore();
  drawAxis(ctx, inp);
  drawCursor(ctx, inp, xc);
  drawGutter(ctx, inp);
  return arrows;
}

function visibleRange(v: Viewport, a: number, b: number): [number, number] | null {
  if (b < v.t0 || a > v.t1) return null;
  return [Math.max(GUTTER, xOf(v, a)), Math.min(v.width, xOf(v, b))];
}

function drawStates(ctx: CanvasRenderingContext2D, inp: RenderInput, lane: Lane, y: number, h: number, end: number): void {
  const { data, view } = inp;
  for (const ent of lane.ents) {
    const info = data.entities[ent];
    const init = data.initial.get(ent);
    if (!info || !init) continue;
    const list = data.changes.get(ent) ?? [];
    const starts = [{ t: init.t, state: init.state }, ...list.map((c) => ({ t: c.t, state: c.state }))];
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i];
      if (GONE.has(s.state)) continue;
      const e = i + 1 < starts.length ? starts[i + 1].t : end;
      const r = visibleRange(view, s.t, e);
      if (!r) continue;
      const w = Math.max(1, r[1] - r[0]);
      let color = stateColor(info.machine, s.state);
      if ((info.machine === 'pcpu' || info.machine === 'cpuPreserved') && s.state === 'ONLINE' && i > 0 && newKernelOwns(data, s.t)) color = NEW_KERNEL_ONLINE;
      ctx.fillStyle = color;
      ctx.fillRect(r[0], y, w, h);
      if (w > 60 && h >= 11) {
        ctx.fillStyle = '#1d2125';
        ctx.font = font('10px system-ui, sans-serif');
        const label = sliceLabel(info.machine, info.name, s.state, color === NEW_KERNEL_ONLINE);
        const tw = ctx.measureText(label).width;
        if (tw + 6 < w) ctx.fillText(label, r[0] + Math.max(3, (w - tw) / 2), y + h / 2 + 3.5);
      }
    }
  }
}

/** pCPU slices say who owns the CPU; other slices show their machine state. */
function sliceLabel(machine: string | null, name: string, state: string, newKernel: boolean): string {
  if (machine !== 'pcpu' && machine !== 'cpuPreserved') return state;
  const cpu = /\d+/.exec(name)?.[0] ?? '';
  switch (state) {
    case 'PARKED':
      return 'parked (preserved runtime)';
    case 'WORKLOAD':
      return 'oncore scheduler (preserved runtime)';
    case 'ONLINE':
      return newKernel ? 'Linux (new kernel K′)' : 'Linux (K)';
    case 'CARETAKER':
      return `Caretaker C${cpu} (K's version)`;
    case 'OFFLINE':
      return 'offline: nobody';
    case 'STOPPED':
      return 'stopped by smp_send_stop()';
    case 'WEDGED':
      return 'WEDGED';
    default:
      return state;
  }
}

/** A pCPU brought ONLINE after the kexec jump belongs to the new kernel. */
function newKernelOwns(data: TimelineData, t: number): boolean {
  const jump = data.phases.find((p) => p.name === 'kexec');
  return jump !== undefined && t > jump.t;
}

function drawExec(ctx: CanvasRenderingContext2D, inp: RenderInput, lane: Lane, end: number): void {
  const { data, view } = inp;
  const y = lane.y + VCPU_ROWS.exec[0];
  const h = VCPU_ROWS.exec[1] - VCPU_ROWS.exec[0];
  const list = data.exec.get(lane.vcpu) ?? [];
  ctx.fillStyle = '#1d6b2a';
  for (let i = 0; i < list.length; i++) {
    if (!list[i].on) continue;
    const e = i + 1 < list.length ? list[i + 1].t : end;
    const r = visibleRange(view, list[i].t, e);
    if (r) ctx.fillRect(r[0], y, Math.max(1, r[1] - r[0]), h);
  }
  const waits = data.waits.get(lane.vcpu) ?? [];
  ctx.fillStyle = '#f28e2b';
  for (let i = 0; i < waits.length; i++) {
    if (!waits[i].on) continue;
    const e = i + 1 < waits.length ? waits[i + 1].t : end;
    const r = visibleRange(view, waits[i].t, e);
    if (r) ctx.fillRect(r[0], y, Math.max(1, r[1] - r[0]), h);
  }
}

/**
 * Ticks for what a lane's entities did: LUO ioctls on session and VMM lanes (each PRESERVE_FD,
 * RETRIEVE_FD, FINISH), and each KHO region preserved (up), restored (down) or freed on the KHO lane.
 */
function drawTicks(ctx: CanvasRenderingContext2D, inp: RenderInput, lane: Lane): void {
  const { data, view } = inp;
  ctx.fillStyle = '#1d2125';
  let lastX = -Infinity;
  for (const ent of lane.ents) {
    for (const i of data.byEntity.get(ent) ?? []) {
      const k = data.kind(i);
      if (k !== L.OP && k !== L.KHO) continue;
      if (k === L.OP && !data.str(data.a[i]).startsWith('LIVEUPDATE_')) continue;
      const x = Math.round(xOf(view, data.t[i]));
      if (x < GUTTER || x > view.width || x === lastX) continue;
      lastX = x;
      if (k === L.KHO) {
        const what = data.b[i];
        ctx.fillStyle = what === 0 ? '#1d2125' : what === 1 ? '#0b63c5' : '#9aa0a6';
        ctx.fillRect(x, what === 1 ? lane.y + lane.h - 4 : lane.y, 1, 4);
      } else {
        ctx.fillStyle = '#1d2125';
        ctx.fillRect(x, lane.y, 1, lane.h);
      }
    }
  }
}

/** Exits per pixel column and disposition row: presence, with density as opacity. */
function drawExits(ctx: CanvasRenderingContext2D, inp: RenderInput, lane: Lane): void {
  const tr = inp.data.exits.get(lane.vcpu);
  if (!tr || tr.n === 0) return;
  const { view } = inp;
  const rowH = (VCPU_ROWS.exits[1] - VCPU_ROWS.exits[0]) / DISP_ROWS.length;
  const x0 = GUTTER;
  const x1 = view.width;
  const nsPerPx = (view.t1 - view.t0) / (view.width - GUTTER);
  let lo = tr.lower(view.t0);
  const cols = Math.ceil(x1 - x0);
  const counts = new Uint32Array(cols * DISP_ROWS.length);
  let any = false;
  for (let c = 0; c < cols && lo < tr.n; c++) {
    const tEnd = view.t0 + (c + 1) * nsPerPx;
    if (tr.t[lo] >= tEnd) {
      // skip empty columns quickly
      const next = Math.floor((tr.t[lo] - view.t0) / nsPerPx);
      if (next > c) c = next - 1;
      continue;
    }
    const hi = tr.lower(tEnd);
    for (let r = 0; r < DISP_ROWS.length; r++) {
      const d = DISP_ROWS[r].disp;
      const n = tr.cum[d][hi] - tr.cum[d][lo];
      if (n) {
        counts[c * DISP_ROWS.length + r] = n;
        any = true;
      }
    }
    lo = hi;
  }
  if (!any) return;
  // runs of adjacent columns with the same density level become one rectangle
  const R = DISP_ROWS.length;
  const level = (n: number) => (n === 0 ? -1 : n < 4 ? 0 : n < 32 ? 1 : 2);
  for (let r = 0; r < R; r++) {
    const stalledRow = DISP_ROWS[r].disp === 2;
    ctx.fillStyle = DISP_ROWS[r].color;
    const y = lane.y + VCPU_ROWS.exits[0] + r * rowH;
    let runStart = 0;
    let runLevel = -1;
    for (let c = 0; c <= cols; c++) {
      const lv = c < cols ? (stalledRow && counts[c * R + r] ? 2 : level(counts[c * R + r])) : -2;
      if (lv === runLevel) continue;
      if (runLevel >= 0) {
        ctx.globalAlpha = 0.35 + 0.3 * runLevel;
        // a stalled exit is rare and important: full strength and at least 2 px wide
        if (stalledRow) ctx.fillRect(x0 + runStart - 0.5, y, c - runStart + 1, rowH - 0.5);
        else ctx.fillRect(x0 + runStart, y, c - runStart, rowH - 0.5);
      }
      runStart = c;
      runLevel = lv;
    }
  }
  ctx.globalAlpha = 1;
}

/** Trace ring fill over time: records written in the gap since the last drain, capped at the ring size. */
function drawRing(ctx: CanvasRenderingContext2D, inp: RenderInput, lane: Lane): void {
  const { data, view, ringCapacity } = inp;
  const tr = data.exits.get(lane.vcpu);
  ctx.fillStyle = '#f4f4f4';
  ctx.fillRect(GUTTER, lane.y, view.width - GUTTER, lane.h);
  if (!tr || tr.n === 0) return;
  const drains = data.drains.get(lane.vcpu) ?? [];
  const cols = Math.ceil(view.width - GUTTER);
  const nsPerPx = (view.t1 - view.t0) / cols;
  let d = 0;
  let since = -Infinity;
  let i0 = 0;
  let i1 = tr.lower(view.t0);
  // columns with the same height and colour are drawn as one rectangle
  let runStart = 0;
  let runH = 0;
  let runOver = false;
  const flush = (c: number) => {
    if (runH > 0) {
      ctx.fillStyle = runOver ? '#e15759' : '#59a14f';
      ctx.fillRect(GUTTER + runStart, lane.y + lane.h - runH, c - runStart, runH);
    }
  };
  for (let c = 0; c < cols; c++) {
    const t = view.t0 + (c + 1) * nsPerPx;
    while (d < drains.length && drains[d].t <= t) since = drains[d++].t;
    if (since !== -Infinity && (i0 === 0 || tr.t[i0 - 1] > since)) i0 = tr.lower(since + 1);
    while (i1 < tr.n && tr.t[i1] < t) i1++;
    const produced = Math.max(0, tr.gapCum[i1] - tr.gapCum[since === -Infinity ? 0 : i0]);
    const h = produced ? Math.max(1, Math.round(Math.min(1, produced / ringCapacity) * (lane.h - 1))) : 0;
    const over = produced > ringCapacity;
    if (h !== runH || over !== runOver) {
      flush(c);
      runStart = c;
      runH = h;
      runOver = over;
    }
  }
  flush(cols);
}

function drawViolations(ctx: CanvasRenderingContext2D, inp: RenderInput, lane: Lane): void {
  ctx.fillStyle = '#d62728';
  for (const v of inp.data.violations) {
    const x = xOf(inp.view, v.t);
    if (x < GUTTER || x > inp.view.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, lane.y + 1);
    ctx.lineTo(x + 5, lane.y + lane.h - 1);
    ctx.lineTo(x - 5, lane.y + lane.h - 1);
    ctx.closePath();
    ctx.fill();
  }
}

/** Lesson highlights: a tinted band with an outline over the named lanes, labelled at its top. */
function drawHighlights(ctx: CanvasRenderingContext2D, inp: RenderInput): void {
  const { view, lanes } = inp;
  for (const h of inp.highlights ?? []) {
    // under the veil a highlight ends at the cursor: what lies beyond is not shown yet
    const t1 = inp.veiled ? Math.min(h.t1, inp.cursor) : h.t1;
    if (t1 < h.t0) continue;
    const r = visibleRange(view, h.t0, t1);
    if (!r) continue;
    const x = r[0];
    const w = Math.max(3, r[1] - r[0]);
    const hit = h.laneKeys ? lanes.filter((l) => h.laneKeys!.includes(l.key)) : lanes;
    if (!hit.length) continue;
    // one band per run of adjacent lanes
    const bands: [number, number][] = [];
    for (const l of hit) {
      const last = bands[bands.length - 1];
      if (last && l.y - last[1] <= 12) last[1] = l.y + l.h;
      else bands.push([l.y, l.y + l.h]);
    }
    // a light tint and an outline: the marks inside stay readable
    ctx.fillStyle = 'rgba(255, 196, 0, 0.08)';
    ctx.strokeStyle = 'rgba(214, 142, 0, 0.95)';
    ctx.lineWidth = 1.5;
    for (const [y0, y1] of bands) {
      ctx.fillRect(x, y0 - 2, w, y1 - y0 + 4);
      ctx.strokeRect(x + 0.75, y0 - 2 + 0.75, w - 1.5, y1 - y0 + 2.5);
    }
    ctx.lineWidth = 1;
    // the label sits inside the box, at its top left; a box too narrow for it goes unlabelled
    if (w < 40) continue;
    ctx.font = font('bold 11px system-ui, sans-serif');
    const label = fitText(ctx, h.label, w - 8);
    const tw = ctx.measureText(label).width;
    const ly = Math.max(view.scrollY + AXIS_H + 12, bands[0][0] + 10);
    ctx.fillStyle = 'rgba(255, 248, 225, 0.94)';
    ctx.fillRect(x + 2, ly - 10, tw + 6, 13);
    ctx.fillStyle = '#6b4a00';
    ctx.fillText(label, x + 5, ly);
  }
}

function drawPhases(ctx: CanvasRenderingContext2D, inp: RenderInput): void {
  const { view } = inp;
  ctx.strokeStyle = 'rgba(60, 60, 60, 0.45)';
  ctx.setLineDash([3, 3]);
  for (const p of inp.data.phases) {
    const x = Math.round(xOf(view, p.t)) + 0.5;
    if (x < GUTTER || x > view.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, view.scrollY + AXIS_H);
    ctx.lineTo(x, view.scrollY + view.height);
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

/**
 * Where an IPI's arrow is drawn (and clicked): from the sender's lane at the send to the target's at
 * the arrival (or the cursor while in flight); null when out of view or a lane is missing.
 */
export function ipiArrow(inp: RenderInput, ipi: IpiMark): { x1: number; y1: number; x2: number; y2: number } | null {
  const { lanes, view } = inp;
  const arrive = Number.isNaN(ipi.arriveT) ? Math.max(inp.cursor, ipi.sendT) : ipi.arriveT;
  if (arrive < view.t0 || ipi.sendT > view.t1) return null;
  const from = cpuLane(lanes, ipi.from);
  const to = cpuLane(lanes, ipi.to);
  if (!from || !to) return null;
  return { x1: xOf(view, ipi.sendT), y1: from.y + from.h / 2, x2: xOf(view, arrive), y2: to === from ? to.y + to.h : to.y + to.h / 2 };
}

function drawIpis(ctx: CanvasRenderingContext2D, inp: RenderInput): { arrows: number; skippedArrows: number } {
  const { data, view } = inp;
  let drawn = 0;
  let skipped = 0;
  const pxPerNs = (view.width - GUTTER) / (view.t1 - view.t0);
  for (const ipi of data.ipis.values()) {
    const arrow = ipiArrow(inp, ipi);
    if (!arrow) continue;
    if (drawn >= MAX_ARROWS && ipi.id !== inp.selectedIpi) {
      skipped++;
      continue;
    }
    drawn++;
    const { x1, y1, x2, y2 } = arrow;
    const selected = ipi.id === inp.selectedIpi;
    ctx.strokeStyle = IPI_COLORS[ipi.purpose] ?? '#888';
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = selected ? 3 : ipi.purpose === 'guest' ? 0.8 : 1.5;
    ctx.globalAlpha = ipi.purpose === 'guest' && !selected ? 0.5 : 1;
    if (ipi.status === 'lost') ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
    ctx.setLineDash([]);
    const len = Math.hypot(x2 - x1, y2 - y1);
    if (len > 6) {
      const a = Math.atan2(y2 - y1, x2 - x1);
      ctx.beginPath();
      ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - 6 * Math.cos(a - 0.4), y2 - 6 * Math.sin(a - 0.4));
      ctx.lineTo(x2 - 6 * Math.cos(a + 0.4), y2 - 6 * Math.sin(a + 0.4));
      ctx.closePath();
      ctx.fill();
    }
    if (ipi.status === 'lost') {
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x2 - 4, y2 - 4);
      ctx.lineTo(x2 + 4, y2 + 4);
      ctx.moveTo(x2 + 4, y2 - 4);
      ctx.lineTo(x2 - 4, y2 + 4);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1;
    void pxPerNs;
  }
  return { arrows: drawn, skippedArrows: skipped };
}

function drawCursor(ctx: CanvasRenderingContext2D, inp: RenderInput, xc: number): void {
  if (xc < GUTTER || xc > inp.view.width) return;
  ctx.strokeStyle = '#c0392b';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(Math.round(xc) + 0.5, 0);
  ctx.lineTo(Math.round(xc) + 0.5, inp.view.height);
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.fillStyle = '#c0392b';
  ctx.beginPath();
  ctx.moveTo(xc - 5, 0);
  ctx.lineTo(xc + 5, 0);
  ctx.lineTo(xc, 7);
  ctx.closePath();
  ctx.fill();
}

/** Tick step: 1, 2 or 5 times a power of ten ns, about every 110 px. */
export function tickStep(nsPerPx: number): number {
  const raw = nsPerPx * 110;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function drawAxis(ctx: CanvasRenderingContext2D, inp: RenderInput): void {
  const { view } = inp;
  ctx.fillStyle = '#f7f7f5';
  ctx.fillRect(GUTTER, 0, view.width - GUTTER, AXIS_H);
  ctx.strokeStyle = '#c9ccd0';
  ctx.beginPath();
  ctx.moveTo(GUTTER, AXIS_H - 0.5);
  ctx.lineTo(view.width, AXIS_H - 0.5);
  ctx.stroke();
  const nsPerPx = (view.t1 - view.t0) / (view.width - GUTTER);
  const step = tickStep(nsPerPx);
  ctx.fillStyle = '#3a4048';
  ctx.font = font('10px ui-monospace, Menlo, monospace');
  const first = Math.ceil(view.t0 / step) * step;
  for (let t = first; t <= view.t1; t += step) {
    const x = Math.round(xOf(view, t)) + 0.5;
    ctx.strokeStyle = '#9aa0a6';
    ctx.beginPath();
    ctx.moveTo(x, AXIS_H - 6);
    ctx.lineTo(x, AXIS_H);
    ctx.stroke();
    ctx.fillText(tickLabel(t, step), x + 3, 11);
  }
  // phase names under the ticks; a name that would overlap the previous one is shortened to a dot
  ctx.font = font('600 10px system-ui, sans-serif');
  let lastEnd = -Infinity;
  for (const p of inp.data.phases) {
    const x = xOf(view, p.t);
    if (x < GUTTER || x > view.width) continue;
    const w = ctx.measureText(p.name).width;
    ctx.fillStyle = '#2f3337';
    if (x + 3 > lastEnd) {
      ctx.fillText(p.name, x + 3, AXIS_H - 3);
      lastEnd = x + 3 + w + 4;
    } else {
      ctx.fillRect(x - 1, AXIS_H - 6, 3, 3);
    }
  }
}

/** The text, cut with an ellipsis to fit `max` pixels in the current font. */
function fitText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let n = text.length;
  while (n > 1 && ctx.measureText(`${text.slice(0, n)}…`).width > max) n--;
  return `${text.slice(0, n)}…`;
}

/** Text on the canvas is scaled for the projector theme (large type); 1 elsewhere. */
let textScale = 1;
export function setCanvasTextScale(k: number): void {
  textScale = k;
}
/** A canvas font spec with its pixel size scaled by the current text scale. */
export function font(spec: string): string {
  return textScale === 1 ? spec : spec.replace(/(\d+(?:\.\d+)?)px/, (_, n: string) => `${Math.round(Number(n) * textScale)}px`);
}

/** Seconds with as many decimals as the tick step needs. */
export function tickLabel(t: number, step: number): string {
  if (step >= 1e9) return `${t / 1e9}s`;
  const decimals = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step / 1e9))));
  const s = (t / 1e9).toFixed(decimals);
  return `${s}s`;
}

function drawGutter(ctx: CanvasRenderingContext2D, inp: RenderInput): void {
  const { lanes, view } = inp;
  ctx.fillStyle = '#f7f7f5';
  ctx.fillRect(0, 0, GUTTER, view.height);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, AXIS_H, GUTTER, view.height - AXIS_H);
  ctx.clip();
  ctx.translate(0, -view.scrollY);
  ctx.strokeStyle = '#c9ccd0';
  ctx.beginPath();
  ctx.moveTo(GUTTER - 0.5, 0);
  ctx.lineTo(GUTTER - 0.5, view.height);
  ctx.stroke();
  let group = '';
  for (const l of lanes) {
    if (l.group !== group) {
      group = l.group;
      ctx.fillStyle = '#8a9099';
      ctx.font = font('600 9px system-ui, sans-serif');
      ctx.fillText(group.toUpperCase(), 6, l.y - 1);
    }
    ctx.fillStyle = '#1d2125';
    ctx.font = font('11px system-ui, sans-serif');
    const mid = l.kind === 'vcpu' ? l.y + 10 : l.y + l.h / 2 + 4;
    // the name comes first; a sub-label on the same row takes what room is left after it
    const label = fitText(ctx, l.label, GUTTER - 14);
    ctx.fillText(label, 8, mid);
    const subX = l.kind === 'vcpu' ? 8 : Math.max(96, 8 + ctx.measureText(label).width + 8);
    if (l.sub && l.h >= 14 && GUTTER - subX - 6 >= 24) {
      ctx.fillStyle = '#6b727b';
      ctx.font = font('9px system-ui, sans-serif');
      ctx.fillText(fitText(ctx, l.sub, GUTTER - subX - 6), subX, l.kind === 'vcpu' ? l.y + 21 : mid);
    }
    if (l.kind === 'vcpu') {
      ctx.fillStyle = '#6b727b';
      ctx.font = font('9px system-ui, sans-serif');
      ctx.fillText('exits ▸', GUTTER - 40, l.y + VCPU_ROWS.exits[0] + 12);
    }
  }
  ctx.restore();
  ctx.fillStyle = '#3a4048';
  ctx.font = font('10px ui-monospace, Menlo, monospace');
  ctx.fillText(`${formatNs(view.t1 - view.t0)} in view`, 6, 14);
}
