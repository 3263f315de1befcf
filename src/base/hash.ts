/**
 * A streaming 64-bit digest over 32-bit words: two 32-bit lanes (an FNV-1a step and a
 * rotate-add-multiply step per word) and a final avalanche. Integer-only, so it is identical in
 * Node, a Worker and a browser. Used for the event log hash; cheap enough for every event.
 */
export type HashState = Uint32Array; // [h1, h2, count]

export function createHash(): HashState {
  return Uint32Array.of(0x811c9dc5, 0x2545f491, 0);
}

export function hashWord(h: HashState, w: number): void {
  h[0] = Math.imul(h[0] ^ w, 0x01000193);
  const x = h[1];
  h[1] = Math.imul(((x << 7) | (x >>> 25)) + w, 0x9e3779b1);
  h[2] = (h[2] + 1) | 0;
}

/** Hashes five words at once (one event record) with the lanes in registers. */
export function hashWords5(h: HashState, w0: number, w1: number, w2: number, w3: number, w4: number): void {
  let a = h[0];
  let b = h[1];
  a = Math.imul(a ^ w0, 0x01000193);
  b = Math.imul(((b << 7) | (b >>> 25)) + w0, 0x9e3779b1);
  a = Math.imul(a ^ w1, 0x01000193);
  b = Math.imul(((b << 7) | (b >>> 25)) + w1, 0x9e3779b1);
  a = Math.imul(a ^ w2, 0x01000193);
  b = Math.imul(((b << 7) | (b >>> 25)) + w2, 0x9e3779b1);
  a = Math.imul(a ^ w3, 0x01000193);
  b = Math.imul(((b << 7) | (b >>> 25)) + w3, 0x9e3779b1);
  a = Math.imul(a ^ w4, 0x01000193);
  b = Math.imul(((b << 7) | (b >>> 25)) + w4, 0x9e3779b1);
  h[0] = a;
  h[1] = b;
  h[2] = (h[2] + 5) | 0;
}

/** Hex digest of the words hashed so far (16 hex digits). Does not change the state. */
export function digest(h: HashState): string {
  let a = h[0] ^ h[2];
  let b = h[1] ^ Math.imul(h[2], 0x85ebca6b);
  a = fmix(a ^ Math.imul(b, 0x9e3779b1));
  b = fmix(b ^ a);
  a = fmix(a ^ b);
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Digest of a string (UTF-16 code units), for fingerprints of scenarios and tables. */
export function hashString(s: string): string {
  const h = createHash();
  for (let i = 0; i < s.length; i++) hashWord(h, s.charCodeAt(i));
  return digest(h);
}
