// The command line (design.md §4): run, presets, show, validate, their exit codes and messages.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { presetScenario } from './helpers.ts';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('caretaker-lab', () => {
  it('presets lists every preset with id, title and design', async () => {
    const r = await cli('presets', '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { id: string; title: string; design: string }[];
    expect(rows.map((x) => x.id)).toContain('converged-idle');
    expect(rows.find((x) => x.id === 'classic-baseline')).toMatchObject({ design: 'classic', title: 'Classic live update (no Caretaker)' });
    const text = await cli('presets');
    expect(text.out).toMatch(/^id\s+design\s+title$/m);
    expect(text.out).toMatch(/converged-idle\s+converged\s+Converged Caretaker, idle guest \(default\)/);
  });

  it('run --json prints a RunReport with every field of design.md §4', async () => {
    const r = await cli('run', 'converged-idle', '--json');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    expect(Object.keys(rep)).toEqual(expect.arrayContaining(['outcome', 'engine', 'phases', 'vms', 'vcpus', 'trace', 'invariants']));
    expect(rep.outcome).toBe('completed');
    expect(rep.engine).toMatchObject({ events: expect.any(Number), eventLogHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(Object.keys(rep.phases)).toEqual(['preserve', 'kexec', 'newKernelUp', 'adopted', 'finish']);
    expect(rep.vms[0]).toMatchObject({ name: 'vm0', blackoutNs: 1_060_000, pauseNs: expect.any(Number) });
    for (const v of rep.vcpus) {
      expect(v).toMatchObject({ vm: 'vm0', index: expect.any(Number), pcpu: expect.any(Number), guestNs: expect.any(Number), stalledNs: 0, longestStallNs: 0 });
      for (const c of Object.values(v.exits) as { total: number; fastpath: number; stalled: number; host: number; userspace: number }[]) {
        expect(c.total).toBe(c.fastpath + c.stalled + c.host + c.userspace);
      }
    }
    expect(Object.keys(rep.trace)).toEqual(['produced', 'consumed', 'dropped', 'pending']);
    expect(rep.invariants).toMatchObject({ checked: expect.any(Number), violations: [] });
  });

  it('run prints a summary table; --seed and --until change the run', async () => {
    const r = await cli('run', 'classic-baseline');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/outcome: completed/);
    expect(r.out).toMatch(/vm0\s+2\s+8\.69s/);
    const a = JSON.parse((await cli('run', 'converged-idle', '--json', '--seed', '7')).out);
    const b = JSON.parse((await cli('run', 'converged-idle', '--json')).out);
    expect(a.engine.eventLogHash).not.toBe(b.engine.eventLogHash);
    const c = JSON.parse((await cli('run', 'converged-idle', '--json', '--until', '1.4s')).out);
    expect(c.engine.nowNs).toBe(1_400_000_000);
    expect(c.outcome).toBe('in-progress');
  });

  it('exits 1 when an invariant is violated', async () => {
    const p = file('tsc.json', JSON.stringify(presetScenario('converged-idle', { faults: [{ kind: 'tsc-reset' }] })));
    const r = await cli('run', p);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/#9 at 9\.690056 s: vm0 TSC offset changed across the handover/);
  });

  it('exits 2 on bad input, naming the file, path or line and what was expected', async () => {
    const unknown = await cli('run', 'no-such-preset');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown preset "no-such-preset"; valid presets: converged-idle, classic-baseline/);
    const missing = await cli('run', join(dir, 'missing.json'));
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining(`${join(dir, 'missing.json')}: cannot read the file (no such file)`) });
    const broken = await cli('validate', file('broken.json', '{\n  "version": 1,\n  "vms": [\n}'));
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/broken\.json: not valid JSON: line 4, column 1/);
    const invalid = await cli('validate', file('invalid.json', JSON.stringify({ version: 1, vms: [{ name: 'vm0', vcpus: 2, pinning: [3, 3] }] })));
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/invalid\.json: invalid scenario\n  \$\.vms\[0\]\.pinning\[1\]: vm0 vCPU 1 on pCPU 3: -EBUSY/);
    expect((await cli('run', 'converged-idle', '--seed', 'x')).code).toBe(2);
    expect((await cli('frobnicate')).err).toMatch(/unknown command "frobnicate"/);
    expect((await cli('run', 'converged-idle', '--bogus')).err).toMatch(/unknown option --bogus/);
  });

  it('show prints a preset that validate accepts and run reproduces', async () => {
    const shown = await cli('show', 'madvise-free');
    expect(shown.code).toBe(0);
    const p = file('madvise.json', shown.out);
    expect(await cli('validate', p)).toMatchObject({ code: 0, out: `${p}: valid scenario (version 1)\n` });
    const fromFile = JSON.parse((await cli('run', p, '--json')).out);
    const fromPreset = JSON.parse((await cli('run', 'madvise-free', '--json')).out);
    expect(fromFile.engine.eventLogHash).toBe(fromPreset.engine.eventLogHash);
  });

  it('npx caretaker-lab runs as a process with the same exit codes', () => {
    const root = new URL('..', import.meta.url).pathname;
    const bin = join(root, 'bin', 'caretaker-lab.mjs');
    const ok = spawnSync(process.execPath, [bin, 'run', 'converged-idle', '--json'], { cwd: root, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).vms[0].blackoutNs).toBe(1_060_000);
    const bad = spawnSync(process.execPath, [bin, 'show', 'nope'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown preset "nope"/);
  });

  it('run --compare prints the designs side by side, each column equal to a run under that design', async () => {
    const r = await cli('run', 'converged-idle', '--compare', 'classic,converged,rfcv1');
    expect(r.code).toBe(0);
    const head = r.out.split('\n').find((l) => /^\s+classic\s+converged\s+rfcv1$/.test(l));
    expect(head).toBeDefined();
    // the blackout row: classic's whole gap, converged's attach window, the prototype's
    expect(r.out).toMatch(/^  vm0 blackout\s+8\.69s\s+1\.06ms\s+210\.01ms$/m);
    const json = JSON.parse((await cli('run', 'converged-idle', '--compare=classic,rfcv1', '--json')).out);
    expect(Object.keys(json)).toEqual(['classic', 'rfcv1']);
    const classic = await cli('run', 'converged-idle', '--json');
    const direct = JSON.parse(classic.out);
    expect(json.rfcv1.phases.adopted).toBe(9690100000);
    expect(json.classic.engine.untilNs).toBe(direct.engine.untilNs);
    expect(json.classic.vms[0].blackoutNs).toBeGreaterThan(8e9);
  });

  it('run --compare keeps a column for a design the scenario cannot run under, with the kernel reason', async () => {
    const r = await cli('run', 'rfcv1-8-on-1', '--compare', 'rfcv1,converged');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^outcome\s+completed\s+—$/m);
    expect(r.out).toMatch(/converged: cannot run this scenario: \$\.vms\[0\]\.pinning.*-EBUSY/);
    const none = await cli('run', 'rfcv1-8-on-1', '--compare', 'converged');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/preset rfcv1-8-on-1: cannot run under any of converged\n  converged: .*-EBUSY/);
  });

  it('run --compare rejects an unknown or repeated design', async () => {
    const bad = await cli('run', 'converged-idle', '--compare', 'classic,nope');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown design "nope"; expected a comma-separated list of classic, converged, rfcv1');
    expect((await cli('run', 'converged-idle', '--compare', 'classic,classic')).err).toContain('a design is listed twice');
  });

  it('run --compare exits 1 when a design breaks an invariant', async () => {
    const p = file('tsc-compare.json', JSON.stringify(presetScenario('converged-idle', { faults: [{ kind: 'tsc-reset' }] })));
    const r = await cli('run', p, '--compare', 'converged,classic');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/converged: 1 invariant violation\n  #9 at 9\.690056 s: vm0 TSC offset changed across the handover/);
    expect(r.out).toMatch(/classic: 1 invariant violation\n  #9 at/);
  });
});
