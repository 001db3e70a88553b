/**
 * Packed and scalar SSE floating-point instructions over register images.
 *
 * Operands are Uint32Array views with a word offset: an XMM image is 4 words (binary32
 * lane i at word i, binary64 lane i at words 2i, 2i+1), an MMX image 2 words. Every
 * function computes all lanes into a scratch image first and commits only if no raised
 * exception is unmasked (SDM Vol. 1 §11.5.1: an unmasked exception leaves the destination
 * unchanged); it returns the flags to OR into MXCSR, with FAULT set when #XM is due.
 * Scalar forms (`scalar`) compute lane 0 only and keep the destination's upper lanes.
 */
import { binary, sqrt } from './arith.ts';
import { compare, minMax } from './compare.ts';
import { floatToInt, intToFloat, narrow, roundLane, widen } from './convert.ts';
import { rcp, rsqrt } from './approx.ts';
import { fastLane } from './fast.ts';
import { laneOut } from './operand.ts';
import { reported, unmasked } from './mxcsr.ts';

// Imported functions are bound to module-local names once and the constants are local: tsx
// compiles every use of an imported binding into a getter call, which per-lane code should
// not pay.
const fast = fastLane;
const out = laneOut;
const binaryLane = binary;
const sqrtLane = sqrt;
const minMaxLane = minMax;
const compareLane = compare;
const roundOne = roundLane;
const widenLane = widen;
const narrowLane = narrow;
const intToFloatLane = intToFloat;
const floatToIntLane = floatToInt;
const CMP_TRUE = 0x100;
const F32 = 0;
const F64 = 1;
const FLAGS = 0x3f;
const PRE = 0x07;
export const ADD = 0;
export const SUB = 1;
export const MUL = 2;
export const DIV = 3;
export const MIN = 4;
export const MAX = 5;
export const SQRT = 6;
/** Set in a returned flag word when the instruction must raise #XM (or #UD). */
export const FAULT = 0x10000;

const tmp = new Uint32Array(4);

function done(flags: number, mxcsr: number, d: Uint32Array, di: number, words: number): number {
  // mxcsr.ts's `reported` and `unmasked`, inline.
  const masks = ~(mxcsr >>> 7);
  const f = (flags & PRE & masks) !== 0 ? flags & PRE : flags & FLAGS;
  if ((f & masks & FLAGS) !== 0) return f | FAULT;
  for (let i = 0; i < words; i++) d[di + i] = tmp[i]!;
  return f;
}

/** One lane of op on (a, b) words at ai/bi; result in tmp at ti. */
function lane(op: number, fmt: number, a: Uint32Array, ai: number, b: Uint32Array, bi: number, ti: number, mxcsr: number): number {
  if (op <= DIV || op === SQRT) {
    const f = fast(op, fmt !== F32, a, ai, b, bi, tmp, ti, mxcsr);
    if (f >= 0) return f;
  }
  const alo = a[ai]!;
  const ahi = fmt === F32 ? 0 : a[ai + 1]!;
  const blo = b[bi]!;
  const bhi = fmt === F32 ? 0 : b[bi + 1]!;
  let f: number;
  if (op <= DIV) f = binaryLane(op, alo, ahi, blo, bhi, fmt, mxcsr);
  else if (op === SQRT) f = sqrtLane(blo, bhi, fmt, mxcsr);
  else f = minMaxLane(op === MAX, alo, ahi, blo, bhi, fmt, mxcsr);
  tmp[ti] = out[0]!;
  if (fmt !== F32) tmp[ti + 1] = out[1]!;
  return f;
}

/** ADD/SUB/MUL/DIV/MIN/MAX/SQRT PS/PD/SS/SD: d = d op s (SQRT: d = √s). */
export function arith(op: number, fmt: number, scalar: boolean, d: Uint32Array, di: number, s: Uint32Array, si: number, mxcsr: number): number {
  const w = fmt === F32 ? 1 : 2;
  const n = scalar ? w : 4;
  let flags = 0;
  for (let i = 0; i < n; i += w) flags |= lane(op, fmt, d, di + i, s, si + i, i, mxcsr);
  return done(flags, mxcsr, d, di, n);
}

/** CMPccPS/PD/SS/SD with predicate imm8[2:0]: each lane all ones when true. */
export function cmp(pred: number, fmt: number, scalar: boolean, d: Uint32Array, di: number, s: Uint32Array, si: number, mxcsr: number): number {
  const w = fmt === F32 ? 1 : 2;
  const n = scalar ? w : 4;
  let flags = 0;
  for (let i = 0; i < n; i += w) {
    const c = compareLane(pred, d[di + i]!, w === 2 ? d[di + i + 1]! : 0, s[si + i]!, w === 2 ? s[si + i + 1]! : 0, fmt, mxcsr);
    flags |= c & FLAGS;
    tmp[i] = (c & CMP_TRUE) !== 0 ? 0xffffffff : 0;
    if (w === 2) tmp[i + 1] = tmp[i]!;
  }
  return done(flags, mxcsr, d, di, n);
}

/** ROUNDPS/PD/SS/SD: d = round(s) under imm8. */
export function round(imm: number, fmt: number, scalar: boolean, d: Uint32Array, di: number, s: Uint32Array, si: number, mxcsr: number): number {
  const w = fmt === F32 ? 1 : 2;
  const n = scalar ? w : 4;
  let flags = 0;
  for (let i = 0; i < n; i += w) {
    flags |= roundOne(s[si + i]!, w === 2 ? s[si + i + 1]! : 0, fmt, imm, mxcsr);
    tmp[i] = out[0]!;
    if (w === 2) tmp[i + 1] = out[1]!;
  }
  return done(flags, mxcsr, d, di, n);
}

const pair = new Uint32Array(8);

/** HADDPS/HSUBPS/HADDPD/HSUBPD: pairwise lane sums/differences of d then of s. */
export function horizontal(sub: boolean, fmt: number, d: Uint32Array, di: number, s: Uint32Array, si: number, mxcsr: number): number {
  for (let i = 0; i < 4; i++) {
    pair[i] = d[di + i]!;
    pair[4 + i] = s[si + i]!;
  }
  const w = fmt === F32 ? 1 : 2;
  let flags = 0;
  for (let i = 0; i < 4; i += w) flags |= lane(sub ? SUB : ADD, fmt, pair, 2 * i, pair, 2 * i + w, i, mxcsr);
  return done(flags, mxcsr, d, di, 4);
}

/** ADDSUBPS/ADDSUBPD: even lanes d - s, odd lanes d + s. */
export function addsub(fmt: number, d: Uint32Array, di: number, s: Uint32Array, si: number, mxcsr: number): number {
  const w = fmt === F32 ? 1 : 2;
  let flags = 0;
  for (let i = 0, k = 0; i < 4; i += w, k++) flags |= lane((k & 1) === 0 ? SUB : ADD, fmt, d, di + i, s, si + i, i, mxcsr);
  return done(flags, mxcsr, d, di, 4);
}

const prod = new Uint32Array(8);

/**
 * DPPS/DPPD (SDM Vol. 2 DPPS "DP_primitive"): products of the lanes imm8[7:4] selects
 * (others +0.0), summed pairwise ((p0+p1)+(p2+p3)), each step rounded under MXCSR; the
 * sum goes to the lanes imm8[3:0] selects, +0.0 to the rest. Each stage (products, pair
 * sums, final sum) reports its flags as one instruction would (an unmasked pre-computation
 * exception hides the stage's post-computation flags), the completed stages' flags stay,
 * and an unmasked exception ends the instruction at its stage (host-verified: an unmasked
 * underflow in a product raises no DE from the sum; masked underflows in the products stay
 * reported when the sum's denormal operand faults).
 */
export function dot(imm: number, fmt: number, d: Uint32Array, di: number, s: Uint32Array, si: number, mxcsr: number): number {
  // `acc`: the flags of the completed stages; `f`: the current stage's (reported per stage).
  let acc = 0;
  let f = 0;
  if (fmt === F32) {
    for (let i = 0; i < 4; i++) {
      if ((imm & (0x10 << i)) !== 0) {
        f |= binaryLane(MUL, d[di + i]!, 0, s[si + i]!, 0, F32, mxcsr);
        prod[i] = out[0]!;
      } else prod[i] = 0;
    }
    acc = reported(f, mxcsr);
    if (unmasked(acc, mxcsr) !== 0) return acc | FAULT;
    f = binaryLane(ADD, prod[0]!, 0, prod[1]!, 0, F32, mxcsr);
    prod[4] = out[0]!;
    f |= binaryLane(ADD, prod[2]!, 0, prod[3]!, 0, F32, mxcsr);
    prod[5] = out[0]!;
    f = reported(f, mxcsr);
    if (unmasked(f, mxcsr) !== 0) return acc | f | FAULT;
    acc |= f;
    f = reported(binaryLane(ADD, prod[4]!, 0, prod[5]!, 0, F32, mxcsr), mxcsr);
    if (unmasked(f, mxcsr) !== 0) return acc | f | FAULT;
    for (let i = 0; i < 4; i++) tmp[i] = (imm & (1 << i)) !== 0 ? out[0]! : 0;
    return done(acc | f, mxcsr, d, di, 4);
  }
  for (let i = 0; i < 2; i++) {
    if ((imm & (0x10 << i)) !== 0) {
      f |= binaryLane(MUL, d[di + 2 * i]!, d[di + 2 * i + 1]!, s[si + 2 * i]!, s[si + 2 * i + 1]!, F64, mxcsr);
      prod[2 * i] = out[0]!;
      prod[2 * i + 1] = out[1]!;
    } else prod[2 * i] = prod[2 * i + 1] = 0;
  }
  acc = reported(f, mxcsr);
  if (unmasked(acc, mxcsr) !== 0) return acc | FAULT;
  f = reported(binaryLane(ADD, prod[0]!, prod[1]!, prod[2]!, prod[3]!, F64, mxcsr), mxcsr);
  if (unmasked(f, mxcsr) !== 0) return acc | f | FAULT;
  for (let i = 0; i < 2; i++) {
    tmp[2 * i] = (imm & (1 << i)) !== 0 ? out[0]! : 0;
    tmp[2 * i + 1] = (imm & (1 << i)) !== 0 ? out[1]! : 0;
  }
  return done(acc | f, mxcsr, d, di, 4);
}

/** RCPPS/RCPSS (rsq false) or RSQRTPS/RSQRTSS (rsq true); never raises an exception. */
export function approx(rsq: boolean, scalar: boolean, d: Uint32Array, di: number, s: Uint32Array, si: number): void {
  const n = scalar ? 1 : 4;
  for (let i = 0; i < n; i++) {
    if (rsq) rsqrt(s[si + i]!);
    else rcp(s[si + i]!);
    tmp[i] = out[0]!;
  }
  for (let i = 0; i < n; i++) d[di + i] = tmp[i]!;
}

/** Conversion kinds for `convert`. */
export const PS2PD = 0; // CVTPS2PD (n=2), CVTSS2SD (n=1)
export const PD2PS = 1; // CVTPD2PS (n=2, upper zeroed), CVTSD2SS (n=1)
export const DQ2PS = 2; // CVTDQ2PS (n=4), CVTPI2PS (n=2)
export const PS2DQ = 3; // CVTPS2DQ (n=4), CVTPS2PI (n=2)
export const TPS2DQ = 4; // CVTTPS2DQ, CVTTPS2PI
export const DQ2PD = 5; // CVTDQ2PD, CVTPI2PD (n=2)
export const PD2DQ = 6; // CVTPD2DQ (upper zeroed), CVTPD2PI (n=2)
export const TPD2DQ = 7; // CVTTPD2DQ, CVTTPD2PI

/**
 * Lane-wise conversion of n source elements at s[si] into d[di] (element sizes per kind);
 * `dWords` destination words are written (words past the converted ones become zero:
 * CVTPD2PS/CVTPD2DQ clear the upper half; pass exactly the converted width to keep it).
 */
export function convert(kind: number, n: number, d: Uint32Array, di: number, dWords: number, s: Uint32Array, si: number, mxcsr: number): number {
  let flags = 0;
  tmp.fill(0);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case PS2PD:
        flags |= widenLane(s[si + i]!, mxcsr);
        tmp[2 * i] = out[0]!;
        tmp[2 * i + 1] = out[1]!;
        break;
      case PD2PS:
        flags |= narrowLane(s[si + 2 * i]!, s[si + 2 * i + 1]!, mxcsr);
        tmp[i] = out[0]!;
        break;
      case DQ2PS:
        flags |= intToFloatLane(s[si + i]!, 0, false, F32, mxcsr);
        tmp[i] = out[0]!;
        break;
      case PS2DQ:
      case TPS2DQ:
        flags |= floatToIntLane(s[si + i]!, 0, F32, false, kind === TPS2DQ, mxcsr);
        tmp[i] = out[0]!;
        break;
      case DQ2PD:
        flags |= intToFloatLane(s[si + i]!, 0, false, F64, mxcsr);
        tmp[2 * i] = out[0]!;
        tmp[2 * i + 1] = out[1]!;
        break;
      default:
        flags |= floatToIntLane(s[si + 2 * i]!, s[si + 2 * i + 1]!, F64, false, kind === TPD2DQ, mxcsr);
        tmp[i] = out[0]!;
    }
  }
  return done(flags, mxcsr, d, di, dWords);
}
