// Exports in a real browser: the visible timeline as PNG and SVG at a chosen size — the files open
// and show the timeline — and the run's Chrome JSON trace.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

test('PNG and SVG of the visible timeline open and show it; the trace downloads', async ({ page, context }) => {
  await page.goto('./#p=dropped-attach-ipi');
  await page.evaluate(() => window.caretakerLab!.ready());
  await page.evaluate(() => window.caretakerLab!.setView(9.6e9, 9.72e9));
  await page.getByTestId('export').click();
  await page.getByTestId('export-size').selectOption({ label: '1920 × 1080' });

  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
  expect(png.suggestedFilename()).toBe('caretaker-lab-dropped-attach-ipi-9600000000-9720000000.png');
  const bytes = readFileSync((await png.path())!);
  expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1920, 1080]);

  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
  expect(svg.suggestedFilename()).toMatch(/\.svg$/);
  const svgText = readFileSync((await svg.path())!, 'utf8');
  expect(svgText).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1920" height="1080"/);

  // open both as a person would and look at them
  const viewer = await context.newPage();
  await viewer.setViewportSize({ width: 1920, height: 1080 });
  await viewer.setContent(`<img id="png" src="data:image/png;base64,${bytes.toString('base64')}">`);
  await expect.poll(() => viewer.evaluate(() => (document.getElementById('png') as HTMLImageElement).naturalWidth)).toBe(1920);
  await viewer.screenshot({ path: 'test-results/export-png.png' });
  await viewer.setContent(svgText);
  await expect(viewer.locator('svg text', { hasText: 'CPU 3' }).first()).toBeVisible();
  await expect(viewer.locator('svg text', { hasText: 'adopted' }).first()).toBeVisible();
  await viewer.screenshot({ path: 'test-results/export-svg.png' });

  const [trace] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-trace').click()]);
  expect(trace.suggestedFilename()).toBe('caretaker-lab-dropped-attach-ipi.trace.json');
  const json = JSON.parse(readFileSync((await trace.path())!, 'utf8')) as { traceEvents: { ph: string; name: string }[]; displayTimeUnit: string };
  expect(json.displayTimeUnit).toBe('ns');
  expect(json.traceEvents.filter((e) => e.ph === 's').length).toBeGreaterThan(10);
  await expect(page.getByTestId('export-note')).toContainText('trace events');
});
