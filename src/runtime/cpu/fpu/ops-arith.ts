/**
 * Arithmetic and comparison instructions: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR with their P and I
 * forms, FSQRT, FSCALE, FXTRACT, FPREM, FPREM1, FRNDINT, FABS, FCHS, FCOM/FCOMP/FCOMPP,
 * FUCOM/FUCOMP/FUCOMPP, FCOMI/FCOMIP/FUCOMI/FUCOMIP, FICOM/FICOMP, FTST, FXAM.
 */
import { Mnemonic } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn, HandlerTable } from '../decoded.ts';
import { OpK } from '../decoded.ts';
import { Flag } from '../state.ts';
import { Cls, Exc, classify, fx, setResult } from './f80.ts';
import { add, div, extract, extracted, mul, remainder, remQ, roundInt, scale, sqrt } from './arith.ts';
import { Cmp, cmpToCc, cmpToEflags, compare, examine } from './compare.ts';
import { begin, blocked, commitFlags, finish, opA, opB, pop, readSt, writePhys } from './exec.ts';
import { loadMem } from './ops-move.ts';
import { Sw } from './state.ts';

const enum Op {
  Add,
  Sub,
  Subr,
  Mul,
  Div,
  Divr,
}

function compute(op: Op, a: { se: number; sig: bigint }, b: { se: number; sig: bigint }): void {
  switch (op) {
    case Op.Add:
      return add(a.se, a.sig, b.se, b.sig, false);
    case Op.Sub:
      return add(a.se, a.sig, b.se, b.sig, true);
    case Op.Subr:
      return add(b.se, b.sig, a.se, a.sig, true);
    case Op.Mul:
      return mul(a.se, a.sig, b.se, b.sig);
    case Op.Div:
      return div(a.se, a.sig, b.se, b.sig);
    default:
      return div(b.se, b.sig, a.se, a.sig);
  }
}

/**
 * The six arithmetic families. Forms: `op m32/m64` and `op ST(0), ST(i)` (destination ST(0)),
 * `op ST(i), ST(0)` and `opP ST(i), ST(0)` (destination ST(i); P pops), `opI m16/m32`.
 */
function arith(op: Op, popAfter: boolean, int: boolean) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, true);
    let dst = 0;
    let ok: boolean;
    if (d.k0 === OpK.Mem) {
      ok = readSt(f, 0, opA);
      if (ok) {
        const flags = fx.flags;
        loadMem(cpu, d, int);
        opB.se = fx.se;
        opB.sig = fx.sig;
        // The load's DE counts only when ST(0) is a number (host: none next to a NaN or unsupported ST(0)).
        if (classify(opA.se, opA.sig) >= Cls.QNaN) fx.flags &= ~Exc.D;
        fx.flags |= flags;
      }
    } else {
      // Two register operands: op0 is the destination.
      dst = d.r0;
      const other = d.k1 === OpK.St ? d.r1 : 1;
      ok = readSt(f, dst, opA) && readSt(f, other, opB);
    }
    if (ok && !blocked(f)) compute(op, opA, opB);
    finish(cpu, f, dst, popAfter);
  };
}

function fsqrt(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, true);
  if (readSt(f, 0, opA)) sqrt(opA.se, opA.sig);
  finish(cpu, f, 0, false);
}

function unary(fn: (se: number, sig: bigint) => void) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    if (readSt(f, 0, opA)) fn(opA.se, opA.sig);
    finish(cpu, f, 0, false);
  };
}

const fabs = unary((se, sig) => setResult(se & 0x7fff, sig));
const fchs = unary((se, sig) => setResult(se ^ 0x8000, sig));
const frndint = unary(roundInt);

function fscale(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  if (readSt(f, 0, opA) && readSt(f, 1, opB)) scale(opA.se, opA.sig, opB.se, opB.sig);
  finish(cpu, f, 0, false);
}

function fxtract(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  const p = (f.top - 1) & 7;
  const overflow = ((f.ftw >>> (2 * p)) & 3) !== 3;
  if (!readSt(f, 0, opA)) {
    // underflow: both results the indefinite
    extracted.se = fx.se;
    extracted.sig = fx.sig;
  } else if (overflow) {
    fx.flags |= 1 | Sw.SF;
    fx.up = true;
    extracted.se = 0xffff;
    extracted.sig = 0xc000000000000000n;
    setResult(0xffff, 0xc000000000000000n);
  } else {
    extract(opA.se, opA.sig);
  }
  if (!blocked(f)) {
    writePhys(f, f.phys(0), extracted.se, extracted.sig);
    f.top = p;
    writePhys(f, p, fx.se, fx.sig);
  }
  commitFlags(cpu, f);
}

function fprem(ieee: boolean) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    if (readSt(f, 0, opA) && readSt(f, 1, opB)) {
      remainder(opA.se, opA.sig, opB.se, opB.sig, ieee);
      if (!blocked(f)) {
        const q = remQ.q;
        let cc = f.fsw & ~(Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3);
        if (remQ.partial) cc |= Sw.C2;
        else {
          if (q & 4) cc |= Sw.C0;
          if (q & 2) cc |= Sw.C3;
          if (q & 1) cc |= Sw.C1;
        }
        f.fsw = cc;
        writePhys(f, f.phys(0), fx.se, fx.sig);
        const saveUp = (f.fsw & Sw.C1) !== 0;
        commitFlagsKeepC1(cpu, f, saveUp);
        return;
      }
    }
    finish(cpu, f, 0, false);
  };
}

/** commitFlags, then C1 restored (FPREM's C1 is a quotient bit, not a rounding indicator). */
function commitFlagsKeepC1(cpu: Cpu, f: ReturnType<typeof begin>, c1: boolean): void {
  commitFlags(cpu, f);
  f.fsw = c1 ? f.fsw | Sw.C1 : f.fsw & ~Sw.C1;
}

// ---- comparisons -----------------------------------------------------------------------------

/**
 * FCOM family into C3/C2/C0 (`pops` 0, 1, 2); `quiet` for FUCOM*. Operand: memory (real or
 * `int`), ST(i), or ST(1) when none is given; FTST compares with +0.
 */
function fcom(pops: number, quiet: boolean, int: boolean, tst = false) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    let r = Cmp.Unordered;
    let ok = readSt(f, 0, opA);
    if (ok) {
      if (tst) {
        opB.se = 0;
        opB.sig = 0n;
      } else if (d.k0 === OpK.Mem) {
        const flags = fx.flags;
        loadMem(cpu, d, int);
        opB.se = fx.se;
        opB.sig = fx.sig;
        fx.flags = flags | (fx.flags & 2); // the load's SNaN IE is the compare's to decide; keep DE
      } else {
        const i = d.k1 === OpK.St ? d.r1 : d.k0 === OpK.St && d.opCount === 1 ? d.r0 : 1;
        ok = readSt(f, i, opB);
      }
      if (ok) r = compare(opA.se, opA.sig, opB.se, opB.sig, quiet);
    }
    // The condition codes are set even when an unmasked exception stops the pops (host behaviour).
    f.fsw = (f.fsw & ~(Sw.C0 | Sw.C2 | Sw.C3)) | cmpToCc(r);
    if (!blocked(f)) for (let k = 0; k < pops; k++) pop(f);
    fx.up = false;
    commitFlags(cpu, f);
  };
}

/** FCOMI/FUCOMI(P): ZF, PF, CF; OF, SF, AF cleared. */
function fcomi(popAfter: boolean, quiet: boolean) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    let r = Cmp.Unordered;
    if (readSt(f, 0, opA) && readSt(f, d.k1 === OpK.St ? d.r1 : 1, opB)) r = compare(opA.se, opA.sig, opB.se, opB.sig, quiet);
    const st = Flag.ZF | Flag.PF | Flag.CF | Flag.OF | Flag.SF | Flag.AF;
    cpu.setFlags((cpu.getFlags() & ~st) | cmpToEflags(r));
    if (popAfter && !blocked(f)) pop(f);
    fx.up = false;
    commitFlags(cpu, f);
  };
}

function fxam(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  const p = f.phys(0);
  const cc = examine(f.se[p]!, (BigInt(f.sigHi[p]!) << 32n) | BigInt(f.sigLo[p]!), f.isEmpty(0));
  f.fsw = (f.fsw & ~(Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3)) | cc;
}

export function registerArith(t: HandlerTable): void {
  const m = t.byMnemonic;
  const fam: [number, number, number, Op][] = [
    [Mnemonic.Fadd, Mnemonic.Faddp, Mnemonic.Fiadd, Op.Add],
    [Mnemonic.Fsub, Mnemonic.Fsubp, Mnemonic.Fisub, Op.Sub],
    [Mnemonic.Fsubr, Mnemonic.Fsubrp, Mnemonic.Fisubr, Op.Subr],
    [Mnemonic.Fmul, Mnemonic.Fmulp, Mnemonic.Fimul, Op.Mul],
    [Mnemonic.Fdiv, Mnemonic.Fdivp, Mnemonic.Fidiv, Op.Div],
    [Mnemonic.Fdivr, Mnemonic.Fdivrp, Mnemonic.Fidivr, Op.Divr],
  ];
  for (const [plain, p, i, op] of fam) {
    m.set(plain, arith(op, false, false));
    m.set(p, arith(op, true, false));
    m.set(i, arith(op, false, true));
  }
  m.set(Mnemonic.Fsqrt, fsqrt);
  m.set(Mnemonic.Fabs, fabs);
  m.set(Mnemonic.Fchs, fchs);
  m.set(Mnemonic.Frndint, frndint);
  m.set(Mnemonic.Fscale, fscale);
  m.set(Mnemonic.Fxtract, fxtract);
  m.set(Mnemonic.Fprem, fprem(false));
  m.set(Mnemonic.Fprem1, fprem(true));
  m.set(Mnemonic.Fcom, fcom(0, false, false));
  m.set(Mnemonic.Fcomp, fcom(1, false, false));
  m.set(Mnemonic.Fcompp, fcom(2, false, false));
  m.set(Mnemonic.Fucom, fcom(0, true, false));
  m.set(Mnemonic.Fucomp, fcom(1, true, false));
  m.set(Mnemonic.Fucompp, fcom(2, true, false));
  m.set(Mnemonic.Ficom, fcom(0, false, true));
  m.set(Mnemonic.Ficomp, fcom(1, false, true));
  m.set(Mnemonic.Ftst, fcom(0, false, false, true));
  m.set(Mnemonic.Fcomi, fcomi(false, false));
  m.set(Mnemonic.Fcomip, fcomi(true, false));
  m.set(Mnemonic.Fucomi, fcomi(false, true));
  m.set(Mnemonic.Fucomip, fcomi(true, true));
  m.set(Mnemonic.Fxam, fxam);
}
