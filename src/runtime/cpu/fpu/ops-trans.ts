/**
 * Transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN, FPTAN, FSIN, FCOS, FSINCOS.
 * FPTAN/FSIN/FCOS/FSINCOS with |ST(0)| ≥ 2^63: C2 = 1 and nothing else changes (SDM).
 */
import { Mnemonic } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn, HandlerTable } from '../decoded.ts';
import { BIAS, Cls, INT_BIT, classify, fx } from './f80.ts';
import { f2xm1, fpatan, fyl2x, fyl2xp1, inTrigRange, trig, trigOut } from './transcendental.ts';
import { begin, blocked, commitFlags, finish, opA, opB, readSt, stackFault, writePhys } from './exec.ts';
import { Sw, type FpuState } from './state.ts';

function fF2xm1(cpu: Cpu, d: DecodedInsn): void {
  const f = begin(cpu, d, false);
  if (readSt(f, 0, opA)) f2xm1(opA.se, opA.sig);
  finish(cpu, f, 0, false);
}

/** ST(1) ← fn(x = ST(0), y = ST(1)), pop. */
function binaryPop(fn: (xSe: number, xSig: bigint, ySe: number, ySig: bigint) => void) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    if (readSt(f, 0, opA) && readSt(f, 1, opB)) fn(opA.se, opA.sig, opB.se, opB.sig);
    finish(cpu, f, 1, true);
  };
}

function setC2(f: FpuState, on: boolean): void {
  f.fsw = on ? f.fsw | Sw.C2 : f.fsw & ~Sw.C2;
}

/** FSIN (0) / FCOS (1): ST(0) ← fn(ST(0)). */
function sinOrCos(which: number) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    if (readSt(f, 0, opA)) {
      if (classify(opA.se, opA.sig) !== Cls.Unsupported && !inTrigRange(opA.se) && classify(opA.se, opA.sig) <= Cls.Denormal) {
        setC2(f, true);
        return;
      }
      trig(opA.se, opA.sig, which);
    }
    setC2(f, false);
    finish(cpu, f, 0, false);
  };
}

/** FPTAN (tan, then push 1.0) and FSINCOS (sin into ST(0), then push cos). */
function pushing(which: 2 | 3) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    const ok = readSt(f, 0, opA);
    if (ok && classify(opA.se, opA.sig) <= Cls.Denormal && !inTrigRange(opA.se)) {
      setC2(f, true);
      return;
    }
    setC2(f, false);
    let se2 = fx.se;
    let sig2 = fx.sig;
    const p = (f.top - 1) & 7;
    if (ok && ((f.ftw >>> (2 * p)) & 3) !== 3) {
      stackFault(true);
      se2 = fx.se;
      sig2 = fx.sig;
    } else if (ok) {
      trig(opA.se, opA.sig, which);
      if (which === 2) {
        // The pushed 1.0 (a NaN result pushes the NaN again; SDM FPTAN).
        const nan = classify(fx.se, fx.sig) >= Cls.QNaN;
        se2 = nan ? fx.se : BIAS;
        sig2 = nan ? fx.sig : INT_BIT;
      } else {
        se2 = trigOut.se2;
        sig2 = trigOut.sig2;
      }
    } else {
      se2 = fx.se;
      sig2 = fx.sig;
    }
    if (!blocked(f)) {
      writePhys(f, f.phys(0), fx.se, fx.sig);
      f.top = p;
      writePhys(f, p, se2, sig2);
    }
    commitFlags(cpu, f);
  };
}

export function registerTranscendental(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.F2xm1, fF2xm1);
  m.set(Mnemonic.Fyl2x, binaryPop(fyl2x));
  m.set(Mnemonic.Fyl2xp1, binaryPop(fyl2xp1));
  m.set(Mnemonic.Fpatan, binaryPop(fpatan));
  m.set(Mnemonic.Fsin, sinOrCos(0));
  m.set(Mnemonic.Fcos, sinOrCos(1));
  m.set(Mnemonic.Fptan, pushing(2));
  m.set(Mnemonic.Fsincos, pushing(3));
}

