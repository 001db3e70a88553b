/**
 * What every x87 instruction handler shares: the CR0 availability checks (#NM, SDM Vol. 3A
 * §2.5 and Table 2-2 "Action taken by x87 FPU instructions for different combinations of EM,
 * MP and TS"), pending-exception delivery (#MF when CR0.NE = 1, FERR# when NE = 0: Vol. 1 §8.7,
 * Vol. 3A §6.15 "#MF"), recording FIP/FCS/FOP/FDP/FDS, stack access with stack-fault detection,
 * and committing an operation's result and flags (fx, f80.ts) to the register stack and FSW.
 *
 * CR0 bits come from the *hardware* CR0 the monitor programs (cpu.pagingRegs.cr0 mirrors it);
 * which bits the guest's CR0 passes to the hardware is decided by spec/rules/cr0.rules.
 */
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn } from '../decoded.ts';
import { OpK } from '../decoded.ts';
import { Cr0, Seg } from '../state.ts';
import { Vec } from '../fault.ts';
import { ea } from '../core/operands.ts';
import { Access } from '../../mmu/types.ts';
import { Exc, INDEF_SE, INDEF_SIG, fx, settledFlags, type Rc } from './f80.ts';
import { Sw, type FpuState } from './state.ts';

const PC_BITS = [24, 24, 53, 64];

/** WAIT/FWAIT and the wait half of FSTSW/FSTCW/FSTENV/FSAVE/FINIT/FCLEX. */
export function waitCheck(cpu: Cpu): void {
  const cr0 = cpu.pagingRegs.cr0;
  if ((cr0 & (Cr0.TS | Cr0.MP)) === (Cr0.TS | Cr0.MP)) cpu.raise(Vec.NM);
  pendingCheck(cpu);
}

/** An unmasked exception pending: #MF with CR0.NE = 1; with NE = 0 FERR# is already asserted (the instruction proceeds, as with IGNNE#). */
function pendingCheck(cpu: Cpu): void {
  if ((cpu.fpu.fsw & Sw.ES) !== 0 && (cpu.pagingRegs.cr0 & Cr0.NE) !== 0) cpu.raise(Vec.MF);
}

/** Every ESC (D8–DF) instruction: #NM when CR0.EM or CR0.TS. */
export function escCheck(cpu: Cpu): void {
  if ((cpu.pagingRegs.cr0 & (Cr0.EM | Cr0.TS)) !== 0) cpu.raise(Vec.NM);
}

/** Non-waiting control instruction (FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE). */
export function beginNoWait(cpu: Cpu): FpuState {
  escCheck(cpu);
  return cpu.fpu;
}

/** Waiting control instruction (FLDCW, FLDENV, FRSTOR; the FSTxx/FINIT/FCLEX wait forms call waitCheck first). */
export function beginControl(cpu: Cpu): FpuState {
  escCheck(cpu);
  pendingCheck(cpu);
  return cpu.fpu;
}

/** The effective-address offset of the current instruction's memory operand (set by begin). */
export let memOff = 0;

/**
 * A numeric (non-control) instruction: checks, then FIP/FCS/FOP (and FDP/FDS for a memory
 * operand) recorded, fx prepared from FCW. `usePc`: precision control applies (+ − × ÷ √).
 */
export function begin(cpu: Cpu, d: DecodedInsn, usePc: boolean): FpuState {
  escCheck(cpu);
  pendingCheck(cpu);
  const f = cpu.fpu;
  f.fip = cpu.ip;
  f.fcs = cpu.seg[Seg.CS]!.selector;
  f.fop = d.fop >= 0 ? d.fop : (d.fop = fopOf(d));
  if (d.k0 === OpK.Mem || d.k1 === OpK.Mem) {
    memOff = ea(cpu, d);
    f.fdp = memOff;
    f.fds = cpu.seg[d.seg]!.selector;
  }
  const fcw = f.fcw;
  fx.pc = usePc ? PC_BITS[(fcw >>> 8) & 3]! : 64;
  fx.rc = ((fcw >>> 10) & 3) as Rc;
  fx.masks = fcw & 0x3f;
  fx.flags = 0;
  fx.up = false;
  loadingMem = false;
  return f;
}

/** FOP: bits 2:0 of the opcode byte (D8–DF) and the ModR/M byte (SDM Vol. 1 §8.1.9). */
function fopOf(d: DecodedInsn): number {
  const b = d.bytes;
  for (let i = 0; i + 4 <= b.length; i += 2) {
    const v = parseInt(b.slice(i, i + 2), 16);
    if (v >= 0xd8 && v <= 0xdf) return ((v & 7) << 8) | parseInt(b.slice(i + 2, i + 4), 16);
  }
  return 0;
}

// ---- register stack ------------------------------------------------------------------------

export function sigOf(f: FpuState, p: number): bigint {
  return (BigInt(f.sigHi[p]!) << 32n) | BigInt(f.sigLo[p]!);
}

export function writePhys(f: FpuState, p: number, se: number, sig: bigint): void {
  f.setPhys(p, se, Number((sig >> 32n) & 0xffffffffn), Number(sig & 0xffffffffn));
}

export function pop(f: FpuState): void {
  f.setEmptyPhys(f.top);
  f.top = f.top + 1;
}

/** Stack underflow/overflow: IE and SF, C1 = overflow. */
export function stackFault(overflow: boolean): void {
  fx.flags |= Exc.I | Sw.SF;
  fx.up = overflow;
  fx.se = INDEF_SE;
  fx.sig = INDEF_SIG;
}

/** Unmasked I, D or Z: the operation does not complete (no result written, no pop). */
export function blocked(f: FpuState): boolean {
  const fl = settledFlags();
  return (fl & ~f.fcw & (Exc.I | Exc.D | Exc.Z)) !== 0 && !loadOnlyDe(f);
}

/** A load (FLD m32/m64) with only DE unmasked completes (host behaviour); set by the handler. */
export let loadingMem = false;
export function setLoading(v: boolean): void {
  loadingMem = v;
}
function loadOnlyDe(f: FpuState): boolean {
  return loadingMem && (fx.flags & ~f.fcw & (Exc.I | Exc.Z)) === 0;
}

/**
 * Merge fx.flags into FSW: C1 from rounding (or stack fault direction), ES/B when any raised
 * exception is unmasked. FERR# asserted on a newly pending exception with CR0.NE = 0.
 */
export function commitFlags(cpu: Cpu, f: FpuState): void {
  let flags = settledFlags();
  if (blocked(f)) flags &= Exc.I | Exc.D | Exc.Z | Sw.SF;
  let fsw = f.fsw | (flags & 0x7f);
  fsw = fx.up && (flags & (Exc.P | Sw.SF)) !== 0 ? fsw | Sw.C1 : fsw & ~Sw.C1;
  const wasPending = (fsw & Sw.ES) !== 0;
  if ((flags & ~f.fcw & 0x3f) !== 0) fsw |= Sw.ES | Sw.B;
  f.fsw = fsw;
  if (!wasPending && (fsw & Sw.ES) !== 0) ferr(cpu, true);
}

/** Drive FERR# (CR0.NE = 0 only; with NE = 1 errors are reported as #MF). */
export function ferr(cpu: Cpu, asserted: boolean): void {
  if ((cpu.pagingRegs.cr0 & Cr0.NE) === 0 || !asserted) cpu.onFerr?.(asserted);
}

/**
 * Read ST(i) into `a` (se, sig); false (and a stack underflow in fx) when it is empty.
 */
export const opA = { se: 0, sig: 0n };
export const opB = { se: 0, sig: 0n };

export function readSt(f: FpuState, i: number, into: { se: number; sig: bigint }): boolean {
  const p = f.phys(i);
  if (((f.ftw >>> (2 * p)) & 3) === 3) {
    stackFault(false);
    return false;
  }
  into.se = f.se[p]!;
  into.sig = sigOf(f, p);
  return true;
}

/** Write the result (fx.se/fx.sig) to ST(i) unless blocked; then pop if asked. Commits flags. */
export function finish(cpu: Cpu, f: FpuState, i: number, popAfter: boolean): void {
  if (!blocked(f)) {
    if (i >= 0) writePhys(f, f.phys(i), fx.se, fx.sig);
    if (popAfter) pop(f);
  }
  commitFlags(cpu, f);
}

/** Push fx.se/fx.sig (FLD and friends); stack overflow when ST(7) is not empty. */
export function pushResult(cpu: Cpu, f: FpuState): void {
  const p = (f.top - 1) & 7;
  if (((f.ftw >>> (2 * p)) & 3) !== 3) stackFault(true);
  if (!blocked(f)) {
    f.top = p;
    writePhys(f, p, fx.se, fx.sig);
  }
  commitFlags(cpu, f);
}

// ---- memory (whole operand checked before any byte is written) -------------------------------

function linearChecked(cpu: Cpu, seg: number, off: number, size: number, write: boolean): number {
  const lin = cpu.mem.linear(seg, off, size, write);
  const user = cpu.cpl === 3;
  const acc = write ? Access.Write : Access.Read;
  for (let page = lin - (lin & 0xfff); page <= lin + size - 1; page += 0x1000) cpu.mem.translate(page < lin ? lin : page, acc, user);
  return lin;
}

/** Read `size` bytes at seg:off into buf (after checking the whole range). */
export function readBytes(cpu: Cpu, seg: number, off: number, size: number, buf: Uint8Array): void {
  const lin = linearChecked(cpu, seg, off, size, false);
  const user = cpu.cpl === 3;
  for (let i = 0; i < size; i++) buf[i] = cpu.mem.readLin(lin + i, 1, user);
}

/** Write `size` bytes from buf at seg:off (after checking the whole range for writing). */
export function writeBytes(cpu: Cpu, seg: number, off: number, size: number, buf: Uint8Array): void {
  const lin = linearChecked(cpu, seg, off, size, true);
  const user = cpu.cpl === 3;
  for (let i = 0; i < size; i++) cpu.mem.writeLin(lin + i, 1, buf[i]!, user);
}

/** Only check that seg:off..+size is writable (before a multi-part store). */
export function checkWritable(cpu: Cpu, seg: number, off: number, size: number): void {
  linearChecked(cpu, seg, off, size, true);
}
