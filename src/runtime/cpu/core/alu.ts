/**
 * Integer ALU instructions with exact flags: add adc sub sbb and or xor cmp test inc dec neg not.
 */
import { Mnemonic } from 'iced-x86';
import { Flag, STATUS_FLAGS } from '../state.ts';
import type { Handler, HandlerTable } from '../decoded.ts';
import {
  addFlags,
  addFlags64,
  commitFlags,
  logicFlags,
  logicFlags64,
  M64,
  MASK,
  subFlags,
  subFlags64,
} from './flags.ts';
import { memAddr, rd, rd64, wr, wr64 } from './operands.ts';

const enum Op {
  Add,
  Or,
  Adc,
  Sbb,
  And,
  Sub,
  Xor,
  Cmp,
  Test,
}

function compute(op: Op, a: number, b: number, cf: number, s: number): number {
  switch (op) {
    case Op.Add:
      return addFlags(a, b, 0, s);
    case Op.Adc:
      return addFlags(a, b, cf, s);
    case Op.Sub:
    case Op.Cmp:
      return subFlags(a, b, 0, s);
    case Op.Sbb:
      return subFlags(a, b, cf, s);
    case Op.And:
    case Op.Test:
      return logicFlags((a & b) >>> 0, s);
    case Op.Or:
      return logicFlags((a | b) >>> 0, s);
    case Op.Xor:
      return logicFlags((a ^ b) >>> 0, s);
  }
}

function compute64(op: Op, a: bigint, b: bigint, cf: number): bigint {
  switch (op) {
    case Op.Add:
      return addFlags64(a, b, 0);
    case Op.Adc:
      return addFlags64(a, b, cf);
    case Op.Sub:
    case Op.Cmp:
      return subFlags64(a, b, 0);
    case Op.Sbb:
      return subFlags64(a, b, cf);
    case Op.And:
    case Op.Test:
      return logicFlags64(a & b);
    case Op.Or:
      return logicFlags64(a | b);
    case Op.Xor:
      return logicFlags64(a ^ b);
  }
}

function binop(op: Op): Handler {
  const writes = op !== Op.Cmp && op !== Op.Test;
  return (cpu, d) => {
    const s = d.opSize;
    const addr = memAddr(cpu, d);
    const cf = cpu.flags & Flag.CF;
    if (s === 8) {
      const a = rd64(cpu, d, d.k0, d.r0, addr);
      const b = rd64(cpu, d, d.k1, d.r1, addr);
      const r = compute64(op, a, b, cf);
      if (writes) wr64(cpu, d, d.k0, d.r0, addr, r);
    } else {
      const a = rd(cpu, d, d.k0, d.r0, s, addr);
      const b = rd(cpu, d, d.k1, d.r1, s, addr);
      const r = compute(op, a, b, cf, s);
      if (writes) wr(cpu, d, d.k0, d.r0, s, addr, r);
    }
    commitFlags(cpu);
  };
}

/** INC/DEC: like ADD/SUB 1 but CF is preserved. */
function incdec(dec: boolean): Handler {
  const mask = STATUS_FLAGS & ~Flag.CF;
  return (cpu, d) => {
    const s = d.opSize;
    const addr = memAddr(cpu, d);
    if (s === 8) {
      const a = rd64(cpu, d, d.k0, d.r0, addr);
      const r = dec ? subFlags64(a, 1n, 0) : addFlags64(a, 1n, 0);
      wr64(cpu, d, d.k0, d.r0, addr, r);
    } else {
      const a = rd(cpu, d, d.k0, d.r0, s, addr);
      const r = dec ? subFlags(a, 1, 0, s) : addFlags(a, 1, 0, s);
      wr(cpu, d, d.k0, d.r0, s, addr, r);
    }
    commitFlags(cpu, mask);
  };
}

/** NEG: 0 - x; CF = (x != 0). */
const neg: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const a = rd64(cpu, d, d.k0, d.r0, addr);
    const r = subFlags64(0n, a, 0);
    wr64(cpu, d, d.k0, d.r0, addr, r);
  } else {
    const a = rd(cpu, d, d.k0, d.r0, s, addr);
    const r = subFlags(0, a, 0, s);
    wr(cpu, d, d.k0, d.r0, s, addr, r);
  }
  commitFlags(cpu);
};

/** NOT: no flags. */
const not: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    wr64(cpu, d, d.k0, d.r0, addr, ~rd64(cpu, d, d.k0, d.r0, addr) & M64);
  } else {
    wr(cpu, d, d.k0, d.r0, s, addr, ~rd(cpu, d, d.k0, d.r0, s, addr) & MASK[s]!);
  }
};

export function registerAlu(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Add, binop(Op.Add));
  m.set(Mnemonic.Or, binop(Op.Or));
  m.set(Mnemonic.Adc, binop(Op.Adc));
  m.set(Mnemonic.Sbb, binop(Op.Sbb));
  m.set(Mnemonic.And, binop(Op.And));
  m.set(Mnemonic.Sub, binop(Op.Sub));
  m.set(Mnemonic.Xor, binop(Op.Xor));
  m.set(Mnemonic.Cmp, binop(Op.Cmp));
  m.set(Mnemonic.Test, binop(Op.Test));
  m.set(Mnemonic.Inc, incdec(false));
  m.set(Mnemonic.Dec, incdec(true));
  m.set(Mnemonic.Neg, neg);
  m.set(Mnemonic.Not, not);
}
