/**
 * Correct rounding of an exact value to binary32/binary64 under MXCSR control.
 *
 * An operation hands its exact result as v = (hi + lo) · 2^E, with hi a double holding
 * RN53 of the result's significand part and lo the rest: exact from an error-free
 * transformation for + − ×; for ÷ and √ only lo's sign is kept (lo = ±hi·2^-60), because a
 * quotient or square root of binary32/64 operands is never a midpoint at either precision,
 * so once hi = RN53(exact) is known only the side of hi the exact value lies on can matter. `finish` rounds v once, in any of the four MXCSR
 * modes, at the target's precision and exponent range (subnormals included), and reports
 * inexact / overflow / tininess-after-rounding (x86 detects tininess after rounding; SDM
 * Vol. 1 §4.9.1.5) together with the masked responses of §4.9.1.4 and §10.2.3.3 (FTZ).
 * All scaling is by powers of two, so every intermediate is exact.
 */
import { FTZ, OE, OM, PE, RC_MASK, RC_SHIFT, RD, RN, RU, RZ, UE, UM } from './mxcsr.ts';

export const F32 = 0;
export const F64 = 1;
const PREC = [24, 53];
const EMIN = [-126, -1022];
const EMAX = [127, 1023];
const MAXV = [(2 - 2 ** -23) * 2 ** 127, Number.MAX_VALUE];

const POW2_BIAS = 1200;
const POW2 = new Float64Array(2 * POW2_BIAS);
for (let e = -POW2_BIAS; e < POW2_BIAS; e++) POW2[e + POW2_BIAS] = 2 ** e;

/** x · 2^e, exact whenever the result is representable (two steps when 2^e alone is not). */
export function scale(x: number, e: number): number {
  if (e > 1000 || e < -1000) {
    const h = e >> 1;
    return x * POW2[h + POW2_BIAS]! * POW2[e - h + POW2_BIAS]!;
  }
  return x * POW2[e + POW2_BIAS]!;
}

const sd = new Float64Array(1);
const su = new Uint32Array(sd.buffer);

/** floor(log2|x|) for a finite nonzero double (subnormals included). */
export function exponentOf(x: number): number {
  sd[0] = x;
  const e = (su[1]! >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  sd[0] = x * 18446744073709551616;
  return ((su[1]! >>> 20) & 0x7ff) - 1023 - 64;
}

function isPow2(x: number): boolean {
  sd[0] = x;
  return (su[1]! & 0xfffff) === 0 && su[0] === 0 && ((su[1]! >>> 20) & 0x7ff) !== 0;
}

/** Set by `roundUnits`: the value was not a multiple of the quantum. */
let inexact = false;

/**
 * Rounds (hi + lo) · 2^E to an integer multiple n of 2^qexp under rounding mode rc; returns n.
 */
function roundUnits(hi: number, lo: number, E: number, qexp: number, rc: number): number {
  const s = E - qexp;
  let t = scale(hi, s);
  let lt = scale(lo, s);
  if (lt === 0 && lo !== 0) lt = lo > 0 ? 5e-324 : -5e-324;
  if (t < 2 ** -8 && t > -(2 ** -8)) {
    // Far below the quantum: only the direction matters.
    t = hi > 0 ? 2 ** -8 : -(2 ** -8);
    lt = 0;
  }
  let fl = Math.floor(t);
  let d = t - fl;
  if (d === 0 && lt < 0) {
    fl -= 1;
    d = 1;
  }
  inexact = d !== 0 || lt !== 0;
  if (!inexact) return fl;
  switch (rc) {
    case RN: {
      const c = d - 0.5 + lt;
      return c > 0 || (c === 0 && fl % 2 !== 0) ? fl + 1 : fl;
    }
    case RD:
      return fl;
    case RU:
      return fl + 1;
    default:
      return hi > 0 ? fl : fl + 1;
  }
}

/** Set by `finish`: the OE/UE/PE flags the rounding raised. */
export let roundFlags = 0;

/**
 * Rounds v = (hi + lo) · 2^E (hi finite, nonzero) to format `fmt` in mode `rc` under
 * `mxcsr`'s OM/UM/FTZ and returns the delivered value as a double (exactly representable in
 * fmt; ±∞ for an unmasked overflow, which is not delivered); the flags go to `roundFlags`.
 */
export function finish(hi: number, lo: number, E: number, fmt: number, mxcsr: number, rc: number): number {
  const p = PREC[fmt]!;
  const emin = EMIN[fmt]!;
  let ex = exponentOf(hi) + E;
  if (lo !== 0 && lo > 0 !== hi > 0 && isPow2(hi)) ex -= 1;
  const qexp = (ex < emin ? emin : ex) - (p - 1);
  const n = roundUnits(hi, lo, E, qexp, rc);
  const inex = inexact;
  let flags = 0;
  // Overflow: the rounded value reaches 2^(emax+1).
  const mag = n < 0 ? -n : n;
  if (ex > EMAX[fmt]! || (ex === EMAX[fmt]! && mag >= 2 ** p)) {
    const neg = hi < 0;
    if ((mxcsr & OM) === 0) {
      // Unmasked: OE, and PE only if the result rounded with an unbounded exponent is
      // inexact (host-verified); nothing is delivered.
      roundFlags = OE | (inex ? PE : 0);
      return neg ? -Infinity : Infinity;
    }
    roundFlags = OE | PE;
    const toInf = rc === RN || (rc === RU && !neg) || (rc === RD && neg);
    return toInf ? (neg ? -Infinity : Infinity) : neg ? -MAXV[fmt]! : MAXV[fmt]!;
  }
  let r = scale(n, qexp);
  if (ex < emin) {
    // Tiny after rounding unless rounding at full precision with an unbounded exponent
    // carries the value up to 2^emin.
    let tiny = true;
    if (ex === emin - 1) {
      const nu = roundUnits(hi, lo, E, ex - (p - 1), rc);
      if (nu === 2 ** p || nu === -(2 ** p)) tiny = false;
    }
    if (tiny) {
      if ((mxcsr & UM) === 0) {
        // Unmasked: UE whether exact or not, PE as for an unbounded exponent.
        roundUnits(hi, lo, E, ex - (p - 1), rc);
        roundFlags = UE | (inexact ? PE : 0);
        return r;
      }
      if ((mxcsr & FTZ) !== 0) {
        roundFlags = UE | PE;
        return hi < 0 ? -0 : 0;
      } else if (inex) flags |= UE | PE;
      roundFlags = flags;
      return r === 0 && hi < 0 ? -0 : r;
    }
  }
  roundFlags = inex ? PE : 0;
  if (r === 0 && hi < 0) r = -0;
  return r;
}

/** The rounding mode MXCSR selects. */
export function mxcsrRc(mxcsr: number): number {
  return (mxcsr & RC_MASK) >>> RC_SHIFT;
}
export { RN, RD, RU, RZ };
