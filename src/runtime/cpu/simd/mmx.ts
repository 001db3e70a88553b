/**
 * MMX registers and the packed-operation plumbing shared by MMX and SSE forms.
 *
 * MMX register i is the significand of x87 physical register i (cpu.fpu, fpu/state.ts): an MMX
 * operand is copied into a scratch slot (SLOT_MMD / SLOT_MMS, low 8 bytes), the operation runs on
 * slots with width 8, and a written destination is copied back with FpuState.writeMmx (bits
 * 79:64 all ones, TOP = 0, all tags valid: SDM Vol. 1 §9.5). An XMM form runs the same operation
 * on the register slots with width 16. So one lane loop serves both (PackedOp).
 */
import { OpK, type DecodedInsn, type Handler } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Cr0 } from '../state.ts';
import { ea } from '../core/operands.ts';
import { sseAvail } from './avail.ts';
import { readLin64To, simdLinear, xmmSrc } from './operands.ts';
import { SLOT_MMD, SLOT_MMS, type SseState } from './state.ts';

/**
 * A packed operation: dst slot `d` ← op(dst `d`, src `s`) over `n` bytes (8 MMX, 16 XMM); `imm`
 * is the instruction's imm8. Must give the right result when d === s.
 */
export type PackedOp = (x: SseState, d: number, s: number, n: number, imm: number) => void;

/**
 * MMX instructions: #UD with CR0.EM, #NM with CR0.TS, then #MF for a pending unmasked x87
 * exception (SDM Vol. 3A §22.25.3, Table 23-?? "legacy SIMD/MMX"). With CR0.NE=0 the error is
 * reported through FERR# when it became pending (cpu.onFerr) and the instruction goes on.
 */
export function mmxCheck(cpu: Cpu): void {
  const cr0 = cpu.hw.cr0Lo;
  if ((cr0 & (Cr0.EM | Cr0.TS)) !== 0) {
    if ((cr0 & Cr0.EM) !== 0) throw new GuestFault(Vec.UD);
    throw new GuestFault(Vec.NM);
  }
  if (cpu.fpu.pendingUnmasked() && (cr0 & Cr0.NE) !== 0) throw new GuestFault(Vec.MF);
}

/** Copy MMX register r into the low qword of `slot`. */
export function loadMm(cpu: Cpu, r: number, slot: number): void {
  const u = cpu.sse.u32;
  u[slot * 4] = cpu.fpu.readMmxLo(r);
  u[slot * 4 + 1] = cpu.fpu.readMmxHi(r);
}

/** Write the low qword of `slot` to MMX register r (with the MMX tag/TOP effect). */
export function storeMm(cpu: Cpu, r: number, slot: number): void {
  const u = cpu.sse.u32;
  cpu.fpu.writeMmx(r, u[slot * 4]!, u[slot * 4 + 1]!);
}

/** An mm/m64 (or m32 when `s` = 4) source operand into the low qword of `slot` (m32: upper dword 0). */
export function mmSrc(cpu: Cpu, d: DecodedInsn, k: OpK, r: number, s: number, slot: number): void {
  if (k === OpK.Mmx) {
    loadMm(cpu, r, slot);
    return;
  }
  const u = cpu.sse.u32;
  if (s === 4) {
    u[slot * 4] = cpu.read(d.seg, ea(cpu, d), 4);
    u[slot * 4 + 1] = 0;
    return;
  }
  readLin64To(cpu, simdLinear(cpu, d, 8, false, false), slot * 4);
}

/**
 * A handler for an instruction with MMX (`mmx`) and/or XMM forms: op0 the destination register,
 * op1 the source (register or memory; XMM m128 aligned unless `aligned` is false; a smaller memory
 * operand — PUNPCKL* mm/m32, PMOVSX m64 — as the decoder sized it), imm8 from the decoder.
 */
export function packed(op: PackedOp, aligned = true): Handler {
  return (cpu, d) => {
    const x = cpu.sse;
    if (d.k0 === OpK.Mmx) {
      mmxCheck(cpu);
      mmSrc(cpu, d, d.k1, d.r1, d.s1, SLOT_MMS);
      loadMm(cpu, d.r0, SLOT_MMD);
      op(x, SLOT_MMD, SLOT_MMS, 8, d.imm);
      storeMm(cpu, d.r0, SLOT_MMD);
      return;
    }
    sseAvail(cpu);
    const s = xmmSrc(cpu, d, d.k1, d.r1, d.k1 === OpK.Mem ? d.s1 : 16, aligned);
    op(x, d.r0, s, 16, d.imm);
  };
}
