import { Code, Instruction, Register } from 'iced-x86';
import type { Bits, Section } from './asm.ts';
import {
  CR,
  abs,
  call,
  jcc,
  jmp,
  jmpFar,
  jmpFar32From16,
  movFromCr,
  movImm32,
  movImm64,
  movSreg,
  movToCr,
  op,
  pushImm32,
  store,
  storeImm16,
  storeImm32,
  storeImm8,
} from './ins.ts';
import {
  KSTACK_TOP,
  LOW_CODE,
  MSR_EFER,
  REAL_STACK_TOP,
  RETURN_VECTOR,
  SEL,
  USER_STACK_TOP,
  V_FARTMP,
  V_IVT_DESC,
  V_PHASE,
  V_RESUME16,
  V_RESUME_FAR,
  V_RES_EC,
  V_RES_PHASE,
  V_RES_RAX,
  V_RES_RDX,
  V_RES_VEC,
  V_SAVED_SP,
} from './layout.ts';
import type { TableCopy } from './plan.ts';
import { emitObserve, reloadData32 } from './runtime.ts';
import type { ConformVector } from './vector.ts';

/**
 * The code for one vector: from the home state (32-bit protected mode, paging off, CPL 0) into
 * the vector's mode and initial control-register state, the instruction (at CPL 0 inline, at
 * CPL 3 in a user stub that returns through `int 0x81`), read-back of the registers, return to
 * the home state and one printed line.
 */

export interface GuestSections {
  main: Section; // 32-bit, runs in place
  long: Section; // 64-bit, runs in place
  low: Section; // 16-bit, runs at LOW_CODE
  user32: Section;
  user64: Section;
}

const R = Register;
const PCIDE = 1n << 17n;
const OSXSAVE = 1n << 18n;
const LMA = 1n << 10n;

const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

export function emitVector(g: GuestSections, v: ConformVector, i: number, copies: readonly TableCopy[]): void {
  const s = g.main;
  const t = (name: string): string => `${name}_${i}`;
  s.label(t('vec'));
  s.ins(() => storeImm8(32, V_PHASE, 1));
  s.ins(() => storeImm8(32, V_RES_VEC, 0xff));
  s.ins(() => storeImm8(32, V_RES_PHASE, 0));
  s.ins(() => storeImm32(32, V_RES_EC, 0xffffffff));
  for (const a of [V_RES_RAX, V_RES_RAX + 4, V_RES_RDX, V_RES_RDX + 4, V_SAVED_SP + 4])
    s.ins(() => storeImm32(32, a, 0));
  s.ins(() => storeImm32(32, V_SAVED_SP, KSTACK_TOP));
  s.ins((L) => storeImm32(32, V_RESUME_FAR, L(t('after32'))));
  s.ins(() => storeImm16(32, V_RESUME_FAR + 4, SEL.code32));
  for (const c of copies.filter((c) => !c.late)) emitCopy(s, c);

  const long = v.mode === 'long64' || v.mode === 'compat';
  switch (v.mode) {
    case 'real':
      s.ins((L) => jmpFar(32, SEL.code16, L(t('to16')) - LOW_CODE));
      emitReal(g.low, v, i);
      break;
    case 'protected':
    case 'compat':
      if (long) s.ins((L) => Instruction.createMem(Code.Lidt_m1632, abs(32, L('idt64_desc'))));
      emitSetup(s, 32, v, long);
      if (long && (v.initial.cr4 & PCIDE) !== 0n) emitPcid(s, 32, v);
      emitRun(s, g, 32, v, i, copies);
      break;
    case 'long64': {
      s.ins((L) => Instruction.createMem(Code.Lidt_m1632, abs(32, L('idt64_desc'))));
      emitSetup(s, 32, v, true);
      s.ins((L) => jmpFar(32, SEL.code64, L(t('l64'))));
      const l = g.long;
      l.label(t('l64'));
      l.ins((L) => storeImm32(64, V_RESUME_FAR, L(t('after64'))));
      l.ins(() => storeImm16(64, V_RESUME_FAR + 4, SEL.code64));
      if ((v.initial.cr4 & PCIDE) !== 0n) emitPcid(l, 64, v);
      if (v.initial.cr8 !== 0n) {
        l.ins(() => movImm64(R.RAX, v.initial.cr8));
        l.ins(() => movToCr(R.CR8, R.RAX));
      }
      emitRun(l, g, 64, v, i, copies);
      l.label(t('after64'));
      l.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.AX, SEL.data32));
      l.ins(() => movSreg(R.SS));
      l.ins(() => movImm32(R.ESP, KSTACK_TOP));
      emitObserve(l, 64, t('o64'));
      l.ins((L) => storeImm32(64, V_FARTMP, L(t('done'))));
      l.ins(() => storeImm16(64, V_FARTMP + 4, SEL.code32));
      l.ins(() => Instruction.createMem(Code.Jmp_m1632, abs(64, V_FARTMP)));
      break;
    }
  }
  s.label(t('after32'));
  // A vector that cleared PE left "unreal" mode: keep the cached flat segments (R21).
  s.ins(() => movFromCr(R.EAX, R.CR0));
  s.ins(() => Instruction.createRegU32(Code.Test_rm32_imm32, R.EAX, 1));
  s.ins((L) => jcc(32, 'e', L(t('unreal'))));
  reloadData32(s);
  s.label(t('unreal'));
  s.ins(() => movImm32(R.ESP, KSTACK_TOP));
  emitObserve(s, 32, t('o32'));
  s.ins((L) => jmp(32, L(t('done'))));
  s.label(t('back16'));
  reloadData32(s);
  s.label(t('done'));
  s.ins(() => movImm32(R.ESP, KSTACK_TOP));
  s.ins((L) => call(32, L('reset32')));
  s.ins((L) => movImm32(R.ESI, L(`s_id_${i}`)));
  s.ins((L) => call(32, L('print_result')));
}

function emitCopy(s: Section, c: TableCopy, bits: Bits = 32): void {
  s.ins((L) => movImm32(R.ESI, L(c.label)));
  s.ins(() => movImm32(R.EDI, c.dest));
  s.ins(() => movImm32(R.ECX, c.size));
  s.ins(() => op(Code.Cld));
  s.ins(() => Instruction.createRepMovsb(bits === 16 ? 32 : bits));
}

/** Initial XCR0, CR4 (without PCIDE: R50), EFER (LMA is status, R66), CR3, CR0. */
function emitSetup(s: Section, bits: Bits, v: ConformVector, long: boolean): void {
  const i = v.initial;
  if (i.xcr0 !== 1n) {
    s.ins(() => movImm32(R.EAX, Number(OSXSAVE)));
    s.ins(() => movToCr(R.CR4, R.EAX));
    s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.ECX, R.ECX));
    s.ins(() => movImm32(R.EAX, lo32(i.xcr0)));
    s.ins(() => movImm32(R.EDX, hi32(i.xcr0)));
    s.ins(() => op(Code.Xsetbv));
  }
  s.ins(() => movImm32(R.EAX, lo32(i.cr4 & ~PCIDE)));
  s.ins(() => movToCr(R.CR4, R.EAX));
  const efer = i.efer & ~LMA;
  s.ins(() => movImm32(R.ECX, MSR_EFER));
  s.ins(() => movImm32(R.EAX, lo32(efer)));
  s.ins(() => movImm32(R.EDX, hi32(efer)));
  s.ins(() => op(Code.Wrmsr));
  const cr3 = long && (i.cr4 & PCIDE) !== 0n ? i.cr3 & ~0xfffn : i.cr3;
  s.ins(() => movImm32(R.EAX, lo32(cr3)));
  s.ins(() => movToCr(R.CR3, R.EAX));
  s.ins(() => movImm32(R.EAX, lo32(i.cr0)));
  s.ins(() => movToCr(R.CR0, R.EAX));
}

/** PCIDE can only be set in IA-32e mode with CR3[11:0] = 0 (R50, R51); the PCID comes after. */
function emitPcid(s: Section, bits: Bits, v: ConformVector): void {
  const A = bits === 64 ? R.RAX : R.EAX;
  const mov = (x: bigint): Instruction => (bits === 64 ? movImm64(R.RAX, x) : movImm32(R.EAX, lo32(x)));
  s.ins(() => mov(v.initial.cr4));
  s.ins(() => movToCr(R.CR4, A));
  s.ins(() => mov(v.initial.cr3));
  s.ins(() => movToCr(R.CR3, A));
}

/** Run the instruction at the vector's CPL; falls through (CPL 0) or resumes (CPL 3) at `after`. */
function emitRun(
  s: Section,
  g: GuestSections,
  bits: Bits,
  v: ConformVector,
  i: number,
  copies: readonly TableCopy[],
): void {
  for (const c of copies.filter((c) => c.late)) emitCopy(s, c, bits);
  if (v.cpl === 0) {
    s.ins(() => storeImm8(bits, V_PHASE, 2));
    emitInstruction(s, bits, v);
    storeResult(s, bits);
    if (bits !== 16) s.ins((L) => jmp(bits, L(bits === 64 ? `after64_${i}` : `after32_${i}`)));
    return;
  }
  // CPL 3: a fresh TSS (clear its busy bit), then IRET to the user stub.
  const tss = bits === 64 || v.mode === 'compat' ? SEL.tss64 : SEL.tss32;
  s.ins((L) => Instruction.createMemU32(Code.And_rm8_imm8, abs(bits, L('gdt') + tss + 5), 0xfd));
  s.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.AX, tss));
  s.ins(() => Instruction.createReg(Code.Ltr_r32m16, R.EAX));
  s.ins(() => storeImm8(bits, V_PHASE, 2));
  const user = bits === 64 ? g.user64 : g.user32;
  const ucs = bits === 64 ? SEL.ucode64 : SEL.ucode32;
  for (const x of [SEL.udata32, USER_STACK_TOP, 0x2, ucs]) s.ins(() => pushImm32(bits, x));
  s.ins((L) => pushImm32(bits, L(`u_${i}`)));
  s.ins(() => op(bits === 64 ? Code.Iretq : Code.Iretd));
  const ubits = bits === 64 ? 64 : 32;
  user.label(`u_${i}`);
  emitInstruction(user, ubits, v);
  user.ins(() => Instruction.createU32(Code.Int_imm8, RETURN_VECTOR));
  user.ins(() => op(Code.Ud2));
}

function storeResult(s: Section, bits: Bits): void {
  if (bits === 64) {
    s.ins(() => store(64, V_RES_RAX, R.RAX));
    s.ins(() => store(64, V_RES_RDX, R.RDX));
  } else {
    s.ins(() => store(bits, V_RES_RAX, R.EAX));
    s.ins(() => store(bits, V_RES_RDX, R.EDX));
  }
}

/** Operands in RAX/RDX/RCX, then the instruction itself. */
export function emitInstruction(s: Section, bits: Bits, v: ConformVector): void {
  const { kind, cr, operand, index } = v.instr;
  const wide = bits === 64;
  const A = wide ? R.RAX : R.EAX;
  s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.EAX, R.EAX));
  s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.EDX, R.EDX));
  if (kind === 'rdmsr' || kind === 'wrmsr' || kind === 'xsetbv') s.ins(() => movImm32(R.ECX, index));
  if (kind === 'wrmsr' || kind === 'xsetbv') {
    s.ins(() => movImm32(R.EAX, lo32(operand)));
    s.ins(() => movImm32(R.EDX, hi32(operand)));
  }
  if (kind === 'mov-to-cr' || kind === 'lmsw') {
    s.ins(() => (wide ? movImm64(R.RAX, operand) : movImm32(R.EAX, lo32(operand))));
  }
  const crReg = CR[cr] ?? R.CR0;
  switch (kind) {
    case 'mov-to-cr':
      s.ins(() => movToCr(crReg, A));
      break;
    case 'mov-from-cr':
      s.ins(() => movFromCr(A, crReg));
      break;
    case 'lmsw':
      s.ins(() => Instruction.createReg(Code.Lmsw_rm16, R.AX));
      break;
    case 'clts':
      s.ins(() => op(Code.Clts));
      break;
    case 'smsw':
      s.ins(() =>
        wide ? Instruction.createReg(Code.Smsw_r64m16, R.RAX) : Instruction.createReg(Code.Smsw_r32m16, R.EAX),
      );
      break;
    case 'rdmsr':
      s.ins(() => op(Code.Rdmsr));
      break;
    case 'wrmsr':
      s.ins(() => op(Code.Wrmsr));
      break;
    case 'xsetbv':
      s.ins(() => op(Code.Xsetbv));
      break;
  }
}

/** Real mode: down through a 16-bit protected-mode segment, run, read back, back up to 32-bit. */
function emitReal(l: Section, v: ConformVector, i: number): void {
  const t = (name: string): string => `${name}_${i}`;
  const off = (L: (n: string) => number, n: string): number => L(n) - LOW_CODE;
  l.label(t('to16'));
  l.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.AX, SEL.data16));
  for (const sr of [R.DS, R.ES, R.SS, R.FS, R.GS]) l.ins(() => movSreg(sr, 16));
  l.ins(() => movImm32(R.EAX, 0x10));
  l.ins(() => movToCr(R.CR0, R.EAX));
  l.ins((L) => jmpFar(16, LOW_CODE >>> 4, off(L, t('rm'))));
  l.label(t('rm'));
  l.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.AX, 0));
  for (const sr of [R.DS, R.ES, R.SS, R.FS, R.GS]) l.ins(() => movSreg(sr, 16));
  l.ins(() => movImm32(R.ESP, REAL_STACK_TOP));
  l.ins(() => Instruction.createMem(Code.Lidt_m1632_16, abs(16, V_IVT_DESC)));
  l.ins((L) => storeImm16(16, V_RESUME16, off(L, t('after16'))));
  l.ins(() => storeImm16(16, V_RESUME16 + 2, LOW_CODE >>> 4));
  emitSetup(l, 16, v, false);
  // No late copies: PAE paging is never on in real mode (the planner rejects such vectors).
  l.ins(() => storeImm8(16, V_PHASE, 2));
  emitInstruction(l, 16, v);
  storeResult(l, 16);
  // No segment reloads here: LMSW/MOV CR0 may have set PE (R27), and the cached real-mode
  // segments stay usable until reloaded (R21); the real-mode handlers reload their own.
  l.label(t('after16'));
  l.ins(() => movImm32(R.ESP, REAL_STACK_TOP));
  emitObserve(l, 16, t('o16'));
  l.ins(() => movImm32(R.EAX, 0x11));
  l.ins(() => movToCr(R.CR0, R.EAX));
  l.ins((L) => jmpFar32From16(SEL.code32, L(t('back16'))));
}
