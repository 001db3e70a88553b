/**
 * Shifts and rotates with the SDM's flag rules: shl/sal shr sar rol ror rcl rcr shld shrd.
 * Count is masked to 5 bits (6 with 64-bit operands); a masked count of 0 changes nothing.
 * Flags the SDM leaves undefined are computed with the count-1 formula (OF) or cleared (AF).
 */
import { Mnemonic } from 'iced-x86';
import { Flag } from '../state.ts';
import { OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { MASK, szp, szp64, M64 } from './flags.ts';
import { memAddr, rd, rd64, sext, wr, wr64 } from './operands.ts';

const enum K {
  Rol,
  Ror,
  Rcl,
  Rcr,
  Shl,
  Shr,
  Sar,
  Shld,
  Shrd,
}

const ROT = Flag.CF | Flag.OF;

/** Scratch out-parameters of shift32/shift64 (no allocation per instruction). */
const out = { flags: 0, touched: 0 };
const ALL = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

/** Shift count from the last operand (imm8 or CL). */
function countOf(cpu: Cpu, d: DecodedInsn, k: OpK): number {
  return k === OpK.Imm ? d.imm & 0xff : cpu.lo[1]! & 0xff;
}

function msbOf(bits: number, v: number): number {
  return (v >>> (bits - 1)) & 1;
}

function msb64(v: bigint): number {
  return Number(v >> 63n);
}

function shift32(kind: K, a: number, b: number, c: number, s: number, cfIn: number): number {
  const bits = s * 8;
  const mask = MASK[s]!;
  let res = 0;
  let cf = 0;
  let of = 0;
  let touched = ALL;
  switch (kind) {
    case K.Shl:
      res = c < 32 ? (a << c) & mask : 0;
      if (s === 4) res >>>= 0;
      cf = c <= bits ? (a >>> (bits - c)) & 1 : 0;
      if (c === bits && s === 4) cf = a & 1;
      of = msbOf(bits, res) ^ cf;
      break;
    case K.Shr:
      res = c < 32 ? a >>> c : 0;
      cf = c <= 32 ? (a >>> (c - 1)) & 1 : 0;
      of = msbOf(bits, a);
      break;
    case K.Sar: {
      const sa = sext(a, s);
      res = (sa >> Math.min(c, 31)) & mask;
      if (s === 4) res >>>= 0;
      cf = (sa >> Math.min(c - 1, 31)) & 1;
      of = 0;
      break;
    }
    case K.Rol: {
      const r = c % bits;
      res = r === 0 ? a : ((a << r) | (a >>> (bits - r))) & mask;
      if (s === 4) res >>>= 0;
      cf = res & 1;
      of = msbOf(bits, res) ^ cf;
      touched = ROT;
      break;
    }
    case K.Ror: {
      const r = c % bits;
      res = r === 0 ? a : ((a >>> r) | (a << (bits - r))) & mask;
      if (s === 4) res >>>= 0;
      cf = msbOf(bits, res);
      of = msbOf(bits, res) ^ ((res >>> (bits - 2)) & 1);
      touched = ROT;
      break;
    }
    case K.Rcl: {
      const r = s === 4 ? c : c % (bits + 1);
      res = a;
      cf = cfIn;
      for (let i = 0; i < r; i++) {
        const out = msbOf(bits, res);
        res = ((res << 1) | cf) & mask;
        if (s === 4) res >>>= 0;
        cf = out;
      }
      of = msbOf(bits, res) ^ cf;
      // A rotation count that is a multiple of size+1 changes nothing, flags included (as Intel hardware).
      touched = r === 0 ? 0 : ROT;
      break;
    }
    case K.Rcr: {
      const r = s === 4 ? c : c % (bits + 1);
      res = a;
      cf = cfIn;
      for (let i = 0; i < r; i++) {
        const out = res & 1;
        res = ((res >>> 1) | (cf << (bits - 1))) & mask;
        if (s === 4) res >>>= 0;
        cf = out;
      }
      of = msbOf(bits, res) ^ ((res >>> (bits - 2)) & 1);
      // A rotation count that is a multiple of size+1 changes nothing, flags included (as Intel hardware).
      touched = r === 0 ? 0 : ROT;
      break;
    }
    case K.Shld: {
      // Operate on the concatenation dest:src (c <= bits; larger 16-bit counts are undefined).
      const cc = c > bits ? c - bits : c;
      const src = c > bits ? a : b;
      const dst = c > bits ? b : a;
      res = (((dst << cc) | (cc === 0 ? 0 : src >>> (bits - cc))) & mask) >>> 0;
      if (cc === bits) res = src;
      cf = (dst >>> (bits - cc)) & 1;
      of = msbOf(bits, res) ^ msbOf(bits, a);
      break;
    }
    case K.Shrd: {
      const cc = c > bits ? c - bits : c;
      const src = c > bits ? a : b;
      const dst = c > bits ? b : a;
      res = cc === bits ? src : (((dst >>> cc) | (src << (bits - cc))) & mask) >>> 0;
      cf = (dst >>> (cc - 1)) & 1;
      of = msbOf(bits, res) ^ msbOf(bits, a);
      break;
    }
  }
  const flags = touched === ALL ? szp(res, s) : 0;
  out.flags = (flags | (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0)) & touched;
  out.touched = touched;
  return res;
}

function shift64(kind: K, a: bigint, b: bigint, c: number, cfIn: number): bigint {
  const n = BigInt(c);
  let res = 0n;
  let cf = 0;
  let of = 0;
  let touched = ALL;
  switch (kind) {
    case K.Shl:
      res = (a << n) & M64;
      cf = Number((a >> (64n - n)) & 1n);
      of = msb64(res) ^ cf;
      break;
    case K.Shr:
      res = a >> n;
      cf = Number((a >> (n - 1n)) & 1n);
      of = msb64(a);
      break;
    case K.Sar: {
      const sa = BigInt.asIntN(64, a);
      res = BigInt.asUintN(64, sa >> n);
      cf = Number((sa >> (n - 1n)) & 1n);
      break;
    }
    case K.Rol:
      res = ((a << n) | (a >> (64n - n))) & M64;
      cf = Number(res & 1n);
      of = msb64(res) ^ cf;
      touched = ROT;
      break;
    case K.Ror:
      res = ((a >> n) | (a << (64n - n))) & M64;
      cf = msb64(res);
      of = msb64(res) ^ Number((res >> 62n) & 1n);
      touched = ROT;
      break;
    case K.Rcl:
      res = a;
      cf = cfIn;
      for (let i = 0; i < c; i++) {
        const out = msb64(res);
        res = ((res << 1n) | BigInt(cf)) & M64;
        cf = out;
      }
      of = msb64(res) ^ cf;
      touched = ROT;
      break;
    case K.Rcr:
      res = a;
      cf = cfIn;
      for (let i = 0; i < c; i++) {
        const out = Number(res & 1n);
        res = (res >> 1n) | (BigInt(cf) << 63n);
        cf = out;
      }
      of = msb64(res) ^ Number((res >> 62n) & 1n);
      touched = ROT;
      break;
    case K.Shld:
      res = ((a << n) | (b >> (64n - n))) & M64;
      cf = Number((a >> (64n - n)) & 1n);
      of = msb64(res) ^ msb64(a);
      break;
    case K.Shrd:
      res = ((a >> n) | (b << (64n - n))) & M64;
      cf = Number((a >> (n - 1n)) & 1n);
      of = msb64(res) ^ msb64(a);
      break;
  }
  const flags = touched === ALL ? szp64(res) : 0;
  out.flags = (flags | (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0)) & touched;
  out.touched = touched;
  return res;
}

function shiftHandler(kind: K): Handler {
  const double = kind === K.Shld || kind === K.Shrd;
  return (cpu, d) => {
    const s = d.opSize;
    const addr = memAddr(cpu, d);
    const c = countOf(cpu, d, double ? d.k2 : d.k1) & (s === 8 ? 63 : 31);
    const cfIn = cpu.flags & Flag.CF;
    if (s === 8) {
      const a = rd64(cpu, d, d.k0, d.r0, addr);
      if (c === 0) return;
      const b = double ? cpu.getReg64(d.r1) : 0n;
      const res = shift64(kind, a, b, c, cfIn);
      wr64(cpu, d, d.k0, d.r0, addr, res);
      cpu.flags = (cpu.flags & ~out.touched) | out.flags;
    } else {
      const a = rd(cpu, d, d.k0, d.r0, s, addr);
      if (c === 0) {
        if (s === 4 && d.k0 === OpK.Gpr) cpu.setReg(d.r0, 4, a); // 32-bit dest still zero-extends
        return;
      }
      const b = double ? cpu.getReg(d.r1, s) : 0;
      const res = shift32(kind, a, b, c, s, cfIn);
      wr(cpu, d, d.k0, d.r0, s, addr, res);
      cpu.flags = (cpu.flags & ~out.touched) | out.flags;
    }
  };
}

export function registerShift(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Rol, shiftHandler(K.Rol));
  m.set(Mnemonic.Ror, shiftHandler(K.Ror));
  m.set(Mnemonic.Rcl, shiftHandler(K.Rcl));
  m.set(Mnemonic.Rcr, shiftHandler(K.Rcr));
  m.set(Mnemonic.Shl, shiftHandler(K.Shl));
  m.set(Mnemonic.Sal, shiftHandler(K.Shl));
  m.set(Mnemonic.Shr, shiftHandler(K.Shr));
  m.set(Mnemonic.Sar, shiftHandler(K.Sar));
  m.set(Mnemonic.Shld, shiftHandler(K.Shld));
  m.set(Mnemonic.Shrd, shiftHandler(K.Shrd));
}
