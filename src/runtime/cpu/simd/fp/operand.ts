/**
 * Reading binary32/binary64 operands from their bits and writing results back as bits.
 * NaNs are never passed through JS arithmetic (payloads and the quiet bit are handled on
 * the integers); every other value converts exactly to a double.
 * f32 values are one word (lo); f64 values are two words (lo, hi) in little-endian order.
 */
import { DAZ } from './mxcsr.ts';
import { F32 } from './round.ts';

export const ZERO = 0;
export const FINITE = 1;
export const INF = 2;
export const QNAN = 3;
export const SNAN = 4;

const sf = new Float32Array(1);
const sfu = new Uint32Array(sf.buffer);
const sd = new Float64Array(1);
const sdu = new Uint32Array(sd.buffer);

/** Set by `classify`: the value (a double; ±0 for a DAZ-zeroed denormal; 0 for NaNs). */
export let opValue = 0;
/** Set by `classify`: 1 when the operand is a denormal that counts as one (DAZ clear). */
export let opDenormal = 0;

/** The class of the operand with bits (lo, hi) in format fmt, under MXCSR.DAZ. */
export function classify(lo: number, hi: number, fmt: number, mxcsr: number): number {
  opDenormal = 0;
  if (fmt === F32) {
    const e = (lo >>> 23) & 0xff;
    const f = lo & 0x7fffff;
    if (e === 0xff) {
      opValue = 0;
      if (f === 0) {
        opValue = (lo | 0) < 0 ? -Infinity : Infinity;
        return INF;
      }
      return (f & 0x400000) !== 0 ? QNAN : SNAN;
    }
    if (e === 0) {
      if (f === 0 || (mxcsr & DAZ) !== 0) {
        opValue = (lo | 0) < 0 ? -0 : 0;
        return ZERO;
      }
      opDenormal = 1;
    }
    sfu[0] = lo;
    opValue = sf[0]!;
    return FINITE;
  }
  const e = (hi >>> 20) & 0x7ff;
  const fz = (hi & 0xfffff) === 0 && lo === 0;
  if (e === 0x7ff) {
    opValue = 0;
    if (fz) {
      opValue = (hi | 0) < 0 ? -Infinity : Infinity;
      return INF;
    }
    return (hi & 0x80000) !== 0 ? QNAN : SNAN;
  }
  if (e === 0) {
    if (fz || (mxcsr & DAZ) !== 0) {
      opValue = (hi | 0) < 0 ? -0 : 0;
      return ZERO;
    }
    opDenormal = 1;
  }
  sdu[0] = lo;
  sdu[1] = hi;
  opValue = sd[0]!;
  return FINITE;
}

/**
 * Result words [lo, hi] (f32: lo only), set by `put`, `putQuiet`, `putBits`, `putDefaultNaN`.
 * A typed array, not two exported lets: readers bind it once (see packed.ts).
 */
export const laneOut = new Uint32Array(2);

/** Stores a non-NaN double that is exactly representable in fmt. */
export function put(v: number, fmt: number): void {
  if (fmt === F32) {
    sf[0] = v;
    laneOut[0] = sfu[0]!;
    laneOut[1] = 0;
  } else {
    sd[0] = v;
    laneOut[0] = sdu[0]!;
    laneOut[1] = sdu[1]!;
  }
}

/** Stores the NaN (lo, hi) with its quiet bit set. */
export function putQuiet(lo: number, hi: number, fmt: number): void {
  if (fmt === F32) {
    laneOut[0] = (lo | 0x400000) >>> 0;
    laneOut[1] = 0;
  } else {
    laneOut[0] = lo >>> 0;
    laneOut[1] = (hi | 0x80000) >>> 0;
  }
}

/** Stores the raw words unchanged. */
export function putBits(lo: number, hi: number): void {
  laneOut[0] = lo >>> 0;
  laneOut[1] = hi >>> 0;
}

/** Stores the default QNaN, "QNaN floating-point indefinite" (SDM Vol. 1 Table 4-3). */
export function putDefaultNaN(fmt: number): void {
  if (fmt === F32) {
    laneOut[0] = 0xffc00000;
    laneOut[1] = 0;
  } else {
    laneOut[0] = 0;
    laneOut[1] = 0xfff80000;
  }
}
