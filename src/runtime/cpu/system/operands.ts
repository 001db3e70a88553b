/**
 * r/m16 operand read for system-instruction handlers (LLDT, LTR). Memory operand offsets are
 * the core's effective address (`ea`, core/operands.ts), as for every other instruction.
 */
import type { Cpu } from '../cpu.ts';
import { ea } from '../core/operands.ts';
import { OpK, type DecodedInsn } from '../decoded.ts';

/** Read operand 0 as 16 bits (register low word or m16). */
export function readRm16(cpu: Cpu, insn: DecodedInsn): number {
  if (insn.k0 === OpK.Gpr) return cpu.lo[insn.r0]! & 0xffff;
  return cpu.read(insn.seg, ea(cpu, insn), 2);
}
