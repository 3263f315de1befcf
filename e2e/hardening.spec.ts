// Hardening in the browser (issue 7): the built page runs under a strict Content-Security-Policy
// with Monaco, the Worker, the lessons and the embed all working and no violation reported; 100
// generated scenarios give the same event log hash in the browser's Worker as in Node; axe finds
// no serious or critical accessibility violation on the main views, the editor, a lesson and embed
// mode; a panel that fails shows its error in its place and the rest of the lab keeps working.
import AxeBuilder from '@axe-core/playwright';
import fc from 'fast-check';
import { expect, test, type Page } from '@playwright/test';
import { PRESETS } from '../src/model/presets.ts';
import { DESIGNS, parseScenario } from '../src/model/scenario.ts';
import { Simulation } from '../src/sim/simulation.ts';

/** Records CSP violations (the document's event) and the console's CSP and error messages. */
async function watch(page: Page) {
  const problems: string[] = [];
  await page.addInitScript(() => {
    (window as unknown as { __csp: string[] }).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const violations = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  return { problems, violations };
}

test('the built lab runs under a strict CSP: Worker, Monaco, lessons and embed, with no violation', async ({ page }) => {
  test.setTimeout(120_000);
  const w = await watch(page);
  const res = await page.goto('./');
  const html = await res!.text();
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script in the page
  // the Worker computes the run
  await expect(page.getByTestId('status')).toHaveClass(/ready/);
  expect((await page.evaluate(() => window.caretakerLab!.report())).outcome).toBe('completed');
  // Monaco: its workers start and the JSON schema answers a hover
  await page.getByTestId('edit').click();
  const editor = page.locator('.monaco-editor').first();
  await expect(editor).toBeVisible({ timeout: 30_000 });
  const key = page.locator('.monaco-editor .view-line', { hasText: '"cpus"' }).locator('span', { hasText: 'cpus' }).first();
  await expect
    .poll(
      async () => {
        await page.mouse.move(0, 0);
        await key.hover();
        return (await page.locator('.monaco-hover').first().textContent({ timeout: 2000 }).catch(() => '')) ?? '';
      },
      { timeout: 30_000 },
    )
    .toContain('number of pCPUs');
  // a lesson, its checkpoint's watch, and the concept pages
  await page.goto('./?lesson=detaching&step=1');
  await expect(page.getByTestId('lesson-title')).toBeVisible();
  await page.getByTestId('checkpoint').getByRole('radio').first().check();
  await page.getByTestId('watch').click();
  await expect(page.getByTestId('cp-result')).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('concepts-button').click();
  await page.getByTestId('concept-kexec').click();
  await expect(page.getByTestId('concept-page')).toBeVisible();
  // the embed
  await page.goto('./?embed=1&theme=projector&lesson=tracing');
  await expect(page.getByTestId('embed-lesson')).toBeVisible();
  expect(await w.violations()).toEqual([]);
  expect(w.problems).toEqual([]);
});

/** Scenarios generated from the presets: any design, seed, vCPU count, workload and end. */
const small = PRESETS.filter((p) => !/^(bench|scale)-/.test(p.id) && !/llama/.test(p.id));
const scenarioArb = fc
  .record({
    preset: fc.constantFrom(...small.map((p) => p.id)),
    design: fc.option(fc.constantFrom(...DESIGNS), { nil: undefined }),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    untilMs: fc.integer({ min: 2_000, max: 12_000 }),
    workload: fc.option(fc.constantFrom('idle', 'cpu-bound', 'ipi-heavy'), { nil: undefined }),
  })
  .map((g) => {
    const base = structuredClone(small.find((p) => p.id === g.preset)!.scenario) as Record<string, unknown>;
    base.seed = g.seed;
    base.until = `${g.untilMs}ms`;
    if (g.design) base.design = g.design;
    if (g.workload && Array.isArray(base.vms)) for (const vm of base.vms as Record<string, unknown>[]) vm.workload = g.workload;
    return base;
  });

test('100 generated scenarios give the same event log hash in the browser Worker as in Node', async ({ page }) => {
  test.setTimeout(240_000);
  const scenarios = fc.sample(scenarioArb, { seed: 20261126, numRuns: 100 });
  const node = scenarios.map((raw) => {
    const r = parseScenario(raw);
    if (!r.ok) return { ok: false as const, errors: r.errors.map((e) => `${e.path}: ${e.message}`) };
    const sim = new Simulation(r.scenario);
    sim.runUntil(r.scenario.until);
    const rep = sim.report();
    return { ok: true as const, hash: rep.engine.eventLogHash, events: rep.engine.events };
  });
  expect(node.filter((n) => n.ok).length).toBeGreaterThanOrEqual(90);
  await page.goto('./');
  await page.evaluate(() => window.caretakerLab!.ready());
  const browser = await page.evaluate(async (list) => {
    const out = [];
    for (const s of list) out.push(await window.caretakerLab!.hashOf(s));
    return out;
  }, scenarios);
  expect(browser).toEqual(node);
});

async function axe(page: Page, include?: string) {
  let b = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (include) b = b.include(include);
  const r = await b.analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

test('axe: no serious or critical violations on the main view, the editor, a lesson, the concepts and embed mode', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('./');
  await expect(page.getByTestId('status')).toHaveClass(/ready/);
  expect(await axe(page), 'main view').toEqual([]);
  await page.getByTestId('edit').click();
  await expect(page.locator('.monaco-editor').first()).toBeVisible({ timeout: 30_000 });
  expect(await axe(page), 'editor open').toEqual([]);
  await page.goto('./?lesson=cannot-help&step=2');
  await expect(page.getByTestId('lesson-title')).toBeVisible();
  expect(await axe(page), 'lesson').toEqual([]);
  await page.getByTestId('lessons').click();
  await page.getByTestId('concepts-button').click();
  await page.getByTestId('concept-stall').click();
  expect(await axe(page), 'course and concept page').toEqual([]);
  await page.goto('./?embed=1&theme=projector#p=converged-idle');
  await expect(page.getByTestId('title')).toBeVisible();
  await page.evaluate(() => window.caretakerLab!.ready());
  expect(await axe(page), 'embed').toEqual([]);
});

test('a panel that fails shows its error in its place; the rest of the lab keeps working', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('./');
  await expect(page.getByTestId('status')).toHaveClass(/ready/);
  await page.evaluate(() => window.caretakerLab!.injectPanelFailure('details'));
  await expect(page.getByTestId('panel-error-details')).toContainText('The details panel failed: a failure injected into the details panel');
  // the others still work: the transport moves the cursor, the timeline draws, the metrics follow
  await page.getByRole('button', { name: 'Go to start', exact: true }).click();
  await expect.poll(() => page.evaluate(() => window.caretakerLab!.cursor())).toBe(0);
  await page.getByRole('button', { name: 'Next phase', exact: true }).click();
  await expect.poll(() => page.evaluate(() => window.caretakerLab!.cursor())).toBe(1e9);
  await expect(page.getByTestId('timeline')).toBeVisible();
  const frames = await page.evaluate(() => window.__timelineStats!.frames);
  await page.evaluate(() => window.caretakerLab!.seek(2e9));
  await expect.poll(() => page.evaluate(() => window.__timelineStats!.frames)).toBeGreaterThan(frames);
  // the timeline can fail too, and the details panel, retried, comes back
  await page.evaluate(() => window.caretakerLab!.injectPanelFailure('timeline'));
  await expect(page.getByTestId('panel-error-timeline')).toBeVisible();
  await page.getByTestId('panel-error-details').getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('details')).toBeVisible();
  await page.getByTestId('panel-error-timeline').getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('timeline')).toBeVisible();
  await page.evaluate(() => window.caretakerLab!.seek(3e9));
  await expect.poll(() => page.evaluate(() => window.caretakerLab!.cursor())).toBe(3e9);
  expect(errors).toEqual([]);
});
