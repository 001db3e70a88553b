/**
 * Control instructions: FNINIT, FLDCW, FNSTCW, FNSTSW (m16, AX), FNCLEX, FLDENV, FNSTENV,
 * FNSAVE, FRSTOR (16/32-bit operand size, real/protected layouts: SDM Vol. 1 §8.1.10, Figures
 * 8-9..8-12), FFREE, FFREEP, FINCSTP, FDECSTP, FNOP (and the 287 FENI/FDISI/FSETPM, no-ops on
 * the 387 and later), WAIT/FWAIT. The waiting forms (FINIT, FSTSW, ...) decode as WAIT + the FN
 * form (iced-x86), so WAIT's checks come first as on hardware.
 */
import { Mnemonic } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn, HandlerTable } from '../decoded.ts';
import { OpK } from '../decoded.ts';
import { Flag } from '../state.ts';
import { ea } from '../core/operands.ts';
import { begin, beginControl, beginNoWait, commitFlags, ferr, pop, readBytes, waitCheck, writeBytes } from './exec.ts';
import { Sw, Tag, tagOf, type FpuState } from './state.ts';

function fninit(cpu: Cpu): void {
  const f = beginNoWait(cpu);
  const was = f.pendingUnmasked();
  f.init();
  if (was) ferr(cpu, false);
}

function fnclex(cpu: Cpu): void {
  const f = beginNoWait(cpu);
  const was = f.pendingUnmasked();
  f.fsw &= ~(0xff | Sw.B);
  if (was) ferr(cpu, false);
}

/** FCW as stored: bit 6 reads 1, bits 15:13 read 0. */
function loadCw(cpu: Cpu, f: FpuState, v: number): void {
  const was = f.pendingUnmasked();
  f.fcw = (v & 0x1f3f) | 0x40;
  f.updateSummary();
  const now = f.pendingUnmasked();
  if (was !== now) ferr(cpu, now);
}

function fldcw(cpu: Cpu, d: DecodedInsn): void {
  const f = beginControl(cpu);
  loadCw(cpu, f, cpu.read(d.seg, ea(cpu, d), 2));
}

function fnstcw(cpu: Cpu, d: DecodedInsn): void {
  const f = beginNoWait(cpu);
  cpu.write(d.seg, ea(cpu, d), 2, f.fcw);
}

function fnstsw(cpu: Cpu, d: DecodedInsn): void {
  const f = beginNoWait(cpu);
  if (d.k0 === OpK.Mem) cpu.write(d.seg, ea(cpu, d), 2, f.fsw);
  else cpu.setReg(0, 2, f.fsw);
}

/** The tag word as FSTENV/FSAVE store it: non-empty registers tagged from their contents. */
export function savedTagWord(f: FpuState): number {
  let t = 0;
  for (let p = 0; p < 8; p++) {
    const tag = ((f.ftw >>> (2 * p)) & 3) === Tag.Empty ? Tag.Empty : tagOf(f.se[p]!, f.sigHi[p]!, f.sigLo[p]!);
    t |= tag << (2 * p);
  }
  return t;
}

const envBuf = new Uint8Array(108);
const envView = new DataView(envBuf.buffer);

function realLayout(cpu: Cpu): boolean {
  return !cpu.protectedMode || (cpu.flags & Flag.VM) !== 0;
}

/** Fill envBuf with the environment; returns its size (14 or 28). */
function packEnv(cpu: Cpu, f: FpuState, osz: number): number {
  const v = envView;
  const tw = savedTagWord(f);
  const real = realLayout(cpu);
  if (osz === 2) {
    v.setUint16(0, f.fcw, true);
    v.setUint16(2, f.fsw, true);
    v.setUint16(4, tw, true);
    if (real) {
      const ip = (f.fcs * 16 + f.fip) >>> 0;
      const dp = (f.fds * 16 + f.fdp) >>> 0;
      v.setUint16(6, ip & 0xffff, true);
      v.setUint16(8, (((ip >>> 16) & 0xf) << 12) | (f.fop & 0x7ff), true);
      v.setUint16(10, dp & 0xffff, true);
      v.setUint16(12, ((dp >>> 16) & 0xf) << 12, true);
    } else {
      v.setUint16(6, f.fip & 0xffff, true);
      v.setUint16(8, f.fcs, true);
      v.setUint16(10, f.fdp & 0xffff, true);
      v.setUint16(12, f.fds, true);
    }
    return 14;
  }
  v.setUint32(0, 0xffff0000 | f.fcw, true);
  v.setUint32(4, 0xffff0000 | f.fsw, true);
  v.setUint32(8, 0xffff0000 | tw, true);
  if (real) {
    const ip = (f.fcs * 16 + f.fip) >>> 0;
    const dp = (f.fds * 16 + f.fdp) >>> 0;
    v.setUint32(12, 0xffff0000 | (ip & 0xffff), true);
    v.setUint32(16, ((((ip >>> 16) & 0xffff) << 12) | (f.fop & 0x7ff)) >>> 0, true);
    v.setUint32(20, 0xffff0000 | (dp & 0xffff), true);
    v.setUint32(24, (((dp >>> 16) & 0xffff) << 12) >>> 0, true);
  } else {
    v.setUint32(12, f.fip >>> 0, true);
    v.setUint32(16, (((f.fop & 0x7ff) << 16) | f.fcs) >>> 0, true);
    v.setUint32(20, f.fdp >>> 0, true);
    v.setUint32(24, 0xffff0000 | f.fds, true);
  }
  return 28;
}

/** Load the environment from envBuf. */
function unpackEnv(cpu: Cpu, f: FpuState, osz: number): void {
  const v = envView;
  const real = realLayout(cpu);
  let cw: number;
  if (osz === 2) {
    cw = v.getUint16(0, true);
    f.fsw = v.getUint16(2, true);
    f.ftw = v.getUint16(4, true);
    if (real) {
      f.fip = v.getUint16(6, true) | ((v.getUint16(8, true) >>> 12) << 16);
      f.fop = v.getUint16(8, true) & 0x7ff;
      f.fdp = v.getUint16(10, true) | ((v.getUint16(12, true) >>> 12) << 16);
      f.fcs = 0;
      f.fds = 0;
    } else {
      f.fip = v.getUint16(6, true);
      f.fcs = v.getUint16(8, true);
      f.fdp = v.getUint16(10, true);
      f.fds = v.getUint16(12, true);
    }
  } else {
    cw = v.getUint16(0, true);
    f.fsw = v.getUint16(4, true);
    f.ftw = v.getUint16(8, true);
    if (real) {
      f.fip = (v.getUint16(12, true) | (((v.getUint32(16, true) >>> 12) & 0xffff) << 16)) >>> 0;
      f.fop = v.getUint32(16, true) & 0x7ff;
      f.fdp = (v.getUint16(20, true) | (((v.getUint32(24, true) >>> 12) & 0xffff) << 16)) >>> 0;
      f.fcs = 0;
      f.fds = 0;
    } else {
      f.fip = v.getUint32(12, true);
      f.fcs = v.getUint16(16, true);
      f.fop = v.getUint16(18, true) & 0x7ff;
      f.fdp = v.getUint32(20, true);
      f.fds = v.getUint16(24, true);
    }
  }
  const wasPending = f.pendingUnmasked();
  f.fcw = (cw & 0x1f3f) | 0x40;
  // ES and B follow the loaded flags and masks.
  f.updateSummary();
  const now = f.pendingUnmasked();
  if (now !== wasPending) ferr(cpu, now);
}

function envOsz(d: DecodedInsn): number {
  return d.osz === 2 ? 2 : 4;
}

function fnstenv(cpu: Cpu, d: DecodedInsn): void {
  const f = beginNoWait(cpu);
  const n = packEnv(cpu, f, envOsz(d));
  writeBytes(cpu, d.seg, ea(cpu, d), n, envBuf);
  f.fcw |= 0x3f; // FSTENV masks all exceptions after storing
}

function fldenv(cpu: Cpu, d: DecodedInsn): void {
  const f = beginControl(cpu);
  const n = envOsz(d) === 2 ? 14 : 28;
  readBytes(cpu, d.seg, ea(cpu, d), n, envBuf);
  unpackEnv(cpu, f, envOsz(d));
}

function fnsave(cpu: Cpu, d: DecodedInsn): void {
  const f = beginNoWait(cpu);
  const n = packEnv(cpu, f, envOsz(d));
  for (let i = 0; i < 8; i++) {
    const p = f.phys(i);
    const o = n + 10 * i;
    envView.setUint32(o, f.sigLo[p]!, true);
    envView.setUint32(o + 4, f.sigHi[p]!, true);
    envView.setUint16(o + 8, f.se[p]!, true);
  }
  writeBytes(cpu, d.seg, ea(cpu, d), n + 80, envBuf);
  const was = f.pendingUnmasked();
  f.init();
  if (was) ferr(cpu, false);
}

function frstor(cpu: Cpu, d: DecodedInsn): void {
  const f = beginControl(cpu);
  const n = envOsz(d) === 2 ? 14 : 28;
  readBytes(cpu, d.seg, ea(cpu, d), n + 80, envBuf);
  unpackEnv(cpu, f, envOsz(d));
  const ftw = f.ftw;
  for (let i = 0; i < 8; i++) {
    const p = f.phys(i);
    const o = n + 10 * i;
    f.sigLo[p] = envView.getUint32(o, true);
    f.sigHi[p] = envView.getUint32(o + 4, true);
    f.se[p] = envView.getUint16(o + 8, true);
  }
  f.ftw = ftw; // as loaded (empty/non-empty is what counts; stores recompute from contents)
}

function ffree(popAfter: boolean) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    f.setEmptyPhys(f.phys(d.k0 === OpK.St ? d.r0 : 1));
    if (popAfter) pop(f);
    commitFlags(cpu, f);
  };
}

function fincdec(delta: number) {
  return (cpu: Cpu, d: DecodedInsn): void => {
    const f = begin(cpu, d, false);
    f.top = f.top + delta;
    f.fsw &= ~Sw.C1;
  };
}

function fnop(cpu: Cpu, d: DecodedInsn): void {
  begin(cpu, d, false);
}

function wait(cpu: Cpu): void {
  waitCheck(cpu);
}

export function registerControl(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Fninit, fninit);
  m.set(Mnemonic.Fnclex, fnclex);
  m.set(Mnemonic.Fldcw, fldcw);
  m.set(Mnemonic.Fnstcw, fnstcw);
  m.set(Mnemonic.Fnstsw, fnstsw);
  m.set(Mnemonic.Fnstenv, fnstenv);
  m.set(Mnemonic.Fldenv, fldenv);
  m.set(Mnemonic.Fnsave, fnsave);
  m.set(Mnemonic.Frstor, frstor);
  m.set(Mnemonic.Ffree, ffree(false));
  m.set(Mnemonic.Ffreep, ffree(true));
  m.set(Mnemonic.Fincstp, fincdec(1));
  m.set(Mnemonic.Fdecstp, fincdec(-1));
  m.set(Mnemonic.Fnop, fnop);
  m.set(Mnemonic.Fneni, (cpu) => void beginNoWait(cpu));
  m.set(Mnemonic.Fndisi, (cpu) => void beginNoWait(cpu));
  m.set(Mnemonic.Fnsetpm, (cpu) => void beginNoWait(cpu));
  m.set(Mnemonic.Wait, wait);
}

