/**
 * Turns a log record or an IPI into an explanation: what happened, the machine transition it
 * belongs to, the kernel function or ioctl, its cost, and the concept behind it. Used by the
 * details panel and the accessible event list.
 */
import { formatInstant, formatNs } from '../base/time.ts';
import { DISP_NAMES, EXIT_KINDS, archExitName, type Arch } from '../model/exits.ts';
import { INVARIANT_TEXT } from '../model/invariants.ts';
import { L } from '../model/eventlog.ts';
import type { MachineGraph } from '../sim/protocol.ts';
import type { Selection } from '../store/lab.ts';
import type { TimelineData } from '../store/logMirror.ts';

/** The concept pages (src/lessons/concepts.ts) the details panel points to. */
export const DETAIL_CONCEPTS = ['detach', 'gap', 'stall', 'adoption', 'quarantine', 'classic', 'caretaker', 'kexec', 'cpu-preserved', 'async-run', 'design-v2', 'rfc-v0', 'oncore', 'cb-state', 'invariants', 'fastpath', 'init-sipi', 'known-state', 'tlb-shootdown', 'luo-kho', 'madvise', 'trace-ring'] as const;
export type ConceptKey = (typeof DETAIL_CONCEPTS)[number];

export interface Description {
  title: string;
  rows: [string, string][];
  /** Kernel functions, ioctls and messages logged at the same instant. */
  related: string[];
  concept: ConceptKey | null;
}

const HANDLED_BY: Record<string, string> = {
  'fastpath:gap': "the Caretaker, in place (the blueprint of vmx_exit_handlers_fastpath(): EXIT_FASTPATH_REENTER_GUEST)",
  'fastpath:attached': 'vmx_exit_handlers_fastpath() inside vcpu_enter_guest(): EXIT_FASTPATH_REENTER_GUEST',
  'host:gap': "KVM's exit handlers (a protocol IPI's forced exit)",
  'host:attached': "KVM's full exit path (kvm_vmx_exit_handlers[])",
  'userspace:attached': 'KVM_RUN returns to the VMM (KVM_EXIT_MMIO, KVM_EXIT_IO)',
  'stalled:gap': 'nobody yet: the Caretaker halts the pCPU with the exit pending; the adopting kernel handles it after KVM_RUN',
};

const IPI_PURPOSE_TEXT: Record<string, string> = {
  detach: 'force a VM exit so the Caretaker reaches a known state and the pCPU can be offlined (rfc-thread.md M10, M12)',
  attach: 'force a VM exit so the Caretaker serializes the vCPU and gives control to the adopting kernel (M6, M10, M12)',
  invalidate: 'force a VM exit and a flush before guest pages are freed (Paolo, M12)',
  stop: 'smp_send_stop(): halt this CPU before the kexec jump; preserved CPUs are not sent one',
  'init-sipi': 'INIT and two STARTUP IPIs: start the CPU at a given entry point',
  guest: "a guest IPI (TLB shootdown): the sender spins until this vCPU acknowledges",
};

function conceptOfState(machine: string | null, state: string): ConceptKey | null {
  switch (machine) {
    case 'vcpu':
      if (state === 'DETACHING') return 'detach';
      if (state === 'ORPHANED_RUNNING') return 'gap';
      if (state === 'ORPHANED_BLOCKED') return 'stall';
      if (state === 'QUARANTINED') return 'quarantine';
      if (state === 'ADOPTING' || state === 'ADOPTED') return 'adoption';
      if (state === 'SUSPENDED') return 'classic';
      return 'caretaker';
    case 'caretaker':
      return state === 'PARKED' || state === 'DETACHED' ? 'detach' : state === 'STOPPED' || state === 'REPLACED' ? 'adoption' : 'caretaker';
    case 'pcpu':
      return state === 'STOPPED' ? 'kexec' : 'detach';
    case 'cpuPreserved':
      return 'cpu-preserved';
    case 'vcpuAsync':
      return state === 'SUSPENDED' ? 'classic' : 'async-run';
    case 'vmmAsync':
      return 'async-run';
    case 'attachment':
      return 'design-v2';
    case 'ccb':
      return state === 'SPIN_WAIT' ? 'stall' : 'rfc-v0';
    case 'oncoreJob':
      return 'oncore';
    case 'cb':
      return state === 'STALLED' ? 'stall' : 'cb-state';
    case 'vcpuOncore':
      return state === 'STALLED' ? 'stall' : state === 'QUARANTINED' ? 'quarantine' : state === 'STOPPED' || state === 'STOPPING' ? 'adoption' : 'caretaker';
    case 'kernel':
      return 'kexec';
    case 'luoSession':
    case 'kho':
    case 'vmm':
      return 'luo-kho';
    default:
      return null;
  }
}

/** Records at the same instant that name a function or say something about it. */
function relatedAt(data: TimelineData, t: number, except: number): string[] {
  const out: string[] = [];
  let i = data.upper(t) - 1;
  while (i >= 0 && data.t[i] === t) i--;
  for (i++; i < data.length && data.t[i] === t && out.length < 12; i++) {
    if (i === except) continue;
    const k = data.kind(i);
    const who = data.entities[data.subject(i)]?.name ?? '?';
    if (k === L.OP) out.push(`${who}: ${data.str(data.a[i])}${data.str(data.b[i]) ? ` — ${data.str(data.b[i])}` : ''}`);
    else if (k === L.MESSAGE && !data.str(data.a[i]).startsWith('created ')) out.push(`${who}: ${data.str(data.a[i])}`);
  }
  return out;
}

export function describeRecord(data: TimelineData, index: number, machines: MachineGraph[], arch: Arch = 'intel-vmx'): Description {
  const t = data.t[index];
  const kind = data.kind(index);
  const subject = data.subject(index);
  const ent = data.entities[subject];
  const name = ent?.name ?? `#${subject}`;
  const a = data.a[index];
  const b = data.b[index];
  const at: [string, string] = ['at', `${formatInstant(t)} s`];
  switch (kind) {
    case L.EXIT: {
      const k = a & 0xff;
      const d = DISP_NAMES[(a >>> 8) & 0xf];
      const gap = (a & (1 << 12)) !== 0;
      const info = EXIT_KINDS[k];
      return {
        title: `${info.id} exit on ${name}`,
        rows: [
          at,
          ['disposition', d],
          ['where', gap ? 'detached, under its Caretaker (the gap)' : 'attached to a live KVM'],
          ['handled by', HANDLED_BY[`${d}:${gap ? 'gap' : 'attached'}`] ?? d],
          ['cost', d === 'stalled' ? `${formatNs(b)} world switch, then blocked until adoption` : formatNs(b)],
          ['the guest', info.meaning],
          ['on this host', archExitName(k, arch) ?? 'does not exist on this architecture'],
        ],
        related: [],
        concept: d === 'stalled' ? 'stall' : gap ? 'gap' : 'caretaker',
      };
    }
    case L.TRANSITION: {
      const from = data.str(b >>> 16);
      const to = data.str(b & 0xffff);
      const ev = data.str(a);
      const m = machines.find((x) => x.id === ent?.machine);
      const desc = m?.states.find((s) => s.name === to)?.description ?? '';
      return {
        title: `${name}: ${from} → ${to}`,
        rows: [at, ['machine', `${ent?.machine ?? '?'} (src/machines)`], ['event', ev], ['now', desc]],
        related: relatedAt(data, t, index),
        concept: conceptOfState(ent?.machine ?? null, to),
      };
    }
    case L.INVARIANT:
      return {
        title: `Invariant ${a} broken`,
        rows: [at, ['rule', INVARIANT_TEXT[a] ?? ''], ['what', data.str(b)]],
        related: relatedAt(data, t, index),
        concept: 'invariants',
      };
    case L.OP:
      return { title: `${name}: ${data.str(a)}`, rows: [at, ['detail', data.str(b)]], related: relatedAt(data, t, index), concept: conceptOfState(ent?.machine ?? null, '') };
    case L.PHASE:
      return { title: `Phase: ${data.str(b)}`, rows: [at], related: relatedAt(data, t, index), concept: 'kexec' };
    default:
      return { title: `${name}`, rows: [at, ['record', `${data.str(a)} ${data.str(b)}`.trim()]], related: relatedAt(data, t, index), concept: null };
  }
}

export function describeIpi(data: TimelineData, id: number): Description {
  const ipi = data.ipis.get(id);
  if (!ipi) return { title: 'IPI', rows: [], related: [], concept: null };
  const rows: [string, string][] = [
    ['sent', `${formatInstant(ipi.sendT)} s from CPU ${ipi.from}`],
    [ipi.status === 'lost' ? 'lost' : ipi.status === 'delivered' ? 'arrived' : 'in flight', Number.isNaN(ipi.arriveT) ? '—' : `${formatInstant(ipi.arriveT)} s at CPU ${ipi.to}`],
  ];
  if (!Number.isNaN(ipi.arriveT)) rows.push(['latency', formatNs(ipi.arriveT - ipi.sendT)]);
  rows.push(['the receiver must', IPI_PURPOSE_TEXT[ipi.purpose] ?? ipi.purpose]);
  if (ipi.status === 'lost') rows.push(['then', 'counted lost (invariant 6); the waiting host re-kicks after 1 ms']);
  const concept: ConceptKey = ipi.purpose === 'detach' || ipi.purpose === 'init-sipi' ? 'detach' : ipi.purpose === 'attach' ? 'adoption' : ipi.purpose === 'invalidate' ? 'madvise' : ipi.purpose === 'stop' ? 'kexec' : 'stall';
  return {
    title: `${ipi.purpose === 'init-sipi' ? 'INIT/SIPI' : `${ipi.purpose} IPI`}: CPU ${ipi.from} → CPU ${ipi.to}`,
    rows,
    related: relatedAt(data, ipi.sendT, ipi.sendIndex),
    concept,
  };
}

/** A vCPU's trace ring at an instant: what the Caretaker wrote, what a kernel read, what was lost. */
export function describeRing(data: TimelineData, vcpu: number, t: number, capacity: number): Description {
  const name = data.entities[vcpu]?.name ?? '?';
  const tr = data.exits.get(vcpu);
  const drains = (data.drains.get(vcpu) ?? []).filter((d) => d.t <= t);
  const upTo = tr ? tr.lower(t + 1) : 0;
  const produced = tr ? tr.gapCum[upTo] : 0;
  const last = drains[drains.length - 1];
  const sinceDrain = tr ? produced - tr.gapCum[last ? tr.lower(last.t + 1) : 0] : 0;
  const consumed = drains.reduce((a, d) => a + d.consumed, 0);
  const dropped = drains.reduce((a, d) => a + d.dropped, 0) + Math.max(0, sinceDrain - capacity);
  return {
    title: `Trace ring of ${name} at ${formatInstant(t)} s`,
    rows: [
      ['capacity', `${capacity} records, in KHO-preserved memory`],
      ['producer', `the Caretaker: ${produced} records written in the gap so far (one per gap exit)`],
      ['consumer', drains.length ? `${consumed} read by the adopting kernel at ${drains.map((d) => `${formatInstant(d.t)} s`).join(', ')}` : 'none yet: the new kernel reads the ring after adoption'],
      ['fill', `${Math.min(capacity, sinceDrain)} of ${capacity}`],
      ['dropped', `${dropped} (a full ring overwrites its oldest records)`],
    ],
    related: [],
    concept: 'trace-ring',
  };
}

export function describe(data: TimelineData, sel: Selection, machines: MachineGraph[], arch?: Arch, ringCapacity = 32768): Description {
  if (sel.kind === 'ring') return describeRing(data, sel.vcpu, sel.t, ringCapacity);
  return sel.kind === 'ipi' ? describeIpi(data, sel.id) : describeRecord(data, sel.index, machines, arch);
}
