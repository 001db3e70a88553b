/**
 * Comparisons (FCOM/FUCOM/FCOMI/FUCOMI/FICOM/FTST) and classification (FXAM) of 80-bit values.
 */
import { Cls, Exc, classify, unpackExp, normalize } from './f80.ts';

export const enum Cmp {
  Greater = 0,
  Less = 1,
  Equal = 2,
  Unordered = 3,
}

/**
 * Compare a with b. `quiet` (FUCOM*): only SNaN and unsupported operands raise IE; otherwise any
 * NaN does. Denormal operands raise DE.
 */
export function compare(aSe: number, aSig: bigint, bSe: number, bSig: bigint, quiet: boolean): Cmp {
  const ca = classify(aSe, aSig);
  const cb = classify(bSe, bSig);
  if (ca >= Cls.QNaN || cb >= Cls.QNaN) {
    if (!quiet || ca === Cls.SNaN || cb === Cls.SNaN || ca === Cls.Unsupported || cb === Cls.Unsupported) fx_invalid();
    return Cmp.Unordered;
  }
  if (ca === Cls.Denormal || cb === Cls.Denormal) fxFlag(Exc.D);
  const va = ordered(aSe, aSig, ca);
  const vb = ordered(bSe, bSig, cb);
  if (va.sign !== vb.sign) {
    if (ca === Cls.Zero && cb === Cls.Zero) return Cmp.Equal;
    return va.sign === 1 ? Cmp.Less : Cmp.Greater;
  }
  let r = 0;
  if (va.e !== vb.e) r = va.e > vb.e ? 1 : -1;
  else if (va.m !== vb.m) r = va.m > vb.m ? 1 : -1;
  if (r === 0) return Cmp.Equal;
  if (va.sign === 1) r = -r;
  return r > 0 ? Cmp.Greater : Cmp.Less;
}

/** Magnitude key: (e, m) with m normalised; zero below everything, infinity above. */
function ordered(se: number, sig: bigint, c: Cls): { sign: number; e: number; m: bigint } {
  const sign = se >>> 15;
  if (c === Cls.Zero) return { sign, e: -1e9, m: 0n };
  if (c === Cls.Inf) return { sign, e: 1e9, m: 0n };
  const [e, m] = normalize(unpackExp(se), sig);
  return { sign, e, m };
}

import { fx } from './f80.ts';

function fx_invalid(): void {
  fx.flags |= Exc.I;
}

function fxFlag(f: number): void {
  fx.flags |= f;
}

/** FSW condition bits for a compare result: C3, C2, C0 (C1 cleared by the caller). */
export function cmpToCc(r: Cmp): number {
  switch (r) {
    case Cmp.Greater:
      return 0;
    case Cmp.Less:
      return 1 << 8; // C0
    case Cmp.Equal:
      return 1 << 14; // C3
    default:
      return (1 << 14) | (1 << 10) | (1 << 8);
  }
}

/** EFLAGS ZF, PF, CF for FCOMI/FUCOMI. */
export function cmpToEflags(r: Cmp): number {
  switch (r) {
    case Cmp.Greater:
      return 0;
    case Cmp.Less:
      return 1; // CF
    case Cmp.Equal:
      return 0x40; // ZF
    default:
      return 0x45;
  }
}

/**
 * FXAM: C3, C2, C0 by class (SDM FXAM table), C1 = sign. `empty` gives the empty class.
 * Unsupported: 000; NaN: 001; normal: 010; infinity: 011; zero: 100; empty: 101; denormal: 110.
 */
export function examine(se: number, sig: bigint, empty: boolean): number {
  const c1 = (se & 0x8000) !== 0 ? 1 << 9 : 0;
  if (empty) return c1 | (1 << 14) | (1 << 8);
  const C0 = 1 << 8;
  const C2 = 1 << 10;
  const C3 = 1 << 14;
  switch (classify(se, sig)) {
    case Cls.Unsupported:
      return c1;
    case Cls.QNaN:
    case Cls.SNaN:
      return c1 | C0;
    case Cls.Normal:
      return c1 | C2;
    case Cls.Inf:
      return c1 | C2 | C0;
    case Cls.Zero:
      return c1 | C3;
    default:
      return c1 | C3 | C2;
  }
}
