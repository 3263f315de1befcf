/**
 * The one seeded pseudo-random generator of a run: xoshiro128** seeded through splitmix32.
 * Integer-only (Math.imul, shifts), so every runtime draws the same sequence for a seed.
 * Its state is a Uint32Array, which structuredClone copies for checkpoints.
 */
import { exp, ln } from './detmath.ts';

export type PrngState = Uint32Array;

export function seedPrng(seed: number): PrngState {
  const s = new Uint32Array(4);
  let x = (seed >>> 0) ^ 0x9e3779b9;
  let hi = Math.floor(seed / 4294967296) >>> 0;
  for (let i = 0; i < 4; i++) {
    // splitmix32 step, mixing in the high half of the seed
    x = (x + 0x9e3779b9 + hi) | 0;
    hi = 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return s;
}

/** Next 32-bit unsigned value (xoshiro128**). */
export function nextU32(s: PrngState): number {
  const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return r;
}

/** Uniform in [0, 1) with 32 bits of resolution. */
export function nextFloat(s: PrngState): number {
  return nextU32(s) / 4294967296;
}

// Ziggurat tables for the unit exponential (Marsaglia & Tsang 2000, 256 strips), built with the
// deterministic ln and exp. The strip index takes the top 8 bits of a draw and the abscissa the
// low 24, so the two are independent (Doornik 2005).
const ZR = 7.697117470131487;
const ZV = 3.949659822581572e-3;
const M24 = 16777216;
const KE = new Uint32Array(256);
const WE = new Float64Array(256);
const FE = new Float64Array(256);
{
  let de = ZR;
  let te = de;
  const q = ZV / exp(-de);
  KE[0] = Math.floor((de / q) * M24);
  KE[1] = 0;
  WE[0] = q / M24;
  WE[255] = de / M24;
  FE[0] = 1;
  FE[255] = exp(-de);
  for (let i = 254; i >= 1; i--) {
    de = -ln(ZV / de + exp(-de));
    KE[i + 1] = Math.floor((de / te) * M24);
    te = de;
    FE[i] = exp(-de);
    WE[i] = de / M24;
  }
}

/** A unit exponential variate (mean 1): one 32-bit draw almost always (ziggurat). */
export function nextExpUnit(s: PrngState): number {
  for (;;) {
    const u = nextU32(s);
    const i = u >>> 24;
    const j = u & 0xffffff;
    if (j < KE[i]) return j * WE[i];
    if (i === 0) return ZR - ln(1 - nextFloat(s)); // the tail: memoryless beyond ZR
    const x = j * WE[i];
    if (FE[i] + nextFloat(s) * (FE[i - 1] - FE[i]) < exp(-x)) return x;
  }
}

/**
 * Exponential inter-arrival in ns with mean `meanNs` (a Poisson process of rate 1/meanNs),
 * rounded to the nearest ns and at least 1 ns.
 */
export function nextExpNs(s: PrngState, meanNs: number): number {
  const v = Math.round(nextExpUnit(s) * meanNs);
  return v < 1 ? 1 : v;
}

/**
 * A draw from a distribution given by quantiles evenly spaced in probability (linear between
 * them), multiplied by `scale`: an integer of at least 1.
 */
export function nextQuantileNs(s: PrngState, q: Float64Array, scale: number): number {
  const x = nextFloat(s) * (q.length - 1);
  const i = x | 0;
  const lo = q[i];
  const v = Math.round((lo + (q[i + 1] - lo) * (x - i)) * scale);
  return v < 1 ? 1 : v;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
