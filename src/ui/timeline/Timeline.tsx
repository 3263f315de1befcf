/**
 * The timeline view: a canvas drawn by render.ts, zoomed and panned with d3-zoom (wheel, drag,
 * W/S/A/D and arrows by KeyboardEvent.code), clicked to select (details panel) or on the axis to
 * move the cursor, hovered for a one-line tooltip. Redraws at most once per animation frame.
 */
import { useEffect, useRef, useState } from 'react';
import { select, zoom as d3zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior } from 'd3';
import type { LabStore } from '../../store/lab.ts';
import { describe } from '../describe.ts';
import { buildLanes, lanesHeight, type Lane } from './lanes.ts';
import { AXIS_H, GUTTER } from './lanes.ts';
import { hitTest } from './hit.ts';
import { render, tOf, xOf, type RenderInput } from './render.ts';

/** Frame statistics for the benchmark (window.__timelineStats). */
export interface TimelineStats {
  frames: number;
  lastDrawMs: number;
  drawMs: number[];
  arrows: number;
  skippedArrows: number;
  /** Canvas x of an instant, and the centre y of a pCPU or named lane (for tests and the benchmark). */
  x(t: number): number;
  laneY(key: string): number;
}

declare global {
  interface Window {
    __timelineStats?: TimelineStats;
  }
}

const MIN_WINDOW_NS = 100;

export function Timeline({ store }: { store: LabStore }) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const [height, setHeight] = useState(400);
  const [viewportH, setViewportH] = useState(400);

  useEffect(() => {
    const el = canvas.current!;
    const box = wrap.current!;
    const ctx = el.getContext('2d')!;
    const stats: TimelineStats = {
      frames: 0,
      lastDrawMs: 0,
      drawMs: [],
      arrows: 0,
      skippedArrows: 0,
      x: (t) => xOf(input().view, t),
      laneY: (key) => {
        const l = input().lanes.find((x) => x.key === key);
        return l ? l.y + l.h / 2 - box.scrollTop : NaN;
      },
    };
    window.__timelineStats = stats;
    let lanes: Lane[] = [];
    let lanesVersion = -1;
    let width = box.clientWidth || 1000;
    // the canvas shows a window of the lanes (virtual scrolling): at most 72% of the window's height
    const viewportHeight = () => Math.min(lanesHeight(lanes), Math.max(320, Math.round(window.innerHeight * 0.72)));
    let frame = 0;
    let applying = false;

    const input = (): RenderInput => {
      const s = store.getState();
      if (lanesVersion !== s.dataVersion) {
        lanes = buildLanes(s.data, s.snapshot);
        lanesVersion = s.dataVersion;
        setHeight(lanesHeight(lanes));
        setViewportH(viewportHeight());
      }
      return {
        data: s.data,
        lanes,
        view: { t0: s.view.t0, t1: s.view.t1, width, height: viewportHeight(), scrollY: box.scrollTop },
        cursor: s.cursor,
        until: s.until,
        ringCapacity: s.ringCapacity,
        selectedIpi: s.selection?.kind === 'ipi' ? s.selection.id : -1,
        selectedIndex: s.selection?.kind === 'record' ? s.selection.index : -1,
        highlights: s.highlights,
        veiled: s.veiled,
      };
    };

    const draw = () => {
      frame = 0;
      const inp = input();
      const dpr = window.devicePixelRatio || 1;
      const w = Math.round(width * dpr);
      const h = Math.round(inp.view.height * dpr);
      if (el.width !== w || el.height !== h) {
        el.width = w;
        el.height = h;
        el.style.width = `${width}px`;
        el.style.height = `${inp.view.height}px`;
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const t0 = performance.now();
      const r = render(ctx, inp);
      const ms = performance.now() - t0;
      stats.frames++;
      stats.lastDrawMs = ms;
      stats.drawMs.push(ms);
      if (stats.drawMs.length > 2000) stats.drawMs.splice(0, 1000);
      stats.arrows = r.arrows;
      stats.skippedArrows = r.skippedArrows;
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };

    // d3-zoom maps the whole run [0, until] onto [GUTTER, width]; the transform gives the view
    const zoom: ZoomBehavior<HTMLCanvasElement, unknown> = d3zoom<HTMLCanvasElement, unknown>()
      .filter((ev: Event) => {
        if ((ev as MouseEvent).button) return false;
        if (ev.type === 'mousedown' && (ev as MouseEvent).offsetY < AXIS_H) return false; // the axis drags the cursor
        return ev.type === 'wheel' || ev.type === 'mousedown' || ev.type.startsWith('touch');
      })
      .on('zoom', (ev: D3ZoomEvent<HTMLCanvasElement, unknown>) => {
        if (applying) return;
        const s = store.getState();
        const span = width - GUTTER;
        const k = ev.transform.k;
        const t0 = ((GUTTER - ev.transform.x) / k - GUTTER) * (s.until / span);
        const t1 = t0 + s.until / k;
        s.setView(t0, t1);
      });
    const sel = select(el);
    sel.call(zoom).on('dblclick.zoom', null);
    const syncZoom = () => {
      const s = store.getState();
      const span = width - GUTTER;
      zoom.scaleExtent([1, Math.max(1, s.until / MIN_WINDOW_NS)]);
      zoom.translateExtent([
        [GUTTER, -Infinity],
        [width, Infinity],
      ]);
      zoom.extent([
        [GUTTER, 0],
        [width, 1],
      ]);
      const k = s.until / Math.max(MIN_WINDOW_NS, s.view.t1 - s.view.t0);
      const x = GUTTER - k * (GUTTER + (s.view.t0 / s.until) * span);
      applying = true;
      sel.call(zoom.transform, zoomIdentity.translate(x, 0).scale(k));
      applying = false;
    };

    const unsub = store.subscribe((s, prev) => {
      if (s.view !== prev.view && !applying) syncZoom();
      if (s.dataVersion !== prev.dataVersion || s.view !== prev.view || s.cursor !== prev.cursor || s.selection !== prev.selection || s.snapshot !== prev.snapshot || s.highlights !== prev.highlights || s.veiled !== prev.veiled) schedule();
    });
    const ro = new ResizeObserver(() => {
      width = box.clientWidth || width;
      setViewportH(viewportHeight());
      syncZoom();
      schedule();
    });
    ro.observe(box);
    const onScroll = () => schedule();
    box.addEventListener('scroll', onScroll);
    syncZoom();
    schedule();

    /** Pointer position in lane coordinates (the axis stays put; lanes scroll under it). */
    const pos = (ev: MouseEvent) => {
      const r = el.getBoundingClientRect();
      const y = ev.clientY - r.top;
      return { x: ev.clientX - r.left, y: y < AXIS_H ? y : y + box.scrollTop, screenY: y };
    };
    // d3-zoom stops mousedown from propagating and suppresses the click that ends a drag
    const onClick = (ev: MouseEvent) => {
      const p = pos(ev);
      const hit = hitTest(input(), p.x, p.y);
      const s = store.getState();
      if (!hit) s.select(null);
      else if (hit.kind === 'axis') void s.seek(hit.t);
      else {
        const focus = hit.kind === 'record' ? s.data.subject(hit.index) : undefined;
        s.select(hit, focus !== undefined && s.data.entities[focus]?.machine ? focus : undefined);
      }
    };
    const onMove = (ev: MouseEvent) => {
      const p = pos(ev);
      const hit = hitTest(input(), p.x, p.y);
      const s = store.getState();
      if (!hit || hit.kind === 'axis') {
        setTip(null);
        return;
      }
      setTip({ x: p.x, y: p.screenY + box.scrollTop, text: describe(s.data, hit, s.machines, undefined, s.ringCapacity).title });
    };
    const onLeave = () => setTip(null);
    el.addEventListener('click', onClick);
    // dragging on the time axis moves the cursor (the engine follows, backwards too)
    let dragging = false;
    const onAxisDown = (ev: MouseEvent) => {
      if (ev.button || pos(ev).screenY >= AXIS_H) return;
      dragging = true;
      ev.preventDefault();
    };
    const onAxisMove = (ev: MouseEvent) => {
      if (!dragging) return;
      const r = el.getBoundingClientRect();
      const x = Math.max(GUTTER, Math.min(width, ev.clientX - r.left));
      void store.getState().seek(tOf(input().view, x));
    };
    const onAxisUp = () => (dragging = false);
    el.addEventListener('mousedown', onAxisDown);
    window.addEventListener('mousemove', onAxisMove);
    window.addEventListener('mouseup', onAxisUp);
    el.addEventListener('mousemove', onMove);
    el.addEventListener('mouseleave', onLeave);

    const onKey = (ev: KeyboardEvent) => {
      const s = store.getState();
      const span = s.view.t1 - s.view.t0;
      const mid = (s.view.t0 + s.view.t1) / 2;
      const setWin = (c: number, w: number) => {
        const ww = Math.min(s.until, Math.max(MIN_WINDOW_NS, w));
        const t0 = Math.max(0, Math.min(s.until - ww, c - ww / 2));
        s.setView(t0, t0 + ww);
      };
      switch (ev.code) {
        case 'KeyW':
        case 'ArrowUp':
          setWin(s.cursor >= s.view.t0 && s.cursor <= s.view.t1 ? s.cursor : mid, span / 1.6);
          break;
        case 'KeyS':
        case 'ArrowDown':
          setWin(mid, span * 1.6);
          break;
        case 'KeyA':
        case 'ArrowLeft':
          setWin(mid - span * 0.2, span);
          break;
        case 'KeyD':
        case 'ArrowRight':
          setWin(mid + span * 0.2, span);
          break;
        default:
          return;
      }
      ev.preventDefault();
    };
    box.addEventListener('keydown', onKey);

    return () => {
      unsub();
      ro.disconnect();
      cancelAnimationFrame(frame);
      el.removeEventListener('click', onClick);
      el.removeEventListener('mousedown', onAxisDown);
      window.removeEventListener('mousemove', onAxisMove);
      window.removeEventListener('mouseup', onAxisUp);
      el.removeEventListener('mousemove', onMove);
      el.removeEventListener('mouseleave', onLeave);
      box.removeEventListener('keydown', onKey);
      box.removeEventListener('scroll', onScroll);
      sel.on('.zoom', null);
    };
  }, [store]);

  return (
    <div
      className="timeline"
      ref={wrap}
      tabIndex={0}
      role="group"
      aria-label="Timeline. W or Up zooms in, S or Down zooms out, A or Left pans left, D or Right pans right; click a mark for its details, click or drag on the time axis to move the cursor."
      data-testid="timeline"
    >
      <div className="lanes-spacer" style={{ height }}>
        <canvas ref={canvas} height={viewportH} role="img" aria-label="Timeline of the live update: kernels, LUO and KHO, pCPUs, vCPUs with their exits, Caretakers, trace rings and invariants" />
      </div>
      {tip && (
        <div className="tip" style={{ left: tip.x + 12, top: tip.y + 12 }} role="tooltip">
          {tip.text}
        </div>
      )}
    </div>
  );
}
