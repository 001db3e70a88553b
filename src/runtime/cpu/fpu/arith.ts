/**
 * The basic operations on 80-bit values: add, subtract, multiply, divide, square root, remainder
 * (FPREM/FPREM1), round to integer, scale, extract. Each reads operands as (se, sig), handles the
 * special operands (SDM Vol. 1 §4.8, Tables 4-7 and 8-10..8-12 of the instruction pages), and
 * ends in roundPack (f80.ts). Results and flags land in `fx`.
 */
import { Cls, Exc, INT_BIT, Rc, BIAS, bitLength, classify, fx, invalid, isNaNCls, isqrt, normalize, propagateNaN1, propagateNaN2, roundPack, roundPackFmt, roundShift, EXT, setResult, unpackExp } from './f80.ts';

function denormalFlag(c: Cls): void {
  if (c === Cls.Denormal) fx.flags |= Exc.D;
}

/** Shared NaN/unsupported screening for two operands; true when the result is already set. */
function screen2(aSe: number, aSig: bigint, ca: Cls, bSe: number, bSig: bigint, cb: Cls): boolean {
  if (ca === Cls.Unsupported || cb === Cls.Unsupported) {
    invalid();
    return true;
  }
  if (isNaNCls(ca) || isNaNCls(cb)) {
    propagateNaN2(aSe, aSig, ca, bSe, bSig, cb);
    return true;
  }
  denormalFlag(ca);
  denormalFlag(cb);
  return false;
}

function zeroSign(): number {
  return fx.rc === Rc.Down ? 1 : 0;
}

/** a + b, or a − b when `negB`. */
export function add(aSe: number, aSig: bigint, bSe: number, bSig: bigint, negB: boolean): void {
  const ca = classify(aSe, aSig);
  const cb = classify(bSe, bSig);
  if (screen2(aSe, aSig, ca, bSe, bSig, cb)) return;
  if (negB) bSe ^= 0x8000; // after the NaN screen: a NaN operand keeps its sign
  const sa = aSe >>> 15;
  const sb = bSe >>> 15;
  if (ca === Cls.Inf || cb === Cls.Inf) {
    if (ca === Cls.Inf && cb === Cls.Inf && sa !== sb) return invalid();
    return setResult(ca === Cls.Inf ? aSe : bSe, INT_BIT);
  }
  if (ca === Cls.Zero && cb === Cls.Zero) {
    return setResult(sa === sb ? sa << 15 : zeroSign() << 15, 0n);
  }
  let ea = unpackExp(aSe);
  let eb = unpackExp(bSe);
  let ma = aSig;
  let mb = bSig;
  let signA = sa;
  let signB = sb;
  if (ca === Cls.Zero) return roundPack(sb, eb, mb, false);
  if (cb === Cls.Zero) return roundPack(sa, ea, ma, false);
  if (eb > ea) {
    [ea, eb] = [eb, ea];
    [ma, mb] = [mb, ma];
    [signA, signB] = [signB, signA];
  }
  const d = ea - eb;
  let sum: bigint;
  let e: number;
  if (d > 140) {
    // b is far below a's last bit: it acts as a sticky unit under a shifted a.
    sum = signA === signB ? (ma << 80n) + 1n : (ma << 80n) - 1n;
    e = ea - 80;
  } else {
    const big = ma << BigInt(d);
    sum = signA === signB ? big + mb : big - mb;
    e = eb;
  }
  let sign = signA;
  if (sum < 0n) {
    sum = -sum;
    sign = signB;
  }
  if (sum === 0n) return setResult(zeroSign() << 15, 0n);
  roundPack(sign, e, sum, false);
}

export function mul(aSe: number, aSig: bigint, bSe: number, bSig: bigint): void {
  const ca = classify(aSe, aSig);
  const cb = classify(bSe, bSig);
  if (screen2(aSe, aSig, ca, bSe, bSig, cb)) return;
  const sign = (aSe ^ bSe) >>> 15;
  if (ca === Cls.Inf || cb === Cls.Inf) {
    if (ca === Cls.Zero || cb === Cls.Zero) return invalid();
    return setResult((sign << 15) | 0x7fff, INT_BIT);
  }
  if (ca === Cls.Zero || cb === Cls.Zero) return setResult(sign << 15, 0n);
  roundPack(sign, unpackExp(aSe) + unpackExp(bSe) - BIAS - 63, aSig * bSig, false);
}

export function div(aSe: number, aSig: bigint, bSe: number, bSig: bigint): void {
  const ca = classify(aSe, aSig);
  const cb = classify(bSe, bSig);
  if (screen2(aSe, aSig, ca, bSe, bSig, cb)) return;
  const sign = (aSe ^ bSe) >>> 15;
  if (ca === Cls.Inf) {
    if (cb === Cls.Inf) return invalid();
    return setResult((sign << 15) | 0x7fff, INT_BIT);
  }
  if (cb === Cls.Inf) return setResult(sign << 15, 0n);
  if (cb === Cls.Zero) {
    if (ca === Cls.Zero) return invalid();
    fx.flags |= Exc.Z;
    return setResult((sign << 15) | 0x7fff, INT_BIT);
  }
  if (ca === Cls.Zero) return setResult(sign << 15, 0n);
  const [ea, ma] = normalize(unpackExp(aSe), aSig);
  const [eb, mb] = normalize(unpackExp(bSe), bSig);
  const num = ma << 128n;
  const q = num / mb;
  const sticky = q * mb !== num;
  roundPack(sign, ea - eb - 128 + BIAS + 63, q, sticky);
}

export function sqrt(aSe: number, aSig: bigint): void {
  const ca = classify(aSe, aSig);
  if (ca === Cls.Unsupported) return invalid();
  if (isNaNCls(ca)) return propagateNaN1(aSe, aSig, ca);
  const sign = aSe >>> 15;
  if (ca === Cls.Zero) return setResult(aSe, 0n);
  denormalFlag(ca);
  if (sign === 1) return invalid();
  if (ca === Cls.Inf) return setResult(aSe, aSig);
  let [e, m] = normalize(unpackExp(aSe), aSig);
  let t = e - BIAS - 63; // value = m × 2^t
  if ((t & 1) !== 0) {
    m <<= 1n;
    t -= 1;
  }
  const n = m << 128n;
  const r = isqrt(n);
  const sticky = r * r !== n;
  roundPack(0, (t - 128) / 2 + BIAS + 63, r, sticky);
}

/** Rounds to an integer under fx.rc (FRNDINT). Exact results at full precision. */
export function roundInt(aSe: number, aSig: bigint): void {
  const ca = classify(aSe, aSig);
  if (ca === Cls.Unsupported) return invalid();
  if (isNaNCls(ca)) return propagateNaN1(aSe, aSig, ca);
  if (ca === Cls.Zero || ca === Cls.Inf) return setResult(aSe, aSig);
  denormalFlag(ca);
  const sign = aSe >>> 15;
  const e = unpackExp(aSe);
  const shift = BIAS + 63 - e; // bits below the units position
  if (shift <= 0) return setResult(aSe, aSig);
  const { q, inexact } = roundToInteger(aSig, shift, sign);
  if (inexact) fx.flags |= Exc.P;
  if (q === 0n) {
    fx.up = false;
    return setResult(sign << 15, 0n);
  }
  const prev = fx.flags;
  roundPackFmt(sign, BIAS + 63, q, false, EXT);
  fx.flags = prev;
  fx.up = inexact && q << BigInt(shift) > aSig;
}

/** sig × 2^−shift rounded to an integer under fx.rc (the one rounding step of f80.ts). */
export function roundToInteger(sig: bigint, shift: number, sign: number): { q: bigint; inexact: boolean } {
  if (shift > 130) return roundToInteger(sig === 0n ? 0n : 1n, 2, sign); // < 1/2: rounds like 0.25
  return roundShift(sig, shift, false, sign, fx.rc);
}

/** FSCALE: a × 2^trunc(b). */
export function scale(aSe: number, aSig: bigint, bSe: number, bSig: bigint): void {
  const ca = classify(aSe, aSig);
  const cb = classify(bSe, bSig);
  if (screen2(aSe, aSig, ca, bSe, bSig, cb)) return;
  const sb = bSe >>> 15;
  if (cb === Cls.Inf) {
    if (ca === Cls.Zero) return sb === 0 ? invalid() : setResult(aSe, aSig);
    if (ca === Cls.Inf) return sb === 1 ? invalid() : setResult(aSe, aSig);
    return setResult(sb === 0 ? (aSe & 0x8000) | 0x7fff : aSe & 0x8000, sb === 0 ? INT_BIT : 0n);
  }
  if (ca === Cls.Zero || ca === Cls.Inf) return setResult(aSe, aSig);
  let n = 0;
  if (cb !== Cls.Zero) {
    const eb = unpackExp(bSe);
    const sh = BIAS + 63 - eb;
    let mag: number;
    if (sh <= 63 - 20) mag = 1 << 20; // |b| ≥ 2^20: saturate (result over/underflows anyway)
    else if (sh >= 64) mag = 0;
    else mag = Number(bSig >> BigInt(sh));
    n = sb === 1 ? -mag : mag;
  }
  const prev = fx.pc;
  fx.pc = 64;
  roundPack(aSe >>> 15, unpackExp(aSe) + n, aSig, false);
  fx.pc = prev;
}

/** FXTRACT: fx gets the significand (exponent 3FFFh), `extractExp` the exponent as a value. */
export const extracted = { se: 0, sig: 0n };

export function extract(aSe: number, aSig: bigint): void {
  const ca = classify(aSe, aSig);
  if (ca === Cls.Unsupported) {
    invalid();
    extracted.se = fx.se;
    extracted.sig = fx.sig;
    return;
  }
  if (isNaNCls(ca)) {
    propagateNaN1(aSe, aSig, ca);
    extracted.se = fx.se;
    extracted.sig = fx.sig;
    return;
  }
  if (ca === Cls.Zero) {
    fx.flags |= Exc.Z;
    extracted.se = 0xffff; // −∞
    extracted.sig = INT_BIT;
    return setResult(aSe, 0n);
  }
  if (ca === Cls.Inf) {
    extracted.se = 0x7fff;
    extracted.sig = INT_BIT;
    return setResult(aSe, aSig);
  }
  denormalFlag(ca);
  const [e, m] = normalize(unpackExp(aSe), aSig);
  const exp = e - BIAS;
  fromInt(exp);
  extracted.se = fx.se;
  extracted.sig = fx.sig;
  setResult((aSe & 0x8000) | BIAS, m);
}

/** An integer (|n| < 2^53) as an exact extended value into fx. */
export function fromInt(n: number): void {
  if (n === 0) return setResult(0, 0n);
  const sign = n < 0 ? 1 : 0;
  const m = BigInt(Math.abs(n));
  const L = bitLength(m);
  setResult((sign << 15) | (BIAS + L - 1), m << BigInt(64 - L));
}

/** Remainder outputs: the quotient's low three bits and whether the reduction was partial. */
export const remQ = { q: 0, partial: false };

/**
 * FPREM (`ieee` false: quotient truncated) / FPREM1 (`ieee` true: rounded to nearest even).
 * A partial remainder when the exponent difference is 64 or more (SDM FPREM: reduce by
 * 2^(D − N) with N between 32 and 63).
 */
export function remainder(aSe: number, aSig: bigint, bSe: number, bSig: bigint, ieee: boolean): void {
  remQ.q = 0;
  remQ.partial = false;
  const ca = classify(aSe, aSig);
  const cb = classify(bSe, bSig);
  if (screen2(aSe, aSig, ca, bSe, bSig, cb)) return;
  if (ca === Cls.Inf || cb === Cls.Zero) return invalid();
  if (ca === Cls.Zero) return setResult(aSe, aSig);
  if (cb === Cls.Inf) return roundPack(aSe >>> 15, unpackExp(aSe), aSig, false);
  const sign = aSe >>> 15;
  const [ea, ma] = normalize(unpackExp(aSe), aSig);
  const [eb, mb] = normalize(unpackExp(bSe), bSig);
  const d = ea - eb;
  if (d < 0) {
    if (ieee && d === -1 && ma > mb) {
      // |b|/2 < |a| < |b|: the quotient rounds to 1, the remainder is −(|b| − |a|).
      remQ.q = 1;
      return roundPack(sign ^ 1, ea, (mb << 1n) - ma, false);
    }
    return roundPack(sign, ea, ma, false); // a itself (a pseudo-denormal comes back normalised)
  }
  // a = Q·(b·2^(d − n)) + r, with n = d (complete) or 32 + (d mod 32) (partial, d ≥ 64).
  let n = d;
  if (d >= 64) {
    remQ.partial = true;
    n = 32 + (d % 32);
  }
  const num = ma << BigInt(n);
  let q = num / mb;
  let r = num - q * mb;
  const e = eb + d - n;
  let rSign = sign;
  if (ieee && !remQ.partial) {
    const twice = r << 1n;
    if (twice > mb || (twice === mb && (q & 1n) === 1n)) {
      q += 1n;
      r = mb - r;
      rSign ^= 1;
    }
  }
  remQ.q = Number(q & 7n);
  if (r === 0n) return setResult(sign << 15, 0n);
  roundPack(rSign, e, r, false);
}

