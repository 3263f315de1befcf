// `npm run bench`: bundles a benchmark with esbuild (as Vite bundles the app, so module
// boundaries cost nothing) and runs it with node. Usage: node scripts/bench.mjs bench/engine.ts
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const entries = process.argv.slice(2);
mkdirSync('reports/bench', { recursive: true });
let status = 0;
for (const entry of entries.length ? entries : ['bench/engine.ts']) {
  const outfile = `reports/bench/${entry.replace(/[\\/]/g, '_').replace(/\.ts$/, '.mjs')}`;
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning', external: ['playwright-core', '@playwright/test', 'vite'] });
  const r = spawnSync(process.execPath, [outfile], { stdio: 'inherit' });
  status ||= r.status ?? 1;
}
process.exit(status);
