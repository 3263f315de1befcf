/**
 * `caretaker-lab trace <scenario.json | preset-id> -o out.json`: runs the scenario and writes its
 * Chrome JSON trace (src/model/traceExport.ts) to a file, or to stdout with `-o -`. Options:
 * `--from T` and `--to T` window the export (the run stops at --to), `--max-exits N` caps exit
 * slices, `--seed N` as for `run`. Exit 0 when the trace is written, 2 on bad input (the message
 * names the argument, file, line or JSON path, and what was expected).
 */
import { open } from 'node:fs/promises';
import { formatNs, type Ns } from '../base/time.ts';
import { DEFAULT_MAX_EXITS, exportTrace, traceJsonChunks, traceSourceOf, type ChromeTrace } from '../model/traceExport.ts';
import { Simulation } from '../sim/simulation.ts';
import type { Io } from './main.ts';
import { BadInput, durationOption, loadScenario, resolveOrFail, seedOption } from './load.ts';

export const TRACE_USAGE = 'trace <scenario.json | preset-id> -o <out.json | -> [--from T] [--to T] [--max-exits N] [--seed N]';


interface TraceArgs {
  input: string;
  output: string;
  from: Ns | null;
  to: Ns | null;
  maxExits: number;
  seed: number | null;
}

function parseTraceArgs(args: string[]): TraceArgs {
  const positional: string[] = [];
  const r: TraceArgs = { input: '', output: '', from: null, to: null, maxExits: DEFAULT_MAX_EXITS, seed: null };
  let haveOutput = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const long = a.startsWith('--');
    const [rawName, inline] = long ? a.slice(2).split('=', 2) : [a.slice(1), undefined];
    const name = rawName === 'o' ? 'output' : rawName;
    if (!['output', 'from', 'to', 'max-exits', 'seed'].includes(name) || (!long && rawName !== 'o')) {
      throw new BadInput(`unknown option ${a}; expected -o, --from, --to, --max-exits or --seed\nusage: caretaker-lab ${TRACE_USAGE}`);
    }
    const v = inline ?? args[++i];
    if (v === undefined) throw new BadInput(`${long ? `--${rawName}` : '-o'} needs a value`);
    switch (name) {
      case 'output':
        if (!v) throw new BadInput('-o needs a file name, or - for stdout');
        r.output = v;
        haveOutput = true;
        break;
      case 'from':
        r.from = durationOption('from', v);
        break;
      case 'to':
        r.to = durationOption('to', v);
        break;
      case 'max-exits': {
        const n = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new BadInput(`--max-exits ${JSON.stringify(v)}: expected a non-negative integer`);
        r.maxExits = n;
        break;
      }
      case 'seed':
        r.seed = seedOption(v);
        break;
    }
  }
  if (positional.length !== 1) throw new BadInput(`trace needs one scenario file or preset id, got ${positional.length}\nusage: caretaker-lab ${TRACE_USAGE}`);
  if (!haveOutput) throw new BadInput(`trace needs -o <out.json> (or -o - for stdout)\nusage: caretaker-lab ${TRACE_USAGE}`);
  r.input = positional[0];
  return r;
}

/** Runs the scenario to the end of the window and builds its trace. */
async function buildTrace(args: TraceArgs): Promise<{ trace: ChromeTrace; where: string }> {
  const { raw, where } = await loadScenario(args.input);
  const sc = resolveOrFail(raw, where);
  if (args.seed !== null) sc.seed = args.seed;
  const from = args.from ?? 0;
  const to = args.to ?? sc.until;
  if (from > sc.until) throw new BadInput(`--from ${formatNs(from)}: after the end of the run (${where} runs until ${formatNs(sc.until)})`);
  if (to > sc.until) throw new BadInput(`--to ${formatNs(to)}: after the end of the run (${where} runs until ${formatNs(sc.until)})`);
  if (from >= to) throw new BadInput(`--from ${formatNs(from)} must be before --to ${formatNs(to)}`);
  const sim = new Simulation(sc);
  sim.runUntil(to);
  return { trace: exportTrace(traceSourceOf(sim.raw), { fromNs: from, toNs: to, maxExits: args.maxExits }), where };
}

function describeCounts(trace: ChromeTrace): string {
  const c = trace.otherData.events;
  const total = trace.traceEvents.length;
  const parts = ['X', 'i', 's', 'f', 'C', 'M'].filter((p) => c[p]).map((p) => `${p} ${c[p]}`);
  return `${total} events (${parts.join(', ')})`;
}

export async function cmdTrace(args: string[], io: Io): Promise<number> {
  let parsed: TraceArgs;
  let trace: ChromeTrace;
  let where: string;
  try {
    parsed = parseTraceArgs(args);
    ({ trace, where } = await buildTrace(parsed));
  } catch (e) {
    if (e instanceof BadInput) {
      io.err(`caretaker-lab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const ex = trace.otherData.exits;
  if (ex.capped) {
    io.err(
      `caretaker-lab: ${ex.inWindow} exits in the window, above --max-exits ${ex.maxExits}: the first ${ex.maxExits} (up to ${formatNs(ex.completeUntilNs ?? 0)}) and every stalled exit are slices; ` +
        `${ex.dropped} exits are only counted, in per-vCPU "exits/s" counters (bins of ${formatNs(ex.rateBinNs)}); narrow the window with --from/--to or raise --max-exits\n`,
    );
  }
  const summary = `caretaker-lab trace: ${where}, ${formatNs(trace.otherData.window.fromNs)} to ${formatNs(trace.otherData.window.toNs)}: wrote ${describeCounts(trace)}`;
  if (parsed.output === '-') {
    for (const chunk of traceJsonChunks(trace)) io.out(chunk);
    io.err(`${summary} to stdout\n`);
    return 0;
  }
  let fh;
  try {
    fh = await open(parsed.output, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(`caretaker-lab: -o ${parsed.output}: cannot write the file (${code === 'ENOENT' ? 'no such directory' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e))})\n`);
    return 2;
  }
  try {
    for (const chunk of traceJsonChunks(trace)) await fh.write(chunk);
  } finally {
    await fh.close();
  }
  io.out(`${summary} to ${parsed.output}\n`);
  return 0;
}
