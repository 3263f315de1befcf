// `npm run build` makes a dist/ that any static web server can host under any sub-path:
// served here by a minimal Node server at /team/caretaker-lab/, the lab loads, runs its Worker
// and draws, with no failed request.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { expect, test } from '@playwright/test';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
  '.png': 'image/png',
};
const PREFIX = '/team/caretaker-lab/';
let server: Server;
let port = 0;

test.beforeAll(async () => {
  const root = join(process.cwd(), 'dist');
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(PREFIX)) {
      res.writeHead(404).end();
      return;
    }
    const rel = normalize(url.pathname.slice(PREFIX.length) || 'index.html').replace(/^(\.\.[/\\])+/, '');
    try {
      const body = await readFile(join(root, rel));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
test.afterAll(() => new Promise<void>((r) => server.close(() => r())));

test('dist/ works from a static server under a sub-path', async ({ page }) => {
  const problems: string[] = [];
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`http://127.0.0.1:${port}${PREFIX}#p=classic-baseline`);
  await page.evaluate(() => window.caretakerLab!.ready());
  await expect(page.getByTestId('title')).toHaveText('Classic live update (no Caretaker)');
  await expect(page.getByTestId('m-blackout-vm0')).toHaveText('8.69s');
  expect(await page.evaluate(() => window.__timelineStats!.frames)).toBeGreaterThan(0);
  expect(problems).toEqual([]);
});
