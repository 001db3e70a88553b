/**
 * Instructions of CPUID features the CPU model reports (spec/cpu/qemu-max.cpu) beyond the core
 * ISA: RDTSCP (+ IA32_TSC_AUX, msr.ts), STAC/CLAC (SMAP; the page walker applies CR4.SMAP with
 * EFLAGS.AC, implicit supervisor accesses ignoring AC), RD/WR{FS,GS}BASE (CR4.FSGSBASE).
 * SDM Vol. 2 for each instruction's "Operation" and exceptions.
 */
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Flag, Seg } from '../state.ts';
import { CR4_TSD, inV86, readTsc } from '../system.ts';
import { canonicalOf, hi32, isCanonical } from './sysmem.ts';

export const CR4_FSGSBASE = 1 << 16;

/** RDTSCP: as RDTSC (#GP(0) at CPL > 0 with CR4.TSD), and ECX := IA32_TSC_AUX[31:0]. */
export function rdtscp(cpu: Cpu): void {
  if ((cpu.pagingRegs.cr4 & CR4_TSD) !== 0 && (cpu.cpl > 0 || inV86(cpu))) throw new GuestFault(Vec.GP, 0);
  const t = readTsc(cpu);
  cpu.writeGpr(0, t & 0xffff_ffffn, 4);
  cpu.writeGpr(2, (t >> 32n) & 0xffff_ffffn, 4);
  cpu.lo[1] = cpu.msr.tscAux >>> 0;
  cpu.hi[1] = 0;
}

/** STAC / CLAC: set / clear EFLAGS.AC; #UD with LOCK or at CPL > 0 (v86 is CPL 3). */
function acFlag(cpu: Cpu, insn: DecodedInsn, set: boolean): void {
  if (insn.lock || cpu.cpl > 0 || inV86(cpu)) throw new GuestFault(Vec.UD);
  cpu.flags = set ? (cpu.flags | Flag.AC) >>> 0 : (cpu.flags & ~Flag.AC) >>> 0;
}

export function stac(cpu: Cpu, insn: DecodedInsn): void {
  acFlag(cpu, insn, true);
}

export function clac(cpu: Cpu, insn: DecodedInsn): void {
  acFlag(cpu, insn, false);
}

/** RD/WR{FS,GS}BASE: #UD outside 64-bit mode, with LOCK, or without CR4.FSGSBASE. */
function checkFsgsbase(cpu: Cpu, insn: DecodedInsn): void {
  if (!cpu.mode64 || insn.lock || (cpu.pagingRegs.cr4 & CR4_FSGSBASE) === 0) throw new GuestFault(Vec.UD);
}

function readBase(cpu: Cpu, insn: DecodedInsn, seg: Seg): void {
  checkFsgsbase(cpu, insn);
  const base = cpu.seg[seg]!.base;
  const r = insn.r0;
  cpu.lo[r] = base >>> 0;
  cpu.hi[r] = insn.s0 === 8 ? hi32(base) : 0;
}

/** WR*BASE r64 must be canonical (#GP(0)); r32 is zero-extended. */
function writeBase(cpu: Cpu, insn: DecodedInsn, seg: Seg): void {
  checkFsgsbase(cpu, insn);
  const r = insn.r0;
  const v = insn.s0 === 8 ? canonicalOf(cpu.lo[r]!, cpu.hi[r]!) : cpu.lo[r]! >>> 0;
  if (insn.s0 === 8 && (!isCanonical(v) || (cpu.hi[r]! | 0) !== Math.floor(v / 0x1_0000_0000))) throw new GuestFault(Vec.GP, 0);
  cpu.seg[seg]!.base = v;
}

export const rdfsbase = (cpu: Cpu, insn: DecodedInsn): void => readBase(cpu, insn, Seg.FS);
export const rdgsbase = (cpu: Cpu, insn: DecodedInsn): void => readBase(cpu, insn, Seg.GS);
export const wrfsbase = (cpu: Cpu, insn: DecodedInsn): void => writeBase(cpu, insn, Seg.FS);
export const wrgsbase = (cpu: Cpu, insn: DecodedInsn): void => writeBase(cpu, insn, Seg.GS);
