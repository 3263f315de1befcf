/**
 * A small schema language: one definition gives validation (every error with its JSON path and
 * the expected form), defaults with their sources, and a published JSON Schema for editors.
 * Unknown keys are errors everywhere, which also rejects "__proto__" and "constructor".
 */
import { DURATION_PATTERN, parseDuration } from '../base/time.ts';

export interface Meta {
  /** What the field means, shown as hover text in the editor. */
  description?: string;
  /** The value used when the field is absent. */
  default?: unknown;
  /** Where the default comes from (a research note section) or "ASSUMPTION". */
  source?: string;
}

export type Schema =
  | ({ kind: 'object'; props: Record<string, Schema>; required: string[] } & Meta)
  | ({ kind: 'array'; items: Schema; minItems?: number; maxItems?: number } & Meta)
  | ({ kind: 'integer'; min?: number; max?: number } & Meta)
  | ({ kind: 'number'; min?: number; max?: number } & Meta)
  | ({ kind: 'boolean' } & Meta)
  | ({ kind: 'string'; minLength?: number; maxLength?: number; pattern?: string; patternText?: string } & Meta)
  | ({ kind: 'enum'; values: readonly (string | number)[] } & Meta)
  | ({ kind: 'duration'; min?: number; max?: number } & Meta)
  | ({ kind: 'union'; variants: Schema[]; expected: string; discriminator?: string } & Meta)
  | ({ kind: 'record'; keys: readonly string[]; values: Schema; keyText: string } & Meta);

export interface SchemaError {
  /** JSON path, e.g. `$.vms[0].pinning[1]`. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
}

export const s = {
  object: (props: Record<string, Schema>, required: string[] = [], meta: Meta = {}): Schema => ({ kind: 'object', props, required, ...meta }),
  array: (items: Schema, meta: Meta & { minItems?: number; maxItems?: number } = {}): Schema => ({ kind: 'array', items, ...meta }),
  integer: (meta: Meta & { min?: number; max?: number } = {}): Schema => ({ kind: 'integer', ...meta }),
  number: (meta: Meta & { min?: number; max?: number } = {}): Schema => ({ kind: 'number', ...meta }),
  boolean: (meta: Meta = {}): Schema => ({ kind: 'boolean', ...meta }),
  string: (meta: Meta & { minLength?: number; maxLength?: number; pattern?: string; patternText?: string } = {}): Schema => ({ kind: 'string', ...meta }),
  enumOf: (values: readonly (string | number)[], meta: Meta = {}): Schema => ({ kind: 'enum', values, ...meta }),
  duration: (meta: Meta & { min?: number; max?: number } = {}): Schema => ({ kind: 'duration', ...meta }),
  union: (variants: Schema[], expected: string, meta: Meta & { discriminator?: string } = {}): Schema => ({ kind: 'union', variants, expected, ...meta }),
  record: (keys: readonly string[], values: Schema, keyText: string, meta: Meta = {}): Schema => ({ kind: 'record', keys, values, keyText, ...meta }),
};


const DURATION_TEXT = 'a duration: a string with a unit ("250ns", "12us", "10ms", "1.5s") or an integer number of ns';

export function describeExpected(sc: Schema): string {
  switch (sc.kind) {
    case 'object':
      return 'an object';
    case 'array':
      if (sc.minItems !== undefined && sc.maxItems !== undefined) return `an array of ${sc.minItems} to ${sc.maxItems} items`;
      if (sc.minItems !== undefined) return `an array of at least ${sc.minItems} items`;
      if (sc.maxItems !== undefined) return `an array of at most ${sc.maxItems} items`;
      return 'an array';
    case 'integer':
      return `an integer${range(sc.min, sc.max)}`;
    case 'number':
      return `a number${range(sc.min, sc.max)}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return sc.patternText ?? `a string${sc.maxLength !== undefined ? ` of at most ${sc.maxLength} characters` : ''}`;
    case 'enum':
      return `one of ${sc.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'duration':
      return sc.min ? `${DURATION_TEXT}, at least ${sc.min} ns` : DURATION_TEXT;
    case 'union':
      return sc.expected;
    case 'record':
      return `an object whose keys are ${sc.keyText}`;
  }
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates `value` against `sc`; returns every error found (empty when valid). */
export function validate(sc: Schema, value: unknown, path = '$', errors: SchemaError[] = []): SchemaError[] {
  const bad = () => errors.push({ path, message: `expected ${describeExpected(sc)}, got ${typeName(value)}` });
  switch (sc.kind) {
    case 'object': {
      if (!isPlainObject(value)) return bad(), errors;
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(sc.props, key)) {
          errors.push({ path: childPath(path, key), message: `unknown key ${JSON.stringify(key)}; expected one of ${Object.keys(sc.props).map((k) => JSON.stringify(k)).join(', ')}` });
        }
      }
      for (const req of sc.required) {
        if (!Object.hasOwn(value, req)) errors.push({ path: childPath(path, req), message: `missing; expected ${describeExpected(sc.props[req])}` });
      }
      for (const [key, child] of Object.entries(sc.props)) {
        if (Object.hasOwn(value, key)) validate(child, value[key], childPath(path, key), errors);
      }
      return errors;
    }
    case 'array': {
      if (!Array.isArray(value)) return bad(), errors;
      if ((sc.minItems !== undefined && value.length < sc.minItems) || (sc.maxItems !== undefined && value.length > sc.maxItems)) {
        errors.push({ path, message: `expected ${describeExpected(sc)}, got ${value.length}` });
      }
      value.forEach((v, i) => validate(sc.items, v, childPath(path, i), errors));
      return errors;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || (sc.min !== undefined && value < sc.min) || (sc.max !== undefined && value > sc.max)) bad();
      return errors;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || (sc.min !== undefined && value < sc.min) || (sc.max !== undefined && value > sc.max)) bad();
      return errors;
    case 'boolean':
      if (typeof value !== 'boolean') bad();
      return errors;
    case 'string':
      if (
        typeof value !== 'string' ||
        (sc.minLength !== undefined && value.length < sc.minLength) ||
        (sc.maxLength !== undefined && value.length > sc.maxLength) ||
        (sc.pattern !== undefined && !new RegExp(sc.pattern, 'u').test(value))
      )
        bad();
      return errors;
    case 'enum':
      if (!sc.values.includes(value as string | number)) bad();
      return errors;
    case 'duration': {
      const ns = parseDuration(value);
      if (ns === null || (sc.max !== undefined && ns > sc.max) || (sc.min !== undefined && ns < sc.min)) bad();
      return errors;
    }
    case 'union': {
      if (sc.discriminator && isPlainObject(value)) {
        const key = sc.discriminator;
        const tag = value[key];
        const pick = sc.variants.find((v) => v.kind === 'object' && v.props[key]?.kind === 'enum' && v.props[key].values.includes(tag as string));
        if (pick) return validate(pick, value, path, errors);
        const tags = sc.variants.flatMap((v) => (v.kind === 'object' && v.props[key]?.kind === 'enum' ? v.props[key].values : []));
        errors.push({ path: childPath(path, key), message: `expected one of ${tags.map((t) => JSON.stringify(t)).join(', ')}, got ${typeName(tag)}` });
        return errors;
      }
      const attempts = sc.variants.map((v) => validate(v, value, path, []));
      const ok = attempts.findIndex((e) => e.length === 0);
      if (ok >= 0) return errors;
      // report the variant whose JSON type matches, if exactly one does
      const matching = sc.variants.map((v, i) => [sameJsonType(v, value), i] as const).filter(([m]) => m);
      if (matching.length === 1) errors.push(...attempts[matching[0][1]]);
      else bad();
      return errors;
    }
    case 'record': {
      if (!isPlainObject(value)) return bad(), errors;
      for (const [key, v] of Object.entries(value)) {
        if (!sc.keys.includes(key)) errors.push({ path: childPath(path, key), message: `unknown key ${JSON.stringify(key)}; expected ${sc.keyText}` });
        else validate(sc.values, v, childPath(path, key), errors);
      }
      return errors;
    }
  }
}

function sameJsonType(sc: Schema, v: unknown): boolean {
  switch (sc.kind) {
    case 'object':
    case 'record':
      return isPlainObject(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'enum':
      return sc.values.some((x) => typeof x === typeof v);
    case 'duration':
      return typeof v === 'string' || typeof v === 'number';
    case 'union':
      return sc.variants.some((x) => sameJsonType(x, v));
  }
}

/** Hover text: meaning, default and source. */
export function hoverText(sc: Schema): string {
  const parts: string[] = [];
  if (sc.description) parts.push(sc.description);
  if (sc.default !== undefined) parts.push(`Default: ${JSON.stringify(sc.default)}.`);
  if (sc.source) parts.push(`Source: ${sc.source}.`);
  return parts.join(' ');
}

/** JSON Schema (draft 2020-12) for editors; `x-source` carries each default's source. */
export function toJsonSchema(sc: Schema): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const hover = hoverText(sc);
  if (hover) meta.description = hover;
  if (sc.default !== undefined) meta.default = sc.default;
  if (sc.source) meta['x-source'] = sc.source;
  switch (sc.kind) {
    case 'object':
      return {
        type: 'object',
        ...meta,
        properties: Object.fromEntries(Object.entries(sc.props).map(([k, v]) => [k, toJsonSchema(v)])),
        ...(sc.required.length ? { required: sc.required } : {}),
        additionalProperties: false,
      };
    case 'array':
      return { type: 'array', ...meta, items: toJsonSchema(sc.items), ...(sc.minItems !== undefined ? { minItems: sc.minItems } : {}), ...(sc.maxItems !== undefined ? { maxItems: sc.maxItems } : {}) };
    case 'integer':
    case 'number':
      return { type: sc.kind, ...meta, ...(sc.min !== undefined ? { minimum: sc.min } : {}), ...(sc.max !== undefined ? { maximum: sc.max } : {}) };
    case 'boolean':
      return { type: 'boolean', ...meta };
    case 'string':
      return {
        type: 'string',
        ...meta,
        ...(sc.minLength !== undefined ? { minLength: sc.minLength } : {}),
        ...(sc.maxLength !== undefined ? { maxLength: sc.maxLength } : {}),
        ...(sc.pattern !== undefined ? { pattern: sc.pattern } : {}),
      };
    case 'enum':
      return { ...meta, enum: [...sc.values] };
    case 'duration':
      return { ...meta, anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { type: 'integer', minimum: 0 }] };
    case 'union':
      return { ...meta, anyOf: sc.variants.map(toJsonSchema) };
    case 'record':
      return {
        type: 'object',
        ...meta,
        propertyNames: { enum: [...sc.keys] },
        additionalProperties: toJsonSchema(sc.values),
      };
  }
}
