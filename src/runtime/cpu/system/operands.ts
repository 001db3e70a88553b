/**
 * Operand helpers for system-instruction handlers: effective address of the memory operand and
 * r/m16 reads and writes (LLDT, LTR, LMSW, SMSW, SLDT, STR, far pointers, descriptor-table
 * pseudo-descriptors).
 */
import type { Cpu } from '../cpu.ts';
import { BASE_RIP, OpK, type DecodedInsn } from '../decoded.ts';

/** Offset of the memory operand (base + index·scale + disp, truncated to the address size). */
export function effectiveOffset(cpu: Cpu, insn: DecodedInsn): number {
  if (insn.base === BASE_RIP) return cpu.nextIp + insn.disp;
  if (insn.addrSize === 8) {
    let ea = insn.disp;
    if (insn.base >= 0) ea += cpu.getRegNum64(insn.base);
    if (insn.index >= 0) ea += cpu.getRegNum64(insn.index) * insn.scale;
    // Wrap to 64 bits in the signed-canonical convention (exact for canonical results).
    if (ea >= 2 ** 63) ea -= 2 ** 64;
    else if (ea < -(2 ** 63)) ea += 2 ** 64;
    return ea;
  }
  let ea = insn.disp;
  if (insn.base >= 0) ea += cpu.lo[insn.base]!;
  if (insn.index >= 0) ea += cpu.lo[insn.index]! * insn.scale;
  return insn.addrSize === 4 ? ea >>> 0 : ea & 0xffff;
}

/** Read operand 0 as 16 bits (register low word or m16). */
export function readRm16(cpu: Cpu, insn: DecodedInsn): number {
  if (insn.k0 === OpK.Gpr) return cpu.lo[insn.r0]! & 0xffff;
  return cpu.read(insn.seg, effectiveOffset(cpu, insn), 2);
}
