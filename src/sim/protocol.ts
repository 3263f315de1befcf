/**
 * The messages between a SimClient and the simulation host (in process or in a Web Worker).
 * Everything here is plain data, so it crosses postMessage unchanged.
 */
import type { Ns } from '../base/time.ts';
import type { RunReport } from '../model/report.ts';
import type { SchemaError } from '../model/schema.ts';
import type { SimSnapshot } from '../model/snapshot.ts';

export type SimRequest =
  | { op: 'load'; scenario: unknown }
  | { op: 'runUntil'; t: Ns }
  | { op: 'seek'; t: Ns }
  | { op: 'step' }
  | { op: 'report' }
  | { op: 'snapshot' };

export type LoadResult = { ok: true; until: Ns; title: string; design: string } | { ok: false; errors: SchemaError[] };

export type SimResponse =
  | { op: 'load'; result: LoadResult }
  | { op: 'snapshot'; snapshot: SimSnapshot }
  | { op: 'report'; report: RunReport }
  | { op: 'error'; message: string };
