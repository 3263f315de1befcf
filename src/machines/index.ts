/**
 * The registry of lifecycle machines and the engine's one way to move them: `nextState()` asks a
 * machine whether an event is accepted in a state and where it leads, memoized per
 * (machine, state, event) because the machines carry no context.
 */
import { getNextSnapshot, type AnyStateMachine } from 'xstate';
import { kernelMachine } from './kernel.ts';
import { khoMachine, luoSessionMachine } from './luo.ts';
import { caretakerMachine } from './caretaker.ts';
import { vcpuMachine } from './vcpu.ts';
import { pcpuMachine } from './pcpu.ts';
import { vmmMachine } from './vmm.ts';
import { ccbMachine } from './ccb.ts';
import { attachmentMachine } from './attachment.ts';
import { vcpuAsyncMachine, vmmAsyncMachine } from './async.ts';
import { cbMachine, cpuPreservedMachine, oncoreJobMachine, vcpuOncoreMachine } from './oncore.ts';

export const MACHINES = {
  kernel: kernelMachine,
  luoSession: luoSessionMachine,
  kho: khoMachine,
  caretaker: caretakerMachine,
  vcpu: vcpuMachine,
  pcpu: pcpuMachine,
  vmm: vmmMachine,
  cb: cbMachine,
  cpuPreserved: cpuPreservedMachine,
  oncoreJob: oncoreJobMachine,
  vcpuOncore: vcpuOncoreMachine,
  ccb: ccbMachine,
  attachment: attachmentMachine,
  vcpuAsync: vcpuAsyncMachine,
  vmmAsync: vmmAsyncMachine,
} as const satisfies Record<string, AnyStateMachine>;

export type MachineId = keyof typeof MACHINES;
export const MACHINE_IDS = Object.keys(MACHINES) as MachineId[];

const cache = new Map<string, string | null>();

/** The state `event` leads to from `state`, or null when the machine does not accept it there. */
export function nextState(machine: MachineId, state: string, event: string): string | null {
  const key = `${machine}\u0000${state}\u0000${event}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const m: AnyStateMachine = MACHINES[machine];
  const snap = m.resolveState({ value: state, context: {} });
  let out: string | null = null;
  if (snap.can({ type: event })) {
    const next = getNextSnapshot(m, snap, { type: event });
    out = String(next.value);
  }
  cache.set(key, out);
  return out;
}

export interface MachineEdge {
  machine: MachineId;
  from: string;
  event: string;
  to: string;
}

/** Every transition a machine declares, read from its definition. */
export function machineEdges(machine: MachineId): MachineEdge[] {
  const m: AnyStateMachine = MACHINES[machine];
  const out: MachineEdge[] = [];
  for (const [name, node] of Object.entries(m.states)) {
    for (const [event, transitions] of Object.entries(node.on)) {
      for (const t of transitions) {
        for (const target of t.target ?? []) out.push({ machine, from: name, event, to: target.key });
      }
    }
  }
  return out;
}

/** The states of a machine with their descriptions, for the state panel and docs. */
export function machineStates(machine: MachineId): { name: string; description: string; final: boolean }[] {
  const m: AnyStateMachine = MACHINES[machine];
  return Object.entries(m.states).map(([name, node]) => ({
    name,
    description: node.description ?? '',
    final: node.type === 'final',
  }));
}

export function initialState(machine: MachineId): string {
  const m: AnyStateMachine = MACHINES[machine];
  return String(m.config.initial);
}
