/** The engine in the same thread, behind the same SimClient interface (Node, tests, the CLI). */
import { clientOver, type SimClient } from './client.ts';
import { SimHost } from './host.ts';

export function inProcessClient(): SimClient {
  const host = new SimHost();
  return clientOver(async (req) => host.handle(req), () => {});
}
