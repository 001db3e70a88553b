/**
 * ADD/SUB/MUL/DIV/SQRT on one binary32 or binary64 lane with MXCSR semantics.
 *
 * Each function takes the operand bits (f32: lo only; f64: lo, hi words), leaves the
 * result bits in operand.ts's outLo/outHi and returns the exception flags it raised.
 * Exact results come from error-free transformations in binary64 (TwoSum; Dekker's
 * TwoProduct; the exact remainder of ÷ and √), then `finish` rounds once. For binary32
 * the operands' exact results fit binary64's exponent range, so no scaling is needed; for
 * binary64 × ÷ √ the significands are separated from the exponents first so the EFTs never
 * overflow or underflow.
 */
import { classify, INF, opDenormal, opValue, put, putDefaultNaN, putQuiet, QNAN, SNAN, ZERO } from './operand.ts';
import { DE, IE, ZE } from './mxcsr.ts';
import { exponentOf, F32, finish, mxcsrRc, RD, roundFlags, scale } from './round.ts';

export const ADD = 0;
export const SUB = 1;
export const MUL = 2;
export const DIV = 3;

const SPLIT = 134217729; // 2^27 + 1
/** lo for ÷ and √ is hi·SIDE with the remainder's sign: far below half an ulp (see round.ts). */
const SIDE = 2 ** -60;

/** The exact error of the product a·b = p + err (Dekker), for |a|, |b| in a safe range. */
export function productError(a: number, b: number, p: number): number {
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * NaN operands of a two-source operation (SDM Vol. 1 Table 4-7, SSE column): the first
 * source if it is a NaN, else the second, quieted; IE when either is an SNaN.
 */
function nanResult(ca: number, alo: number, ahi: number, cb: number, blo: number, bhi: number, fmt: number): number {
  if (ca >= QNAN) putQuiet(alo, ahi, fmt);
  else putQuiet(blo, bhi, fmt);
  return ca === SNAN || cb === SNAN ? IE : 0;
}

/** a op b for op in ADD/SUB/MUL/DIV. */
export function binary(op: number, alo: number, ahi: number, blo: number, bhi: number, fmt: number, mxcsr: number): number {
  const ca = classify(alo, ahi, fmt, mxcsr);
  const a = opValue;
  const da = opDenormal;
  const cb = classify(blo, bhi, fmt, mxcsr);
  let b = opValue;
  const den = (da | opDenormal) !== 0 ? DE : 0;
  if (ca >= QNAN || cb >= QNAN) return nanResult(ca, alo, ahi, cb, blo, bhi, fmt);
  const rc = mxcsrRc(mxcsr);
  if (op === SUB) b = -b;
  if (op <= SUB) {
    if (ca === INF || cb === INF) {
      if (ca === INF && cb === INF && a !== b) {
        putDefaultNaN(fmt);
        return IE;
      }
      put(ca === INF ? a : b, fmt);
      return den;
    }
    let s = a + b;
    if (s === 0) {
      // Exact zero: the sign of equal-signed zeros, else +0 (-0 when rounding down).
      put(a === 0 && b === 0 && Object.is(a, b) ? a : rc === RD ? -0 : 0, fmt);
      return den;
    }
    let lo: number;
    let E = 0;
    if (s === Infinity || s === -Infinity) {
      const ah = a * 0.5;
      const bh = b * 0.5;
      s = ah + bh;
      const bv = s - ah;
      lo = ah - (s - bv) + (bh - bv);
      E = 1;
    } else {
      const bv = s - a;
      lo = a - (s - bv) + (b - bv);
    }
    put(finish(s, lo, E, fmt, mxcsr, rc), fmt);
    return den | roundFlags;
  }
  const neg = (fmt === F32 ? (alo ^ blo) : (ahi ^ bhi)) < 0;
  if (op === MUL) {
    if (ca === INF || cb === INF) {
      if (ca === ZERO || cb === ZERO) {
        putDefaultNaN(fmt);
        return IE;
      }
      put(neg ? -Infinity : Infinity, fmt);
      return den;
    }
    if (ca === ZERO || cb === ZERO) {
      put(neg ? -0 : 0, fmt);
      return den;
    }
    if (fmt === F32) {
      put(finish(a * b, 0, 0, fmt, mxcsr, rc), fmt);
      return den | roundFlags;
    }
    const ea = exponentOf(a);
    const eb = exponentOf(b);
    const ma = scale(a, -ea);
    const mb = scale(b, -eb);
    const p = ma * mb;
    put(finish(p, productError(ma, mb, p), ea + eb, fmt, mxcsr, rc), fmt);
    return den | roundFlags;
  }
  // DIV
  if (ca === INF) {
    if (cb === INF) {
      putDefaultNaN(fmt);
      return IE;
    }
    put(neg ? -Infinity : Infinity, fmt);
    return den;
  }
  if (cb === ZERO) {
    if (ca === ZERO) {
      putDefaultNaN(fmt);
      return IE;
    }
    put(neg ? -Infinity : Infinity, fmt);
    return ZE;
  }
  if (ca === ZERO || cb === INF) {
    put(neg ? -0 : 0, fmt);
    return den;
  }
  let ma = a;
  let mb = b;
  let E = 0;
  if (fmt !== F32) {
    const ea = exponentOf(a);
    const eb = exponentOf(b);
    ma = scale(a, -ea);
    mb = scale(b, -eb);
    E = ea - eb;
  }
  const q = ma / mb;
  const p = q * mb;
  const r = ma - p - productError(q, mb, p);
  put(finish(q, r === 0 ? 0 : (r > 0 === mb > 0 ? SIDE : -SIDE) * (q < 0 ? -q : q), E, fmt, mxcsr, rc), fmt);
  return den | roundFlags;
}

/** √a. */
export function sqrt(alo: number, ahi: number, fmt: number, mxcsr: number): number {
  const ca = classify(alo, ahi, fmt, mxcsr);
  const a = opValue;
  const den = opDenormal !== 0 ? DE : 0;
  if (ca >= QNAN) {
    putQuiet(alo, ahi, fmt);
    return ca === SNAN ? IE : 0;
  }
  if (ca === ZERO) {
    put(a, fmt);
    return 0;
  }
  if (a < 0) {
    putDefaultNaN(fmt);
    return IE; // the invalid operation outranks a denormal operand
  }
  if (ca === INF) {
    put(a, fmt);
    return 0;
  }
  let m = a;
  let E = 0;
  if (fmt !== F32) {
    let e = exponentOf(a);
    if ((e & 1) !== 0) e -= 1;
    m = scale(a, -e);
    E = e / 2;
  }
  const s = Math.sqrt(m);
  const p = s * s;
  const r = m - p - productError(s, s, p);
  put(finish(s, r === 0 ? 0 : r > 0 ? s * SIDE : -s * SIDE, E, fmt, mxcsr, mxcsrRc(mxcsr)), fmt);
  return den | roundFlags;
}

