/**
 * The engine's event queue: a 4-ary min-heap ordered by (time, insertion sequence), so events at
 * the same instant run in the order they were scheduled. Each entry carries a kind and two
 * integer arguments. Backed by typed arrays: no allocation per event, and structuredClone-able.
 * Four children per node halve the depth of a binary heap; the engine mostly replaces the top.
 */
import { enlarged } from './grow.ts';

export interface QueueState {
  size: number;
  seq: number;
  time: Float64Array;
  order: Float64Array;
  kind: Int32Array;
  a: Int32Array;
  b: Int32Array;
}

export function createQueue(capacity = 256): QueueState {
  return {
    size: 0,
    seq: 0,
    time: new Float64Array(capacity),
    order: new Float64Array(capacity),
    kind: new Int32Array(capacity),
    a: new Int32Array(capacity),
    b: new Int32Array(capacity),
  };
}

function grow(q: QueueState): void {
  const cap = q.time.length * 2;
  q.time = enlarged(q.time, cap);
  q.order = enlarged(q.order, cap);
  q.kind = enlarged(q.kind, cap);
  q.a = enlarged(q.a, cap);
  q.b = enlarged(q.b, cap);
}

/** Schedules an event; among equal times, earlier pushes pop first. */
export function push(q: QueueState, time: number, kind: number, a: number, b: number): void {
  if (q.size === q.time.length) grow(q);
  const order = q.seq++;
  let i = q.size++;
  const T = q.time;
  const O = q.order;
  const K = q.kind;
  const A = q.a;
  const B = q.b;
  while (i > 0) {
    const p = (i - 1) >> 2;
    const pt = T[p];
    if (pt < time || (pt === time && O[p] < order)) break;
    T[i] = pt;
    O[i] = O[p];
    K[i] = K[p];
    A[i] = A[p];
    B[i] = B[p];
    i = p;
  }
  T[i] = time;
  O[i] = order;
  K[i] = kind;
  A[i] = a;
  B[i] = b;
}

/** Removes the top entry (read it first through q.time[0], q.kind[0], q.a[0], q.b[0]). */
export function pop(q: QueueState): void {
  const n = --q.size;
  if (n === 0) return;
  siftDown(q, q.time[n], q.order[n], q.kind[n], q.a[n], q.b[n], n);
}

/** Replaces the top entry with a new event: one sift instead of a pop and a push. */
export function replaceTop(q: QueueState, time: number, kind: number, a: number, b: number): void {
  siftDown(q, time, q.seq++, kind, a, b, q.size);
}

function siftDown(q: QueueState, time: number, order: number, kind: number, a: number, b: number, n: number): void {
  const T = q.time;
  const O = q.order;
  const K = q.kind;
  const A = q.a;
  const B = q.b;
  let i = 0;
  for (;;) {
    const first = 4 * i + 1;
    if (first >= n) break;
    // the smallest of up to four children
    let c = first;
    let ct = T[c];
    const last = first + 4 < n ? first + 4 : n;
    for (let j = first + 1; j < last; j++) {
      const tj = T[j];
      if (tj < ct || (tj === ct && O[j] < O[c])) {
        c = j;
        ct = tj;
      }
    }
    if (time < ct || (time === ct && order < O[c])) break;
    T[i] = ct;
    O[i] = O[c];
    K[i] = K[c];
    A[i] = A[c];
    B[i] = B[c];
    i = c;
  }
  T[i] = time;
  O[i] = order;
  K[i] = kind;
  A[i] = a;
  B[i] = b;
}
