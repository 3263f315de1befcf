// The lab's URL (design.md §5, docs/url.md): a shared link reads back exactly; every kind of bad
// link becomes a message, never an exception and never a scenario.
import LZString from 'lz-string';
const { compressToEncodedURIComponent } = LZString;
import { describe, expect, it } from 'vitest';
import { parseLabUrl, scenarioFromHash, shareUrl } from '../src/ui/url.ts';
import { presetById } from '../src/model/presets.ts';

const raw = presetById('converged-idle')!.scenario;
const split = (u: string) => {
  const url = new URL(u);
  return parseLabUrl(url.search, url.hash);
};

describe('share URLs', () => {
  it('round-trips the scenario, cursor, window and hash', () => {
    const u = shareUrl('https://lab.example/caretaker/', raw, { cursor: 9_690_000_123, view: { t0: 9_600_000_000, t1: 9_700_000_000 }, hash: '0123456789abcdef' });
    expect(u).toMatch(/^https:\/\/lab\.example\/caretaker\/\?t=9690000123&view=9600000000%2C9700000000&h=0123456789abcdef#s=[A-Za-z0-9+\-$]+$/);
    const back = split(u);
    expect(back).toEqual({ scenario: { kind: 'inline', raw }, problem: null, t: 9_690_000_123, view: { t0: 9_600_000_000, t1: 9_700_000_000 }, hash: '0123456789abcdef', theme: 'light', embed: false, lesson: null, step: null });
  });
  it('reads #p=<preset-id>, theme and embed', () => {
    expect(parseLabUrl('?embed=1&theme=projector', '#p=wedged-cpu')).toMatchObject({ scenario: { kind: 'preset', id: 'wedged-cpu' }, embed: true, theme: 'projector' });
  });
  it('reads a fragment some tool percent-encoded', () => {
    const packed = compressToEncodedURIComponent(JSON.stringify(raw));
    expect(scenarioFromHash(`#s=${encodeURIComponent(packed).replace(/\+/g, '%2B').replace(/\$/g, '%24')}`).scenario).toEqual({ kind: 'inline', raw });
  });
  it('ignores malformed view parameters instead of failing', () => {
    expect(parseLabUrl('?t=abc&view=5,3&h=xyz', '')).toMatchObject({ t: null, view: null, hash: null, scenario: null, problem: null });
  });
});

describe('bad links', () => {
  const packed = compressToEncodedURIComponent(JSON.stringify(raw));
  const problem = (hash: string) => scenarioFromHash(hash);
  it('a truncated link', () => {
    const r = problem(`#s=${packed.slice(0, Math.floor(packed.length / 2))}`);
    expect(r.scenario).toBeNull();
    expect(r.problem).toMatch(/truncated/);
  });
  it('a fragment that is not lz-string', () => {
    expect(problem('#s=<script>alert(1)</script>').problem).toMatch(/not lz-string encoded/);
    expect(problem('#s=').problem).toMatch(/not lz-string encoded/);
  });
  it('lz-string that holds no JSON', () => {
    expect(problem(`#s=${compressToEncodedURIComponent('{"version": 1, "vms": [')}`).problem).toMatch(/not valid JSON/);
  });
  it('over 1 MB, compressed or not', () => {
    expect(problem(`#s=${'A'.repeat((1 << 20) + 10)}`).problem).toMatch(/over 1024 KB/);
    const big = JSON.stringify({ version: 1, title: 'x'.repeat((1 << 20) + 1) });
    expect(problem(`#s=${compressToEncodedURIComponent(big)}`).problem).toMatch(/over 1 MB once decompressed/);
  });
  it('a scenario from a newer lab', () => {
    expect(problem(`#s=${compressToEncodedURIComponent(JSON.stringify({ ...raw, version: 7 }))}`).problem).toMatch(/version 7 scenario, made by a newer lab/);
  });
  it('an unknown preset or fragment', () => {
    expect(problem('#p=nope').problem).toMatch(/preset the lab does not have/);
    expect(problem('#x=1').problem).toMatch(/expected #s=<scenario> or #p=<preset-id>/);
  });
  it('__proto__ and constructor keys stay plain data (the schema refuses them later)', () => {
    const r = problem(`#s=${compressToEncodedURIComponent('{"version":1,"__proto__":{"polluted":1},"constructor":{"x":1},"vms":[]}')}`);
    expect(r.problem).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.scenario?.kind === 'inline' ? r.scenario.raw : null)).toBe(Object.prototype);
  });
});
