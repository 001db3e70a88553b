/**
 * Specialized handlers for the most frequent 32-bit forms (register/immediate ALU, MOV, INC/DEC),
 * chosen once at decode time in place of the generic handler of the same mnemonic. Each is a
 * separate function so the JIT sees one shape per call site. Semantics are identical to the
 * generic handlers (alu.ts, data.ts).
 */
import { Mnemonic } from 'iced-x86';
import { Flag, STATUS_FLAGS } from '../state.ts';
import { OpK, type DecodedInsn, type Handler } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { addFlags, fl, logicFlags, subFlags, szp } from './flags.ts';
import { ea } from './operands.ts';
import { specialize64 } from './fast64.ts';

const KEEP = ~STATUS_FLAGS;
const KEEP_CF = ~(STATUS_FLAGS & ~Flag.CF);

const addRR: Handler = (cpu, d) => {
  const r = addFlags(cpu.lo[d.r0]!, cpu.lo[d.r1]!, 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const addRI: Handler = (cpu, d) => {
  const r = addFlags(cpu.lo[d.r0]!, d.imm, 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const subRR: Handler = (cpu, d) => {
  const r = subFlags(cpu.lo[d.r0]!, cpu.lo[d.r1]!, 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const subRI: Handler = (cpu, d) => {
  const r = subFlags(cpu.lo[d.r0]!, d.imm, 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const cmpRR: Handler = (cpu, d) => {
  subFlags(cpu.lo[d.r0]!, cpu.lo[d.r1]!, 0, 4);
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const cmpRI: Handler = (cpu, d) => {
  subFlags(cpu.lo[d.r0]!, d.imm, 0, 4);
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const andRR: Handler = (cpu, d) => {
  const r = logicFlags((cpu.lo[d.r0]! & cpu.lo[d.r1]!) >>> 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const andRI: Handler = (cpu, d) => {
  const r = logicFlags((cpu.lo[d.r0]! & d.imm) >>> 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const orRR: Handler = (cpu, d) => {
  const r = logicFlags((cpu.lo[d.r0]! | cpu.lo[d.r1]!) >>> 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const orRI: Handler = (cpu, d) => {
  const r = logicFlags((cpu.lo[d.r0]! | d.imm) >>> 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const xorRR: Handler = (cpu, d) => {
  const r = logicFlags((cpu.lo[d.r0]! ^ cpu.lo[d.r1]!) >>> 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const xorRI: Handler = (cpu, d) => {
  const r = logicFlags((cpu.lo[d.r0]! ^ d.imm) >>> 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const testRR: Handler = (cpu, d) => {
  logicFlags((cpu.lo[d.r0]! & cpu.lo[d.r1]!) >>> 0, 4);
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const testRI: Handler = (cpu, d) => {
  logicFlags((cpu.lo[d.r0]! & d.imm) >>> 0, 4);
  cpu.flags = (cpu.flags & KEEP) | fl.v;
};
const incR: Handler = (cpu, d) => {
  const r = addFlags(cpu.lo[d.r0]!, 1, 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP_CF) | (fl.v & ~Flag.CF);
};
const decR: Handler = (cpu, d) => {
  const r = subFlags(cpu.lo[d.r0]!, 1, 0, 4);
  cpu.lo[d.r0] = r;
  cpu.hi[d.r0] = 0;
  cpu.flags = (cpu.flags & KEEP_CF) | (fl.v & ~Flag.CF);
};
const movRR: Handler = (cpu, d) => {
  cpu.lo[d.r0] = cpu.lo[d.r1]!;
  cpu.hi[d.r0] = 0;
};
const movRI: Handler = (cpu, d) => {
  cpu.lo[d.r0] = d.imm;
  cpu.hi[d.r0] = 0;
};
const movRM: Handler = (cpu, d) => {
  const v = cpu.read(d.seg, ea(cpu, d), 4);
  cpu.lo[d.r0] = v;
  cpu.hi[d.r0] = 0;
};
const movMR: Handler = (cpu, d) => {
  cpu.write(d.seg, ea(cpu, d), 4, cpu.lo[d.r1]!);
};

// ---- 32-bit read-modify-write to memory: op [mem], r32 / imm ----------------------------------
// `op` is a literal at every call site, so the JIT folds the switch after inlining.

const OP_ADD = 0;
const OP_SUB = 1;
const OP_AND = 2;
const OP_OR = 3;
const OP_XOR = 4;
const OP_CMP = 5;

function rmw32(cpu: Cpu, d: DecodedInsn, b: number, op: number): void {
  const off = ea(cpu, d);
  const a = cpu.read(d.seg, off, 4);
  let r: number;
  switch (op) {
    case OP_ADD:
      r = addFlags(a, b, 0, 4);
      break;
    case OP_SUB:
    case OP_CMP:
      r = subFlags(a, b, 0, 4);
      break;
    case OP_AND:
      r = logicFlags((a & b) >>> 0, 4);
      break;
    case OP_OR:
      r = logicFlags((a | b) >>> 0, 4);
      break;
    default:
      r = logicFlags((a ^ b) >>> 0, 4);
  }
  if (op !== OP_CMP) cpu.write(d.seg, off, 4, r);
  cpu.flags = (cpu.flags & KEEP) | fl.v;
}

const addMR: Handler = (cpu, d) => rmw32(cpu, d, cpu.lo[d.r1]!, OP_ADD);
const addMI: Handler = (cpu, d) => rmw32(cpu, d, d.imm, OP_ADD);
const subMR: Handler = (cpu, d) => rmw32(cpu, d, cpu.lo[d.r1]!, OP_SUB);
const subMI: Handler = (cpu, d) => rmw32(cpu, d, d.imm, OP_SUB);
const andMR: Handler = (cpu, d) => rmw32(cpu, d, cpu.lo[d.r1]!, OP_AND);
const andMI: Handler = (cpu, d) => rmw32(cpu, d, d.imm, OP_AND);
const orMR: Handler = (cpu, d) => rmw32(cpu, d, cpu.lo[d.r1]!, OP_OR);
const orMI: Handler = (cpu, d) => rmw32(cpu, d, d.imm, OP_OR);
const xorMR: Handler = (cpu, d) => rmw32(cpu, d, cpu.lo[d.r1]!, OP_XOR);
const xorMI: Handler = (cpu, d) => rmw32(cpu, d, d.imm, OP_XOR);
const cmpMR: Handler = (cpu, d) => rmw32(cpu, d, cpu.lo[d.r1]!, OP_CMP);
const cmpMI: Handler = (cpu, d) => rmw32(cpu, d, d.imm, OP_CMP);

const MEM_ALU: ReadonlyMap<number, [Handler, Handler]> = new Map<number, [Handler, Handler]>([
  [Mnemonic.Add, [addMR, addMI]],
  [Mnemonic.Sub, [subMR, subMI]],
  [Mnemonic.And, [andMR, andMI]],
  [Mnemonic.Or, [orMR, orMI]],
  [Mnemonic.Xor, [xorMR, xorMI]],
  [Mnemonic.Cmp, [cmpMR, cmpMI]],
]);

// ---- 32-bit shifts and rotates of a register by imm8 (shift.ts semantics, count masked to 5 bits;
// a count of 0 only zero-extends the destination and leaves the flags alone) ------------------

const ROT = Flag.CF | Flag.OF;
const KEEP_ROT = ~ROT;
const KEEP_SHIFT = ~(Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF);

const rolRI: Handler = (cpu, d) => {
  const a = cpu.lo[d.r0]!;
  const c = d.imm & 31;
  cpu.hi[d.r0] = 0;
  if (c === 0) return;
  const res = ((a << c) | (a >>> (32 - c))) >>> 0;
  cpu.lo[d.r0] = res;
  const cf = res & 1;
  cpu.flags = (cpu.flags & KEEP_ROT) | (cf !== 0 ? Flag.CF : 0) | (((res >>> 31) ^ cf) !== 0 ? Flag.OF : 0);
};
const rorRI: Handler = (cpu, d) => {
  const a = cpu.lo[d.r0]!;
  const c = d.imm & 31;
  cpu.hi[d.r0] = 0;
  if (c === 0) return;
  const res = ((a >>> c) | (a << (32 - c))) >>> 0;
  cpu.lo[d.r0] = res;
  const msb = res >>> 31;
  cpu.flags = (cpu.flags & KEEP_ROT) | (msb !== 0 ? Flag.CF : 0) | ((msb ^ ((res >>> 30) & 1)) !== 0 ? Flag.OF : 0);
};
const shlRI: Handler = (cpu, d) => {
  const a = cpu.lo[d.r0]!;
  const c = d.imm & 31;
  cpu.hi[d.r0] = 0;
  if (c === 0) return;
  const res = (a << c) >>> 0;
  cpu.lo[d.r0] = res;
  const cf = (a >>> (32 - c)) & 1;
  cpu.flags =
    (cpu.flags & KEEP_SHIFT) | szp(res, 4) | (cf !== 0 ? Flag.CF : 0) | (((res >>> 31) ^ cf) !== 0 ? Flag.OF : 0);
};
const shrRI: Handler = (cpu, d) => {
  const a = cpu.lo[d.r0]!;
  const c = d.imm & 31;
  cpu.hi[d.r0] = 0;
  if (c === 0) return;
  const res = a >>> c;
  cpu.lo[d.r0] = res;
  cpu.flags =
    (cpu.flags & KEEP_SHIFT) | szp(res, 4) | (((a >>> (c - 1)) & 1) !== 0 ? Flag.CF : 0) | (a >>> 31 !== 0 ? Flag.OF : 0);
};
const sarRI: Handler = (cpu, d) => {
  const sa = cpu.lo[d.r0]! | 0;
  const c = d.imm & 31;
  cpu.hi[d.r0] = 0;
  if (c === 0) return;
  const res = (sa >> c) >>> 0;
  cpu.lo[d.r0] = res;
  cpu.flags = (cpu.flags & KEEP_SHIFT) | szp(res, 4) | (((sa >> (c - 1)) & 1) !== 0 ? Flag.CF : 0);
};

const SHIFT_RI: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [Mnemonic.Rol, rolRI],
  [Mnemonic.Ror, rorRI],
  [Mnemonic.Shl, shlRI],
  [Mnemonic.Sal, shlRI],
  [Mnemonic.Shr, shrRI],
  [Mnemonic.Sar, sarRI],
]);

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

/** A specialized handler for `d` (already converted), or null to keep the generic one. */
export function specialize(d: DecodedInsn): Handler | null {
  if (d.k0 !== OpK.Gpr && d.k0 !== OpK.Mem) return null;
  if (d.s0 === 8) return specialize64(d);
  if (d.s0 !== 4 || d.lock) return null;
  const m = d.mnemonic;
  if (d.k0 === OpK.Gpr) {
    const pair = ALU.get(m);
    if (pair !== undefined && d.opCount === 2) {
      if (d.k1 === OpK.Gpr && d.s1 === 4) return pair[0];
      if (d.k1 === OpK.Imm) return pair[1];
      return null;
    }
    if (d.opCount === 2 && d.k1 === OpK.Imm) {
      const sh = SHIFT_RI.get(m);
      if (sh !== undefined) return sh;
    }
    if (m === Mnemonic.Inc && d.opCount === 1) return incR;
    if (m === Mnemonic.Dec && d.opCount === 1) return decR;
    if (m === Mnemonic.Mov && d.opCount === 2) {
      if (d.k1 === OpK.Gpr && d.s1 === 4) return movRR;
      if (d.k1 === OpK.Imm) return movRI;
      if (d.k1 === OpK.Mem && d.s1 === 4) return movRM;
    }
    return null;
  }
  if (m === Mnemonic.Mov && d.opCount === 2 && d.k1 === OpK.Gpr && d.s1 === 4) return movMR;
  const mem = MEM_ALU.get(m);
  if (mem !== undefined && d.opCount === 2) {
    if (d.k1 === OpK.Gpr && d.s1 === 4) return mem[0];
    if (d.k1 === OpK.Imm) return mem[1];
  }
  return null;
}
