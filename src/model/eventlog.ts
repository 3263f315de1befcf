/**
 * The event log: every event of a run, in order, in chunked typed arrays (20 bytes per event:
 * time f64, kind and subject u32, two u32 arguments), with a running 64-bit digest over all of it
 * (the eventLogHash) and a table of interned strings that events refer to by index.
 */
import { createHash, digest, hashWords5, type HashState } from '../base/hash.ts';

export const CHUNK_BITS = 16;
export const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
export const BYTES_PER_EVENT = 20;

/** Log record kinds. Values are part of the hash: append only. */
export const L = {
  EXIT: 0,
  TRANSITION: 1,
  IPI_SEND: 2,
  IPI_DELIVER: 3,
  IPI_LOST: 4,
  PHASE: 5,
  OP: 6,
  KHO: 7,
  TRACE: 8,
  INVARIANT: 9,
  STEP: 10,
  FAULT: 11,
  EXEC: 12,
  WAIT: 13,
  IRQ: 14,
  MESSAGE: 15,
} as const;
/** In an EXIT record's `a`: bits 0-7 the exit kind, 8-11 the disposition, bit 12 set when the vCPU ran detached in the gap. */
export const EXIT_GAP_BIT = 1 << 12;

/** IPI purposes by the code IPI records carry in the low 16 bits of `b` (from CPU in the high bits). Append only. */
export const IPI_PURPOSE_NAMES = ['detach', 'attach', 'invalidate', 'stop', 'init-sipi', 'guest', 'kick', 'park'] as const;

export const LOG_KIND_NAMES = ['exit', 'transition', 'ipi-send', 'ipi-deliver', 'ipi-lost', 'phase', 'op', 'kho', 'trace', 'invariant', 'step', 'fault', 'exec', 'wait', 'irq', 'message'];

interface Chunk {
  t: Float64Array;
  ks: Uint32Array;
  a: Uint32Array;
  b: Uint32Array;
}

export class EventLog {
  length = 0;
  chunks: Chunk[] = [];
  hash: HashState = createHash();
  strings: string[] = [];
  private index = new Map<string, number>();

  /** Appends one record; `subject` < 2^24, `kind` < 256. */
  push(t: number, kind: number, subject: number, a: number, b: number): void {
    const n = this.length;
    const ci = n >>> CHUNK_BITS;
    let c = this.chunks[ci];
    if (c === undefined) {
      c = { t: new Float64Array(CHUNK), ks: new Uint32Array(CHUNK), a: new Uint32Array(CHUNK), b: new Uint32Array(CHUNK) };
      this.chunks.push(c);
    }
    const i = n & MASK;
    const ks = ((kind << 24) | subject) >>> 0;
    c.t[i] = t;
    c.ks[i] = ks;
    c.a[i] = a;
    c.b[i] = b;
    this.length = n + 1;
    hashWords5(this.hash, t >>> 0, (t / 4294967296) >>> 0, ks, a, b);
  }

  /** Index of a string in the table, adding it the first time. */
  str(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  time(i: number): number {
    return this.chunks[i >>> CHUNK_BITS].t[i & MASK];
  }
  kind(i: number): number {
    return this.chunks[i >>> CHUNK_BITS].ks[i & MASK] >>> 24;
  }
  subject(i: number): number {
    return this.chunks[i >>> CHUNK_BITS].ks[i & MASK] & 0xffffff;
  }
  a(i: number): number {
    return this.chunks[i >>> CHUNK_BITS].a[i & MASK];
  }
  b(i: number): number {
    return this.chunks[i >>> CHUNK_BITS].b[i & MASK];
  }

  digest(): string {
    return digest(this.hash);
  }

  /** Bytes held by the typed arrays. */
  bytes(): number {
    return this.chunks.length * CHUNK * BYTES_PER_EVENT;
  }

  /** Where a rewind can return to: length, digest state and string count. */
  mark(): { length: number; hash: Uint32Array; strings: number } {
    return { length: this.length, hash: this.hash.slice(), strings: this.strings.length };
  }

  /** Drops every event and string after a mark. */
  rewind(m: { length: number; hash: Uint32Array; strings: number }): void {
    this.length = m.length;
    this.hash = m.hash.slice();
    this.chunks.length = Math.ceil(m.length / CHUNK);
    for (let i = m.strings; i < this.strings.length; i++) this.index.delete(this.strings[i]);
    this.strings.length = m.strings;
  }

  /** First index with time > t (binary search; times are non-decreasing). */
  upperBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time(mid) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
