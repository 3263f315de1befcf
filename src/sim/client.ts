/**
 * SimClient: the one interface through which the UI reaches the engine. Two transports: in
 * process (Node, tests) and a Web Worker (the browser, so the main thread only draws).
 */
import type { Ns } from '../base/time.ts';
import type { RunReport } from '../model/report.ts';
import type { SimSnapshot } from '../model/snapshot.ts';
import { SimHost } from './host.ts';
import type { LoadResult, SimRequest, SimResponse } from './protocol.ts';

export interface SimClient {
  load(scenario: unknown): Promise<LoadResult>;
  runUntil(t: Ns): Promise<SimSnapshot>;
  seek(t: Ns): Promise<SimSnapshot>;
  step(): Promise<SimSnapshot>;
  snapshot(): Promise<SimSnapshot>;
  report(): Promise<RunReport>;
  dispose(): void;
}

type Send = (req: SimRequest) => Promise<SimResponse>;

function unwrap<T extends SimResponse['op']>(res: SimResponse, op: T): Extract<SimResponse, { op: T }> {
  if (res.op === 'error') throw new Error(res.message);
  if (res.op !== op) throw new Error(`expected a ${op} response, got ${res.op}`);
  return res as Extract<SimResponse, { op: T }>;
}

function clientOver(send: Send, dispose: () => void): SimClient {
  return {
    load: async (scenario) => unwrap(await send({ op: 'load', scenario }), 'load').result,
    runUntil: async (t) => unwrap(await send({ op: 'runUntil', t }), 'snapshot').snapshot,
    seek: async (t) => unwrap(await send({ op: 'seek', t }), 'snapshot').snapshot,
    step: async () => unwrap(await send({ op: 'step' }), 'snapshot').snapshot,
    snapshot: async () => unwrap(await send({ op: 'snapshot' }), 'snapshot').snapshot,
    report: async () => unwrap(await send({ op: 'report' }), 'report').report,
    dispose,
  };
}

/** The engine in the same thread. */
export function inProcessClient(): SimClient {
  const host = new SimHost();
  return clientOver(async (req) => host.handle(req), () => {});
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
