/**
 * The command line of design.md §4: run, presets, show, validate, trace, import. Exit codes: 0 ran with no
 * invariant violated (or valid input), 1 an invariant was violated, 2 bad input (the message
 * names the file, the JSON path or line, and what was expected), 3 an internal error of the lab.
 */
import type { ResolvedScenario } from '../model/scenario.ts';
import { DEFAULT_PRESET, PRESETS, presetById } from '../model/presets.ts';
import type { RunReport } from '../model/report.ts';
import { Simulation } from '../sim/simulation.ts';
import { renderReport } from './table.ts';
import { BadInput, durationOption, loadScenario, resolveOrFail, seedOption } from './load.ts';
import { cmdTrace, TRACE_USAGE } from './trace.ts';
import { cmdImport, IMPORT_USAGE } from './import.ts';
import { compareDesigns, parseDesignList, renderCompare } from './compare.ts';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

const USAGE = `usage: caretaker-lab <command>
  run <scenario.json | preset-id> [--json] [--until T] [--seed N] [--compare d1,d2,...]
  presets [--json]
  show <preset-id>
  validate <scenario.json>
  ${TRACE_USAGE}
  ${IMPORT_USAGE}
`;


export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'run':
        return await cmdRun(rest, io);
      case 'presets':
        return cmdPresets(rest, io);
      case 'show':
        return cmdShow(rest, io);
      case 'validate':
        return await cmdValidate(rest, io);
      case 'trace':
        return await cmdTrace(rest, io);
      case 'import':
        return await cmdImport(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new BadInput(`unknown command ${JSON.stringify(cmd)}; expected run, presets, show, validate, trace or import`);
    }
  } catch (err) {
    if (err instanceof BadInput) {
      io.err(`caretaker-lab: ${err.message}\n`);
      return 2;
    }
    // not the input's fault: a bug in the lab, with its own exit status
    io.err(`caretaker-lab: internal error (please report it with the scenario): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 3;
  }
}

interface Flags {
  positional: string[];
  json: boolean;
  until: number | null;
  seed: number | null;
  compare: string[] | null;
}

function parseFlags(args: string[], allowed: string[]): Flags {
  const f: Flags = { positional: [], json: false, until: null, seed: null, compare: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      f.positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2);
    if (!allowed.includes(name)) throw new BadInput(`unknown option --${name}; expected ${allowed.map((x) => `--${x}`).join(', ')}`);
    if (name === 'json') {
      f.json = true;
      continue;
    }
    const v = inline ?? args[++i];
    if (v === undefined) throw new BadInput(`--${name} needs a value`);
    if (name === 'until') f.until = durationOption('until', v, true);
    else if (name === 'seed') f.seed = seedOption(v);
    else if (name === 'compare') {
      const list = parseDesignList(v);
      if (typeof list === 'string') throw new BadInput(list);
      f.compare = list;
    }
  }
  return f;
}

export function runScenario(sc: ResolvedScenario): RunReport {
  const sim = new Simulation(sc);
  sim.runUntil(sc.until);
  return sim.report();
}

async function cmdRun(args: string[], io: Io): Promise<number> {
  const f = parseFlags(args, ['json', 'until', 'seed', 'compare']);
  if (f.positional.length !== 1) throw new BadInput(`run needs one scenario file or preset id, got ${f.positional.length}\n${USAGE}`);
  const { raw, where } = await loadScenario(f.positional[0]);
  const sc = resolveOrFail(raw, where, { seed: f.seed, until: f.until });
  if (f.compare) {
    const cols = compareDesigns(sc, f.compare);
    if (cols.every((c) => 'error' in c)) throw new BadInput(`${where}: cannot run under any of ${f.compare.join(', ')}\n${cols.map((c) => `  ${c.design}: ${'error' in c ? c.error : ''}`).join('\n')}`);
    if (f.json) io.out(`${JSON.stringify(Object.fromEntries(cols.map((c) => [c.design, 'report' in c ? c.report : { error: c.error }])), null, 2)}\n`);
    else io.out(renderCompare(sc, cols));
    return cols.some((c) => 'report' in c && c.report.invariants.violations.length) ? 1 : 0;
  }
  const report = runScenario(sc);
  io.out(f.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, sc));
  return report.invariants.violations.length ? 1 : 0;
}

function cmdPresets(args: string[], io: Io): number {
  const f = parseFlags(args, ['json']);
  if (f.positional.length) throw new BadInput(`presets takes no arguments, got ${f.positional.join(' ')}`);
  const rows = PRESETS.map((p) => ({ id: p.id, title: String(p.scenario.title), design: String(p.scenario.design ?? 'converged'), summary: p.summary }));
  if (f.json) {
    io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.id.length));
  const d = Math.max(...rows.map((r) => r.design.length));
  io.out(`${'id'.padEnd(w)}  ${'design'.padEnd(d)}  title\n`);
  for (const r of rows) io.out(`${r.id.padEnd(w)}  ${r.design.padEnd(d)}  ${r.title}${r.id === DEFAULT_PRESET ? ' (default)' : ''}\n`);
  return 0;
}

function cmdShow(args: string[], io: Io): number {
  const f = parseFlags(args, []);
  if (f.positional.length !== 1) throw new BadInput('show needs one preset id');
  const p = presetById(f.positional[0]);
  if (!p) throw new BadInput(`unknown preset ${JSON.stringify(f.positional[0])}; valid presets: ${PRESETS.map((x) => x.id).join(', ')}`);
  io.out(`${JSON.stringify(p.scenario, null, 2)}\n`);
  return 0;
}

async function cmdValidate(args: string[], io: Io): Promise<number> {
  const f = parseFlags(args, []);
  if (f.positional.length !== 1) throw new BadInput('validate needs one scenario file');
  const { raw, where } = await loadScenario(f.positional[0]);
  resolveOrFail(raw, where);
  io.out(`${where}: valid scenario (version ${(raw as { version: number }).version})\n`);
  return 0;
}


