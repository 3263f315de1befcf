// The lab inside a slide: a test page plays the part of a reveal.js deck (same origin, an iframe
// with ?embed=1). Presenter keys step the run; keys the lab does not use, and a step past either
// end, reach the deck in reveal's postMessage format; the deck drives the lab by postMessage.
import { expect, test, type Frame, type Page } from '@playwright/test';

const DECK = `<!doctype html><html><head><meta charset="utf-8"><title>deck</title></head><body style="margin:0">
<iframe id="lab" src="./?embed=1&theme=projector&t=0#p=converged-idle" width="1200" height="700" style="border:0" allow="fullscreen"></iframe>
<script>
  window.received = [];
  window.replies = [];
  window.addEventListener('message', (e) => {
    if (typeof e.data === 'string') window.received.push(JSON.parse(e.data));
    else if (e.data && e.data.caretakerLab === 'reply') window.replies.push(e.data);
  });
  window.send = (m) => document.getElementById('lab').contentWindow.postMessage(m, location.origin);
</script></body></html>`;

async function openDeck(page: Page): Promise<Frame> {
  await page.route('**/deck.html', (route) => route.fulfill({ contentType: 'text/html', body: DECK }));
  await page.goto('./deck.html');
  const frame = page.frame({ url: /embed=1/ })!;
  await frame.waitForFunction(() => !!window.caretakerLab);
  await frame.evaluate(() => window.caretakerLab!.ready());
  return frame;
}

const cursor = (f: Frame) => f.evaluate(() => window.caretakerLab!.cursor());

test('presenter keys step through the run; other keys and steps past the ends go to the deck', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const frame = await openDeck(page);
  await expect(frame.getByTestId('title')).toHaveText('Converged Caretaker, idle guest');
  await expect.poll(() => cursor(frame)).toBe(0);
  await frame.locator('canvas').first().click({ position: { x: 5, y: 5 } });

  // previous at the start: nothing to step back to, so the deck gets the key (reveal's triggerKey)
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => page.evaluate(() => (window as unknown as { received: unknown[] }).received)).toEqual([{ method: 'triggerKey', args: [37] }]);

  await page.keyboard.press('ArrowRight');
  await expect.poll(() => cursor(frame)).toBe(1e9); // the preserve phase
  await expect(frame.getByTestId('embed-step')).toContainText('after preserve');
  await page.keyboard.press('PageDown');
  await expect.poll(() => cursor(frame)).toBe(1.55e9); // the point of no return
  await page.keyboard.press('PageUp');
  await expect.poll(() => cursor(frame)).toBe(1e9);
  await page.screenshot({ path: 'test-results/embed-deck.png' });

  // a key the lab does not use goes to the deck
  await page.keyboard.press('KeyN');
  await expect.poll(() => page.evaluate(() => (window as unknown as { received: unknown[] }).received.length)).toBe(2);
  expect(await page.evaluate(() => (window as unknown as { received: unknown[] }).received[1])).toEqual({ method: 'triggerKey', args: [78] });

  // End, then next: past the last step the clicker moves the deck on
  await page.keyboard.press('End');
  await expect.poll(() => cursor(frame)).toBe(12e9);
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.evaluate(() => (window as unknown as { received: unknown[] }).received.at(-1))).toEqual({ method: 'triggerKey', args: [39] });
  expect(errors).toEqual([]);
});

test('the deck drives the lab by postMessage and gets replies', async ({ page }) => {
  const frame = await openDeck(page);
  await page.evaluate(() => (window as unknown as { send: (m: unknown) => void }).send({ caretakerLab: 'seek', args: [2e9], id: 7 }));
  await expect.poll(() => cursor(frame)).toBe(2e9);
  await page.evaluate(() => (window as unknown as { send: (m: unknown) => void }).send(JSON.stringify({ caretakerLab: 'next', id: 8 })));
  await page.evaluate(() => (window as unknown as { send: (m: unknown) => void }).send({ caretakerLab: 'report', id: 9 }));
  await page.evaluate(() => (window as unknown as { send: (m: unknown) => void }).send({ caretakerLab: 'launch-missiles', id: 10 }));
  await expect.poll(() => page.evaluate(() => (window as unknown as { replies: unknown[] }).replies.length)).toBe(4);
  const replies = await page.evaluate(() => (window as unknown as { replies: { id: number; ok: boolean; result?: { engine?: { eventLogHash: string }; cursor?: number }; error?: string }[] }).replies);
  const byId = Object.fromEntries(replies.map((r) => [r.id, r]));
  expect(byId[7]).toMatchObject({ ok: true });
  expect(byId[8]).toMatchObject({ ok: true, result: { cursor: 9.55e9, moved: true } });
  expect(byId[9].result!.engine!.eventLogHash).toMatch(/^[0-9a-f]{16}$/);
  expect(byId[10]).toMatchObject({ ok: false, error: expect.stringContaining('unknown command "launch-missiles"') });
});

test('the full lab writes the iframe snippet; the embed links back to the full lab', async ({ page }) => {
  await page.goto('./#p=wedged-cpu');
  await page.evaluate(() => window.caretakerLab!.ready());
  await page.getByTestId('embed').click();
  const snippet = await page.getByTestId('embed-snippet').inputValue();
  expect(snippet).toMatch(/^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed=1&amp;theme=projector&amp;t=12000000000&amp;view=0%2C12000000000&amp;h=[0-9a-f]{16}#s=[^"]+" width="1280" height="720" style="border:0" allow="fullscreen" title="Caretaker Lab"><\/iframe>$/);
  const src = snippet.match(/src="([^"]+)"/)![1].replace(/&amp;/g, '&');
  await page.goto(src);
  await page.evaluate(() => window.caretakerLab!.ready());
  await expect(page.getByTestId('title')).toHaveText('Wedged pCPU');
  const full = await page.getByTestId('embed-open').getAttribute('href');
  expect(full).not.toContain('embed=1');
  expect(full).toMatch(/#s=/);
});
