/**
 * F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS on 80-bit values: special operands
 * per the SDM instruction pages, finite ones computed in bigfloat.ts at ~200 bits and rounded once
 * to 64 bits under RC (precision control does not apply). Results are within 1 ulp of the host's
 * (docs/fpu.md has the measured agreement).
 */
import * as B from './bigfloat.ts';
import { BIAS, Cls, Exc, INT_BIT, classify, fx, invalid, isNaNCls, propagateNaN1, propagateNaN2, roundPack, setResult, unpackExp } from './f80.ts';

type Big = B.Big;

function toBig(se: number, sig: bigint): Big {
  const m = (se & 0x8000) !== 0 ? -sig : sig;
  return { m, e: unpackExp(se) - BIAS - 63 };
}

/** Round a Big into fx (inexact: a transcendental result is never exact except where handled). */
function fromBig(x: Big, exact = false): void {
  if (x.m === 0n) return setResult(0, 0n);
  const sign = x.m < 0n ? 1 : 0;
  const m = x.m < 0n ? -x.m : x.m;
  roundPack(sign, x.e + BIAS + 63, m, !exact);
}

function denormal(c: Cls): void {
  if (c === Cls.Denormal) fx.flags |= Exc.D;
}

const TWO63 = BIAS + 63;

/** |x| < 2^63 (the range FSIN/FCOS/FSINCOS/FPTAN accept; otherwise C2 = 1, ST(0) unchanged). */
export function inTrigRange(se: number): boolean {
  return (se & 0x7fff) < TWO63;
}

/** 2^x − 1 into fx (defined for −1 ≤ x ≤ +1). */
export function f2xm1(se: number, sig: bigint): void {
  const c = classify(se, sig);
  if (c === Cls.Unsupported) return invalid();
  if (isNaNCls(c)) return propagateNaN1(se, sig, c);
  if (c === Cls.Zero) return setResult(se, 0n);
  if (c === Cls.Inf) return (se & 0x8000) !== 0 ? setResult(0xbfff, INT_BIT) : setResult(se, sig);
  denormal(c);
  if ((se & 0x7fff) >= BIAS && !((se & 0x7fff) === BIAS && sig === INT_BIT)) {
    // |x| > 1: outside the defined range; the host returns x unchanged with PE.
    fx.flags |= Exc.P;
    return setResult(se, sig);
  }
  fromBig(B.expm1(B.mul(toBig(se, sig), B.ln2())));
}

/** y · log2(x) into fx (FYL2X: x = ST(0), y = ST(1)). */
export function fyl2x(xSe: number, xSig: bigint, ySe: number, ySig: bigint): void {
  const cx = classify(xSe, xSig);
  const cy = classify(ySe, ySig);
  if (cx === Cls.Unsupported || cy === Cls.Unsupported) return invalid();
  if (isNaNCls(cx) || isNaNCls(cy)) return propagateNaN2(xSe, xSig, cx, ySe, ySig, cy);
  const xNeg = (xSe & 0x8000) !== 0;
  const ySign = ySe & 0x8000;
  if (xNeg && cx !== Cls.Zero) return invalid();
  denormal(cx);
  denormal(cy);
  if (cx === Cls.Zero) {
    if (cy === Cls.Zero) return invalid();
    if (cy !== Cls.Inf) fx.flags |= Exc.Z;
    return setResult((ySign ^ 0x8000) | 0x7fff, INT_BIT); // −∞ · sign(y)
  }
  if (cx === Cls.Inf) {
    if (cy === Cls.Zero) return invalid();
    return setResult(ySign | 0x7fff, INT_BIT);
  }
  const lx = B.div(B.ln(toBig(xSe, xSig)), B.ln2());
  const isOne = B.isZero(lx) || (xSe === BIAS && xSig === INT_BIT);
  if (cy === Cls.Inf) {
    if (isOne) return invalid();
    const neg = lx.m < 0n;
    return setResult((neg ? ySign ^ 0x8000 : ySign) | 0x7fff, INT_BIT);
  }
  if (isOne) return setResult(ySign, 0n);
  if (cy === Cls.Zero) return setResult(lx.m < 0n ? ySign ^ 0x8000 : ySign, 0n);
  fromBig(B.mul(toBig(ySe, ySig), lx));
}

/** y · log2(x + 1) into fx (FYL2XP1). */
export function fyl2xp1(xSe: number, xSig: bigint, ySe: number, ySig: bigint): void {
  const cx = classify(xSe, xSig);
  const cy = classify(ySe, ySig);
  if (cx === Cls.Unsupported || cy === Cls.Unsupported) return invalid();
  if (isNaNCls(cx) || isNaNCls(cy)) return propagateNaN2(xSe, xSig, cx, ySe, ySig, cy);
  if (cx === Cls.Zero) {
    if (cy === Cls.Inf) return invalid();
    denormal(cy);
    return setResult((xSe ^ ySe) & 0x8000, 0n);
  }
  if (cy === Cls.Zero) {
    denormal(cx);
    if (cx === Cls.Inf) return invalid();
    return setResult((xSe ^ ySe) & 0x8000, 0n);
  }
  if (cx === Cls.Inf) {
    denormal(cy);
    return (xSe & 0x8000) !== 0 ? invalid() : setResult((ySe & 0x8000) | 0x7fff, INT_BIT);
  }
  if (cy === Cls.Inf) return setResult(((xSe ^ ySe) & 0x8000) | 0x7fff, INT_BIT);
  denormal(cx);
  denormal(cy);
  const x = toBig(xSe, xSig);
  if (x.m < 0n && B.cmpAbs(x, B.fromInt(1)) >= 0) {
    // x ≤ −1: outside the defined range; the host returns x with PE.
    fx.flags |= Exc.P;
    return setResult(xSe, xSig);
  }
  const l = B.magnitude(x) >= -1 ? B.ln(B.add(x, B.fromInt(1))) : B.log1p(x);
  fromBig(B.mul(toBig(ySe, ySig), B.div(l, B.ln2())));
}

/**
 * π to 66 bits, the value the x87 reduces trigonometric arguments with (SDM Vol. 1 §8.3.10;
 * the host matches it, and not a more precise π, on every recorded FSIN vector).
 */
const PI66: Big = { m: 0x3243f6a8885a308d3n, e: -64 };

/** Argument reduction with PI66: x = q·(π66/2) + r (q the nearest integer); returns [r, q mod 4]. */
function reduce(x: Big): [Big, number] {
  const halfPi = B.ldexp(PI66, -1);
  if (B.cmpAbs(x, B.ldexp(halfPi, -1)) <= 0) return [x, 0];
  const qBig = B.div(x, halfPi);
  // nearest integer to qBig
  let q: bigint;
  if (qBig.e >= 0) q = qBig.m << BigInt(qBig.e);
  else {
    const s = BigInt(-qBig.e);
    q = (qBig.m + (1n << (s - 1n))) >> s;
  }
  const r = B.sub(x, B.mul({ m: q, e: 0 }, halfPi));
  return [r, Number(((q % 4n) + 4n) % 4n)];
}

/** sin, cos of a finite x (within range). */
function sinCos(se: number, sig: bigint): [Big, Big] {
  const [r, q] = reduce(toBig(se, sig));
  const [s, c] = B.sinCosSmall(r);
  switch (q) {
    case 0:
      return [s, c];
    case 1:
      return [c, B.neg(s)];
    case 2:
      return [B.neg(s), B.neg(c)];
    default:
      return [B.neg(c), s];
  }
}

export const trigOut = { se2: 0, sig2: 0n };

/**
 * `which`: 0 sin, 1 cos, 2 tan, 3 sincos (fx = sin, trigOut = cos). Operand within range, not
 * empty; the caller handles C2.
 */
export function trig(se: number, sig: bigint, which: number): void {
  const c = classify(se, sig);
  if (c === Cls.Unsupported || c === Cls.Inf) {
    invalid();
    trigOut.se2 = fx.se;
    trigOut.sig2 = fx.sig;
    return;
  }
  if (isNaNCls(c)) {
    propagateNaN1(se, sig, c);
    trigOut.se2 = fx.se;
    trigOut.sig2 = fx.sig;
    return;
  }
  denormal(c);
  if (c === Cls.Zero) {
    if (which === 1) return setResult(BIAS, INT_BIT);
    if (which === 3) {
      trigOut.se2 = BIAS;
      trigOut.sig2 = INT_BIT;
    }
    return setResult(se, 0n);
  }
  const [s, co] = sinCos(se, sig);
  if (which === 0) return fromBig(s);
  if (which === 1) return fromBig(co);
  if (which === 2) return fromBig(B.div(s, co));
  const flags0 = fx.flags;
  fromBig(co);
  trigOut.se2 = fx.se;
  trigOut.sig2 = fx.sig;
  const up2 = fx.up;
  const flagsCos = fx.flags;
  fx.flags = flags0;
  fromBig(s);
  fx.flags |= flagsCos;
  fx.up = fx.up || up2;
}

/** atan2(y, x) into fx (FPATAN: y = ST(1), x = ST(0)). */
export function fpatan(xSe: number, xSig: bigint, ySe: number, ySig: bigint): void {
  const cx = classify(xSe, xSig);
  const cy = classify(ySe, ySig);
  if (cx === Cls.Unsupported || cy === Cls.Unsupported) return invalid();
  if (isNaNCls(cx) || isNaNCls(cy)) return propagateNaN2(xSe, xSig, cx, ySe, ySig, cy);
  denormal(cx);
  denormal(cy);
  const ys = ySe & 0x8000;
  const xNeg = (xSe & 0x8000) !== 0;
  const pi = B.pi();
  const signed = (v: Big): void => fromBig(ys !== 0 ? B.neg(v) : v);
  if (cy === Cls.Zero) {
    if (!xNeg) return setResult(ys, 0n);
    return signed(pi);
  }
  if (cx === Cls.Zero) return signed(B.ldexp(pi, -1));
  if (cy === Cls.Inf) {
    if (cx === Cls.Inf) return signed(xNeg ? B.mul(pi, B.div(B.fromInt(3), B.fromInt(4))) : B.ldexp(pi, -2));
    return signed(B.ldexp(pi, -1));
  }
  if (cx === Cls.Inf) {
    if (!xNeg) return setResult(ys, 0n);
    return signed(pi);
  }
  const x = toBig(xSe, xSig);
  const y = toBig(ySe, ySig);
  const a = B.atan(B.div(y, x));
  if (!xNeg) return fromBig(a);
  // x < 0: atan(y/x) ± π
  fromBig(ys !== 0 ? B.sub(a, pi) : B.add(a, pi));
}
