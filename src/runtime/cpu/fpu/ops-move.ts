/**
 * Data transfer: FLD/FST/FSTP (m32, m64, m80, ST(i)), FILD/FIST/FISTP/FISTTP (m16, m32, m64),
 * FBLD/FBSTP, FXCH, FCMOVcc, the constant loads (FLD1, FLDZ, FLDPI, FLDL2E, FLDL2T, FLDLG2,
 * FLDLN2; rounded under RC as on hardware).
 */
import { Mnemonic } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn, HandlerTable } from '../decoded.ts';
import { OpK } from '../decoded.ts';
import { cond } from '../core/flags.ts';
import { Exc, INDEF_SE, INDEF_SIG, fx, setResult, classify, Cls, roundPackFmt, EXT, BIAS } from './f80.ts';
import { fromBcd, fromBigInt, fromInt32, fromReal, intOut, realOut, toBcd, toInt, toReal } from './conv.ts';
import { begin, commitFlags, finish, memOff, opA, opB, pop, pushResult, readBytes, readSt, writeBytes, writePhys, blocked, checkWritable, setLoading } from './exec.ts';

const buf10 = new Uint8Array(10);

/** Load the memory operand (real or integer) into fx; `int` selects integer formats. */
export function loadMem(cpu: Cpu, d: DecodedInsn, int: boolean): void {
  const size = d.k0 === OpK.Mem ? d.s0 : d.s1;
  if (int) {
    if (size === 2) return fromInt32((cpu.read(d.seg, memOff, 2) << 16) >> 16);
    if (size === 4) return fromInt32(cpu.read(d.seg, memOff, 4) | 0);
    return fromBigInt(BigInt.asIntN(64, cpu.read64(d.seg, memOff)));
  }
  if (size === 4) return fromReal(BigInt(cpu.read(d.seg, memOff, 4)), 32);
  if (size === 8) return fromReal(cpu.read64(d.seg, memOff), 64);
  readBytes(cpu, d.seg, memOff, 10, buf10);
  load80(buf10);
}

function load80(b: Uint8Array): void {
  let sig = 0n;
  for (let i = 7; i >= 0; i--) sig = (sig << 8n) | BigInt(b[i]!);
  setResult(b[8]! | (b[9]! << 8), sig);
}

function store80(cpu: Cpu, d: DecodedInsn, se: number, sig: bigint): void {
  for (let i = 0; i < 8; i++) buf10[i] = Number((sig >> BigInt(8 * i)) & 0xffn);
  buf10[8] = se & 0xff;
  buf10[9] = se >>> 8;
  writeBytes(cpu, d.seg, memOff, 10, buf10);
}

function fld(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  if (d.k0 === OpK.Mem) {
    loadMem(cpu, d, false);
    if (d.s0 !== 10 && classify(fx.se, fx.sig) === Cls.SNaN) {
      fx.flags |= Exc.I;
      fx.sig |= 1n << 62n;
    }
    setLoading(true); // an unmasked DE does not stop a load (the host loads and reports DE)
  } else if (!readSt(f, d.r0, opA)) {
    // stack underflow: fx holds the indefinite
  } else {
    setResult(opA.se, opA.sig);
  }
  pushResult(cpu, f);
}

function fild(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  loadMem(cpu, d, true);
  pushResult(cpu, f);
}

function fbld(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  readBytes(cpu, d.seg, memOff, 10, buf10);
  fromBcd(buf10);
  pushResult(cpu, f);
}

/** FST/FSTP: memory (m32/m64/m80) or ST(i). */
function fstGeneric(cpu: Cpu, d: DecodedInsn, popAfter: boolean): void {
  const f = begin(cpu, d, false);
  const ok = readSt(f, 0, opA);
  if (d.k0 !== OpK.Mem) {
    // FST ST(i): a copy, no exceptions except the stack underflow.
    if (!ok) setResult(INDEF_SE, INDEF_SIG);
    else setResult(opA.se, opA.sig);
    return finish(cpu, f, d.r0, popAfter);
  }
  const size = d.s0;
  if (size === 10) {
    if (!ok && blocked(f)) return commitFlags(cpu, f);
    store80(cpu, d, ok ? opA.se : INDEF_SE, ok ? opA.sig : INDEF_SIG);
    if (popAfter) pop(f);
    return commitFlags(cpu, f);
  }
  const bits = size === 4 ? 32 : 64;
  if (ok) {
    toReal(opA.se, opA.sig, bits);
  } else {
    realOut.store = !blocked(f);
    realOut.raw = bits === 32 ? 0xffc00000n : 0xfff8000000000000n;
  }
  if (!realOut.store || blocked(f)) return commitFlags(cpu, f);
  if (bits === 32) cpu.write(d.seg, memOff, 4, Number(realOut.raw));
  else cpu.write64(d.seg, memOff, realOut.raw);
  if (popAfter) pop(f);
  commitFlags(cpu, f);
}

/** FIST/FISTP/FISTTP. */
function fistGeneric(cpu: Cpu, d: DecodedInsn, popAfter: boolean, truncate: boolean): void {
  const f = begin(cpu, d, false);
  const size = d.s0;
  const bits = size * 8;
  if (readSt(f, 0, opA)) {
    toInt(opA.se, opA.sig, bits, truncate);
  } else {
    intOut.value = -(1n << BigInt(bits - 1));
    intOut.store = !blocked(f);
  }
  if (!intOut.store || blocked(f)) return commitFlags(cpu, f);
  const v = intOut.value;
  if (size === 8) cpu.write64(d.seg, memOff, BigInt.asUintN(64, v));
  else cpu.write(d.seg, memOff, size, Number(BigInt.asUintN(bits, v)));
  if (popAfter) pop(f);
  commitFlags(cpu, f);
}

function fbstp(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  checkWritable(cpu, d.seg, memOff, 10);
  let store: boolean;
  if (readSt(f, 0, opA)) store = toBcd(opA.se, opA.sig, buf10);
  else {
    store = !blocked(f);
    buf10.fill(0);
    buf10[9] = 0xff;
    buf10[8] = 0xff;
    buf10[7] = 0xc0;
  }
  if (!store || blocked(f)) return commitFlags(cpu, f);
  writeBytes(cpu, d.seg, memOff, 10, buf10);
  pop(f);
  commitFlags(cpu, f);
}

function fxch(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  const i = d.k1 === OpK.St ? d.r1 : 1;
  const okA = readSt(f, 0, opA);
  const okB = readSt(f, i, opB);
  if (!okA || !okB) {
    if (blocked(f)) return commitFlags(cpu, f);
    if (!okA) setInto(opA);
    if (!okB) setInto(opB);
  }
  writePhys(f, f.phys(0), opB.se, opB.sig);
  writePhys(f, f.phys(i), opA.se, opA.sig);
  commitFlags(cpu, f);
}

function setInto(o: { se: number; sig: bigint }): void {
  o.se = INDEF_SE;
  o.sig = INDEF_SIG;
}

function fcmov(cpu: Cpu, d: DecodedInsn, cc: number): void {
  const f = begin(cpu, d, false);
  const okA = readSt(f, 0, opA);
  const okB = readSt(f, d.r1, opB);
  if (!okA || !okB) return finish(cpu, f, 0, false); // indefinite into ST(0) when masked
  if (cond(cpu.getFlags(), cc)) writePhys(f, f.phys(0), opB.se, opB.sig);
  commitFlags(cpu, f);
}

// ---- constants (SDM Vol. 1 §8.3.8: rounded under RC) --------------------------------------------

/** Significand with 128 bits (bit 127 the integer bit) and exponent, per constant. */
const CONSTS: Record<string, [bigint, number]> = {
  pi: [0xc90fdaa22168c234c4c6628b80dc1cd1n, 0x4000],
  l2t: [0xd49a784bcd1b8afe492bf6ff4dafdb4cn, 0x4000],
  l2e: [0xb8aa3b295c17f0bbbe87fed0691d3e88n, 0x3fff],
  lg2: [0x9a209a84fbcff7988f8959ac0b7c9178n, 0x3ffd],
  ln2: [0xb17217f7d1cf79abc9e3b39803f2f6afn, 0x3ffe],
};

/** The constant rounded to 64 bits under RC (from 128 bits; the host agrees in all four modes). */
function constant(name: string): void {
  const [m, exp] = CONSTS[name]!;
  const saved = fx.flags;
  roundPackFmt(0, exp - 64, m, true, EXT);
  fx.flags = saved; // constants raise no precision exception
  fx.up = false;
}

function fldConst(which: string) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    if (which === 'one') setResult(BIAS, 1n << 63n);
    else if (which === 'zero') setResult(0, 0n);
    else constant(which);
    pushResult(cpu, f);
  };
}

export function registerMove(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Fld, fld);
  m.set(Mnemonic.Fild, fild);
  m.set(Mnemonic.Fbld, fbld);
  m.set(Mnemonic.Fst, (cpu, d) => fstGeneric(cpu, d, false));
  m.set(Mnemonic.Fstp, (cpu, d) => fstGeneric(cpu, d, true));
  m.set(Mnemonic.Fstpnce, (cpu, d) => fstGeneric(cpu, d, true));
  m.set(Mnemonic.Fist, (cpu, d) => fistGeneric(cpu, d, false, false));
  m.set(Mnemonic.Fistp, (cpu, d) => fistGeneric(cpu, d, true, false));
  m.set(Mnemonic.Fisttp, (cpu, d) => fistGeneric(cpu, d, true, true));
  m.set(Mnemonic.Fbstp, fbstp);
  m.set(Mnemonic.Fxch, fxch);
  // iced ConditionCode numbers: b 3, ae 4, e 5, ne 6, be 7, a 8, p 11, np 12.
  const fcmovs: [number, number][] = [
    [Mnemonic.Fcmovb, 3],
    [Mnemonic.Fcmovnb, 4],
    [Mnemonic.Fcmove, 5],
    [Mnemonic.Fcmovne, 6],
    [Mnemonic.Fcmovbe, 7],
    [Mnemonic.Fcmovnbe, 8],
    [Mnemonic.Fcmovu, 11],
    [Mnemonic.Fcmovnu, 12],
  ];
  for (const [mn, cc] of fcmovs) m.set(mn, (cpu, d) => fcmov(cpu, d, cc));
  m.set(Mnemonic.Fld1, fldConst('one'));
  m.set(Mnemonic.Fldz, fldConst('zero'));
  m.set(Mnemonic.Fldpi, fldConst('pi'));
  m.set(Mnemonic.Fldl2t, fldConst('l2t'));
  m.set(Mnemonic.Fldl2e, fldConst('l2e'));
  m.set(Mnemonic.Fldlg2, fldConst('lg2'));
  m.set(Mnemonic.Fldln2, fldConst('ln2'));
}

