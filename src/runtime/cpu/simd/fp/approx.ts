/**
 * RCPPS/RCPSS/RSQRTPS/RSQRTSS on one binary32 lane.
 *
 * The SDM only bounds these (|relative error| ≤ 1.5·2^-12, SDM Vol. 2 RCPPS/RSQRTPS) and
 * Intel and AMD parts return different bits. trapspec returns the correctly rounded
 * binary32 of 1/x and 1/√x, which is within that bound; it is not any vendor's table.
 * Special cases follow the SDM: no exception is ever raised, MXCSR.DAZ is not needed for
 * denormal sources to count as zero (they give ±∞), tiny reciprocals flush to ±0, a NaN is
 * returned quieted, a negative operand of RSQRT gives the default NaN.
 */
import { classify, INF, opValue, put, putDefaultNaN, putQuiet, QNAN, ZERO } from './operand.ts';
import { DAZ } from './mxcsr.ts';
import { F32 } from './round.ts';

const MIN_NORMAL = 2 ** -126;

export function rcp(lo: number): void {
  const c = classify(lo, 0, F32, DAZ);
  if (c >= QNAN) return putQuiet(lo, 0, F32);
  const v = opValue;
  if (c === ZERO) return put(v < 0 || Object.is(v, -0) ? -Infinity : Infinity, F32);
  if (c === INF) return put(v < 0 ? -0 : 0, F32);
  const r = Math.fround(1 / v);
  put(r < MIN_NORMAL && r > -MIN_NORMAL ? (r < 0 ? -0 : 0) : r, F32);
}

export function rsqrt(lo: number): void {
  const c = classify(lo, 0, F32, DAZ);
  if (c >= QNAN) return putQuiet(lo, 0, F32);
  const v = opValue;
  if (c === ZERO) return put(Object.is(v, -0) ? -Infinity : Infinity, F32);
  if (v < 0) return putDefaultNaN(F32);
  if (c === INF) return put(0, F32);
  put(Math.fround(1 / Math.sqrt(v)), F32);
}
