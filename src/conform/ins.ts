import { Code, Instruction, MemoryOperand, Register } from 'iced-x86';
import type { Bits } from './asm.ts';

/**
 * Short constructors for the few instruction forms the conformance guests use. Each call makes a
 * fresh Instruction (iced consumes MemoryOperand values, so they are never shared).
 */

export { Code, Register };

/** [disp] with no base register: disp16 in 16-bit code, absolute disp32 otherwise. */
export function abs(bits: Bits, disp: number, seg: Register = Register.None): MemoryOperand {
  return new MemoryOperand(
    Register.None,
    Register.None,
    1,
    BigInt(disp),
    bits === 16 ? 2 : bits === 64 ? 8 : 4,
    false,
    seg,
  );
}

export function movImm32(reg: Register, v: number): Instruction {
  return Instruction.createRegU32(Code.Mov_r32_imm32, reg, v >>> 0);
}

export function movImm64(reg: Register, v: bigint): Instruction {
  return Instruction.createRegU64(Code.Mov_r64_imm64, reg, BigInt.asUintN(64, v));
}

/** mov dword [addr], imm32 */
export function storeImm32(bits: Bits, addr: number, v: number, seg: Register = Register.None): Instruction {
  return Instruction.createMemU32(Code.Mov_rm32_imm32, abs(bits, addr, seg), v >>> 0);
}

/** mov byte [addr], imm8 */
export function storeImm8(bits: Bits, addr: number, v: number, seg: Register = Register.None): Instruction {
  return Instruction.createMemU32(Code.Mov_rm8_imm8, abs(bits, addr, seg), v & 0xff);
}

/** mov word [addr], imm16 */
export function storeImm16(bits: Bits, addr: number, v: number, seg: Register = Register.None): Instruction {
  return Instruction.createMemU32(Code.Mov_rm16_imm16, abs(bits, addr, seg), v & 0xffff);
}

/** mov [addr], r32 / r64 */
export function store(bits: Bits, addr: number, reg: Register, seg: Register = Register.None): Instruction {
  const code = is64(reg) ? Code.Mov_rm64_r64 : Code.Mov_rm32_r32;
  return Instruction.createMemReg(code, abs(bits, addr, seg), reg);
}

/** mov r32 / r64, [addr] */
export function load(bits: Bits, reg: Register, addr: number, seg: Register = Register.None): Instruction {
  const code = is64(reg) ? Code.Mov_r64_rm64 : Code.Mov_r32_rm32;
  return Instruction.createRegMem(code, reg, abs(bits, addr, seg));
}

export function movToCr(cr: Register, reg: Register): Instruction {
  return Instruction.createRegReg(is64(reg) ? Code.Mov_cr_r64 : Code.Mov_cr_r32, cr, reg);
}

export function movFromCr(reg: Register, cr: Register): Instruction {
  return Instruction.createRegReg(is64(reg) ? Code.Mov_r64_cr : Code.Mov_r32_cr, reg, cr);
}

export function op(code: Code): Instruction {
  return Instruction.create(code);
}

/** mov sreg, ax/eax without an operand-size prefix in either code size. */
export function movSreg(sreg: Register, bits: Bits = 32): Instruction {
  return bits === 16
    ? Instruction.createRegReg(Code.Mov_Sreg_rm16, sreg, Register.AX)
    : Instruction.createRegReg(Code.Mov_Sreg_r32m16, sreg, Register.EAX);
}

export function jmpFar(bits: Bits, selector: number, offset: number): Instruction {
  return Instruction.createFarBranch(bits === 16 ? Code.Jmp_ptr1616 : Code.Jmp_ptr1632, selector, offset);
}

/** jmp far ptr16:32 from 16-bit code (operand-size prefix): real mode back to protected mode. */
export function jmpFar32From16(selector: number, offset: number): Instruction {
  return Instruction.createFarBranch(Code.Jmp_ptr1632, selector, offset);
}

/** jmp far [addr]: m16:32 (m16:16 in 16-bit code). */
export function jmpFarMem(bits: Bits, addr: number, seg: Register = Register.None): Instruction {
  return Instruction.createMem(bits === 16 ? Code.Jmp_m1616 : Code.Jmp_m1632, abs(bits, addr, seg));
}

export function jmp(bits: Bits, target: number): Instruction {
  const code = bits === 64 ? Code.Jmp_rel32_64 : bits === 32 ? Code.Jmp_rel32_32 : Code.Jmp_rel16;
  return Instruction.createBranch(code, BigInt(target));
}

export function call(bits: Bits, target: number): Instruction {
  const code = bits === 64 ? Code.Call_rel32_64 : bits === 32 ? Code.Call_rel32_32 : Code.Call_rel16;
  return Instruction.createBranch(code, BigInt(target));
}

export function jcc(bits: Bits, cond: 'e' | 'ne' | 'b' | 'ae', target: number): Instruction {
  const table = {
    16: { e: Code.Je_rel16, ne: Code.Jne_rel16, b: Code.Jb_rel16, ae: Code.Jae_rel16 },
    32: { e: Code.Je_rel32_32, ne: Code.Jne_rel32_32, b: Code.Jb_rel32_32, ae: Code.Jae_rel32_32 },
    64: { e: Code.Je_rel32_64, ne: Code.Jne_rel32_64, b: Code.Jb_rel32_64, ae: Code.Jae_rel32_64 },
  } as const;
  return Instruction.createBranch(table[bits][cond], BigInt(target));
}

export function pushImm32(bits: Bits, v: number): Instruction {
  return Instruction.createI32(bits === 64 ? Code.Pushq_imm32 : Code.Pushd_imm32, v | 0);
}

export function is64(reg: Register): boolean {
  return reg >= Register.RAX && reg <= Register.R15;
}

export const CR: Record<number, Register> = {
  0: Register.CR0,
  2: Register.CR2,
  3: Register.CR3,
  4: Register.CR4,
  8: Register.CR8,
};

/** Bytes of `n` as a little-endian array of `size` bytes. */
export function le(n: bigint | number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, BigInt(n));
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
