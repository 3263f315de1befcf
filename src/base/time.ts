/**
 * Simulated time: integer nanoseconds held in a JS number (exact up to 2^53 ns, about 104 days).
 * Parses and prints the duration strings of the scenario format ("250ns", "12us", "10ms", "1.5s").
 */
export type Ns = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

const UNIT_NS: Record<string, number> = { ns: 1, us: NS_PER_US, 'µs': NS_PER_US, ms: NS_PER_MS, s: NS_PER_S, min: 60 * NS_PER_S };

/** The accepted form, for error messages and the JSON Schema. */
export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(ns|us|µs|ms|s|min)\\s*$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

/**
 * Parses a duration: a non-negative integer (ns) or a string with a unit.
 * Returns null when the input is not a duration. Fractions are rounded to the nearest ns,
 * using decimal arithmetic on the digits so "1.000000001s" is exact.
 */
export function parseDuration(v: unknown): Ns | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v !== 'string' || !DURATION_RE.test(v)) return null;
  const m = /^\s*(\d+)(?:\.(\d+))?\s*(ns|us|µs|ms|s|min)\s*$/.exec(v)!;
  const scale = UNIT_NS[m[3]];
  const whole = Number(m[1]) * scale;
  let frac = 0;
  if (m[2]) {
    // scale is a power of ten (or 60e9): take as many fraction digits as the unit resolves
    const digits = m[2];
    let f = 0;
    let div = 1;
    for (let i = 0; i < digits.length && i < 12; i++) {
      f = f * 10 + (digits.charCodeAt(i) - 48);
      div *= 10;
    }
    frac = Math.round((f * scale) / div);
  }
  const ns = whole + frac;
  return Number.isSafeInteger(ns) ? ns : null;
}

/** Prints ns in the largest unit that keeps it readable: 1500000 → "1.5ms". */
export function formatNs(ns: Ns): string {
  if (!Number.isFinite(ns)) return String(ns);
  const sign = ns < 0 ? '-' : '';
  const a = Math.abs(ns);
  const fmt = (v: number, unit: string) => `${sign}${trim(v)}${unit}`;
  if (a >= NS_PER_S) return fmt(a / NS_PER_S, 's');
  if (a >= NS_PER_MS) return fmt(a / NS_PER_MS, 'ms');
  if (a >= NS_PER_US) return fmt(a / NS_PER_US, 'µs');
  return `${sign}${a}ns`;
}

/** Prints an instant as seconds with 6 decimals (µs), as the walkthrough does: 1.205050. */
export function formatInstant(ns: Ns): string {
  ns = Math.round(ns);
  const s = Math.floor(ns / NS_PER_S);
  const rest = ns - s * NS_PER_S;
  const us = Math.floor(rest / NS_PER_US);
  const subUs = rest - us * NS_PER_US;
  const base = `${s}.${String(us).padStart(6, '0')}`;
  return subUs ? `${base}${String(subUs).padStart(3, '0')}` : base;
}

function trim(v: number): string {
  return String(Number(v.toFixed(6)));
}
