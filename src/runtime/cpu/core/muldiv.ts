/**
 * mul, imul (1/2/3 operands), div, idiv. CF = OF = "the high half is significant"; SF, ZF, AF,
 * PF are undefined by the SDM and left unchanged. #DE on division by zero or quotient overflow.
 */
import { Mnemonic } from 'iced-x86';
import { Vec } from '../fault.ts';
import { Flag } from '../state.ts';
import type { Handler, HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { M64 } from './flags.ts';
import { memAddr, rd, rd64, sext } from './operands.ts';

/** Exact unsigned 32x32 → 64 product: low dword returned, high dword in prod.hi. */
const prod = { hi: 0 };
function mul32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  prod.hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return ((mid << 16) | (p00 & 0xffff)) >>> 0;
}

/** Signed 32x32 → 64: low dword returned, high dword (two's complement) in prod.hi. */
function imul32(a: number, b: number): number {
  const lo = mul32(a >>> 0, b >>> 0);
  let hi = prod.hi;
  if ((a | 0) < 0) hi -= b >>> 0;
  if ((b | 0) < 0) hi -= a >>> 0;
  prod.hi = hi >>> 0;
  return lo;
}

function setCfOf(cpu: Cpu, on: boolean): void {
  cpu.flags = on ? cpu.flags | Flag.CF | Flag.OF : cpu.flags & ~(Flag.CF | Flag.OF);
}

const mul: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const p = cpu.getReg64(0) * rd64(cpu, d, d.k0, d.r0, addr);
    cpu.setReg64(0, p & M64);
    cpu.setReg64(2, p >> 64n);
    setCfOf(cpu, p >> 64n !== 0n);
    return;
  }
  const src = rd(cpu, d, d.k0, d.r0, s, addr);
  if (s === 1) {
    const p = (cpu.lo[0]! & 0xff) * src;
    cpu.setReg(0, 2, p);
    setCfOf(cpu, p > 0xff);
  } else if (s === 2) {
    const p = (cpu.lo[0]! & 0xffff) * src;
    cpu.setReg(0, 2, p & 0xffff);
    cpu.setReg(2, 2, p >>> 16);
    setCfOf(cpu, p > 0xffff);
  } else {
    const lo = mul32(cpu.lo[0]!, src);
    const hi = prod.hi;
    cpu.setReg(0, 4, lo);
    cpu.setReg(2, 4, hi);
    setCfOf(cpu, hi !== 0);
  }
};

const imul: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (d.opCount === 1) {
    if (s === 8) {
      const p = BigInt.asIntN(64, cpu.getReg64(0)) * BigInt.asIntN(64, rd64(cpu, d, d.k0, d.r0, addr));
      cpu.setReg64(0, BigInt.asUintN(64, p));
      cpu.setReg64(2, BigInt.asUintN(64, p >> 64n));
      setCfOf(cpu, p !== BigInt.asIntN(64, p));
      return;
    }
    const src = sext(rd(cpu, d, d.k0, d.r0, s, addr), s);
    if (s === 1) {
      const p = sext(cpu.lo[0]! & 0xff, 1) * src;
      cpu.setReg(0, 2, p & 0xffff);
      setCfOf(cpu, p !== sext(p & 0xff, 1));
    } else if (s === 2) {
      const p = sext(cpu.lo[0]! & 0xffff, 2) * src;
      cpu.setReg(0, 2, p & 0xffff);
      cpu.setReg(2, 2, (p >> 16) & 0xffff);
      setCfOf(cpu, p !== sext(p & 0xffff, 2));
    } else {
      const lo = imul32(cpu.lo[0]!, src);
      const hi = prod.hi;
      cpu.setReg(0, 4, lo);
      cpu.setReg(2, 4, hi);
      setCfOf(cpu, hi !== ((lo & 0x80000000) !== 0 ? 0xffffffff : 0));
    }
    return;
  }
  // Two operands: dest *= src. Three: dest = src * imm.
  const three = d.opCount === 3;
  if (s === 8) {
    const a = BigInt.asIntN(64, three ? rd64(cpu, d, d.k1, d.r1, addr) : cpu.getReg64(d.r0));
    const b = BigInt.asIntN(64, three ? (BigInt(d.immHi) << 32n) | BigInt(d.imm) : rd64(cpu, d, d.k1, d.r1, addr));
    const p = a * b;
    cpu.setReg64(d.r0, BigInt.asUintN(64, p));
    setCfOf(cpu, p !== BigInt.asIntN(64, p));
    return;
  }
  const a = sext(three ? rd(cpu, d, d.k1, d.r1, s, addr) : cpu.getReg(d.r0, s), s);
  const b = sext(three ? d.imm : rd(cpu, d, d.k1, d.r1, s, addr), s);
  if (s === 4) {
    const lo = imul32(a, b);
    cpu.setReg(d.r0, 4, lo);
    setCfOf(cpu, prod.hi !== ((lo & 0x80000000) !== 0 ? 0xffffffff : 0));
  } else {
    const p = a * b;
    cpu.setReg(d.r0, s, p & 0xffff);
    setCfOf(cpu, p !== sext(p & 0xffff, 2));
  }
};

const div: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const src = rd64(cpu, d, d.k0, d.r0, addr);
    if (src === 0n) cpu.raise(Vec.DE);
    const n = (cpu.getReg64(2) << 64n) | cpu.getReg64(0);
    const q = n / src;
    if (q > M64) cpu.raise(Vec.DE);
    cpu.setReg64(0, q);
    cpu.setReg64(2, n % src);
    return;
  }
  const src = rd(cpu, d, d.k0, d.r0, s, addr);
  if (src === 0) cpu.raise(Vec.DE);
  if (s === 1) {
    const n = cpu.lo[0]! & 0xffff;
    const q = Math.floor(n / src);
    if (q > 0xff) cpu.raise(Vec.DE);
    cpu.setReg(0, 2, ((n % src) << 8) | q);
  } else if (s === 2) {
    const n = (cpu.lo[2]! & 0xffff) * 0x10000 + (cpu.lo[0]! & 0xffff);
    const q = Math.floor(n / src);
    if (q > 0xffff) cpu.raise(Vec.DE);
    cpu.setReg(0, 2, q);
    cpu.setReg(2, 2, n % src);
  } else {
    const hi = cpu.lo[2]!;
    if (hi === 0) {
      const n = cpu.lo[0]!;
      cpu.setReg(0, 4, Math.floor(n / src));
      cpu.setReg(2, 4, n % src);
      return;
    }
    const n = (BigInt(hi) << 32n) | BigInt(cpu.lo[0]!);
    const b = BigInt(src);
    const q = n / b;
    if (q > 0xffffffffn) cpu.raise(Vec.DE);
    cpu.setReg(0, 4, Number(q));
    cpu.setReg(2, 4, Number(n % b));
  }
};

const idiv: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const src = BigInt.asIntN(64, rd64(cpu, d, d.k0, d.r0, addr));
    if (src === 0n) cpu.raise(Vec.DE);
    const n = BigInt.asIntN(128, (cpu.getReg64(2) << 64n) | cpu.getReg64(0));
    const q = n / src;
    if (q !== BigInt.asIntN(64, q)) cpu.raise(Vec.DE);
    cpu.setReg64(0, BigInt.asUintN(64, q));
    cpu.setReg64(2, BigInt.asUintN(64, n % src));
    return;
  }
  const src = sext(rd(cpu, d, d.k0, d.r0, s, addr), s);
  if (src === 0) cpu.raise(Vec.DE);
  if (s === 4) {
    const n = BigInt.asIntN(64, (BigInt(cpu.lo[2]!) << 32n) | BigInt(cpu.lo[0]!));
    const b = BigInt(src);
    const q = n / b;
    if (q !== BigInt.asIntN(32, q)) cpu.raise(Vec.DE);
    cpu.setReg(0, 4, Number(BigInt.asUintN(32, q)));
    cpu.setReg(2, 4, Number(BigInt.asUintN(32, n % b)));
    return;
  }
  const n = s === 1 ? sext(cpu.lo[0]! & 0xffff, 2) : ((cpu.lo[2]! & 0xffff) << 16) | (cpu.lo[0]! & 0xffff);
  const q = Math.trunc(n / src);
  const r = n - q * src;
  if (q !== sext(q & (s === 1 ? 0xff : 0xffff), s)) cpu.raise(Vec.DE);
  if (s === 1) cpu.setReg(0, 2, ((r & 0xff) << 8) | (q & 0xff));
  else {
    cpu.setReg(0, 2, q & 0xffff);
    cpu.setReg(2, 2, r & 0xffff);
  }
};

export function registerMulDiv(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Mul, mul);
  m.set(Mnemonic.Imul, imul);
  m.set(Mnemonic.Div, div);
  m.set(Mnemonic.Idiv, idiv);
}
