/**
 * Deterministic math for the engine. Math.log and friends are not required to be correctly
 * rounded, so two JavaScript engines may disagree in the last bit; the event log hash must not.
 * These use only IEEE-754 basic operations and bit manipulation, which every engine does alike.
 */

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;

/** ln(x) by range reduction to [√½, √2) and the atanh series: slow, exact to an ulp; builds the table. */
function lnSeries(x: number): number {
  let e = 0;
  while (x >= 1.4142135623730951) {
    if (x >= 1.8446744073709552e19) {
      x *= 5.421010862427522e-20; // 2^-64
      e += 64;
    } else {
      x *= 0.5;
      e += 1;
    }
  }
  while (x < 0.7071067811865476) {
    if (x < 5.421010862427522e-20) {
      x *= 1.8446744073709552e19;
      e -= 64;
    } else {
      x *= 2;
      e -= 1;
    }
  }
  // ln(x) = 2 atanh(s), s = (x-1)/(x+1), |s| <= 0.1716
  const s = (x - 1) / (x + 1);
  const s2 = s * s;
  let term = s;
  let sum = s;
  for (let k = 3; k <= 39; k += 2) {
    term *= s2;
    sum += term / k;
  }
  return e * LN2_HI + (e * LN2_LO + 2 * sum);
}

// ln(1 + k/256) and 1/(1 + k/256), k = 0..255, computed with the series above (so identical everywhere)
const LN_C = new Float64Array(256);
const INV_C = new Float64Array(256);
for (let k = 0; k < 256; k++) {
  LN_C[k] = lnSeries(1 + k / 256);
  INV_C[k] = 1 / (1 + k / 256);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high 32-bit word of a float64 in this platform's byte order. */
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

function lnSpecial(x: number): number {
  if (!(x > 0)) throw new RangeError(`ln: ${x} is not > 0`);
  if (x === Infinity) return Infinity;
  return lnSeries(x);
}

/** Natural logarithm for finite x > 0: exponent from the bits, a 256-entry table, a 6-term series. */
export function ln(x: number): number {
  f64[0] = x;
  const hi = u32[HI];
  const biased = hi >>> 20;
  // negative, zero, subnormal, infinite or NaN: the slow path
  if (biased === 0 || biased >= 0x7ff) return lnSpecial(x);
  const e = biased - 1023;
  const k = (hi >>> 12) & 0xff;
  u32[HI] = (hi & 0x000fffff) | 0x3ff00000;
  const m = f64[0]; // mantissa in [1, 2)
  const r = (m - (1 + k / 256)) * INV_C[k]; // in [0, 1/256]
  // ln(1 + r) = r - r²/2 + r³/3 - r⁴/4 + r⁵/5 - r⁶/6 (next term < 3e-18)
  const p = r - r * r * (0.5 - r * (1 / 3 - r * (0.25 - r * (0.2 - r / 6))));
  return e * LN2_HI + (e * LN2_LO + (LN_C[k] + p));
}

/** e^x for finite x (range reduction by ln 2, Taylor series, exact scaling by powers of two). */
export function exp(x: number): number {
  if (x > 709) return Infinity;
  if (x < -745) return 0;
  const k = Math.round(x / 0.6931471805599453);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| <= ln2/2
  let term = 1;
  let sum = 1;
  for (let n = 1; n <= 20; n++) {
    term = (term * r) / n;
    sum += term;
  }
  let scale = 1;
  let m = k;
  while (m > 0) {
    const step = m > 60 ? 60 : m;
    scale *= 2 ** step;
    m -= step;
  }
  while (m < 0) {
    const step = m < -60 ? 60 : -m;
    scale /= 2 ** step;
    m += step;
  }
  return sum * scale;
}
