/**
 * 80-bit extended-precision values as integers (SoftFloat style, STYLE.md "x87 and SIMD"):
 * a value is a sign, a biased exponent and a 64-bit significand with explicit integer bit, kept
 * as `se` (sign << 15 | exponent) and `sig` (a bigint). Every operation ends in `roundPack`, the
 * one rounding routine (precision control 24/53/64, the four rounding modes, the extended,
 * double and single exponent ranges, masked and unmasked overflow/underflow); exception flags
 * are collected in `fx.flags` (FSW bit positions) and `fx.up` (C1: the result was rounded up in
 * magnitude). The instruction layer (exec.ts) clears them before and commits them after.
 *
 * Unpacked arithmetic form used inside the operations: value = sig × 2^(e − 16383 − 63), sig a
 * non-negative bigint of any length, e an integer (no range limit).
 */

export const enum Rc {
  Nearest = 0,
  Down = 1,
  Up = 2,
  Zero = 3,
}

export const Exc = { I: 1, D: 2, Z: 4, O: 8, U: 16, P: 32 } as const;

/** Operation context: inputs (pc, rc, masks) and outputs (result, flags). One shared instance. */
export class FxCtx {
  /** Precision in bits (24, 53, 64). */
  pc = 64;
  rc: Rc = Rc.Nearest;
  /** FCW exception masks (bits 5:0). */
  masks = 0x3f;
  /** Collected exception flags. */
  flags = 0;
  /** Last rounding went up in magnitude (C1). */
  up = false;
  /** Result (extended): sign/exponent word and significand. */
  se = 0;
  sig = 0n;
}

export const fx = new FxCtx();

/**
 * The flags an operation reports: IE and ZE take precedence over DE (a denormal operand of an
 * invalid operation or a division by zero reports only IE or ZE: the host does so).
 */
export function settledFlags(): number {
  const f = fx.flags;
  return (f & (Exc.I | Exc.Z)) !== 0 ? f & ~Exc.D : f;
}

export const BIAS = 16383;
export const MAX_EXP = 0x7fff;
export const INT_BIT = 1n << 63n;
export const QUIET_BIT = 1n << 62n;
export const SIG_MASK = (1n << 64n) - 1n;
/** The QNaN floating-point indefinite (SDM Vol. 1 Table 4-3). */
export const INDEF_SE = 0xffff;
export const INDEF_SIG = 0xc000000000000000n;

/** Classes of an 80-bit operand. */
export const enum Cls {
  Zero = 0,
  Normal = 1,
  /** Denormal or pseudo-denormal (exponent 0, significand non-zero). */
  Denormal = 2,
  Inf = 3,
  QNaN = 4,
  SNaN = 5,
  /** Pseudo-NaN, pseudo-infinity, unnormal: invalid operands on the 387 and later. */
  Unsupported = 6,
}

export function classify(se: number, sig: bigint): Cls {
  const exp = se & 0x7fff;
  if (exp === 0x7fff) {
    if ((sig & INT_BIT) === 0n) return Cls.Unsupported;
    if ((sig & ~INT_BIT) === 0n) return Cls.Inf;
    return (sig & QUIET_BIT) !== 0n ? Cls.QNaN : Cls.SNaN;
  }
  if (exp === 0) return sig === 0n ? Cls.Zero : Cls.Denormal;
  return (sig & INT_BIT) !== 0n ? Cls.Normal : Cls.Unsupported;
}

export function isNaNCls(c: Cls): boolean {
  return c === Cls.QNaN || c === Cls.SNaN;
}

export function setIndefinite(): void {
  fx.se = INDEF_SE;
  fx.sig = INDEF_SIG;
}

export function setResult(se: number, sig: bigint): void {
  fx.se = se;
  fx.sig = sig;
}

/** Invalid operation: IE, result the indefinite. */
export function invalid(): void {
  fx.flags |= Exc.I;
  setIndefinite();
}

/**
 * NaN operands of a two-operand operation (SDM Vol. 1 Table 4-7, x87 column): an SNaN raises IE;
 * the result is the QNaN operand, else the NaN with the larger significand (quieted); equal
 * significands: the one with the smaller sign/exponent word (the positive one).
 */
export function propagateNaN2(aSe: number, aSig: bigint, ca: Cls, bSe: number, bSig: bigint, cb: Cls): void {
  if (ca === Cls.SNaN || cb === Cls.SNaN) fx.flags |= Exc.I;
  const aNaN = isNaNCls(ca);
  const bNaN = isNaNCls(cb);
  let pickA: boolean;
  if (aNaN && !bNaN) pickA = true;
  else if (bNaN && !aNaN) pickA = false;
  else if (ca === Cls.SNaN && cb === Cls.QNaN) pickA = false;
  else if (cb === Cls.SNaN && ca === Cls.QNaN) pickA = true;
  else {
    const ma = aSig | QUIET_BIT;
    const mb = bSig | QUIET_BIT;
    pickA = ma > mb ? true : ma < mb ? false : aSe <= bSe;
  }
  if (pickA) setResult(aSe, aSig | QUIET_BIT);
  else setResult(bSe, bSig | QUIET_BIT);
}

/** A single NaN operand: quieted; SNaN raises IE. */
export function propagateNaN1(se: number, sig: bigint, c: Cls): void {
  if (c === Cls.SNaN) fx.flags |= Exc.I;
  setResult(se, sig | QUIET_BIT);
}

/** Bits in x ≥ 0 (0 for 0). */
export function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  if (x < 0x20000000000000n) return 64 - clz64(Number(x)); // below 2^53: exact as a number
  const s = x.toString(16);
  return (s.length - 1) * 4 + 32 - Math.clz32(parseInt(s[0]!, 16));
}

/** Leading zeros of a non-negative integer n < 2^53 in a 64-bit word. */
function clz64(n: number): number {
  const hi = Math.floor(n / 0x100000000);
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(n >>> 0);
}

/** Destination formats for roundPack. */
export interface Fmt {
  /** Significand precision in bits including the integer bit. */
  p: number;
  bias: number;
  /** Largest biased exponent of a finite number. */
  emax: number;
  /** Exponent bias adjustment for unmasked overflow/underflow (x87 registers only), or 0. */
  adjust: number;
}

export const EXT: Fmt = { p: 64, bias: 16383, emax: 0x7ffe, adjust: 24576 };
export const EXT53: Fmt = { p: 53, bias: 16383, emax: 0x7ffe, adjust: 24576 };
export const EXT24: Fmt = { p: 24, bias: 16383, emax: 0x7ffe, adjust: 24576 };
export const DBL: Fmt = { p: 53, bias: 1023, emax: 2046, adjust: 0 };
export const SGL: Fmt = { p: 24, bias: 127, emax: 254, adjust: 0 };

export function extFmt(pc: number): Fmt {
  return pc === 64 ? EXT : pc === 53 ? EXT53 : EXT24;
}

/** x87 detects tininess after rounding? (verified against the host: see test/cpu/fpu). */
const TINY_AFTER_ROUNDING = true;

/** Outputs of roundPackRaw: sign, biased exponent in the target format, p-bit significand. */
export const rp = { sign: 0, exp: 0, sig: 0n, overflowStore: false };

/** sig × 2^−shift (plus a sticky bit below it) rounded under rc: the one rounding step. */
export function roundShift(sig: bigint, shift: number, sticky: boolean, sign: number, rc: Rc): { q: bigint; inexact: boolean; up: boolean } {
  if (shift <= 0) {
    const q = sig << BigInt(-shift);
    if (!sticky) return { q, inexact: false, up: false };
    const up = rc === Rc.Up ? sign === 0 : rc === Rc.Down ? sign === 1 : false;
    return { q: up ? q + 1n : q, inexact: true, up };
  }
  const s = BigInt(shift);
  let q = sig >> s;
  const rem = sig & ((1n << s) - 1n);
  const half = 1n << (s - 1n);
  const inexact = rem !== 0n || sticky;
  let up = false;
  if (inexact) {
    switch (rc) {
      case Rc.Nearest:
        up = rem > half || (rem === half && (sticky || (q & 1n) === 1n));
        break;
      case Rc.Up:
        up = sign === 0;
        break;
      case Rc.Down:
        up = sign === 1;
        break;
      default:
        up = false;
    }
  }
  if (up) q += 1n;
  return { q, inexact, up };
}

/**
 * Round value = sig × 2^(e − 16383 − 63) (plus a non-zero amount below sig's last bit when
 * `sticky`) to `fmt` under fx.rc, into rp (sign, target-biased exponent 0..emax+1, p-bit
 * significand). Flags O, U, P into fx.flags, fx.up. Overflow/underflow with the exception unmasked
 * and fmt.adjust = 0 (memory stores) sets rp.overflowStore: nothing may be stored.
 */
export function roundPackRaw(sign: number, e: number, sig: bigint, sticky: boolean, fmt: Fmt): void {
  rp.overflowStore = false;
  rp.sign = sign;
  if (sig === 0n && !sticky) {
    rp.exp = 0;
    rp.sig = 0n;
    fx.up = false;
    return;
  }
  const p = fmt.p;
  const rc = fx.rc;
  if (sig === 0n) {
    // Only a sticky remainder (cannot happen in the operations here); treat as the smallest denormal.
    sig = 1n;
    e -= 200;
  }
  const L = bitLength(sig);
  let E = e + (L - 64) - BIAS + fmt.bias; // target-biased exponent of the leading bit
  const unmaskedU = (fx.masks & Exc.U) === 0;
  const unmaskedO = (fx.masks & Exc.O) === 0;
  if (E >= 1 || (unmaskedU && fmt.adjust !== 0 && E + fmt.adjust >= 1)) {
    let { q, inexact, up } = roundShift(sig, L - p, sticky, sign, rc);
    if (q >> BigInt(p) !== 0n) {
      q >>= 1n;
      E += 1;
    }
    if (E < 1) {
      // Unmasked underflow into a register: bias-adjusted normal result.
      fx.flags |= Exc.U;
      E += fmt.adjust;
    } else if (E > fmt.emax) {
      if (unmaskedO) {
        fx.flags |= Exc.O;
        if (fmt.adjust === 0) {
          // Unmasked overflow on a store: nothing stored, OE only.
          rp.overflowStore = true;
          fx.up = false;
          return;
        }
        E -= fmt.adjust;
        if (E > fmt.emax) {
          // Beyond even the adjusted range (FSCALE): infinity whatever the rounding mode.
          fx.flags |= Exc.P;
          fx.up = true;
          rp.exp = fmt.emax + 1;
          rp.sig = 1n << BigInt(fmt.p - 1);
          return;
        }
      } else {
        return overflowMasked(sign, fmt);
      }
    }
    if (inexact) fx.flags |= Exc.P;
    fx.up = up;
    rp.exp = E;
    rp.sig = q;
    return;
  }
  if (unmaskedU && fmt.adjust !== 0) {
    // Below even the adjusted range (FSCALE): a signed zero.
    fx.flags |= Exc.U | Exc.P;
    fx.up = false;
    rp.exp = 0;
    rp.sig = 0n;
    return;
  }
  // Tiny: the last bit has the fixed weight of the smallest normal's p-th bit.
  const shift = L - p + (1 - E);
  const { q, inexact, up } = roundShift(sig, shift, sticky, sign, rc);
  const normal = q >> BigInt(p - 1) !== 0n;
  let tiny = true;
  if (TINY_AFTER_ROUNDING && normal) {
    // Tiny after rounding: would the result, rounded with unbounded exponent, be below the normal range?
    const r2 = roundShift(sig, L - p, sticky, sign, rc);
    tiny = !(r2.q >> BigInt(p) !== 0n);
  }
  if (fmt.adjust === 0 && unmaskedU && tiny) {
    // Unmasked underflow on a store: nothing stored, UE only.
    fx.flags |= Exc.U;
    rp.overflowStore = true;
    fx.up = false;
    return;
  }
  if (inexact) {
    fx.flags |= Exc.P;
    if (tiny) fx.flags |= Exc.U;
  } else if (unmaskedU && tiny) {
    fx.flags |= Exc.U;
  }
  fx.up = up;
  rp.exp = normal ? 1 : 0;
  rp.sig = q;
}

function overflowMasked(sign: number, fmt: Fmt): void {
  fx.flags |= Exc.O | Exc.P;
  const rc = fx.rc;
  const toInf = rc === Rc.Nearest || (rc === Rc.Up && sign === 0) || (rc === Rc.Down && sign === 1);
  if (toInf) {
    rp.exp = fmt.emax + 1;
    rp.sig = 1n << BigInt(fmt.p - 1);
    fx.up = true;
  } else {
    rp.exp = fmt.emax;
    rp.sig = (1n << BigInt(fmt.p)) - 1n;
    fx.up = false;
  }
}

/** roundPackRaw into an extended result (fx.se, fx.sig) at precision fx.pc. */
export function roundPack(sign: number, e: number, sig: bigint, sticky: boolean): void {
  roundPackFmt(sign, e, sig, sticky, extFmt(fx.pc));
}

export function roundPackFmt(sign: number, e: number, sig: bigint, sticky: boolean, fmt: Fmt): void {
  roundPackRaw(sign, e, sig, sticky, fmt);
  fx.se = (rp.sign << 15) | rp.exp;
  fx.sig = rp.sig << BigInt(64 - fmt.p);
}

/** Unpacked exponent (value = sig × 2^(e − 16383 − 63)) of a finite operand. */
export function unpackExp(se: number): number {
  const exp = se & 0x7fff;
  return exp === 0 ? 1 : exp;
}

/** Normalize a non-zero finite operand: shift so bit 63 is set; returns [e, sig]. */
export function normalize(e: number, sig: bigint): [number, bigint] {
  const L = bitLength(sig);
  if (L === 64) return [e, sig];
  return [e - (64 - L), sig << BigInt(64 - L)];
}

/** Integer square root (floor) of a non-negative bigint. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
