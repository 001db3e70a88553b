/**
 * Specialized handlers for frequent 64-bit register forms (ALU with register or immediate
 * source, INC/DEC, MOV register/immediate/memory, LEA): 64-bit values as two 32-bit halves, so
 * no BigInt is allocated. Semantics are identical to the generic handlers.
 */
import { Mnemonic } from 'iced-x86';
import { Flag, STATUS_FLAGS } from '../state.ts';
import { BASE_RIP, OpK, type DecodedInsn, type Handler } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { PARITY } from './flags.ts';
import { ea } from './operands.ts';

const KEEP = ~STATUS_FLAGS;
const KEEP_CF = ~(STATUS_FLAGS & ~Flag.CF);
const TWO32 = 0x100000000;

/** ZF/SF/PF of a 64-bit result given as halves. */
function szp(lo: number, hi: number): number {
  return ((lo | hi) === 0 ? Flag.ZF : 0) | ((hi & 0x80000000) !== 0 ? Flag.SF : 0) | PARITY[lo & 0xff]!;
}

/** res = a + b + cin into cpu.lo/hi[r] (unless r < 0); returns the status flags. */
function add(cpu: Cpu, r: number, aLo: number, aHi: number, bLo: number, bHi: number, cin: number): number {
  const l = aLo + bLo + cin;
  const rl = l >>> 0;
  const h = aHi + bHi + (l > 0xffffffff ? 1 : 0);
  const rh = h >>> 0;
  if (r >= 0) {
    cpu.lo[r] = rl;
    cpu.hi[r] = rh;
  }
  return (
    szp(rl, rh) |
    (h > 0xffffffff ? Flag.CF : 0) |
    (((aHi ^ rh) & (bHi ^ rh) & 0x80000000) !== 0 ? Flag.OF : 0) |
    ((aLo ^ bLo ^ rl) & Flag.AF)
  );
}

function sub(cpu: Cpu, r: number, aLo: number, aHi: number, bLo: number, bHi: number, cin: number): number {
  const l = aLo - bLo - cin;
  const rl = l >>> 0;
  const h = aHi - bHi - (l < 0 ? 1 : 0);
  const rh = h >>> 0;
  if (r >= 0) {
    cpu.lo[r] = rl;
    cpu.hi[r] = rh;
  }
  return (
    szp(rl, rh) |
    (h < 0 ? Flag.CF : 0) |
    (((aHi ^ bHi) & (aHi ^ rh) & 0x80000000) !== 0 ? Flag.OF : 0) |
    ((aLo ^ bLo ^ rl) & Flag.AF)
  );
}

const addRR: Handler = (cpu, d) => {
  cpu.flags = (cpu.flags & KEEP) | add(cpu, d.r0, cpu.lo[d.r0]!, cpu.hi[d.r0]!, cpu.lo[d.r1]!, cpu.hi[d.r1]!, 0);
};
const addRI: Handler = (cpu, d) => {
  cpu.flags = (cpu.flags & KEEP) | add(cpu, d.r0, cpu.lo[d.r0]!, cpu.hi[d.r0]!, d.imm, d.immHi, 0);
};
const subRR: Handler = (cpu, d) => {
  cpu.flags = (cpu.flags & KEEP) | sub(cpu, d.r0, cpu.lo[d.r0]!, cpu.hi[d.r0]!, cpu.lo[d.r1]!, cpu.hi[d.r1]!, 0);
};
const subRI: Handler = (cpu, d) => {
  cpu.flags = (cpu.flags & KEEP) | sub(cpu, d.r0, cpu.lo[d.r0]!, cpu.hi[d.r0]!, d.imm, d.immHi, 0);
};
const cmpRR: Handler = (cpu, d) => {
  cpu.flags = (cpu.flags & KEEP) | sub(cpu, -1, cpu.lo[d.r0]!, cpu.hi[d.r0]!, cpu.lo[d.r1]!, cpu.hi[d.r1]!, 0);
};
const cmpRI: Handler = (cpu, d) => {
  cpu.flags = (cpu.flags & KEEP) | sub(cpu, -1, cpu.lo[d.r0]!, cpu.hi[d.r0]!, d.imm, d.immHi, 0);
};

function logic(cpu: Cpu, r: number, lo: number, hi: number): void {
  lo >>>= 0;
  hi >>>= 0;
  if (r >= 0) {
    cpu.lo[r] = lo;
    cpu.hi[r] = hi;
  }
  cpu.flags = (cpu.flags & KEEP) | szp(lo, hi);
}

const andRR: Handler = (cpu, d) => logic(cpu, d.r0, cpu.lo[d.r0]! & cpu.lo[d.r1]!, cpu.hi[d.r0]! & cpu.hi[d.r1]!);
const andRI: Handler = (cpu, d) => logic(cpu, d.r0, cpu.lo[d.r0]! & d.imm, cpu.hi[d.r0]! & d.immHi);
const orRR: Handler = (cpu, d) => logic(cpu, d.r0, cpu.lo[d.r0]! | cpu.lo[d.r1]!, cpu.hi[d.r0]! | cpu.hi[d.r1]!);
const orRI: Handler = (cpu, d) => logic(cpu, d.r0, cpu.lo[d.r0]! | d.imm, cpu.hi[d.r0]! | d.immHi);
const xorRR: Handler = (cpu, d) => logic(cpu, d.r0, cpu.lo[d.r0]! ^ cpu.lo[d.r1]!, cpu.hi[d.r0]! ^ cpu.hi[d.r1]!);
const xorRI: Handler = (cpu, d) => logic(cpu, d.r0, cpu.lo[d.r0]! ^ d.imm, cpu.hi[d.r0]! ^ d.immHi);
const testRR: Handler = (cpu, d) => logic(cpu, -1, cpu.lo[d.r0]! & cpu.lo[d.r1]!, cpu.hi[d.r0]! & cpu.hi[d.r1]!);
const testRI: Handler = (cpu, d) => logic(cpu, -1, cpu.lo[d.r0]! & d.imm, cpu.hi[d.r0]! & d.immHi);

const incR: Handler = (cpu, d) => {
  const f = add(cpu, d.r0, cpu.lo[d.r0]!, cpu.hi[d.r0]!, 1, 0, 0);
  cpu.flags = (cpu.flags & KEEP_CF) | (f & ~Flag.CF);
};
const decR: Handler = (cpu, d) => {
  const f = sub(cpu, d.r0, cpu.lo[d.r0]!, cpu.hi[d.r0]!, 1, 0, 0);
  cpu.flags = (cpu.flags & KEEP_CF) | (f & ~Flag.CF);
};

const movRR: Handler = (cpu, d) => {
  cpu.lo[d.r0] = cpu.lo[d.r1]!;
  cpu.hi[d.r0] = cpu.hi[d.r1]!;
};
const movRI: Handler = (cpu, d) => {
  cpu.lo[d.r0] = d.imm;
  cpu.hi[d.r0] = d.immHi;
};
const movRM: Handler = (cpu, d) => {
  const mem = cpu.mem;
  const lo = mem.readLinPair(mem.linear(d.seg, ea(cpu, d), 8, false), cpu.cpl === 3);
  cpu.lo[d.r0] = lo;
  cpu.hi[d.r0] = mem.pairHi;
};
const movMR: Handler = (cpu, d) => {
  const mem = cpu.mem;
  mem.writeLinPair(mem.linear(d.seg, ea(cpu, d), 8, true), cpu.lo[d.r1]!, cpu.hi[d.r1]!, cpu.cpl === 3);
};

/** LEA r64 with 64-bit addressing, exact modulo 2^64. */
const lea64: Handler = (cpu, d) => {
  const lo = cpu.lo;
  const hi = cpu.hi;
  let sLo: number;
  let sHi: number;
  if (d.base === BASE_RIP) {
    const v = cpu.nextIp + d.disp;
    sLo = v >>> 0;
    sHi = Math.floor(v / TWO32);
  } else {
    sLo = d.disp >>> 0;
    sHi = d.disp < 0 ? -1 : 0;
    if (d.base >= 0) {
      sLo += lo[d.base]!;
      sHi += hi[d.base]!;
    }
  }
  if (d.index >= 0) {
    sLo += lo[d.index]! * d.scale;
    sHi += hi[d.index]! * d.scale;
  }
  lo[d.r0] = sLo >>> 0;
  hi[d.r0] = (sHi + Math.floor(sLo / TWO32)) >>> 0;
};

type Pair = [Handler, Handler];
const ALU: ReadonlyMap<number, Pair> = new Map<number, Pair>([
  [Mnemonic.Add, [addRR, addRI]],
  [Mnemonic.Sub, [subRR, subRI]],
  [Mnemonic.Cmp, [cmpRR, cmpRI]],
  [Mnemonic.And, [andRR, andRI]],
  [Mnemonic.Or, [orRR, orRI]],
  [Mnemonic.Xor, [xorRR, xorRI]],
  [Mnemonic.Test, [testRR, testRI]],
]);

/** A specialized handler for a 64-bit form, or null. */
export function specialize64(d: DecodedInsn): Handler | null {
  if (d.s0 !== 8 || d.lock) return null;
  const m = d.mnemonic;
  if (d.k0 === OpK.Gpr) {
    const pair = ALU.get(m);
    if (pair !== undefined && d.opCount === 2) {
      if (d.k1 === OpK.Gpr && d.s1 === 8) return pair[0];
      if (d.k1 === OpK.Imm) return pair[1];
      return null;
    }
    if (m === Mnemonic.Inc && d.opCount === 1) return incR;
    if (m === Mnemonic.Dec && d.opCount === 1) return decR;
    if (m === Mnemonic.Mov && d.opCount === 2) {
      if (d.k1 === OpK.Gpr && d.s1 === 8) return movRR;
      if (d.k1 === OpK.Imm) return movRI;
      if (d.k1 === OpK.Mem && d.s1 === 8) return movRM;
    }
    if (m === Mnemonic.Lea && d.k1 === OpK.Mem && d.addrSize === 8) return lea64;
    return null;
  }
  if (d.k0 === OpK.Mem && m === Mnemonic.Mov && d.opCount === 2 && d.k1 === OpK.Gpr && d.s1 === 8) return movMR;
  return null;
}
