/**
 * Whether a SIMD instruction may execute, decided by the *hardware* CR0/CR4 (cpu.hw: what the
 * monitor programmed from the spec's rules), in the SDM's priority order (Vol. 3A §6.9: #UD
 * before #NM, both before any memory-operand fault):
 * - SSE family (SDM Vol. 1 §13.1, Vol. 2 "Exception Types" 1-5): #UD if CR0.EM=1 or
 *   CR4.OSFXSR=0, then #NM if CR0.TS=1;
 * - MMX (Vol. 1 §9.6): #UD if CR0.EM=1, then #NM if CR0.TS=1 (OSFXSR does not matter);
 * - FXSAVE/FXRSTOR, XSAVE family: #UD if CR0.EM=1 (FXSR) / CR4.OSXSAVE=0 (XSAVE), #NM if TS.
 * A SIMD floating-point exception that MXCSR leaves unmasked raises #XM with CR4.OSXMMEXCPT=1
 * and #UD without it (Vol. 1 §11.5.1): raiseSimdFp.
 */
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Cr0, Cr4 } from '../state.ts';

/** SSE..SSE4.2 instructions on XMM registers (and LDMXCSR/STMXCSR). */
export function sseAvail(cpu: Cpu): void {
  const hw = cpu.hw;
  if ((hw.cr0Lo & (Cr0.EM | Cr0.TS)) === 0 && (hw.cr4Lo & Cr4.OSFXSR) !== 0) return;
  sseFault(hw.cr0Lo, hw.cr4Lo);
}

function sseFault(cr0: number, cr4: number): never {
  if ((cr0 & Cr0.EM) !== 0 || (cr4 & Cr4.OSFXSR) === 0) throw new GuestFault(Vec.UD);
  throw new GuestFault(Vec.NM);
}

/**
 * MMX instructions (and the SSE instructions on MMX registers: PSHUFB mm, CVTPI2PS ...: those
 * also need OSFXSR when they are SSE forms; callers pass `sse` true for them).
 */
export function mmxAvail(cpu: Cpu, sse = false): void {
  const hw = cpu.hw;
  const cr0 = hw.cr0Lo;
  if ((cr0 & Cr0.EM) !== 0) throw new GuestFault(Vec.UD);
  if (sse && (hw.cr4Lo & Cr4.OSFXSR) === 0) throw new GuestFault(Vec.UD);
  if ((cr0 & Cr0.TS) !== 0) throw new GuestFault(Vec.NM);
}

/** FXSAVE/FXRSTOR: #UD with CR0.EM, #NM with CR0.TS (OSFXSR only selects what is saved). */
export function fxsrAvail(cpu: Cpu): void {
  const cr0 = cpu.hw.cr0Lo;
  if ((cr0 & Cr0.EM) !== 0) throw new GuestFault(Vec.UD);
  if ((cr0 & Cr0.TS) !== 0) throw new GuestFault(Vec.NM);
}

/** XSAVE family: #UD without CR4.OSXSAVE, #NM with CR0.TS (CR0.EM does not matter). */
export function xsaveAvail(cpu: Cpu): void {
  if ((cpu.hw.cr4Lo & Cr4.OSXSAVE) === 0) throw new GuestFault(Vec.UD);
  if ((cpu.hw.cr0Lo & Cr0.TS) !== 0) throw new GuestFault(Vec.NM);
}

/**
 * An unmasked SIMD floating-point exception (MXCSR flags already updated by the caller, the
 * destination left unchanged): #XM with CR4.OSXMMEXCPT, else #UD. For simdfp's handlers.
 */
export function raiseSimdFp(cpu: Cpu): never {
  throw new GuestFault((cpu.hw.cr4Lo & Cr4.OSXMMEXCPT) !== 0 ? Vec.XM : Vec.UD);
}
