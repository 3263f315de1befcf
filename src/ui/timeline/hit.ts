/** What is under the pointer on the timeline: the time axis, an IPI arrow, an exit, a state slice or a breach. */
import type { Selection } from '../../store/lab.ts';
import { AXIS_H, GUTTER, VCPU_ROWS, laneAt } from './lanes.ts';
import { ipiArrow, tOf, xOf, type RenderInput } from './render.ts';

export type Hit = Selection | { kind: 'axis'; t: number } | null;

export function hitTest(inp: RenderInput, x: number, y: number): Hit {
  const { data, lanes, view } = inp;
  if (x < GUTTER) return null;
  if (y < AXIS_H) return { kind: 'axis', t: tOf(view, x) };
  // IPI arrows first: they are thin and drawn on top
  let best = -1;
  let bestD = 5;
  for (const ipi of data.ipis.values()) {
    const a = ipiArrow(inp, ipi);
    if (!a) continue;
    const d = segmentDistance(x, y, a.x1, a.y1, a.x2, a.y2);
    if (d < bestD) {
      bestD = d;
      best = ipi.id;
    }
  }
  if (best >= 0) return { kind: 'ipi', id: best };
  const lane = laneAt(lanes, y);
  if (!lane) return null;
  const t = tOf(view, x);
  if (lane.kind === 'vcpu' && y >= lane.y + VCPU_ROWS.exits[0]) {
    const tr = data.exits.get(lane.vcpu);
    if (tr && tr.n) {
      const lo = tr.lower(tOf(view, x - 4));
      const hi = tr.lower(tOf(view, x + 4));
      let pick = -1;
      let dist = Infinity;
      for (let i = lo; i < hi; i++) {
        const dx = Math.abs(xOf(view, tr.t[i]) - x);
        if (dx < dist || (dx === dist && tr.disp[i] === 2)) {
          dist = dx;
          pick = i;
        }
      }
      if (pick >= 0) return { kind: 'record', index: tr.index[pick] };
    }
  }
  if (lane.kind === 'invariants') {
    for (const v of data.violations) if (Math.abs(xOf(view, v.t) - x) < 6) return { kind: 'record', index: v.index };
    return null;
  }
  if (lane.kind === 'ring') return { kind: 'ring', vcpu: lane.vcpu, t: Math.round(t) };
  // the state slice under the pointer: the transition that started it
  let index = -1;
  for (const ent of lane.ents) {
    for (const c of data.changes.get(ent) ?? []) {
      if (c.t > t) break;
      index = c.index;
    }
  }
  if (index >= 0) return { kind: 'record', index };
  const first = lane.ents.map((e) => data.byEntity.get(e)?.[0]).find((i) => i !== undefined);
  return first !== undefined ? { kind: 'record', index: first } : null;
}

function segmentDistance(px: number, py: number, x1: number, y1: number, x2: number, y2: number): number {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len2 = dx * dx + dy * dy;
  const u = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len2));
  return Math.hypot(px - (x1 + u * dx), py - (y1 + u * dy));
}
