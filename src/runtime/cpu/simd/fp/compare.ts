/**
 * MIN/MAX, CMPccPS/PD/SS/SD predicates and (U)COMISS/SD on one lane.
 */
import { DE, IE } from './mxcsr.ts';
import { classify, opDenormal, opValue, put, putBits, QNAN, SNAN, ZERO } from './operand.ts';

/**
 * MINPS/MAXPS semantics (SDM Vol. 2 MINPS): src2 when either is a NaN or both are zeros,
 * else the smaller (larger). IE on any NaN (the comparison signals on QNaNs).
 */
export function minMax(max: boolean, alo: number, ahi: number, blo: number, bhi: number, fmt: number, mxcsr: number): number {
  const ca = classify(alo, ahi, fmt, mxcsr);
  const a = opValue;
  const da = opDenormal;
  const cb = classify(blo, bhi, fmt, mxcsr);
  const b = opValue;
  if (ca >= QNAN || cb >= QNAN) {
    // src2 as is (a NaN stays signalling), or as DAZ made it.
    if (cb === ZERO) put(b, fmt);
    else putBits(blo, bhi);
    return IE;
  }
  const den = (da | opDenormal) !== 0 ? DE : 0;
  if (max ? a > b : a < b) put(a, fmt);
  else put(b, fmt);
  return den;
}

/** Set in `compare`'s result when the predicate holds. */
export const CMP_TRUE = 0x100;
/**
 * Compare predicate imm8[2:0] (SDM Vol. 2 CMPPS Table 3-7): EQ LT LE UNORD NEQ NLT NLE ORD.
 * Returns the flags (LT/LE/NLT/NLE signal on QNaNs too), with CMP_TRUE when the predicate holds.
 */
export function compare(pred: number, alo: number, ahi: number, blo: number, bhi: number, fmt: number, mxcsr: number): number {
  const ca = classify(alo, ahi, fmt, mxcsr);
  const a = opValue;
  const da = opDenormal;
  const cb = classify(blo, bhi, fmt, mxcsr);
  const b = opValue;
  const unord = ca >= QNAN || cb >= QNAN;
  let flags = 0;
  if (unord) {
    const signalling = (pred & 3) === 1 || (pred & 3) === 2;
    if (signalling || ca === SNAN || cb === SNAN) flags = IE;
  } else if ((da | opDenormal) !== 0) flags = DE;
  let r: boolean;
  switch (pred & 3) {
    case 0:
      r = !unord && a === b;
      break;
    case 1:
      r = !unord && a < b;
      break;
    case 2:
      r = !unord && a <= b;
      break;
    default:
      r = unord;
  }
  return ((pred & 4) !== 0 ? !r : r) ? flags | CMP_TRUE : flags;
}

const CF = 0x1;
const PF = 0x4;
const ZF = 0x40;
/** Where `comi` puts the RFLAGS result in its return value. */
export const COMI_SHIFT = 8;
/**
 * COMISS/COMISD (signalling) or UCOMISS/UCOMISD (quiet on QNaN). Returns the exception flags
 * with the RFLAGS bits the instruction sets (ZF PF CF; OF SF AF are cleared) << COMI_SHIFT.
 */
export function comi(signalling: boolean, alo: number, ahi: number, blo: number, bhi: number, fmt: number, mxcsr: number): number {
  const ca = classify(alo, ahi, fmt, mxcsr);
  const a = opValue;
  const da = opDenormal;
  const cb = classify(blo, bhi, fmt, mxcsr);
  const b = opValue;
  if (ca >= QNAN || cb >= QNAN) return ((ZF | PF | CF) << COMI_SHIFT) | (signalling || ca === SNAN || cb === SNAN ? IE : 0);
  return ((a > b ? 0 : a < b ? CF : ZF) << COMI_SHIFT) | ((da | opDenormal) !== 0 ? DE : 0);
}
