// Share links in a real browser (design.md §5): a link reproduces the run exactly at the same
// cursor and zoom; every kind of bad link leaves a usable page on the default scenario, with a
// message, and nothing in a link is ever executed.
import { expect, test, type Page } from '@playwright/test';
import LZString from 'lz-string';
const { compressToEncodedURIComponent } = LZString;
import { presetById } from '../src/model/presets.ts';

const lab = (page: Page) => page.evaluate(() => window.caretakerLab!.ready());
const DEFAULT_TITLE = 'Converged Caretaker, idle guest';

function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return errors;
}

test('Share makes a link that reopens the same run at the same cursor and zoom', async ({ page, context }) => {
  const errors = watch(page);
  await page.goto('./#p=dropped-attach-ipi');
  await lab(page);
  await page.evaluate(() => window.caretakerLab!.setView(9.68e9, 9.7e9));
  await page.evaluate(() => window.caretakerLab!.seek(9_691_234_567));
  await page.getByTestId('share').click();
  const url = await page.getByTestId('share-url').inputValue();
  expect(url).toMatch(/\?t=9691234567&view=9680000000%2C9700000000&h=[0-9a-f]{16}#s=/);
  const hash = (await page.evaluate(() => window.caretakerLab!.report())).engine.eventLogHash;

  const other = await context.newPage();
  const errors2 = watch(other);
  await other.goto(url);
  await lab(other);
  await expect(other.getByTestId('title')).toHaveText('Dropped attach IPI');
  await expect.poll(() => other.evaluate(() => window.caretakerLab!.cursor())).toBe(9_691_234_567);
  expect(await other.evaluate(() => window.caretakerLab!.view())).toEqual({ t0: 9.68e9, t1: 9.7e9 });
  expect((await other.evaluate(() => window.caretakerLab!.report())).engine.eventLogHash).toBe(hash);
  await expect(other.getByTestId('notice')).toHaveCount(0);
  await expect(other.getByTestId('preset')).toHaveValue('');
  expect([...errors, ...errors2]).toEqual([]);
});

test('a link whose run this engine replays differently says so', async ({ page }) => {
  const s = compressToEncodedURIComponent(JSON.stringify(presetById('converged-idle')!.scenario));
  await page.goto(`./?h=0000000000000000#s=${s}`);
  await lab(page);
  await expect(page.getByTestId('notice')).toContainText('event log hash 0000000000000000 then');
  await expect(page.getByTestId('title')).toHaveText(DEFAULT_TITLE);
});

const scenario = presetById('converged-idle')!.scenario;
const packed = compressToEncodedURIComponent(JSON.stringify(scenario));
const BAD: [string, string, RegExp][] = [
  ['truncated', `#s=${packed.slice(0, 200)}`, /truncated/],
  ['not lz-string', '#s=%%%%not-lz', /percent-encoding|not lz-string/],
  ['JSON that fails the schema', `#s=${compressToEncodedURIComponent(JSON.stringify({ version: 1, vms: [{ name: 'vm0', vcpus: 0 }] }))}`, /invalid \(\$\.vms\[0\]\.vcpus: expected an integer from 1 to 64/],
  ['over 1 MB', `#s=${'A'.repeat((1 << 20) + 100)}`, /over 1024 KB/],
  ['__proto__ and constructor keys', `#s=${compressToEncodedURIComponent('{"version":1,"vms":[{"name":"vm0","vcpus":2}],"__proto__":{"x":1},"constructor":{"y":2}}')}`, /invalid \(\$\.__proto__: .*\$\.constructor/],
];

for (const [name, hash, why] of BAD) {
  test(`a bad link (${name}) opens the default scenario with a message`, async ({ page }) => {
    const errors = watch(page);
    await page.goto(`./${hash}`);
    await lab(page);
    await expect(page.getByTestId('notice')).toContainText(why);
    await expect(page.getByTestId('notice')).toContainText('showing the default scenario instead');
    await expect(page.getByTestId('title')).toHaveText(DEFAULT_TITLE);
    // the page stays usable
    await page.getByRole('button', { name: 'Go to start' }).click();
    await expect.poll(() => page.evaluate(() => window.caretakerLab!.cursor())).toBe(0);
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect(page.getByTestId('notice')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
}

test('HTML and script in a title are shown as text and never run', async ({ page }) => {
  const errors = watch(page);
  const title = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const s = compressToEncodedURIComponent(JSON.stringify({ ...scenario, title, description: '<b onmouseover=alert(1)>bold?</b>' }));
  await page.goto(`./#s=${s}`);
  await lab(page);
  await expect(page.getByTestId('title')).toHaveText(title);
  await expect(page.locator('.description')).toHaveText('<b onmouseover=alert(1)>bold?</b>');
  await page.locator('.description').hover();
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('h2 img, h2 script, .description b').count()).toBe(0);
  expect(errors).toEqual([]);
});
