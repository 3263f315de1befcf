/// <reference lib="webworker" />
/** The Web Worker that hosts the engine for the browser. */
import { SimHost } from './host.ts';
import type { SimRequest } from './protocol.ts';

const host = new SimHost();
self.addEventListener('message', (ev: MessageEvent<{ id: number; req: SimRequest }>) => {
  const { id, req } = ev.data;
  self.postMessage({ id, res: host.handle(req) });
});
