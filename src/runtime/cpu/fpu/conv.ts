/**
 * Conversions between the 80-bit format and the memory formats: integers (16/32/64-bit, FILD,
 * FIST/FISTP, FISTTP), single and double real (FLD/FST m32/m64), packed BCD (FBLD/FBSTP).
 * Loads into the register format are exact; stores round with roundPack (f80.ts) under fx.rc.
 * Integer stores of a NaN, infinity or out-of-range value give IE and the integer indefinite.
 */
import { BIAS, Cls, DBL, Exc, INT_BIT, QUIET_BIT, SGL, bitLength, classify, fx, rp, roundPackRaw, setResult, unpackExp, type Fmt } from './f80.ts';
import { roundToInteger } from './arith.ts';

/** A signed integer (bigint) as an exact extended value into fx. */
export function fromBigInt(n: bigint): void {
  if (n === 0n) return setResult(0, 0n);
  const sign = n < 0n ? 1 : 0;
  const m = n < 0n ? -n : n;
  const L = bitLength(m);
  setResult((sign << 15) | (BIAS + L - 1), m << BigInt(64 - L));
}

/** An integer of 32 bits or less (JS number) as an exact extended value into fx. */
export function fromInt32(n: number): void {
  if (n === 0) return setResult(0, 0n);
  const sign = n < 0 ? 1 : 0;
  const m = Math.abs(n);
  const L = 32 - Math.clz32(m);
  setResult((sign << 15) | (BIAS + L - 1), BigInt(m) << BigInt(64 - L));
}

/** Integer-store outputs: the value (two's complement, bigint) or null when nothing may be stored. */
export const intOut = { value: 0n, store: true };

/**
 * Extended → signed `bits`-bit integer. `truncate`: round toward zero (FISTTP) instead of fx.rc.
 * Invalid (NaN, ∞, out of range): IE; masked: the integer indefinite (only the sign bit set).
 */
export function toInt(se: number, sig: bigint, bits: number, truncate: boolean): void {
  const c = classify(se, sig);
  const indefinite = -(1n << BigInt(bits - 1));
  intOut.store = true;
  fx.up = false;
  if (c === Cls.Zero) {
    intOut.value = 0n;
    return;
  }
  if (c === Cls.Inf || c === Cls.QNaN || c === Cls.SNaN || c === Cls.Unsupported) return intInvalid(indefinite);
  const sign = se >>> 15;
  const e = unpackExp(se);
  const shift = BIAS + 63 - e;
  let q: bigint;
  let inexact = false;
  if (shift <= 0) {
    if (-shift > bits) return intInvalid(indefinite);
    q = sig << BigInt(-shift);
  } else {
    const saved = fx.rc;
    if (truncate) fx.rc = 3;
    const r = roundToInteger(sig, shift, sign);
    fx.rc = saved;
    q = r.q;
    inexact = r.inexact;
  }
  const v = sign === 1 ? -q : q;
  if (v < indefinite || v > -indefinite - 1n) return intInvalid(indefinite);
  if (inexact) {
    fx.flags |= Exc.P;
    fx.up = q << BigInt(shift) > sig;
  }
  intOut.value = v;
}

function intInvalid(indefinite: bigint): void {
  fx.flags |= Exc.I;
  intOut.value = indefinite;
  intOut.store = (fx.masks & Exc.I) !== 0;
}

// ---- single / double real -------------------------------------------------------------------

/** A memory real (`bits` = 32 or 64, raw pattern as bigint) converted exactly into fx (an SNaN stays signalling); denormal → DE. */
export function fromReal(raw: bigint, bits: 32 | 64): void {
  const fb = bits === 32 ? 23 : 52;
  const ew = bits === 32 ? 8 : 11;
  const bias = bits === 32 ? 127 : 1023;
  const sign = Number(raw >> BigInt(bits - 1)) & 1;
  const exp = Number((raw >> BigInt(fb)) & BigInt((1 << ew) - 1));
  const frac = raw & ((1n << BigInt(fb)) - 1n);
  const emaxAll = (1 << ew) - 1;
  if (exp === emaxAll) {
    if (frac === 0n) return setResult((sign << 15) | 0x7fff, INT_BIT);
    // Kept signalling: the instruction decides (FLD quiets it with IE, arithmetic propagates it).
    return setResult((sign << 15) | 0x7fff, INT_BIT | (frac << BigInt(63 - fb)));
  }
  if (exp === 0) {
    if (frac === 0n) return setResult(sign << 15, 0n);
    fx.flags |= Exc.D;
    const L = bitLength(frac);
    // value = frac × 2^(1 − bias − fb)
    const e = 1 - bias - fb + (L - 1); // unbiased exponent of the leading bit
    return setResult((sign << 15) | (e + BIAS), frac << BigInt(64 - L));
  }
  setResult((sign << 15) | (exp - bias + BIAS), INT_BIT | (frac << BigInt(63 - fb)));
}

/** Real-store outputs: raw bit pattern and whether it may be stored. */
export const realOut = { raw: 0n, store: true };

/** Extended → memory real under fx.rc (FST/FSTP m32/m64). */
export function toReal(se: number, sig: bigint, bits: 32 | 64): void {
  const fmt: Fmt = bits === 32 ? SGL : DBL;
  const fb = bits === 32 ? 23 : 52;
  const expAll = bits === 32 ? 0xff : 0x7ff;
  const sign = se >>> 15;
  const signBit = BigInt(sign) << BigInt(bits - 1);
  const c = classify(se, sig);
  realOut.store = true;
  fx.up = false;
  switch (c) {
    case Cls.Zero:
      realOut.raw = signBit;
      return;
    case Cls.Inf:
      realOut.raw = signBit | (BigInt(expAll) << BigInt(fb));
      return;
    case Cls.QNaN:
    case Cls.SNaN: {
      if (c === Cls.SNaN) fx.flags |= Exc.I;
      if (c === Cls.SNaN && (fx.masks & Exc.I) === 0) {
        realOut.store = false;
        return;
      }
      const frac = ((sig | QUIET_BIT) >> BigInt(63 - fb)) & ((1n << BigInt(fb)) - 1n);
      realOut.raw = signBit | (BigInt(expAll) << BigInt(fb)) | frac;
      return;
    }
    case Cls.Unsupported:
      fx.flags |= Exc.I;
      realOut.store = (fx.masks & Exc.I) !== 0;
      realOut.raw = (1n << BigInt(bits - 1)) | (BigInt(expAll) << BigInt(fb)) | (1n << BigInt(fb - 1));
      return;
    default:
      break;
  }
  // A denormal source raises no DE here (the host, AMD, does not; see docs/fpu.md).
  roundPackRaw(sign, unpackExp(se), sig, false, fmt);
  if (rp.overflowStore) {
    realOut.store = false;
    return;
  }
  const frac = rp.sig & ((1n << BigInt(fb)) - 1n);
  realOut.raw = signBit | (BigInt(rp.exp) << BigInt(fb)) | frac;
}

// ---- packed BCD (FBLD / FBSTP) ----------------------------------------------------------------

/** 10-byte packed BCD (bytes little-endian; byte 9 bit 7 = sign) loaded exactly. Invalid digits: undefined on hardware; decoded as is. */
export function fromBcd(bytes: Uint8Array): void {
  let n = 0n;
  for (let i = 8; i >= 0; i--) {
    const b = bytes[i]!;
    n = n * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  fromBigInt(n);
  if ((bytes[9]! & 0x80) !== 0) fx.se |= 0x8000; // −0 stays −0
}

/** FBSTP: round under fx.rc to an integer of at most 18 digits; invalid: IE and the BCD indefinite. */
export function toBcd(se: number, sig: bigint, out: Uint8Array): boolean {
  const c = classify(se, sig);
  const sign = se >>> 15;
  let q = 0n;
  fx.up = false;
  if (c === Cls.Inf || c === Cls.QNaN || c === Cls.SNaN || c === Cls.Unsupported) return bcdInvalid(out);
  if (c !== Cls.Zero) {
    const shift = BIAS + 63 - unpackExp(se);
    if (shift <= 0) return bcdInvalid(out);
    const r = roundToInteger(sig, shift, sign);
    q = r.q;
    if (q > 999999999999999999n) return bcdInvalid(out);
    if (r.inexact) {
      fx.flags |= Exc.P;
      fx.up = q << BigInt(shift) > sig;
    }
  }
  for (let i = 0; i < 9; i++) {
    const lo = Number(q % 10n);
    q /= 10n;
    const hi = Number(q % 10n);
    q /= 10n;
    out[i] = (hi << 4) | lo;
  }
  out[9] = sign << 7;
  return true;
}

function bcdInvalid(out: Uint8Array): boolean {
  fx.flags |= Exc.I;
  // Packed BCD indefinite: FFFF C000 0000 0000 0000 (bytes 9..0).
  out.fill(0);
  out[9] = 0xff;
  out[8] = 0xff;
  out[7] = 0xc0;
  return (fx.masks & Exc.I) !== 0;
}

