/**
 * SimClient: the one interface through which the UI reaches the engine. Two transports: in
 * process (Node, tests: inProcess.ts, which brings the engine along) and a Web Worker (the
 * browser, so the main thread only draws and its bundle carries no engine).
 */
import type { Ns } from '../base/time.ts';
import type { RunReport } from '../model/report.ts';
import type { SimSnapshot } from '../model/snapshot.ts';
import type { Have, LoadResult, LogDelta, MachineGraph, SimRequest, SimResponse } from './protocol.ts';

export interface Advance {
  snapshot: SimSnapshot;
  /** Present when the request said what the caller already has. */
  delta?: LogDelta;
}

export interface SimClient {
  load(scenario: unknown): Promise<LoadResult>;
  runUntil(t: Ns, have?: Have): Promise<Advance>;
  seek(t: Ns, have?: Have): Promise<Advance>;
  step(have?: Have): Promise<Advance>;
  snapshot(): Promise<SimSnapshot>;
  /** The RunReport at the current instant, or of the whole run (under another design, or `whole`). */
  report(design?: string, whole?: boolean): Promise<RunReport>;
  /** The lifecycle machines as data (states, descriptions, edges). */
  machines(): Promise<MachineGraph[]>;
  /** The Chrome JSON trace of the whole run (docs/trace.md), as text. */
  trace(): Promise<{ json: string; events: number; capped: boolean }>;
  dispose(): void;
}

export type Send = (req: SimRequest) => Promise<SimResponse>;

function unwrap<T extends SimResponse['op']>(res: SimResponse, op: T): Extract<SimResponse, { op: T }> {
  if (res.op === 'error') throw new Error(res.message);
  if (res.op !== op) throw new Error(`expected a ${op} response, got ${res.op}`);
  return res as Extract<SimResponse, { op: T }>;
}

function advance(res: SimResponse): Advance {
  const r = unwrap(res, 'snapshot');
  return { snapshot: r.snapshot, delta: r.delta };
}

export function clientOver(send: Send, dispose: () => void): SimClient {
  return {
    load: async (scenario) => unwrap(await send({ op: 'load', scenario }), 'load').result,
    runUntil: async (t, have) => advance(await send({ op: 'runUntil', t, have })),
    seek: async (t, have) => advance(await send({ op: 'seek', t, have })),
    step: async (have) => advance(await send({ op: 'step', have })),
    snapshot: async () => unwrap(await send({ op: 'snapshot' }), 'snapshot').snapshot,
    report: async (design, whole) => unwrap(await send({ op: 'report', design, whole }), 'report').report,
    machines: async () => unwrap(await send({ op: 'machines' }), 'machines').machines,
    trace: async () => {
      const r = unwrap(await send({ op: 'trace' }), 'trace');
      return { json: r.json, events: r.events, capped: r.capped };
    },
    dispose,
  };
}

/** Minimal view of a Worker, so this module needs no DOM types. */
export interface WorkerLike {
  postMessage(msg: unknown): void;
  addEventListener(type: 'message', fn: (ev: { data: unknown }) => void): void;
  terminate(): void;
}

/** The engine in a Web Worker running src/sim/worker.ts; requests are answered in order. */
export function workerClient(worker: WorkerLike): SimClient {
  let next = 1;
  const pending = new Map<number, (res: SimResponse) => void>();
  worker.addEventListener('message', (ev) => {
    const { id, res } = ev.data as { id: number; res: SimResponse };
    const resolve = pending.get(id);
    pending.delete(id);
    resolve?.(res);
  });
  const send: Send = (req) =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      worker.postMessage({ id, req });
    });
  return clientOver(send, () => worker.terminate());
}
