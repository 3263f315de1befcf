// `npm test`: every test, unit (Vitest) and browser (Playwright), then one closing line
// "N passed, N failed" summed from both JSON reports. Exits non-zero on any failure or on zero tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** A TCP port nobody listens on now, so a preview server left running elsewhere cannot collide. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const reports = 'reports';
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const env = { ...process.env, CI: process.env.CI ?? '1' };
const run = (cmd, args, extra = {}) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...env, ...extra } }).status ?? 1;

const only = process.argv[2]; // "unit" or "e2e" to run one half while developing
let failedRunners = 0;
if (only !== 'e2e') {
  const s = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reports}/vitest.json`]);
  if (s !== 0) failedRunners++;
}
if (only !== 'unit') {
  const port = process.env.E2E_PORT ?? String(await freePort());
  const s = run('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: `${reports}/playwright.json`, E2E_PORT: port });
  if (s !== 0) failedRunners++;
}

let passed = 0;
let failed = 0;
const files = [only !== 'e2e' && `${reports}/vitest.json`, only !== 'unit' && `${reports}/playwright.json`].filter(Boolean);
for (const f of files) {
  if (!existsSync(f)) {
    console.error(`missing report ${f}: its runner did not finish`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(f, 'utf8'));
  if ('numPassedTests' in r) {
    passed += r.numPassedTests;
    failed += r.numFailedTests;
  } else if (r.stats) {
    passed += r.stats.expected + r.stats.flaky;
    failed += r.stats.unexpected;
  }
}
if (failed === 0 && failedRunners > 0) failed = failedRunners; // a runner failed outside any test
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
