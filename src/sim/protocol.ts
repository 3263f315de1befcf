/**
 * The messages between a SimClient and the simulation host (in process or in a Web Worker).
 * Everything here is plain data or typed arrays, so it crosses postMessage unchanged; log deltas
 * carry their arrays as transferables.
 */
import type { Ns } from '../base/time.ts';
import type { RunReport } from '../model/report.ts';
import type { SchemaError } from '../model/schema.ts';
import type { SimSnapshot } from '../model/snapshot.ts';
import type { EntKind } from '../model/engine/state.ts';

/** How much of the log the client already holds. */
export interface Have {
  events: number;
  strings: number;
  entities: number;
}

/** Log records from `base` on, with the strings and entities added since the client's `Have`. */
export interface LogDelta {
  base: number;
  /** The host's log length after this delta (shorter than the client's after a backward seek). */
  length: number;
  t: Float64Array;
  ks: Uint32Array;
  a: Uint32Array;
  b: Uint32Array;
  stringBase: number;
  strings: string[];
  entityBase: number;
  entities: { kind: EntKind; name: string; machine: string | null }[];
}

export type SimRequest =
  | { op: 'load'; scenario: unknown }
  | { op: 'runUntil'; t: Ns; have?: Have }
  | { op: 'seek'; t: Ns; have?: Have }
  | { op: 'step'; have?: Have }
  | { op: 'report'; design?: string; whole?: boolean }
  | { op: 'snapshot' }
  | { op: 'machines' }
  | { op: 'trace' };

/** A lifecycle machine as data, for drawing it. */
export interface MachineGraph {
  id: string;
  initial: string;
  states: { name: string; description: string; final: boolean }[];
  edges: { from: string; event: string; to: string }[];
}

export type LoadResult =
  | { ok: true; until: Ns; title: string; design: string; description: string; ringCapacity: number; estimatedEvents: number }
  | { ok: false; errors: SchemaError[] };

export type SimResponse =
  | { op: 'load'; result: LoadResult }
  | { op: 'snapshot'; snapshot: SimSnapshot; delta?: LogDelta }
  | { op: 'report'; report: RunReport }
  | { op: 'machines'; machines: MachineGraph[] }
  | { op: 'trace'; json: string; events: number; capped: boolean }
  | { op: 'error'; message: string };
