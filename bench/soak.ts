// `npm run soak` (issue 7): the largest preset played at full speed in headless Chromium for
// several minutes (SOAK_MINUTES, default 3), restarting from t = 0 whenever it reaches the end,
// then ten restarts of the scenario. Reports the JS heap (after a forced GC) over time, long tasks
// and page errors, and checks the stated bound: the heap after the tenth restart is within 25% +
// 8 MB of the heap after the first. Exits non-zero on a page error or a broken bound.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const PORT = 4178;
const base = `http://127.0.0.1:${PORT}/`;
const PRESET = process.env.SOAK_PRESET ?? 'bench-64x20k';
const MINUTES = Number(process.env.SOAK_MINUTES ?? 3);
const RESTARTS = 10;
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { stdio: 'ignore', detached: true });
process.on('exit', () => {
  try {
    process.kill(-server.pid!);
  } catch {
    /* already gone */
  }
});
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(base)).ok) break;
  } catch {
    /* not yet */
  }
  await new Promise((r) => setTimeout(r, 100));
}

const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript(() => {
    const w = window as unknown as { __long: number[] };
    w.__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__long.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  // the V8 heap after a forced GC, plus ArrayBuffer backing stores (the log mirror's typed arrays
  // live there, outside the V8 heap proper)
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const u = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
    return u.usedSize + (u.backingStorageSize ?? 0);
  };
  await page.goto(`${base}#p=${PRESET}`);
  await page.evaluate(() => window.caretakerLab!.ready());
  const start = await heap();
  console.log(`soak: ${PRESET}, ${MINUTES} min at full speed (100×, the Worker as fast as it goes), then ${RESTARTS} restarts`);
  console.log(`heap at load                              ${mb(start).padStart(10)}`);
  await page.getByRole('combobox', { name: 'Playback speed' }).selectOption('100');
  const until = await page.evaluate(() => window.caretakerLab!.until());
  const end = Date.now() + MINUTES * 60_000;
  let laps = 0;
  let nextReport = Date.now() + 30_000;
  while (Date.now() < end) {
    // at 100× the playhead runs ahead of the Worker; a lap ends when the engine reaches the end
    const cursor = await page.evaluate(() => window.caretakerLab!.cursor());
    if (cursor >= until) {
      laps++;
      await page.evaluate(() => window.caretakerLab!.seek(0));
    }
    if ((await page.getByTestId('play').getAttribute('aria-pressed')) !== 'true') await page.getByTestId('play').click();
    if (Date.now() >= nextReport) {
      console.log(`after ${((MINUTES * 60_000 - (end - Date.now())) / 60_000).toFixed(1)} min: cursor ${(cursor / 1e9).toFixed(3)} s, laps ${laps}, heap ${mb(await heap())}`);
      nextReport += 30_000;
    }
    await page.waitForTimeout(500);
  }
  await page.evaluate(() => window.caretakerLab!.seek(0));
  const afterPlay = await heap();
  console.log(`heap after ${MINUTES} min of play (${laps} laps)  ${mb(afterPlay).padStart(10)}`);
  const restarts: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await page.evaluate((id) => window.caretakerLab!.loadPreset(id), PRESET);
    await page.evaluate(() => window.caretakerLab!.seek(2e9));
    restarts.push(await heap());
  }
  console.log(`heap after restart 1 / ${RESTARTS}                 ${mb(restarts[0]).padStart(10)} / ${mb(restarts[RESTARTS - 1])}`);
  const bound = restarts[0] * 1.25 + 8 * 1048576;
  const ok = restarts[RESTARTS - 1] <= bound;
  console.log(`bound: after ${RESTARTS} restarts ≤ 1.25 × after 1 + 8 MB = ${mb(bound)}: ${ok ? 'ok' : 'OVER'}`);
  const long = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
  const sorted = [...long].sort((a, b) => a - b);
  console.log(`long tasks (> 50 ms): ${long.length}, p95 ${sorted.length ? sorted[Math.floor(sorted.length * 0.95)].toFixed(0) : 0} ms, max ${sorted.length ? sorted[sorted.length - 1].toFixed(0) : 0} ms`);
  console.log(`page errors: ${errors.length}${errors.length ? `: ${errors.slice(0, 5).join(' | ')}` : ''}`);
  failed = !ok || errors.length > 0;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
