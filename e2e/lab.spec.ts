// The lab page in a real browser: it lists the presets, runs the default one in the Worker and
// shows its phases and report; the Worker's run is the Node run, hash for hash; nothing errors.
import { expect, test, type Page } from '@playwright/test';
import { presetById, PRESETS } from '../src/model/presets.ts';
import { parseScenario } from '../src/model/scenario.ts';
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

test('opens on the default preset and shows its phases and report', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await page.evaluate(() => window.caretakerLab!.ready());
  await expect(page.getByTestId('title')).toHaveText('Converged Caretaker, idle guest');
  await expect(page.getByRole('navigation', { name: 'Presets' }).getByRole('button')).toHaveCount(PRESETS.length);
  await expect(page.getByTestId('status')).toHaveText('outcome: completed');
  const phases = page.getByTestId('phases');
  await expect(phases.getByRole('row', { name: /adopted/ })).toContainText('9.692112 s');
  await expect(phases.getByRole('row', { name: /finish/ })).toContainText('9.702117 s');
  await expect(page.getByTestId('blackout-vm0')).toHaveText('1.06ms');
  await expect(page.getByTestId('invariants')).toContainText('0 violated');
  await page.screenshot({ path: 'test-results/lab-default.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the Worker run equals the Node run: same report, same eventLogHash', async ({ page }) => {
  await page.goto('./');
  const inBrowser = await page.evaluate(() => window.caretakerLab!.report());
  expect(inBrowser).toEqual(nodeReport('converged-idle'));
});

test('choosing a preset runs it; classic shows seconds of blackout', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await page.evaluate(() => window.caretakerLab!.ready());
  await page.getByRole('button', { name: /classic-baseline/ }).click();
  await expect(page.getByTestId('title')).toHaveText('Classic live update (no Caretaker)');
  await expect(page.getByTestId('blackout-vm0')).toHaveText('8.69s');
  await expect(page.getByTestId('hash')).toHaveText(nodeReport('classic-baseline').engine.eventLogHash);
  await page.getByRole('button', { name: /wedged-cpu/ }).press('Enter');
  await expect(page.getByTestId('status')).toHaveText('outcome: vm-terminated');
  expect(errors).toEqual([]);
});
