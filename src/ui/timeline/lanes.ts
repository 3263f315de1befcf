/**
 * Which lanes the timeline shows, top to bottom, and where: kernels, LUO sessions and VMMs, KHO,
 * each pCPU, each vCPU (state, execution, exits by disposition), each Caretaker, each trace ring,
 * and invariants. Built from the entities in the log mirror.
 */
import type { TimelineData } from '../../store/logMirror.ts';
import type { SimSnapshot } from '../../model/snapshot.ts';

export type LaneKind = 'kernel' | 'session' | 'vmm' | 'kho' | 'pcpu' | 'vcpu' | 'caretaker' | 'job' | 'ring' | 'invariants';

export interface Lane {
  key: string;
  label: string;
  sub: string;
  kind: LaneKind;
  /** Entities whose states the lane draws, one after the other in time. */
  ents: number[];
  /** pCPU number (pcpu lanes) for IPI arrows. */
  cpu: number;
  /** The vCPU entity (vcpu and ring lanes). */
  vcpu: number;
  y: number;
  h: number;
  group: string;
}

export const AXIS_H = 24;
export const GUTTER = 168;
const GROUP_GAP = 8;

const HEIGHT: Record<LaneKind, number> = { kernel: 18, session: 14, vmm: 14, kho: 14, pcpu: 15, vcpu: 40, caretaker: 12, job: 12, ring: 16, invariants: 14 };

/** Rows inside a vCPU lane. */
export const VCPU_ROWS = { state: [0, 13], exec: [14, 17], exits: [19, 40] } as const;

export function buildLanes(data: TimelineData, snapshot: SimSnapshot | null): Lane[] {
  const lanes: Lane[] = [];
  const ents = data.entities;
  const of = (kind: string) => ents.map((e, i) => ({ e, i })).filter((x) => x.e.kind === kind);
  const add = (group: string, kind: LaneKind, key: string, label: string, sub: string, ids: number[], extra: Partial<Lane> = {}) =>
    lanes.push({ key, label, sub, kind, ents: ids, cpu: -1, vcpu: -1, y: 0, h: HEIGHT[kind], group, ...extra });

  add('Kernels', 'kernel', 'kernel', 'kernel', 'K → K′', of('kernel').map((x) => x.i));
  for (const s of of('session')) add('LUO and KHO', 'session', `session:${s.i}`, s.e.name.replace('LUO session ', 'LUO '), 'session', [s.i]);
  const vmms = of('vmm');
  for (const vm of of('vm')) {
    const ids = vmms.filter((x) => x.e.name === `VMM ${vm.e.name}` || x.e.name === `VMM′ ${vm.e.name}`).map((x) => x.i);
    add('LUO and KHO', 'vmm', `vmm:${vm.i}`, `VMM ${vm.e.name}`, 'old → new', ids);
  }
  for (const k of of('kho')) add('LUO and KHO', 'kho', 'kho', 'KHO', 'preserved memory', [k.i]);
  for (const p of of('pcpu')) {
    const cpu = Number(/\d+/.exec(p.e.name)?.[0] ?? -1);
    const info = snapshot?.pcpus.find((x) => x.id === cpu);
    add('pCPUs', 'pcpu', `pcpu:${cpu}`, p.e.name, info?.housekeeping ? 'housekeeping' : 'isolated', [p.i], { cpu });
  }
  const vcpus = of('vcpu');
  for (const v of vcpus) {
    const info = snapshot?.vcpus.find((x) => x.name === v.e.name);
    add('vCPUs', 'vcpu', `vcpu:${v.i}`, v.e.name, info ? `pinned to CPU ${info.pcpu}` : '', [v.i], { vcpu: v.i });
  }
  for (const c of of('caretaker')) add('Caretakers', 'caretaker', `ct:${c.i}`, c.e.name, c.e.machine === 'cb' ? 'cb->state' : c.e.machine === 'ccb' ? 'CCB flag' : c.e.machine === 'attachment' ? 'attachment_state' : 'Caretaker', [c.i]);
  for (const j of of('job')) add('oncore jobs', 'job', `job:${j.i}`, j.e.name.replace(/^job /, ''), 'oncore job', [j.i]);
  for (const v of vcpus) {
    const info = snapshot?.vcpus.find((x) => x.name === v.e.name);
    if (info?.ring) add('Trace rings', 'ring', `ring:${v.i}`, `${v.e.name}`, 'ring fill', [], { vcpu: v.i });
  }
  add('Invariants', 'invariants', 'invariants', 'invariants', 'design.md §6', []);

  let y = AXIS_H + 12;
  let group = '';
  for (const l of lanes) {
    if (l.group !== group) {
      if (group) y += GROUP_GAP;
      group = l.group;
    }
    l.y = y;
    y += l.h + 2;
  }
  return lanes;
}

export function lanesHeight(lanes: Lane[]): number {
  const last = lanes[lanes.length - 1];
  return last ? last.y + last.h + 6 : AXIS_H;
}

/** The lane at a y coordinate, or null. */
export function laneAt(lanes: Lane[], y: number): Lane | null {
  for (const l of lanes) if (y >= l.y - 1 && y <= l.y + l.h + 1) return l;
  return null;
}

/** The pcpu lane of a CPU number. */
export function cpuLane(lanes: Lane[], cpu: number): Lane | undefined {
  return lanes.find((l) => l.kind === 'pcpu' && l.cpu === cpu);
}

/** The key of the lane among `lanes` (buildLanes) that draws the entity named `name` ("ring <vCPU>" for its trace ring), or null. */
export function laneKeyOf(lanes: Lane[], data: TimelineData, name: string): string | null {
  const ring = /^ring (.+)$/.exec(name);
  const ent = data.entities.findIndex((e) => e.name === (ring ? ring[1] : name));
  if (ent < 0) return null;
  const lane = ring ? lanes.find((l) => l.kind === 'ring' && l.vcpu === ent) : lanes.find((l) => l.ents.includes(ent));
  return lane?.key ?? null;
}
