/// <reference lib="webworker" />
/** The Web Worker that hosts the engine for the browser; log deltas travel as transferables. */
import { SimHost } from './host.ts';
import type { SimRequest } from './protocol.ts';

const host = new SimHost();
self.addEventListener('message', (ev: MessageEvent<{ id: number; req: SimRequest }>) => {
  const { id, req } = ev.data;
  const res = host.handle(req);
  const transfer = res.op === 'snapshot' && res.delta ? [res.delta.t.buffer, res.delta.ks.buffer, res.delta.a.buffer, res.delta.b.buffer] : [];
  self.postMessage({ id, res }, { transfer });
});
