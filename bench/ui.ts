// The browser half of `npm run bench` (design.md §7): main bundle size; time from navigation to
// the first drawn timeline on `vite preview`; frame times and long tasks while the one-million-
// event preset is panned and zoomed by script for 5 s in headless Chromium; and whether a Worker
// keeps simulated time at 1× wall clock for 64 vCPUs × 20k exits/s. Figures, not tests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const PORT = 4179;
const base = `http://127.0.0.1:${PORT}/`;
const row = (name: string, value: string, budget: string, ok: boolean | null) =>
  console.log(`${name.padEnd(46)} ${value.padStart(18)}   budget ${budget.padEnd(18)} ${ok === null ? '' : ok ? 'ok' : 'OVER'}`);

const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const assets = readdirSync('dist/assets');
// the main bundle is every script the page loads before anything is clicked: the entry chunk and
// the chunks index.html preloads (lazy chunks — editor, lessons, concepts — are not counted)
const html = readFileSync('dist/index.html', 'utf8');
const initial = [...html.matchAll(/assets\/([^"]+\.js)/g)].map((m) => m[1]);
if (!initial.length) initial.push(assets.find((f) => /^index-.*\.js$/.test(f))!);
const mainGz = initial.reduce((n, f) => n + gzipSync(readFileSync(`dist/assets/${f}`)).length, 0);

const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { stdio: 'ignore', detached: true });
const stop = () => {
  try {
    process.kill(-server.pid!);
  } catch {
    /* already gone */
  }
};
process.on('exit', stop);

async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(base)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('vite preview did not start');
}

const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
await waitForServer();
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });

  // 1. time to the first drawn timeline (default scenario), best of three loads
  let firstDraw = Infinity;
  for (let i = 0; i < 3; i++) {
    await page.goto(base);
    const ms = await page.evaluate(async () => {
      await window.caretakerLab!.ready();
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      return window.__timelineStats!.frames > 0 ? performance.now() : NaN;
    });
    firstDraw = Math.min(firstDraw, ms);
  }

  // 2. the one-million-event run, panned and zoomed by script for 5 s
  await page.goto('about:blank');
  await page.goto(`${base}#p=scale-64-vcpus`);
  const events = await page.evaluate(async () => {
    await window.caretakerLab!.ready();
    return (await window.caretakerLab!.report()).engine.events;
  });
  const frames = await page.evaluate(
    () =>
      new Promise<{ deltas: number[]; longTasks: number; longest: number }>((resolve) => {
        const lab = window.caretakerLab!;
        const box = document.querySelector('[data-testid=timeline]') as HTMLElement;
        const until = 8e9;
        const deltas: number[] = [];
        let longTasks = 0;
        let longest = 0;
        const po = new PerformanceObserver((l) => {
          for (const e of l.getEntries()) {
            longTasks++;
            longest = Math.max(longest, e.duration);
          }
        });
        po.observe({ type: 'longtask', buffered: false });
        const start = performance.now();
        let last = start;
        const tick = (now: number) => {
          const el = now - start;
          if (now !== last) deltas.push(now - last);
          last = now;
          // zoom from the whole run to a 10 µs window and back, panning across it
          const phase = (el % 2500) / 2500;
          const zoom = phase < 0.5 ? phase * 2 : 2 - phase * 2;
          const span = until * Math.pow(1e-6, zoom);
          const centre = until * (0.1 + 0.8 * ((el / 5000) % 1));
          const t0 = Math.max(0, Math.min(until - span, centre - span / 2));
          lab.setView(t0, t0 + span);
          // and scroll through every lane group, so vCPU exits, rings and pCPUs are all drawn
          box.scrollTop = ((el % 1250) / 1250) * (box.scrollHeight - box.clientHeight);
          if (el < 5000) requestAnimationFrame(tick);
          else {
            po.disconnect();
            resolve({ deltas, longTasks, longest });
          }
        };
        requestAnimationFrame(tick);
      }),
  );
  const d = [...frames.deltas].sort((a, b) => a - b);
  const q = (p: number) => d[Math.min(d.length - 1, Math.floor(p * d.length))];
  const draw = await page.evaluate(() => {
    const s = [...window.__timelineStats!.drawMs].sort((a, b) => a - b);
    return { p95: s[Math.floor(0.95 * s.length)], max: s[s.length - 1] };
  });

  // 3. can a Worker keep 1× real time for 64 vCPUs × 20k exits/s?
  const rt = await page.evaluate(() => window.caretakerLab!.measureRealtime('bench-64x20k', 2, 16));

  console.log(`ui bench: headless Chromium, ${d.length} frames over 5 s of scripted pan and zoom on ${events.toLocaleString('en')} events`);
  row('main bundle (gzip)', `${(mainGz / 1024).toFixed(1)} KB`, '≤ 150 KB', mainGz <= 150 * 1024);
  row('default scenario drawn after navigation', `${firstDraw.toFixed(0)} ms`, '≤ 1000 ms', firstDraw <= 1000);
  row('frame interval p50', `${q(0.5).toFixed(1)} ms`, '—', null);
  row('frame interval p95', `${q(0.95).toFixed(1)} ms`, '≤ 16.7 ms', Number(q(0.95).toFixed(1)) <= 16.7);
  row('frame interval max', `${d[d.length - 1].toFixed(1)} ms`, '—', null);
  row('long tasks (> 50 ms) while panning', `${frames.longTasks} (longest ${frames.longest.toFixed(0)} ms)`, 'none', frames.longTasks === 0);
  row('timeline draw time p95 / max', `${draw.p95.toFixed(1)} / ${draw.max.toFixed(1)} ms`, '—', null);
  row('Worker: simulated s per wall s, 64×20k/s', `${rt.simPerWall.toFixed(2)}×`, '≥ 1× real time', rt.simPerWall >= 1);
  row('Worker: slowest 16 ms step', `${rt.maxStepWallMs.toFixed(1)} ms`, '—', null);
} finally {
  await browser.close();
  stop();
}
