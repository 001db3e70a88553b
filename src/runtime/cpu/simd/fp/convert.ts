/**
 * Conversions on one lane: integer ↔ binary32/64 (CVTSI2SS, CVT(T)SS2SI, CVTDQ2PS, …),
 * binary32 ↔ binary64 (CVTSS2SD, CVTPD2PS, …) and ROUNDPS/PD/SS/SD's round-to-integer.
 */
import { DE, IE, PE } from './mxcsr.ts';
import { classify, INF, opDenormal, opValue, put, putBits, putQuiet, QNAN, SNAN, ZERO } from './operand.ts';
import { F32, F64, finish, mxcsrRc, RD, RN, roundFlags, RU } from './round.ts';

const TWO32 = 4294967296;
const TWO31 = 2147483648;
const TWO63 = 9223372036854775808;

/** Set by `roundToInteger`: the rounding was inexact. */
let intInexact = false;

/** v (finite) rounded to an integer under rc. */
function roundToInteger(v: number, rc: number): number {
  intInexact = false;
  if (v >= 4503599627370496 || v <= -4503599627370496) return v;
  const fl = Math.floor(v);
  const d = v - fl;
  if (d === 0) return v;
  intInexact = true;
  switch (rc) {
    case RN:
      return d > 0.5 || (d === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
    case RD:
      return fl;
    case RU:
      return fl + 1;
    default:
      return v > 0 ? fl : fl + 1;
  }
}

/**
 * CVTSS2SI/CVTSD2SI/CVTPS2DQ/… and their truncating forms: the float (lo, hi) in fmt to a
 * 32- or 64-bit integer in outLo/outHi. NaN, ±∞ and out-of-range values give the integer
 * indefinite (0x80000000 / 0x8000000000000000) with IE.
 */
export function floatToInt(lo: number, hi: number, fmt: number, is64: boolean, truncate: boolean, mxcsr: number): number {
  const c = classify(lo, hi, fmt, mxcsr);
  const v = opValue;
  if (c >= INF) {
    putBits(is64 ? 0 : 0x80000000, is64 ? 0x80000000 : 0);
    return IE;
  }
  const n = roundToInteger(v, truncate ? 3 : mxcsrRc(mxcsr));
  if (is64 ? n >= TWO63 || n < -TWO63 : n >= TWO31 || n < -TWO31) {
    putBits(is64 ? 0 : 0x80000000, is64 ? 0x80000000 : 0);
    return IE;
  }
  if (is64) {
    const h = Math.floor(n / TWO32);
    putBits(n - h * TWO32, h);
  } else putBits(n, n < 0 ? 0xffffffff : 0);
  return intInexact ? PE : 0;
}

/**
 * CVTSI2SS/CVTSI2SD/CVTDQ2PS/CVTDQ2PD/CVTPI2PS/…: the signed integer (lo, hi) (32-bit: lo
 * only) to fmt, rounded under MXCSR.RC.
 */
export function intToFloat(lo: number, hi: number, is64: boolean, fmt: number, mxcsr: number): number {
  let s: number;
  let e = 0;
  if (is64) {
    const h = (hi | 0) * TWO32;
    const l = lo >>> 0;
    s = h + l;
    const bv = s - h;
    e = h - (s - bv) + (l - bv);
  } else s = lo | 0;
  if (s === 0) {
    put(0, fmt);
    return 0;
  }
  put(finish(s, e, 0, fmt, mxcsr, mxcsrRc(mxcsr)), fmt);
  return roundFlags;
}

/** CVTSS2SD/CVTPS2PD: binary32 lo to binary64 (exact; SNaN quieted with IE). */
export function widen(lo: number, mxcsr: number): number {
  const c = classify(lo, 0, F32, mxcsr);
  if (c >= QNAN) {
    putQuiet((lo << 29) >>> 0, ((lo & 0x80000000) | 0x7ff00000 | ((lo & 0x7fffff) >>> 3)) >>> 0, F64);
    return c === SNAN ? IE : 0;
  }
  put(opValue, F64);
  return opDenormal !== 0 ? DE : 0;
}

/** CVTSD2SS/CVTPD2PS: binary64 (lo, hi) to binary32 under MXCSR. */
export function narrow(lo: number, hi: number, mxcsr: number): number {
  const c = classify(lo, hi, F64, mxcsr);
  if (c >= QNAN) {
    putQuiet(((hi & 0x80000000) | 0x7f800000 | ((hi & 0xfffff) << 3) | (lo >>> 29)) >>> 0, 0, F32);
    return c === SNAN ? IE : 0;
  }
  const den = opDenormal !== 0 ? DE : 0;
  if (c === ZERO || c === INF) {
    put(opValue, F32);
    return den;
  }
  put(finish(opValue, 0, 0, F32, mxcsr, mxcsrRc(mxcsr)), F32);
  return den | roundFlags;
}

/**
 * ROUNDPS/PD/SS/SD on one lane: imm8[1:0] the rounding mode unless imm8[2] selects
 * MXCSR.RC; imm8[3] suppresses the precision exception (SDM Vol. 2 ROUNDPS).
 */
export function roundLane(lo: number, hi: number, fmt: number, imm: number, mxcsr: number): number {
  const c = classify(lo, hi, fmt, mxcsr);
  if (c >= QNAN) {
    putQuiet(lo, hi, fmt);
    return c === SNAN ? IE : 0;
  }
  const v = opValue;
  if (c === ZERO || c === INF) {
    put(v, fmt);
    return 0;
  }
  // No DE: ROUND* do not report denormal operands (host-verified; SDM lists IE and PE only).
  let n = roundToInteger(v, (imm & 4) !== 0 ? mxcsrRc(mxcsr) : imm & 3);
  if (n === 0 && v < 0) n = -0;
  put(n, fmt);
  return intInexact && (imm & 8) === 0 ? PE : 0;
}
