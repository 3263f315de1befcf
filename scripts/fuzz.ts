// The fuzzing campaign (issue 7, item 1): the properties of tests/fuzz.test.ts with many more runs.
//
//   npm run fuzz -- [--runs N] [--seed S] [--only p1,p2] [--path P] [--corpus DIR] [--include-known]
//
// --runs N      generated scenarios (default 20000); mutation properties take 2.5 N, the command
//               line ones N / 25 (they write files)
// --seed S      the fast-check seed (default: from the clock, printed for replay)
// --only        properties to run: valid, valid-clean, json, json-cli, url, lz, importer,
//               import-cli, known, survey
// --path P      replay one counterexample: with --only <property> --seed S --path P as printed
// --corpus DIR  importer files (default tests/fixtures/real-exits and ../shared/data/real-exits)
// --include-known  also survey the generator without the exclusions for the engine's known
//               findings (tests/fuzz/arbitraries.ts KNOWN_FINDINGS): counts each symptom and
//               fails only on one no known finding explains
//
// Prints per property the runs, the time, what was covered and any counterexample with its seed
// and path; exits 1 when a property fails.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import LZString from 'lz-string';
import { cmdImport } from '../src/cli/import.ts';
import { main } from '../src/cli/main.ts';
import { buildProfile, importExits } from '../src/model/importers/index.ts';
import { PRESETS } from '../src/model/presets.ts';
import { SimHost } from '../src/sim/host.ts';
import { decompressLink, parseLabUrl } from '../src/ui/url.ts';
import {
  KNOWN_FINDINGS,
  capture,
  checkValidScenario,
  cliProblems,
  decompressProblems,
  describeRun,
  hashArb,
  importerProblems,
  jsonMutationArb,
  jsonText,
  knownFindingOf,
  loadCorpus,
  mutateJson,
  mutateText,
  mutatedFileArb,
  mutatedScenarioProblems,
  mutationBaseArb,
  newValidStats,
  profileOptionsArb,
  scenarioArb,
  searchArb,
  textMutationArb,
  urlProblems,
  type CorpusFile,
  type ImporterApi,
  type ValidStats,
} from '../tests/fuzz/arbitraries.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['valid', 'valid-clean', 'json', 'json-cli', 'url', 'lz', 'importer', 'import-cli', 'known'] as const;

interface Args {
  runs: number;
  seed: number;
  only: string[];
  path: string | undefined;
  corpus: string[];
  includeKnown: boolean;
  budget: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 20000, seed: Date.now() % 2 ** 31, only: [...ALL], path: undefined, corpus: [], includeKnown: false, budget: 3_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--runs') a.runs = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--only') a.only = v().split(',');
    else if (k === '--path') a.path = v();
    else if (k === '--corpus') a.corpus.push(v());
    else if (k === '--budget') a.budget = Number(v());
    else if (k === '--include-known') a.includeKnown = true;
    else if (k === '-h' || k === '--help') {
      console.log('usage: npm run fuzz -- [--runs N] [--seed S] [--only p1,p2] [--path P] [--corpus DIR] [--include-known]');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!Number.isSafeInteger(a.runs) || a.runs < 1) throw new Error('--runs: expected a whole number, 1 or more');
  if (!Number.isSafeInteger(a.seed)) throw new Error('--seed: expected an integer');
  if (a.includeKnown && !a.only.includes('survey')) a.only.push('survey');
  const unknown = a.only.filter((p) => ![...ALL, 'survey'].includes(p as (typeof ALL)[number]));
  if (unknown.length) throw new Error(`--only: unknown properties ${unknown.join(', ')}; expected ${[...ALL, 'survey'].join(', ')}`);
  if (!a.corpus.length) a.corpus = [join(root, 'tests', 'fixtures', 'real-exits'), join(root, '..', 'shared', 'data', 'real-exits')].filter(existsSync);
  return a;
}

const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
const fmtMap = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Counts predicate calls, prints progress, and keeps the slowest input. */
class Meter {
  calls = 0;
  slowestMs = 0;
  slowest = '';
  private lastTick = 0;
  constructor(
    readonly name: string,
    readonly runs: number,
  ) {}
  time<T>(what: () => string, f: () => T): T {
    const t = performance.now();
    try {
      return f();
    } finally {
      this.done(t, what);
    }
  }
  async timeAsync<T>(what: () => string, f: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await f();
    } finally {
      this.done(t, what);
    }
  }
  private done(t: number, what: () => string) {
    const dt = performance.now() - t;
    this.calls++;
    if (dt > this.slowestMs) {
      this.slowestMs = dt;
      this.slowest = what().slice(0, 300);
    }
    const now = performance.now();
    if (process.stderr.isTTY && now - this.lastTick > 1000) {
      this.lastTick = now;
      process.stderr.write(`\r  ${this.name}: ${this.calls}/${this.runs}   `);
    }
  }
}

const none = (problems: string[]) => {
  if (problems.length) throw new Error(problems.join('\n'));
};

interface Outcome {
  name: string;
  ok: boolean;
  lines: string[];
}

async function runProperty<Ts extends unknown[]>(
  name: string,
  runs: number,
  args: Args,
  prop: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  meter: Meter,
  extra: () => string[],
  show: (ce: Ts) => string,
): Promise<Outcome> {
  const t0 = performance.now();
  const r = await fc.check(prop as fc.IAsyncProperty<Ts>, { numRuns: runs, seed: args.seed, ...(args.path ? { path: args.path } : {}) });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const lines = [`  runs ${meter.calls} (${runs} asked), ${secs(performance.now() - t0)}; slowest ${meter.slowestMs.toFixed(0)} ms: ${meter.slowest}`, ...extra().map((x) => `  ${x}`)];
  if (r.failed) {
    lines.push(`  FAILED after ${r.numRuns} runs (${r.numShrinks} shrinks); seed ${r.seed}, path ${r.counterexamplePath}`);
    lines.push(`  replay: npm run fuzz -- --only ${name} --seed ${r.seed} --path ${r.counterexamplePath}`);
    const err = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
    lines.push(`  problem: ${err.split('\n').slice(0, 12).join('\n           ')}`);
    if (r.counterexample) lines.push(`  counterexample: ${show(r.counterexample)}`);
    const f = knownFindingOf(err);
    if (f) lines.push(`  (the symptom of known finding ${f.id})`);
  }
  return { name, ok: !r.failed, lines };
}

function validStatsLines(s: ValidStats): string[] {
  return [
    `designs: ${fmtMap(s.designs)}`,
    `faults: ${fmtMap(s.faults)}`,
    `outcomes: ${fmtMap(s.outcomes)}; refused layouts ${s.refused}; events ${s.events.toLocaleString('en-US')}`,
    `violations (all expected): ${s.violations.size ? fmtMap(s.violations) : 'none'}`,
  ];
}

async function campaign(args: Args): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-fuzz-'));
  const corpus: CorpusFile[] = args.corpus.flatMap((d) => loadCorpus(d, 1500).map((f) => ({ ...f, name: `${d.split('/').slice(-3, -1).join('/')}/${f.name}` })));
  const importer = { importExits, buildProfile } as unknown as ImporterApi;
  const N = args.runs;
  const M = Math.ceil(N * 2.5);
  const C = Math.max(20, Math.ceil(N / 25));
  const results: Outcome[] = [];
  console.log(`caretaker-lab fuzz: seed ${args.seed}, ${N} scenarios, ${M} mutations per mutation property, ${C} per command-line property`);
  console.log(`importer corpus: ${corpus.length} files from ${args.corpus.join(', ')}`);
  const t0 = performance.now();
  try {
    for (const name of args.only) {
      console.log(`\n${name}`);
      let out: Outcome;
      try {
        switch (name) {
          case 'valid':
          case 'valid-clean': {
            const runs = name === 'valid' ? N : Math.ceil(N / 4);
            const stats = newValidStats();
            const m = new Meter(name, runs);
            const arb = name === 'valid' ? scenarioArb() : scenarioArb({ noFaults: true, acceptedOnly: true });
            out = await runProperty(name, runs, args, fc.property(arb, (g) => m.time(() => JSON.stringify(g.raw), () => none(checkValidScenario(g, args.budget, stats)))), m, () => validStatsLines(stats), ([g]) => JSON.stringify(g.raw));
            break;
          }
          case 'json': {
            const host = new SimHost();
            const load = (v: unknown) => host.handle({ op: 'load', scenario: v }) as { op: string; message?: string; result?: { ok: boolean } };
            const m = new Meter(name, M);
            const seen = new Map<string, number>();
            out = await runProperty(
              name,
              M,
              args,
              fc.property(mutationBaseArb(), fc.array(jsonMutationArb, { minLength: 1, maxLength: 4 }), (b, ms) =>
                m.time(
                  () => JSON.stringify(ms),
                  () => {
                    const v = mutateJson(b, ms);
                    const r = load(v) as { result?: { ok: boolean } };
                    bump(seen, r.result?.ok ? 'still valid (run 2,000 events)' : 'refused with errors');
                    for (const x of ms) bump(seen, `op ${x.op}`);
                    none(mutatedScenarioProblems(v, 2000, load, (id) => bump(seen, `engine crash of known finding ${id}`)));
                  },
                ),
              ),
              m,
              () => [fmtMap(seen)],
              ([b, ms]) => `mutations ${JSON.stringify(ms)} of ${JSON.stringify(b).slice(0, 2000)}`,
            );
            break;
          }
          case 'json-cli': {
            const m = new Meter(name, C);
            const codes = new Map<string, number>();
            out = await runProperty(
              name,
              C,
              args,
              fc.asyncProperty(mutationBaseArb(), fc.array(jsonMutationArb, { maxLength: 2 }), fc.option(textMutationArb, { nil: undefined }), (b, ms, tm) =>
                m.timeAsync(
                  () => JSON.stringify([ms, tm]),
                  async () => {
                    const text = jsonText(mutateJson(b, ms));
                    const file = join(dir, 'scenario.json');
                    writeFileSync(file, tm ? mutateText(text, tm) : text);
                    const r = await capture((io) => main(['validate', file], io));
                    bump(codes, 'code' in r ? `exit ${r.code}` : 'threw');
                    none(cliProblems(r, file));
                  },
                ),
              ),
              m,
              () => [fmtMap(codes)],
              ([b, ms, tm]) => `mutations ${JSON.stringify(ms)} then ${JSON.stringify(tm)} of ${JSON.stringify(b).slice(0, 2000)}`,
            );
            break;
          }
          case 'url': {
            const ids = new Set(PRESETS.map((p) => p.id));
            const m = new Meter(name, M);
            const kinds = new Map<string, number>();
            out = await runProperty(
              name,
              M,
              args,
              fc.property(searchArb, hashArb(), (s, h) =>
                m.time(
                  () => `${s} ${h.slice(0, 200)}`,
                  () => {
                    const r = parseLabUrl(s, h);
                    bump(kinds, r.scenario ? `scenario (${r.scenario.kind})` : r.problem ? r.problem.replace(/\(.*?\)|".*"|\d+/g, '…').slice(0, 60) : 'nothing');
                    none(urlProblems(parseLabUrl, ids, s, h));
                  },
                ),
              ),
              m,
              () => [fmtMap(kinds)],
              ([s, h]) => JSON.stringify({ search: s, hash: h.length > 2000 ? `${h.slice(0, 2000)}… (${h.length} chars)` : h }),
            );
            break;
          }
          case 'lz': {
            const m = new Meter(name, N);
            out = await runProperty(
              name,
              N,
              args,
              fc.property(fc.oneof(fc.string({ maxLength: 400, unit: 'binary' }), mutationBaseArb().map((b) => JSON.stringify(b)), fc.stringMatching(/^[A-Za-z0-9+\-$]{1,120}$/).map((p) => ({ packed: p }))), (x) =>
                m.time(
                  () => JSON.stringify(x).slice(0, 200),
                  () => none(typeof x === 'string' ? decompressProblems(decompressLink, LZString.compressToEncodedURIComponent(x), x) : decompressProblems(decompressLink, x.packed, null)),
                ),
              ),
              m,
              () => [],
              ([x]) => JSON.stringify(x),
            );
            break;
          }
          case 'importer': {
            const m = new Meter(name, M);
            const res = new Map<string, number>();
            out = await runProperty(
              name,
              M,
              args,
              fc.property(mutatedFileArb(corpus), profileOptionsArb, (f, o) =>
                m.time(
                  () => `${f.name} ${JSON.stringify(f.muts).slice(0, 200)}`,
                  () => {
                    const b = buildProfile(importExits(f.text, f.name), o);
                    bump(res, b.ok ? (b.profile.workload ? 'profile with a workload' : 'profile without a workload') : b.error.replace(/\d+|".*?"|\(.*\)/g, '…').slice(0, 50));
                    none(importerProblems(importer, f.text, f.name, o));
                  },
                ),
              ),
              m,
              () => [fmtMap(res)],
              ([f, o]) => `${f.name} options ${JSON.stringify(o)} mutations ${JSON.stringify(f.muts).slice(0, 1500)}`,
            );
            break;
          }
          case 'import-cli': {
            const m = new Meter(name, C);
            const codes = new Map<string, number>();
            out = await runProperty(
              name,
              C,
              args,
              fc.asyncProperty(mutatedFileArb(corpus), fc.constantFrom('plain', 'plain', 'gzip', 'gzip-cut'), fc.boolean(), (f, packing, json) =>
                m.timeAsync(
                  () => `${f.name} ${packing} ${JSON.stringify(f.muts).slice(0, 200)}`,
                  async () => {
                    const file = join(dir, packing === 'plain' ? 'exits.txt' : 'exits.txt.gz');
                    const bytes = packing === 'plain' ? Buffer.from(f.text) : gzipSync(f.text);
                    writeFileSync(file, packing === 'gzip-cut' ? bytes.subarray(0, Math.max(2, bytes.length >> 1)) : bytes);
                    const r = await capture((io) => cmdImport(json ? [file, '--json'] : [file], io));
                    bump(codes, 'code' in r ? `exit ${r.code}` : 'threw');
                    none(cliProblems(r, file));
                  },
                ),
              ),
              m,
              () => [fmtMap(codes)],
              ([f, packing]) => `${f.name} (${packing}) mutations ${JSON.stringify(f.muts).slice(0, 1500)}`,
            );
            break;
          }
          case 'known': {
            // the engine's known findings: still reproducing, or fixed (then drop the exclusion)
            const lines: string[] = KNOWN_FINDINGS.length ? [] : ['  none: the generator has no exclusion (the findings so far are fixed: tests/regressions.test.ts)'];
            for (const f of KNOWN_FINDINGS) {
              const runs = f.reproducers.map((r) => describeRun(r));
              const still = runs.filter((x) => f.symptom.test(x)).length;
              lines.push(`  ${f.id}: ${still}/${runs.length} reproducers still show it${still ? '' : ' — fixed? then remove its exclusion in scenarioArb'}`);
              for (const x of runs) lines.push(`      ${x.slice(0, 160)}`);
            }
            out = { name, ok: true, lines };
            break;
          }
          case 'survey': {
            // the generator without exclusions: which symptoms, how often, and whether known
            const t = performance.now();
            const groups = new Map<string, { n: number; known: string; example: string }>();
            let runs = 0;
            let failing = 0;
            for (const g of fc.sample(scenarioArb(), { numRuns: N, seed: args.seed })) {
              runs++;
              let probs: string[];
              try {
                probs = checkValidScenario(g, args.budget);
              } catch (e) {
                probs = [`THREW ${e instanceof Error ? e.message : String(e)}`];
              }
              if (!probs.length) continue;
              failing++;
              const p = probs[0];
              const key = p.replace(/vm\d+\/vCPU\d+/g, 'vm/vCPU').replace(/\d+/g, 'N').replace(/\(faults:[^)]*\)|with no fault injected/, '').slice(0, 150);
              const e = groups.get(key);
              if (e) e.n++;
              else groups.set(key, { n: 1, known: knownFindingOf(p)?.id ?? 'NEW', example: JSON.stringify(g.raw) });
            }
            const lines = [`  ${runs} scenarios without exclusions, ${secs(performance.now() - t)}: ${failing} show a problem`];
            for (const [k, v] of [...groups].sort((a, b) => b[1].n - a[1].n)) {
              lines.push(`  ${String(v.n).padStart(5)}  [${v.known}] ${k}`);
              if (v.known === 'NEW') lines.push(`         example: ${v.example}`);
            }
            out = { name, ok: ![...groups.values()].some((v) => v.known === 'NEW'), lines };
            break;
          }
          default:
            throw new Error(`no property ${name}`);
        }
        results.push(out);
        console.log(out.lines.join('\n'));
      } catch (e) {
        // an exception outside a predicate (an arbitrary, fast-check itself): the property failed
        const o = { name, ok: false, lines: [`  FAILED: ${e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 8).join('\n  ') : String(e)}`] };
        results.push(o);
        console.log(o.lines.join('\n'));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`\n${results.length - failed.length} properties passed, ${failed.length} failed${failed.length ? ` (${failed.map((r) => r.name).join(', ')})` : ''}; ${secs(performance.now() - t0)}; seed ${args.seed}`);
  return failed.length ? 1 : 0;
}

campaign(parseArgs(process.argv.slice(2))).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
