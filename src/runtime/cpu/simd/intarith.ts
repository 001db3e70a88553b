/**
 * Packed integer arithmetic, MMX and SSE2..SSE4.1 forms (one lane loop each, width 8 or 16,
 * mmx.ts): PADD/PSUB (B W D Q, signed and unsigned saturation), PMULLW/PMULHW/PMULHUW/PMULUDQ/
 * PMULDQ/PMULLD, PMADDWD, PAVGB/W, PMIN/PMAX (every width and signedness), PSADBW, PCMPEQ/PCMPGT
 * (B W D Q), and the logic ops PAND/PANDN/POR/PXOR with ANDPS/ANDNPS/ORPS/XORPS and the PD forms.
 */
import { Mnemonic } from 'iced-x86';
import type { HandlerTable } from '../decoded.ts';
import { packed, type PackedOp } from './mmx.ts';
import type { SseState } from './state.ts';

type Lane = (a: number, b: number) => number;

function sat8s(v: number): number {
  return v > 127 ? 127 : v < -128 ? -128 : v;
}
function sat8u(v: number): number {
  return v > 255 ? 255 : v < 0 ? 0 : v;
}
function sat16s(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
function sat16u(v: number): number {
  return v > 65535 ? 65535 : v < 0 ? 0 : v;
}

/** Lane-wise op on bytes (signed view when `signed`). */
function bytes(f: Lane, signed: boolean): PackedOp {
  return (x, d, s, n) => {
    const v = signed ? x.i8 : x.u8;
    const a = d * 16;
    const b = s * 16;
    for (let i = 0; i < n; i++) v[a + i] = f(v[a + i]!, v[b + i]!);
  };
}

function words(f: Lane, signed: boolean): PackedOp {
  return (x, d, s, n) => {
    const v = signed ? x.i16 : x.u16;
    const a = d * 8;
    const b = s * 8;
    const m = n >> 1;
    for (let i = 0; i < m; i++) v[a + i] = f(v[a + i]!, v[b + i]!);
  };
}

function dwords(f: Lane, signed: boolean): PackedOp {
  return (x, d, s, n) => {
    const v = signed ? x.i32 : x.u32;
    const a = d * 4;
    const b = s * 4;
    const m = n >> 2;
    for (let i = 0; i < m; i++) v[a + i] = f(v[a + i]!, v[b + i]!);
  };
}

/** PADDQ / PSUBQ on dword pairs with carry / borrow. */
function qwordAddSub(sub: boolean): PackedOp {
  return (x, d, s, n) => {
    const u = x.u32;
    for (let q = 0; q < n >> 3; q++) {
      const a = d * 4 + 2 * q;
      const b = s * 4 + 2 * q;
      const bl = u[b]!;
      const bh = u[b + 1]!;
      const al = u[a]!;
      if (sub) {
        u[a] = al - bl;
        u[a + 1] = u[a + 1]! - bh - (al < bl ? 1 : 0);
      } else {
        const lo = al + bl;
        u[a] = lo;
        u[a + 1] = u[a + 1]! + bh + (lo > 0xffffffff ? 1 : 0);
      }
    }
  };
}

/** 32×32 → 64 unsigned multiply: low dword in mulLo, high in mulHi. */
let mulLo = 0;
let mulHi = 0;
function mulU32(a: number, b: number): void {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const mid = aH * bL + aL * bH; // < 2^33
  const lo = ll + (mid % 65536) * 65536;
  mulLo = lo >>> 0;
  mulHi = (aH * bH + Math.floor(mid / 65536) + Math.floor(lo / 0x100000000)) >>> 0;
}

/** PMULUDQ / PMULDQ: the even dwords of each qword multiplied into the full qword. */
function mulDq(signed: boolean): PackedOp {
  return (x, d, s, n) => {
    const u = x.u32;
    for (let q = 0; q < n >> 3; q++) {
      const a = u[d * 4 + 2 * q]!;
      const b = u[s * 4 + 2 * q]!;
      mulU32(a, b);
      let hi = mulHi;
      // Signed product from the unsigned one: subtract b·2^32 if a < 0, a·2^32 if b < 0.
      if (signed) hi = (hi - ((a | 0) < 0 ? b : 0) - ((b | 0) < 0 ? a : 0)) >>> 0;
      u[d * 4 + 2 * q] = mulLo;
      u[d * 4 + 2 * q + 1] = hi;
    }
  };
}

/** PMADDWD: signed word products summed in adjacent pairs into dwords. */
const pmaddwd: PackedOp = (x, d, s, n) => {
  const w = x.i16;
  const o = x.i32;
  for (let i = 0; i < n >> 2; i++) {
    const a = d * 8 + 2 * i;
    const b = s * 8 + 2 * i;
    o[d * 4 + i] = (w[a]! * w[b]! + w[a + 1]! * w[b + 1]!) | 0;
  }
};

/** PSADBW: per qword, the sum of absolute byte differences in its low word, the rest zero. */
const psadbw: PackedOp = (x, d, s, n) => {
  const v = x.u8;
  const u = x.u32;
  for (let q = 0; q < n >> 3; q++) {
    let sum = 0;
    for (let i = 0; i < 8; i++) {
      const diff = v[d * 16 + 8 * q + i]! - v[s * 16 + 8 * q + i]!;
      sum += diff < 0 ? -diff : diff;
    }
    u[d * 4 + 2 * q] = sum;
    u[d * 4 + 2 * q + 1] = 0;
  }
};

/** PCMPEQQ / PCMPGTQ (signed). */
function cmpQ(gt: boolean): PackedOp {
  return (x, d, s, n) => {
    const u = x.u32;
    const i = x.i32;
    for (let q = 0; q < n >> 3; q++) {
      const a = d * 4 + 2 * q;
      const b = s * 4 + 2 * q;
      const r = gt ? i[a + 1]! > i[b + 1]! || (i[a + 1]! === i[b + 1]! && u[a]! > u[b]!) : u[a] === u[b] && u[a + 1] === u[b + 1];
      const m = r ? 0xffffffff : 0;
      u[a] = m;
      u[a + 1] = m;
    }
  };
}

/** Bitwise op on dwords (PAND & co., ANDPS & co.). */
function logic(f: Lane): PackedOp {
  return dwords(f, false);
}

const add: Lane = (a, b) => a + b;
const sub: Lane = (a, b) => a - b;
const min: Lane = (a, b) => (a < b ? a : b);
const max: Lane = (a, b) => (a > b ? a : b);
const eq: Lane = (a, b) => (a === b ? -1 : 0);
const gt: Lane = (a, b) => (a > b ? -1 : 0);
const avg: Lane = (a, b) => (a + b + 1) >> 1;

export function registerIntArith(t: HandlerTable): void {
  const m = t.byMnemonic;
  const set = (mn: number, op: PackedOp): void => void m.set(mn, packed(op));
  set(Mnemonic.Paddb, bytes(add, false));
  set(Mnemonic.Paddw, words(add, false));
  set(Mnemonic.Paddd, dwords(add, false));
  set(Mnemonic.Paddq, qwordAddSub(false));
  set(Mnemonic.Psubb, bytes(sub, false));
  set(Mnemonic.Psubw, words(sub, false));
  set(Mnemonic.Psubd, dwords(sub, false));
  set(Mnemonic.Psubq, qwordAddSub(true));
  set(Mnemonic.Paddsb, bytes((a, b) => sat8s(a + b), true));
  set(Mnemonic.Paddsw, words((a, b) => sat16s(a + b), true));
  set(Mnemonic.Paddusb, bytes((a, b) => sat8u(a + b), false));
  set(Mnemonic.Paddusw, words((a, b) => sat16u(a + b), false));
  set(Mnemonic.Psubsb, bytes((a, b) => sat8s(a - b), true));
  set(Mnemonic.Psubsw, words((a, b) => sat16s(a - b), true));
  set(Mnemonic.Psubusb, bytes((a, b) => sat8u(a - b), false));
  set(Mnemonic.Psubusw, words((a, b) => sat16u(a - b), false));
  set(Mnemonic.Pmullw, words((a, b) => Math.imul(a, b), true));
  set(Mnemonic.Pmulhw, words((a, b) => (a * b) >> 16, true));
  set(Mnemonic.Pmulhuw, words((a, b) => (a * b) >>> 16, false));
  set(Mnemonic.Pmulld, dwords((a, b) => Math.imul(a, b), true));
  set(Mnemonic.Pmuludq, mulDq(false));
  set(Mnemonic.Pmuldq, mulDq(true));
  set(Mnemonic.Pmaddwd, pmaddwd);
  set(Mnemonic.Pavgb, bytes(avg, false));
  set(Mnemonic.Pavgw, words(avg, false));
  set(Mnemonic.Psadbw, psadbw);
  set(Mnemonic.Pminub, bytes(min, false));
  set(Mnemonic.Pmaxub, bytes(max, false));
  set(Mnemonic.Pminsb, bytes(min, true));
  set(Mnemonic.Pmaxsb, bytes(max, true));
  set(Mnemonic.Pminuw, words(min, false));
  set(Mnemonic.Pmaxuw, words(max, false));
  set(Mnemonic.Pminsw, words(min, true));
  set(Mnemonic.Pmaxsw, words(max, true));
  set(Mnemonic.Pminud, dwords(min, false));
  set(Mnemonic.Pmaxud, dwords(max, false));
  set(Mnemonic.Pminsd, dwords(min, true));
  set(Mnemonic.Pmaxsd, dwords(max, true));
  set(Mnemonic.Pcmpeqb, bytes(eq, true));
  set(Mnemonic.Pcmpeqw, words(eq, true));
  set(Mnemonic.Pcmpeqd, dwords(eq, true));
  set(Mnemonic.Pcmpeqq, cmpQ(false));
  set(Mnemonic.Pcmpgtb, bytes(gt, true));
  set(Mnemonic.Pcmpgtw, words(gt, true));
  set(Mnemonic.Pcmpgtd, dwords(gt, true));
  set(Mnemonic.Pcmpgtq, cmpQ(true));
  const and = logic((a, b) => a & b);
  const andn = logic((a, b) => ~a & b);
  const or = logic((a, b) => a | b);
  const xor = logic((a, b) => a ^ b);
  for (const mn of [Mnemonic.Pand, Mnemonic.Andps, Mnemonic.Andpd]) set(mn, and);
  for (const mn of [Mnemonic.Pandn, Mnemonic.Andnps, Mnemonic.Andnpd]) set(mn, andn);
  for (const mn of [Mnemonic.Por, Mnemonic.Orps, Mnemonic.Orpd]) set(mn, or);
  for (const mn of [Mnemonic.Pxor, Mnemonic.Xorps, Mnemonic.Xorpd]) set(mn, xor);
}
