// The project's own rules: it type-checks (the pure layers without the DOM), imports respect the
// layer allowlist, and the published JSON Schema matches the schema definition.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers } from '../scripts/check-layers.mjs';
import { scenarioJsonSchema } from '../src/model/scenario.ts';

const root = new URL('..', import.meta.url).pathname;

describe('project', () => {
  it('type-checks, and src/base, src/model and src/machines without the DOM library', () => {
    const run = (p: string) => {
      const r = spawnSync('npx', ['tsc', '-p', p], { cwd: root, encoding: 'utf8' });
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    };
    expect(run('tsconfig.json')).toEqual({ status: 0, output: '' });
    expect(run('tsconfig.pure.json')).toEqual({ status: 0, output: '' });
  });

  it('src respects the import allowlist of design.md §2', () => {
    expect(checkLayers(join(root, 'src'))).toEqual([]);
  });

  it('the layer check catches forbidden imports and wall-clock use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layers-'));
    for (const d of ['model', 'ui', 'base']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'ui', 'x.tsx'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'model', 'bad.ts'), "import { x } from '../ui/x.tsx';\nimport * as d3 from 'd3';\nexport const t = Date.now() + Math.random() + x + d3.version;\n");
    writeFileSync(join(dir, 'base', 'ok.ts'), '// Date.now() in a comment is fine\nexport const y = 2;\n');
    const problems = checkLayers(dir);
    expect(problems).toEqual([
      'model/bad.ts:1: model may not import ui (../ui/x.tsx)',
      'model/bad.ts:2: model may not import the package d3',
      'model/bad.ts:3: model is pure and may not use the wall clock (Date)',
      'model/bad.ts:3: model is pure and may not use Math.random (use the run\'s seeded PRNG)',
    ]);
  });

  it('public/scenario.schema.json is generated from the schema definition (npm run schema)', () => {
    const published = JSON.parse(readFileSync(join(root, 'public', 'scenario.schema.json'), 'utf8'));
    expect(published).toEqual(scenarioJsonSchema());
  });
});

describe('generated docs', () => {
  it('docs/timing.md and docs/exits.md match the definitions (npm run docs)', async () => {
    const { renderExitsDoc, renderTimingDoc } = await import('../src/model/docs.ts');
    expect(readFileSync(join(root, 'docs', 'timing.md'), 'utf8')).toBe(renderTimingDoc());
    expect(readFileSync(join(root, 'docs', 'exits.md'), 'utf8')).toBe(renderExitsDoc());
  });
});
