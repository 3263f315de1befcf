/**
 * The one seeded pseudo-random generator of a run: xoshiro128** seeded through splitmix32.
 * Integer-only (Math.imul, shifts), so every runtime draws the same sequence for a seed.
 * Its state is a Uint32Array, which structuredClone copies for checkpoints.
 */
import { ln } from './detmath.ts';

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

/**
 * Exponential inter-arrival in ns for a Poisson process of `ratePerNs` events per ns,
 * rounded to the nearest ns and at least 1 ns. Uses the engine's deterministic ln.
 */
export function nextExpNs(s: PrngState, ratePerNs: number): number {
  const u = 1 - nextFloat(s); // (0, 1]
  const v = Math.round(-ln(u) / ratePerNs);
  return v < 1 ? 1 : v;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
