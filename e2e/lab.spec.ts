// The lab in a real browser: it opens on the default scenario showing the whole cycle, its Worker
// run equals the Node run, and the transport, timeline, details and metrics work by mouse and
// by keyboard, with no errors logged.
import { expect, test, type Page } from '@playwright/test';
import { PRESETS, presetById } from '../src/model/presets.ts';
import { DESIGNS, parseScenario } from '../src/model/scenario.ts';
import { Simulation } from '../src/sim/simulation.ts';

function nodeReport(id: string) {
  const r = parseScenario(presetById(id)!.scenario);
  if (!r.ok) throw new Error('invalid preset');
  const sim = new Simulation(r.scenario);
  sim.runUntil(r.scenario.until);
  return sim.report();
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (!/^(http:\/\/127\.0\.0\.1[:/]|data:|blob:)/.test(r.url())) errors.push(`external request: ${r.url()}`);
  });
  return errors;
}

async function open(page: Page) {
  const errors = watchErrors(page);
  await page.goto('./');
  await page.evaluate(() => window.caretakerLab!.ready());
  return errors;
}

const cursor = (page: Page) => page.evaluate(() => window.caretakerLab!.cursor());

test('opens on the default scenario with the whole cycle drawn, and the Node run', async ({ page }) => {
  const errors = await open(page);
  await expect(page.getByTestId('title')).toHaveText('Converged Caretaker, idle guest');
  // every preset is in the menu, grouped by the design that runs it
  const menu = page.getByTestId('preset');
  await expect(menu.locator('option')).toHaveCount(PRESETS.length);
  await expect(menu.locator('optgroup')).toHaveCount(DESIGNS.length);
  await expect(menu.locator('optgroup[label="The prototype as built (rfcv1)"] option')).toHaveCount(PRESETS.filter((p) => p.scenario.design === 'rfcv1').length);
  expect(await page.evaluate(() => window.caretakerLab!.view())).toEqual({ t0: 0, t1: 12e9 });
  expect(await cursor(page)).toBe(12e9);
  const stats = await page.evaluate(() => ({ frames: window.__timelineStats!.frames, arrows: window.__timelineStats!.arrows }));
  expect(stats.frames).toBeGreaterThan(0);
  expect(stats.arrows).toBeGreaterThan(10); // detach, INIT/SIPI, stop, attach
  expect(await page.evaluate(() => window.caretakerLab!.report())).toEqual(nodeReport('converged-idle'));
  await page.screenshot({ path: 'test-results/lab-default.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('play advances the cursor, pause stops it; speed changes the pace', async ({ page }) => {
  const errors = await open(page);
  await page.getByRole('button', { name: 'Go to start' }).click();
  await expect.poll(() => cursor(page)).toBe(0);
  await page.getByLabel('Playback speed').selectOption('0.1');
  await page.getByRole('button', { name: 'Play' }).click();
  await expect.poll(() => cursor(page)).toBeGreaterThan(5e6);
  await page.getByRole('button', { name: 'Pause' }).click();
  const stopped = await cursor(page);
  await page.waitForTimeout(300);
  expect(await cursor(page)).toBe(stopped);
  expect(stopped).toBeLessThan(1e9); // 0.1× for well under 10 s of wall time
  expect(errors).toEqual([]);
});

test('steps to the next phase and the next event, and seeks back with the engine re-running', async ({ page }) => {
  const errors = await open(page);
  await page.getByRole('button', { name: 'Go to start' }).click();
  await page.getByRole('button', { name: 'Next phase' }).click();
  await expect.poll(() => cursor(page)).toBe(1e9); // preserve
  await page.getByRole('button', { name: 'Next phase' }).click();
  await expect.poll(() => cursor(page)).toBe(1.55e9); // kexec
  await expect(page.getByTestId('cursor')).toHaveText('1.550000 s');
  const before = await cursor(page);
  await page.getByRole('button', { name: 'Step to the next event' }).click();
  await expect.poll(() => cursor(page)).toBeGreaterThan(before);
  // seek back to the middle of the gap: the metrics are those of that instant
  await page.evaluate(() => window.caretakerLab!.seek(5e9));
  await expect(page.getByTestId('metrics')).toContainText('Metrics at 5.000000 s');
  await expect(page.getByTestId('metrics')).toContainText('in-progress');
  await expect(page.getByTestId('state-now')).toHaveText('vm0/vCPU0 is ORPHANED_RUNNING at the cursor');
  await page.getByRole('button', { name: 'Previous phase' }).click();
  await expect.poll(() => cursor(page)).toBe(1.55e9);
  expect(errors).toEqual([]);
});

test('zooms into the INIT/SIPI of CPU 2 and explains it; clicks an attach IPI', async ({ page }) => {
  const errors = await open(page);
  await page.evaluate(() => window.caretakerLab!.setView(1.204990e9, 1.205070e9));
  await expect.poll(() => page.evaluate(() => window.__timelineStats!.arrows)).toBeGreaterThan(0);
  // the INIT/SIPI leaves CPU 0 at 1.205006 and reaches CPU 2 40 µs later: click its middle
  const box = (await page.locator('[data-testid=timeline] canvas').boundingBox())!;
  const mid = await page.evaluate(() => {
    const s = window.__timelineStats!;
    return { x: (s.x(1.205006e9) + s.x(1.205046e9)) / 2, y: (s.laneY('pcpu:0') + s.laneY('pcpu:2')) / 2 };
  });
  await page.mouse.click(box.x + mid.x, box.y + mid.y);
  await expect(page.getByTestId('details-title')).toHaveText('INIT/SIPI: CPU 0 → CPU 2');
  await expect(page.getByTestId('details')).toContainText('latency40µs');
  await expect(page.getByTestId('details')).toContainText('Concept: Detaching a vCPU');
  // the attach IPI to CPU 3 in the new kernel
  await page.evaluate(() => window.caretakerLab!.setView(9.6910e9, 9.6911e9));
  await expect.poll(() => page.evaluate(() => window.__timelineStats!.arrows)).toBeGreaterThan(0);
  const a = await page.evaluate(() => {
    const s = window.__timelineStats!;
    return { x: (s.x(9.691056e9) + s.x(9.691057e9)) / 2, y: (s.laneY('pcpu:0') + s.laneY('pcpu:3')) / 2 };
  });
  await page.mouse.click(box.x + a.x, box.y + a.y);
  await expect(page.getByTestId('details-title')).toHaveText('attach IPI: CPU 0 → CPU 3');
  await expect(page.getByTestId('details')).toContainText('latency1µs');
  expect(errors).toEqual([]);
});

test('reads the metrics: converged blackout beside the classic one', async ({ page }) => {
  const errors = await open(page);
  await expect(page.getByTestId('m-blackout-vm0')).toHaveText('1.06ms');
  await expect(page.getByTestId('m-classic-vm0')).toHaveText('8.69s');
  await expect(page.getByTestId('m-invariants')).toContainText('0 violated');
  await page.getByTestId('preset').selectOption('wedged-cpu');
  await expect(page.getByTestId('title')).toHaveText('Wedged pCPU');
  await expect(page.getByTestId('metrics')).toContainText('vm-terminated');
  await expect(page.getByTestId('m-blackout-vm0')).toContainText('(terminated)');
  expect(errors).toEqual([]);
});

test('works by keyboard alone', async ({ page }) => {
  const errors = await open(page);
  await page.keyboard.press('Home');
  await expect.poll(() => cursor(page)).toBe(0);
  await page.keyboard.press('BracketRight');
  await expect.poll(() => cursor(page)).toBe(1e9);
  await page.keyboard.press('Period');
  await expect.poll(() => cursor(page)).toBeGreaterThan(1e9);
  await page.keyboard.press('Equal'); // faster: 10×
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.caretakerLab!.cursor())).toBeGreaterThan(1.05e9);
  await page.keyboard.press('Space');
  // Tab reaches the transport and the timeline (past the header and the glossary terms of the
  // description, each a tab stop); the timeline zooms with W and pans with D
  let reached = false;
  for (let i = 0; i < 60 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'timeline');
  }
  expect(reached).toBe(true);
  const v0 = await page.evaluate(() => window.caretakerLab!.view());
  await page.keyboard.press('KeyW');
  const v1 = await page.evaluate(() => window.caretakerLab!.view());
  expect(v1.t1 - v1.t0).toBeLessThan(v0.t1 - v0.t0);
  await page.keyboard.press('KeyD');
  const v2 = await page.evaluate(() => window.caretakerLab!.view());
  expect(v2.t0).toBeGreaterThan(v1.t0);
  // every control has an accessible name
  for (const name of ['Play', 'Go to start', 'Previous phase', 'Step to the next event', 'Next phase', 'Go to end', 'Zoom to fit the whole run']) {
    await expect(page.getByRole('button', { name, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('slider', { name: 'Cursor' })).toBeVisible();
  // the events in view are listed in the DOM and can be selected by keyboard
  await page.getByText(/^Events in view:/).click();
  const item = page.getByTestId('event-list').getByRole('button').first();
  await item.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('details-title')).not.toBeEmpty();
  expect(errors).toEqual([]);
});

test('the overview strip shows the whole run and moves the view; the axis drags the cursor', async ({ page }) => {
  const errors = await open(page);
  await page.evaluate(() => window.caretakerLab!.setView(1e9, 2e9));
  const strip = (await page.getByTestId('overview').boundingBox())!;
  // click at 75 % of the strip's timeline part: the 1 s window centres near 0.75 × 12 s
  const x = strip.x + 168 + 0.75 * (strip.width - 168);
  await page.mouse.click(x, strip.y + strip.height / 2);
  const v = await page.evaluate(() => window.caretakerLab!.view());
  expect(v.t1 - v.t0).toBeCloseTo(1e9, -3);
  expect((v.t0 + v.t1) / 2).toBeGreaterThan(8.5e9);
  expect((v.t0 + v.t1) / 2).toBeLessThan(9.5e9);
  // drag along the time axis: the cursor follows
  const canvas = (await page.locator('[data-testid=timeline] canvas').boundingBox())!;
  await page.mouse.move(canvas.x + 200, canvas.y + 10);
  await page.mouse.down();
  await page.mouse.move(canvas.x + canvas.width / 2, canvas.y + 10, { steps: 5 });
  await page.mouse.up();
  const c = await cursor(page);
  expect(c).toBeGreaterThan(v.t0);
  expect(c).toBeLessThan(v.t1);
  expect(errors).toEqual([]);
});

test('a trace ring explains its producer, consumer and drops', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./#p=trace-ring-overflow');
  await page.evaluate(() => window.caretakerLab!.ready());
  const box = (await page.locator('[data-testid=timeline] canvas').boundingBox())!;
  const timeline = page.getByTestId('timeline');
  await timeline.evaluate((el) => (el.scrollTop = el.scrollHeight)); // the ring lanes are at the bottom
  const key = await page.evaluate(() => {
    const s = window.__timelineStats!;
    for (let i = 0; i < 100; i++) if (!Number.isNaN(s.laneY(`ring:${i}`))) return `ring:${i}`;
    return '';
  });
  const p = await page.evaluate((k) => ({ x: window.__timelineStats!.x(9e9), y: window.__timelineStats!.laneY(k) }), key);
  await page.mouse.click(box.x + p.x, box.y + p.y);
  await expect(page.getByTestId('details-title')).toHaveText(/^Trace ring of vm0\/vCPU0 at (8\.99|9\.00)\d+ s$/);
  await expect(page.getByTestId('details')).toContainText('capacity4096 records');
  await expect(page.getByTestId('details')).toContainText('Concept: Tracing in the gap');
  await expect(page.getByTestId('details')).toContainText(/dropped\d{4,}/);
  expect(errors).toEqual([]);
});

test('the prototype design (rfcv1) time-slices eight vCPUs on one oncore CPU, lane by lane', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./#p=rfcv1-8-on-1');
  await page.evaluate(() => window.caretakerLab!.ready());
  expect(await page.evaluate(() => window.caretakerLab!.report())).toEqual(nodeReport('rfcv1-8-on-1'));
  // one oncore job lane per vCPU, and the cb lane of the oncore CPU
  const jobs = await page.evaluate(() => {
    const s = window.__timelineStats!;
    let n = 0;
    for (let i = 0; i < 200; i++) if (!Number.isNaN(s.laneY(`job:${i}`))) n++;
    return n;
  });
  expect(jobs).toBe(8);
  await page.evaluate(() => window.caretakerLab!.setView(1.19e9, 1.26e9));
  await page.getByTestId('timeline').evaluate((el) => (el.scrollTop = el.scrollHeight)); // the job lanes are at the bottom
  const box = (await page.locator('[data-testid=timeline] canvas').boundingBox())!;
  const p = await page.evaluate(() => {
    const s = window.__timelineStats!;
    for (let i = 199; i >= 0; i--) {
      const y = s.laneY(`job:${i}`);
      if (!Number.isNaN(y)) return { x: s.x(1.23e9), y };
    }
    return { x: 0, y: 0 };
  });
  await page.mouse.click(box.x + p.x, box.y + p.y);
  await expect(page.getByTestId('details-title')).toHaveText(/^job vm0\/vCPU7: \w+ → \w+$/);
  await expect(page.getByTestId('details')).toContainText('RUNNABLE');
  await expect(page.getByTestId('details')).toContainText('Concept: The oncore scheduler (prototype)');
  await page.screenshot({ path: 'test-results/lab-rfcv1.png', fullPage: true });
  expect(errors).toEqual([]);
});
