import { chromium } from '@playwright/test';
const [url, out, x, y, w, h, js] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const p = await b.newPage({ viewport: { width: 1400, height: 1100 }, deviceScaleFactor: 2 });
await p.goto(url);
await p.evaluate(() => window.caretakerLab.ready());
if (js) { await p.evaluate(js); await p.waitForTimeout(400); }
await p.screenshot({ path: out, clip: { x: +x, y: +y, width: +w, height: +h } });
await b.close();
