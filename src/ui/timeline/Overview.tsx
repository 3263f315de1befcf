/**
 * The overview strip: the whole run at a glance — exits per pixel over every vCPU (stalls in
 * red), the phases, the cursor — with the timeline's visible window outlined. Clicking or
 * dragging moves the window there, keeping its width. The density image is cached and redrawn
 * only when the log grows.
 */
import { useEffect, useRef } from 'react';
import type { LabStore } from '../../store/lab.ts';
import { GUTTER } from './lanes.ts';
import { font } from './render.ts';

const H = 34;

export function Overview({ store }: { store: LabStore }) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const el = canvas.current!;
    const ctx = el.getContext('2d')!;
    const cache = document.createElement('canvas');
    let cacheKey = '';
    let frame = 0;
    const width = () => el.parentElement!.clientWidth;
    const xOf = (t: number, w: number, until: number) => GUTTER + (t / until) * (w - GUTTER);

    const drawDensity = (w: number) => {
      const s = store.getState();
      const dpr = window.devicePixelRatio || 1;
      cache.width = Math.round(w * dpr);
      cache.height = Math.round(H * dpr);
      const c = cache.getContext('2d')!;
      c.setTransform(dpr, 0, 0, dpr, 0, 0);
      c.fillStyle = '#f7f7f5';
      c.fillRect(0, 0, w, H);
      c.fillStyle = '#6b727b';
      c.font = font('10px system-ui, sans-serif');
      c.fillText('whole run', 8, 14);
      c.fillText('exits / stalls', 8, 27);
      const cols = Math.max(1, Math.floor(w - GUTTER));
      const per = s.until / cols;
      const totals = new Float64Array(cols);
      const stalls = new Uint8Array(cols);
      let max = 1;
      for (const tr of s.data.exits.values()) {
        let lo = 0;
        for (let col = 0; col < cols && lo < tr.n; col++) {
          const hi = tr.lower((col + 1) * per);
          totals[col] += hi - lo;
          if (tr.cum[2][hi] - tr.cum[2][lo]) stalls[col] = 1;
          lo = hi;
        }
      }
      for (let col = 0; col < cols; col++) max = Math.max(max, totals[col]);
      const scale = Math.log1p(max);
      c.fillStyle = '#7aa6c2';
      for (let col = 0; col < cols; col++) {
        if (!totals[col]) continue;
        const h = Math.max(1, (Math.log1p(totals[col]) / scale) * (H - 8));
        c.fillRect(GUTTER + col, H - 2 - h, 1, h);
      }
      c.fillStyle = '#d62728';
      for (let col = 0; col < cols; col++) if (stalls[col]) c.fillRect(GUTTER + col, 2, 1, 5);
      c.strokeStyle = 'rgba(40, 40, 40, 0.6)';
      for (const p of s.data.phases) {
        const x = Math.round(xOf(p.t, w, s.until)) + 0.5;
        c.beginPath();
        c.moveTo(x, 0);
        c.lineTo(x, H);
        c.stroke();
      }
    };

    const draw = () => {
      frame = 0;
      const s = store.getState();
      const w = width();
      const dpr = window.devicePixelRatio || 1;
      if (el.width !== Math.round(w * dpr)) {
        el.width = Math.round(w * dpr);
        el.height = Math.round(H * dpr);
        el.style.width = `${w}px`;
        el.style.height = `${H}px`;
      }
      const key = `${s.dataVersion}:${w}:${s.until}`;
      if (key !== cacheKey) {
        drawDensity(w);
        cacheKey = key;
      }
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(cache, 0, 0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const x0 = xOf(s.view.t0, w, s.until);
      const x1 = Math.max(x0 + 2, xOf(s.view.t1, w, s.until));
      ctx.fillStyle = 'rgba(11, 99, 197, 0.12)';
      ctx.fillRect(x0, 0, x1 - x0, H);
      ctx.strokeStyle = '#0b63c5';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 + 0.5, 0.75, x1 - x0 - 1, H - 1.5);
      const xc = xOf(s.cursor, w, s.until);
      ctx.fillStyle = '#c0392b';
      ctx.fillRect(Math.round(xc) - 0.5, 0, 1.5, H);
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    const unsub = store.subscribe((s, p) => {
      if (s.view !== p.view || s.dataVersion !== p.dataVersion || s.cursor !== p.cursor || s.until !== p.until) schedule();
    });
    const ro = new ResizeObserver(schedule);
    ro.observe(el.parentElement!);
    schedule();

    let dragging = false;
    const moveTo = (ev: MouseEvent) => {
      const s = store.getState();
      const r = el.getBoundingClientRect();
      const w = width();
      const t = ((ev.clientX - r.left - GUTTER) / (w - GUTTER)) * s.until;
      const span = s.view.t1 - s.view.t0;
      const t0 = Math.max(0, Math.min(s.until - span, t - span / 2));
      s.setView(t0, t0 + span);
    };
    const down = (ev: MouseEvent) => {
      if (ev.button) return;
      dragging = true;
      moveTo(ev);
    };
    const move = (ev: MouseEvent) => dragging && moveTo(ev);
    const up = () => (dragging = false);
    el.addEventListener('mousedown', down);
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
    return () => {
      unsub();
      ro.disconnect();
      cancelAnimationFrame(frame);
      el.removeEventListener('mousedown', down);
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
  }, [store]);

  return (
    <div className="overview">
      <canvas ref={canvas} role="img" aria-label="Overview of the whole run: exit density, stalls and phases, with the visible window outlined; click to move the window" data-testid="overview" />
    </div>
  );
}
