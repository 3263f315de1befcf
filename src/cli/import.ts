/**
 * `caretaker-lab import <file>`: reads a file of real VM-exit data (gunzipping `.gz` input), hands
 * its text to the pure importer (src/model/importers) and prints the workload profile: a human
 * summary, or with `--json` one JSON object. Exit status 0 when the file gave exit counts, 2 for
 * bad input or a file with nothing usable (the message names the file and what, and where).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { buildProfile, importExits, MSR_WRITE_KINDS, seconds, type MsrWriteKind, type Profile } from '../model/importers/index.ts';
import type { Io } from './main.ts';

export const IMPORT_USAGE =
  'import <file> [--json] [--table N] [--seconds S] [--vcpus N] [--msr-write tsc-deadline|x2apic-icr|other]';

class BadInput extends Error {}

interface ImportFlags {
  file: string | null;
  json: boolean;
  table?: number;
  seconds?: number;
  vcpus?: number;
  msrWrite?: MsrWriteKind;
}

function positive(name: string, v: string, integer: boolean): number {
  const n = Number(v);
  const ok = integer ? /^\d+$/.test(v) && n >= 1 && Number.isSafeInteger(n) : /^\d+(\.\d+)?$|^\.\d+$/.test(v) && n > 0 && Number.isFinite(n);
  if (!ok) throw new BadInput(`import: --${name} ${JSON.stringify(v)}: expected ${integer ? 'a whole number, 1 or more' : 'a number of seconds above 0'}`);
  return n;
}

function parseImportFlags(args: string[]): ImportFlags {
  const f: ImportFlags = { file: null, json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      if (f.file !== null) throw new BadInput(`import: one file at a time; got ${JSON.stringify(f.file)} and ${JSON.stringify(a)}`);
      f.file = a;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (name === 'json') {
      f.json = true;
      continue;
    }
    if (!['table', 'seconds', 'vcpus', 'msr-write'].includes(name)) {
      throw new BadInput(`import: unknown option --${name}; expected --json, --table, --seconds, --vcpus, --msr-write`);
    }
    const v = eq < 0 ? args[++i] : a.slice(eq + 1);
    if (v === undefined) throw new BadInput(`import: --${name} needs a value`);
    if (name === 'table') f.table = positive(name, v, true);
    else if (name === 'seconds') f.seconds = positive(name, v, false);
    else if (name === 'vcpus') f.vcpus = positive(name, v, true);
    else {
      if (!(MSR_WRITE_KINDS as readonly string[]).includes(v)) throw new BadInput(`import: --msr-write ${JSON.stringify(v)}: expected ${MSR_WRITE_KINDS.join(', ')}`);
      f.msrWrite = v as MsrWriteKind;
    }
  }
  return f;
}

/** The file's text; `.gz` (or gzip magic) is decompressed. */
async function readText(file: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInput(`${file}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e))})`);
  }
  if (file.endsWith('.gz') || (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new BadInput(`${file}: not valid gzip data (${(e as Error).message})`);
    }
  }
  return buf.toString('utf8');
}

export async function cmdImport(args: string[], io: Io): Promise<number> {
  try {
    const f = parseImportFlags(args);
    if (f.file === null) throw new BadInput(`import: which file? usage: caretaker-lab ${IMPORT_USAGE}`);
    const text = await readText(f.file);
    const result = importExits(text, f.file);
    const built = buildProfile(result, { table: f.table, seconds: f.seconds, vcpus: f.vcpus, msrWrite: f.msrWrite });
    if (!built.ok) {
      const where = result.unread.examples.map((u) => `\n  line ${u.line}: ${u.text}`).join('');
      throw new BadInput(`${f.file}: ${built.error}${where && !result.sections.length ? `\nfirst lines not read:${where}` : ''}`);
    }
    io.out(f.json ? `${JSON.stringify(profileJson(built.profile), null, 2)}\n` : renderProfile(built.profile));
    return 0;
  } catch (e) {
    if (e instanceof BadInput) {
      io.err(`caretaker-lab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** The `--json` object: the profile with the field order of the issue. */
export function profileJson(p: Profile): Record<string, unknown> {
  return {
    file: p.file,
    format: p.format,
    arch: p.arch,
    durationSec: p.durationSec,
    vcpus: p.vcpus,
    table: p.table,
    exits: p.exits,
    reasons: p.reasons,
    notModelled: p.notModelled,
    unread: p.unread,
    skipped: p.skipped,
    assumptions: p.assumptions,
    notes: p.notes,
    lineForms: p.lineForms,
    workload: p.workload,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function table(head: string[], rows: string[][], left: number): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** The human summary. */
export function renderProfile(p: Profile): string {
  const out: string[] = [];
  out.push(`${p.file}`);
  out.push(`format     ${p.format}`);
  out.push(`table      ${p.table.index} of ${p.table.of}, line ${p.table.line}${p.table.title ? `: ${p.table.title}` : ''}`);
  out.push(`arch       ${p.arch}`);
  out.push(`duration   ${p.durationSec === null ? 'not stated (give --seconds S)' : `${seconds(p.durationSec)} s`}`);
  out.push(`vCPUs      ${p.vcpus === null ? 'not stated (give --vcpus N)' : p.vcpus}`);
  out.push(`exits      ${p.exits}`);
  out.push('');
  out.push(
    table(
      ['reason', 'lab id', 'count', 'share', 'file %', 'rate/s per vCPU'],
      p.reasons.map((r) => [
        r.reason,
        r.labId ?? 'not modelled',
        String(r.count),
        pct(r.share),
        r.filePercent === null ? '—' : `${r.filePercent.toFixed(2)}%`,
        r.ratePerVcpu === null ? '—' : String(r.ratePerVcpu),
      ]),
      2,
    ),
  );
  out.push('');
  out.push(`not modelled: ${p.notModelled.count} exits (${pct(p.notModelled.share)})`);
  out.push(`unread lines: ${p.unread.count}`);
  for (const u of p.unread.examples) out.push(`  line ${u.line}: ${u.text}`);
  if (p.unread.count > p.unread.examples.length) out.push(`  ... and ${p.unread.count - p.unread.examples.length} more`);
  for (const s of p.skipped) out.push(`skipped: line ${s.line}: ${s.what}: ${s.why}`);
  if (p.lineForms) {
    out.push('kvm_exit line forms:');
    for (const [k, v] of Object.entries(p.lineForms.headers)) out.push(`  ${String(v).padStart(6)}  header: ${k}`);
    for (const [k, v] of Object.entries(p.lineForms.bodies)) out.push(`  ${String(v).padStart(6)}  body: ${k}`);
  }
  if (p.assumptions.length) {
    out.push('assumptions:');
    for (const a of p.assumptions) out.push(`  ASSUMPTION: ${a}`);
  }
  if (p.notes.length) {
    out.push('notes:');
    for (const n of p.notes) out.push(`  ${n}`);
  }
  out.push('');
  if (p.workload) {
    out.push('workload (use as vms[].workload):');
    out.push(JSON.stringify(p.workload));
  } else if (p.durationSec !== null) {
    out.push('no workload: a scenario would refuse these rates (see notes); the shares above are what the file gives');
  } else {
    out.push(`no workload: rates need --seconds S${p.vcpus === null ? ' (and --vcpus N)' : ''}; the shares above are what the file gives`);
  }
  return `${out.join('\n')}\n`;
}
