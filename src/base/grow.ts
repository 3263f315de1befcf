/** Growing typed arrays: a copy of the contents in a longer array of the same type. */

type Typed = Float64Array | Int32Array | Uint32Array | Uint8Array;

/** A new array of `cap` elements (same type) holding `a`'s elements at the start. */
export function enlarged<T extends Typed>(a: T, cap: number): T {
  const n = new (a.constructor as new (len: number) => T)(cap);
  n.set(a);
  return n;
}
