// The layer rules of design.md §2 as an allowlist of folder → folder imports, plus the calls the
// pure layers must never make (wall clock, Math.random, timers). Run: node scripts/check-layers.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** folder → folders (under src/) and packages it may import. */
export const ALLOW = {
  base: { layers: [], packages: [] },
  machines: { layers: ['base'], packages: ['xstate'] },
  model: { layers: ['base', 'machines'], packages: [] },
  sim: { layers: ['base', 'model', 'machines'], packages: [] },
  store: { layers: ['base', 'model', 'machines', 'sim'], packages: ['zustand'] },
  // lessons and concepts: content plus pure functions of a run (no DOM, no clock)
  lessons: { layers: ['base', 'model', 'machines', 'store'], packages: [] },
  ui: { layers: ['base', 'model', 'machines', 'sim', 'store', 'lessons', 'ui'], packages: ['react', 'react-dom', 'd3', 'zustand', 'lz-string', 'monaco-editor', 'xstate'] },
  cli: { layers: ['base', 'model', 'machines', 'sim'], packages: ['node:'] },
};
const PURE = new Set(['base', 'model', 'machines', 'lessons']);
const FORBIDDEN_CALLS = [
  [/\bDate\s*\.\s*now\b|\bnew\s+Date\b/, 'the wall clock (Date)'],
  [/\bperformance\s*\.\s*now\b/, 'the wall clock (performance.now)'],
  [/\bMath\s*\.\s*random\b/, 'Math.random (use the run\'s seeded PRNG)'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'timers (delays are events on the engine queue)'],
  [/\b(window|document|localStorage)\s*\./, 'the DOM'],
];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(p);
  }
  return out;
}

function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

/** Returns every violation as "file:line: message". */
export function checkLayers(srcDir) {
  const problems = [];
  for (const file of walk(srcDir)) {
    const rel = relative(srcDir, file);
    const layer = rel.split(sep)[0];
    const rules = ALLOW[layer];
    if (!rules) {
      problems.push(`${rel}: folder "${layer}" is not a layer of design.md §2`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const code = stripComments(text).split('\n');
    lines.forEach((line, i) => {
      const m = /^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/.exec(line);
      const spec = m && (m[1] ?? m[2] ?? m[3]);
      if (spec) {
        if (spec.startsWith('.')) {
          const target = relative(srcDir, resolve(dirname(file), spec.replace(/\?.*$/, '')));
          const to = target.split(sep)[0];
          if (target.startsWith('..')) problems.push(`${rel}:${i + 1}: imports ${spec}, outside src/`);
          else if (to !== layer && !rules.layers.includes(to)) problems.push(`${rel}:${i + 1}: ${layer} may not import ${to} (${spec})`);
        } else {
          const ok = rules.packages.some((p) => (p.endsWith(':') ? spec.startsWith(p) : spec === p || spec.startsWith(`${p}/`)));
          if (!ok) problems.push(`${rel}:${i + 1}: ${layer} may not import the package ${spec}`);
        }
      }
      if (PURE.has(layer)) {
        for (const [re, what] of FORBIDDEN_CALLS) if (re.test(code[i] ?? '')) problems.push(`${rel}:${i + 1}: ${layer} is pure and may not use ${what}`);
      }
    });
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const problems = checkLayers(src);
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} layer violations` : 'layers: ok');
  process.exit(problems.length ? 1 : 0);
}
