// The base layer: durations, cpulists, the deterministic ln, the PRNG, the stable queue, the hash.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCpuList, parseCpuList } from '../src/base/cpulist.ts';
import { ln } from '../src/base/detmath.ts';
import { createHash, digest, hashWord } from '../src/base/hash.ts';
import { createQueue, pop, push } from '../src/base/heap.ts';
import { nextExpNs, nextFloat, nextU32, seedPrng } from '../src/base/prng.ts';
import { formatInstant, formatNs, parseDuration } from '../src/base/time.ts';

describe('durations', () => {
  it('parses units and integers exactly', () => {
    expect(parseDuration('250ns')).toBe(250);
    expect(parseDuration('12us')).toBe(12_000);
    expect(parseDuration('2.2us')).toBe(2_200);
    expect(parseDuration('10ms')).toBe(10_000_000);
    expect(parseDuration('1.5s')).toBe(1_500_000_000);
    expect(parseDuration('1.000000001s')).toBe(1_000_000_001);
    expect(parseDuration(42)).toBe(42);
    for (const bad of ['', '1', '1 parsec', '-1s', '1e3ms', 1.5, -3, null, {}]) expect(parseDuration(bad)).toBeNull();
  });
  it('prints readable durations and walkthrough instants', () => {
    expect(formatNs(1_060_000)).toBe('1.06ms');
    expect(formatNs(8_690_000_000)).toBe('8.69s');
    expect(formatNs(480)).toBe('480ns');
    expect(formatInstant(9_692_112_000)).toBe('9.692112');
    expect(formatInstant(1_000_000_500)).toBe('1.000000500');
  });
});

describe('cpulist', () => {
  it('round-trips the kernel format', () => {
    expect(parseCpuList('0-1,4,6-7')).toEqual([0, 1, 4, 6, 7]);
    expect(formatCpuList([7, 6, 4, 1, 0])).toBe('0-1,4,6-7');
    expect(parseCpuList('3-1')).toBeNull();
    expect(parseCpuList('a')).toBeNull();
  });
});

describe('deterministic math and PRNG', () => {
  it('ln agrees with Math.log to within 2 ulp over many magnitudes', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), (x) => {
        const a = ln(x);
        const b = Math.log(x);
        expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(Math.abs(b), 1) * 4.5e-16);
      }),
      { numRuns: 2000, seed: 42 },
    );
    expect(() => ln(0)).toThrow();
  });

  it('a seed gives one sequence; different seeds differ', () => {
    const a = seedPrng(1);
    const b = seedPrng(1);
    const c = seedPrng(2);
    const xs = Array.from({ length: 5 }, () => nextU32(a));
    expect(Array.from({ length: 5 }, () => nextU32(b))).toEqual(xs);
    expect(Array.from({ length: 5 }, () => nextU32(c))).not.toEqual(xs);
    expect(xs).toEqual([expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)]);
  });

  it('exp agrees with Math.exp', async () => {
    const { exp } = await import('../src/base/detmath.ts');
    fc.assert(
      fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (x) => {
        expect(Math.abs(exp(x) - Math.exp(x))).toBeLessThanOrEqual(Math.exp(x) * 1e-14);
      }),
      { numRuns: 2000, seed: 5 },
    );
  });

  it('the ziggurat draws a unit exponential: mean, variance, tail and a Kolmogorov-Smirnov test', async () => {
    const { nextExpUnit } = await import('../src/base/prng.ts');
    const s = seedPrng(11);
    const n = 200_000;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = nextExpUnit(s);
    let sum = 0;
    let sq = 0;
    let tail = 0;
    for (const x of xs) {
      sum += x;
      sq += x * x;
      if (x > 7.697117470131487) tail++;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(1, 2);
    expect(sq / n - mean * mean).toBeCloseTo(1, 1);
    expect(tail / n).toBeCloseTo(Math.exp(-7.697117470131487), 3); // the tail strip is sampled
    xs.sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = 1 - Math.exp(-xs[i]);
      d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
    }
    expect(d).toBeLessThan(1.63 / Math.sqrt(n)); // KS at the 1 % level
  });

  it('exponential inter-arrivals have the requested mean', () => {
    const s = seedPrng(7);
    let sum = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) sum += nextExpNs(s, 500_000);
    expect(sum / n).toBeGreaterThan(497_000);
    expect(sum / n).toBeLessThan(503_000);
    let u = 0;
    for (let i = 0; i < n; i++) u += nextFloat(s);
    expect(u / n).toBeCloseTo(0.5, 2);
  });
});

describe('event queue', () => {
  it('pops in time order, and in push order among equal times', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 300 }), (times) => {
        const q = createQueue(4);
        times.forEach((t, i) => push(q, t, 0, i, 0));
        const out: [number, number][] = [];
        while (q.size) {
          out.push([q.time[0], q.a[0]]);
          pop(q);
        }
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect(out).toEqual(expected);
      }),
      { numRuns: 200, seed: 1 },
    );
  });
});

describe('hash', () => {
  it('depends on every word and on order', () => {
    const h = (ws: number[]) => {
      const s = createHash();
      ws.forEach((w) => hashWord(s, w));
      return digest(s);
    };
    expect(h([1, 2, 3])).toBe(h([1, 2, 3]));
    expect(h([1, 2, 3])).not.toBe(h([1, 3, 2]));
    expect(h([1, 2, 3])).not.toBe(h([1, 2, 4]));
    expect(h([])).not.toBe(h([0]));
  });
});

describe('JSON error positions', () => {
  it('finds the first error as line and column, whatever the engine says', async () => {
    const { jsonErrorAt, parseJson } = await import('../src/base/jsonpos.ts');
    expect(jsonErrorAt('{"a": [1, 2]}')).toBeNull();
    expect(jsonErrorAt('{\n  "version": 1,\n  "vms": [\n}')).toMatchObject({ line: 4, column: 1, message: 'expected a value' });
    expect(jsonErrorAt('{"a" 1}')).toMatchObject({ line: 1, column: 6, message: 'expected ":"' });
    expect(jsonErrorAt('{"a": "x')).toMatchObject({ message: 'unterminated string' });
    expect(jsonErrorAt('[1,]')).toMatchObject({ column: 4 });
    expect(jsonErrorAt('{} x')).toMatchObject({ message: 'unexpected text after the JSON value' });
    expect(parseJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJson('')).toEqual({ ok: false, error: 'line 1, column 1: unexpected end of text' });
    // agrees with JSON.parse on what is valid
    fc.assert(
      fc.property(fc.json(), fc.nat(40), (text, cut) => {
        const t = text.slice(0, Math.max(0, text.length - cut));
        let valid = true;
        try {
          JSON.parse(t);
        } catch {
          valid = false;
        }
        expect(jsonErrorAt(t) === null).toBe(valid);
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});
