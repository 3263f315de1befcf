// The scenario editor in a real browser: Monaco bundled locally, schema markers while typing, an
// invalid Apply that leaves the last good run on screen, a valid one that re-runs, a draft that
// survives a reload, and "start from this preset".
import { expect, test, type Page } from '@playwright/test';
import { presetById } from '../src/model/presets.ts';

const ready = (page: Page) => page.evaluate(() => window.caretakerLab!.ready());
const hashOf = async (page: Page) => (await page.evaluate(() => window.caretakerLab!.report())).engine.eventLogHash;

function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(http:\/\/127\.0\.0\.1[:/]|data:|blob:)/.test(r.url())) errors.push(`external request: ${r.url()}`);
  });
  return errors;
}

async function openEditor(page: Page) {
  await page.getByTestId('edit').click();
  await expect(page.locator('.monaco-editor')).toBeVisible();
}

/** Replaces the editor's text as a user pasting would (typing would auto-indent and auto-close). */
async function setText(page: Page, text: string) {
  await page.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.evaluate((t) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', t);
    document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, text);
}

test('a schema error is marked while typing; Apply keeps the last good run, a fixed scenario re-runs', async ({ page }) => {
  const errors = watch(page);
  await page.goto('./');
  await ready(page);
  const before = await hashOf(page);
  await openEditor(page);
  await expect(page.locator('.monaco-editor .view-lines')).toContainText('"design": "converged"');
  // hovering a key explains the field: its meaning, default and source
  // the JSON worker may still be loading the schema at the first hover: hover again until it answers
  const key = page.locator('.monaco-editor .view-line', { hasText: '"cpus"' }).locator('span', { hasText: 'cpus' }).first();
  await expect
    .poll(async () => {
      await page.mouse.move(0, 0);
      await key.hover();
      return (await page.locator('.monaco-hover').first().textContent({ timeout: 2000 }).catch(() => '')) ?? '';
    })
    .toContain('number of pCPUs; CPU 0 is the boot CPU Default: 8. Source: walkthrough §1.');

  const bad = { ...presetById('converged-idle')!.scenario, title: 'Edited', vms: [{ name: 'vm0', vcpus: 0 }] };
  await setText(page, JSON.stringify(bad, null, 2));
  // Monaco's JSON worker checks the text against the lab's schema as it is typed
  await expect(page.getByTestId('editor-problems')).toContainText(/minimum of 1/);
  await expect(page.locator('.monaco-editor .squiggly-error').first()).toBeVisible();
  await page.getByTestId('editor-apply').click();
  await expect(page.getByTestId('editor-result')).toContainText('not applied');
  await expect(page.getByTestId('editor-result')).toContainText('$.vms[0].vcpus: expected an integer from 1 to 64, got number 0');
  await expect(page.getByTestId('editor-problems')).toContainText('$.vms[0].vcpus');
  // the last good run is still on screen
  await expect(page.getByTestId('title')).toHaveText('Converged Caretaker, idle guest');
  expect(await hashOf(page)).toBe(before);
  await page.screenshot({ path: 'test-results/editor-error.png', fullPage: true });

  const good = { ...presetById('converged-idle')!.scenario, title: 'Edited: three seconds', until: '3s' };
  await setText(page, JSON.stringify(good, null, 2));
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(page.getByTestId('editor-result')).toContainText('applied');
  await expect(page.getByTestId('title')).toHaveText('Edited: three seconds');
  expect(await page.evaluate(() => window.caretakerLab!.view())).toEqual({ t0: 0, t1: 3e9 });
  expect(errors).toEqual([]);
});

test('the draft is saved as it is typed and survives a reload', async ({ page }) => {
  await page.goto('./');
  await ready(page);
  await openEditor(page);
  const text = JSON.stringify({ ...presetById('wedged-cpu')!.scenario, title: 'My unfinished draft' }, null, 2).replace(/\}\s*$/, ', "until": ');
  await setText(page, text);
  await expect(page.getByTestId('editor-saved')).toContainText('draft saved');
  await page.reload();
  await ready(page);
  await openEditor(page);
  await expect(page.getByTestId('editor-saved')).toContainText('restored');
  await expect(page.locator('.monaco-editor .view-lines')).toContainText('My unfinished draft');
  // it is still the unfinished text (not JSON): Apply says so and changes nothing
  await page.getByTestId('editor-apply').click();
  await expect(page.getByTestId('editor-result')).toContainText('not applied: the text is not JSON');
  await expect(page.getByTestId('title')).toHaveText('Converged Caretaker, idle guest');
});

test('start from a preset, then undo brings the text back', async ({ page }) => {
  await page.goto('./');
  await ready(page);
  await page.evaluate(() => localStorage.clear());
  await openEditor(page);
  await page.getByTestId('editor-preset').selectOption('rfcv1-8-on-1');
  await page.getByTestId('editor-start-from').click();
  await expect(page.locator('.monaco-editor .view-lines')).toContainText('"design": "rfcv1"');
  await page.getByTestId('editor-apply').click();
  await expect(page.getByTestId('title')).toHaveText('Prototype (rfcv1): 8 vCPUs on 1 pCPU');
  await page.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(page.locator('.monaco-editor .view-lines')).toContainText('"design": "converged"');
});
