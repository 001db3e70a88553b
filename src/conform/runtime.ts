import { Code, Instruction, MemoryOperand, Register } from 'iced-x86';
import type { Bits, Section } from './asm.ts';
import {
  abs,
  call,
  jcc,
  jmp,
  jmpFar,
  jmpFarMem,
  load,
  movFromCr,
  movImm32,
  movSreg,
  movToCr,
  op,
  store,
  storeImm16,
  storeImm32,
  storeImm8,
} from './ins.ts';
import {
  COM1,
  DEBUG_EXIT,
  IVT,
  KSTACK_TOP,
  LOW_CODE,
  MSR_EFER,
  OBS_OFFSET,
  REAL_STACK_TOP,
  RETURN_VECTOR,
  SEL,
  V_IVT_DESC,
  V_OBS,
  V_OBS_FLAGS,
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
import { HAS_ERROR_CODE } from './vector.ts';

/**
 * The fixed part of every conformance guest: start-up, exception handlers for each mode, the
 * result printer and the routine that brings the CPU back to the home state (32-bit protected
 * mode, paging off, CR4 = EFER = CR3 = 0, XCR0 = 1) between vectors.
 */

const R = Register;

/** Start-up (label `entry`): GDT, segments, copies of the relocated sections, IVT, IDT. */
export function emitStartup(s: Section, relocated: { from: string; to: number; size: string }[]): void {
  s.label('entry');
  s.ins(() => op(Code.Cli));
  s.ins((L) => Instruction.createMem(Code.Lgdt_m1632, abs(32, L('gdt_desc'))));
  s.ins((L) => jmpFar(32, SEL.code32, L('entry2')));
  s.label('entry2');
  reloadData32(s);
  s.ins(() => movImm32(R.ESP, KSTACK_TOP));
  for (const r of relocated) {
    s.ins((L) => movImm32(R.ESI, L(r.from)));
    s.ins(() => movImm32(R.EDI, r.to));
    s.ins((L) => movImm32(R.ECX, L(r.size)));
    s.ins(() => op(Code.Cld));
    s.ins(() => Instruction.createRepMovsb(32));
  }
  s.ins((L) => movImm32(R.ESI, L('ivt_image')));
  s.ins(() => movImm32(R.EDI, IVT));
  s.ins(() => movImm32(R.ECX, 1024));
  s.ins(() => Instruction.createRepMovsb(32));
  s.ins(() => storeImm16(32, V_IVT_DESC, 0x3ff));
  s.ins(() => storeImm32(32, V_IVT_DESC + 2, IVT));
  s.ins(() => storeImm32(32, V_SAVED_SP, KSTACK_TOP));
  s.ins(() => storeImm32(32, V_SAVED_SP + 4, 0));
  s.ins((L) => Instruction.createMem(Code.Lidt_m1632, abs(32, L('idt32_desc'))));
  s.ins((L) => movImm32(R.ESI, L('s_begin')));
  s.ins((L) => call(32, L('puts')));
}

/** After the last vector: print the end marker and leave through the debug-exit port. */
export function emitFinish(s: Section): void {
  s.ins((L) => movImm32(R.ESI, L('s_end')));
  s.ins((L) => call(32, L('puts')));
  s.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.DX, DEBUG_EXIT));
  s.ins(() => Instruction.createRegU32(Code.Mov_r8_imm8, R.AL, 0));
  s.ins(() => Instruction.createRegReg(Code.Out_DX_AL, R.DX, R.AL));
  s.label('finish_halt');
  s.ins(() => op(Code.Hlt));
  s.ins((L) => jmp(32, L('finish_halt')));
}

export function reloadData32(s: Section): void {
  s.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.AX, SEL.data32));
  for (const sr of [R.DS, R.ES, R.SS, R.FS, R.GS]) s.ins(() => movSreg(sr));
}

/** 32-bit protected-mode handlers (labels h32_<n>) and their common tail. */
export function emitHandlers32(s: Section): void {
  for (let v = 0; v < 32; v++) {
    s.label(`h32_${v.toString(16)}`);
    s.ins(() => storeImm8(32, V_RES_VEC, v, R.SS));
    if (HAS_ERROR_CODE.has(v)) s.ins(() => Instruction.createMem(Code.Pop_rm32, abs(32, V_RES_EC, R.SS)));
    s.ins((L) => jmp(32, L('h32_common')));
  }
  s.label('h32_unexpected');
  s.ins(() => storeImm8(32, V_RES_VEC, 0xee, R.SS));
  s.label('h32_common');
  reloadData32(s);
  s.ins(() => Instruction.createRegMem(Code.Mov_r8_rm8, R.AL, abs(32, V_PHASE)));
  s.ins(() => Instruction.createMemReg(Code.Mov_rm8_r8, abs(32, V_RES_PHASE), R.AL));
  s.label('h32_resume');
  s.ins(() => load(32, R.ESP, V_SAVED_SP));
  s.ins(() => jmpFarMem(32, V_RESUME_FAR));
  s.label(`h32_${RETURN_VECTOR.toString(16)}`);
  s.ins(() => store(32, V_RES_RAX, R.EAX, R.SS));
  s.ins(() => store(32, V_RES_RDX, R.EDX, R.SS));
  reloadData32(s);
  s.ins((L) => jmp(32, L('h32_resume')));
}

/** 64-bit handlers (labels h64_<n>). */
export function emitHandlers64(s: Section): void {
  for (let v = 0; v < 32; v++) {
    s.label(`h64_${v.toString(16)}`);
    s.ins(() => storeImm8(64, V_RES_VEC, v));
    if (HAS_ERROR_CODE.has(v)) {
      s.ins(() => Instruction.createReg(Code.Pop_r64, R.RAX));
      s.ins(() => store(64, V_RES_EC, R.EAX));
    }
    s.ins((L) => jmp(64, L('h64_common')));
  }
  s.label('h64_unexpected');
  s.ins(() => storeImm8(64, V_RES_VEC, 0xee));
  s.label('h64_common');
  s.ins(() => Instruction.createRegMem(Code.Mov_r8_rm8, R.AL, abs(64, V_PHASE)));
  s.ins(() => Instruction.createMemReg(Code.Mov_rm8_r8, abs(64, V_RES_PHASE), R.AL));
  s.label('h64_resume');
  s.ins(() => load(64, R.RSP, V_SAVED_SP));
  s.ins(() => jmpFarMem(64, V_RESUME_FAR));
  s.label(`h64_${RETURN_VECTOR.toString(16)}`);
  s.ins(() => store(64, V_RES_RAX, R.RAX));
  s.ins(() => store(64, V_RES_RDX, R.RDX));
  s.ins((L) => jmp(64, L('h64_resume')));
}

/** Real-mode handlers (labels rh_<n>), in the low 16-bit section. */
export function emitHandlers16(s: Section): void {
  for (let v = 0; v < 32; v++) {
    s.label(`rh_${v.toString(16)}`);
    s.ins(() => storeImm8(16, V_RES_VEC, v, R.SS));
    s.ins((L) => jmp(16, L('rh_common') - LOW_CODE));
  }
  s.label('rh_unexpected');
  s.ins(() => storeImm8(16, V_RES_VEC, 0xee, R.SS));
  s.label('rh_common');
  s.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.AX, 0));
  for (const sr of [R.DS, R.ES, R.SS]) s.ins(() => movSreg(sr, 16));
  s.ins(() => Instruction.createRegMem(Code.Mov_r8_rm8, R.AL, abs(16, V_PHASE)));
  s.ins(() => Instruction.createMemReg(Code.Mov_rm8_r8, abs(16, V_RES_PHASE), R.AL));
  s.ins(() => movImm32(R.ESP, REAL_STACK_TOP));
  s.ins(() => jmpFarMem(16, V_RESUME16));
}

/**
 * Read back CR0, CR3, CR4, EFER (and XCR0 when CR4.OSXSAVE=1, CR8 in 64-bit mode) into V_OBS.
 * Inline: `tag` makes its labels unique.
 */
export function emitObserve(s: Section, bits: Bits, tag: string): void {
  const wide = bits === 64;
  const A = wide ? R.RAX : R.EAX;
  s.ins(() => storeImm32(bits, V_OBS_FLAGS, 0));
  for (const [cr, name] of [
    [R.CR0, 'cr0'],
    [R.CR3, 'cr3'],
    [R.CR4, 'cr4'],
  ] as const) {
    s.ins(() => movFromCr(A, cr));
    s.ins(() => store(bits, V_OBS + OBS_OFFSET[name], A));
    if (!wide) s.ins(() => storeImm32(bits, V_OBS + OBS_OFFSET[name] + 4, 0));
  }
  s.ins(() => movImm32(R.ECX, MSR_EFER));
  s.ins(() => op(Code.Rdmsr));
  s.ins(() => store(bits, V_OBS + OBS_OFFSET.efer, R.EAX));
  s.ins(() => store(bits, V_OBS + OBS_OFFSET.efer + 4, R.EDX));
  s.ins(() => movFromCr(A, R.CR4));
  s.ins(() => Instruction.createRegU32(Code.Test_rm32_imm32, R.EAX, 1 << 18));
  const skip = `obs_noxcr0_${tag}`;
  s.ins((L) => jcc(bits, 'e', L(skip) - (bits === 16 ? LOW_CODE : 0)));
  s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.ECX, R.ECX));
  s.ins(() => op(Code.Xgetbv));
  s.ins(() => store(bits, V_OBS + OBS_OFFSET.xcr0, R.EAX));
  s.ins(() => store(bits, V_OBS + OBS_OFFSET.xcr0 + 4, R.EDX));
  s.ins(() => Instruction.createMemU32(Code.Or_rm32_imm8, abs(bits, V_OBS_FLAGS), 1));
  s.label(skip);
  if (wide) {
    s.ins(() => movFromCr(R.RAX, R.CR8));
    s.ins(() => store(64, V_OBS + OBS_OFFSET.cr8, R.RAX));
    s.ins(() => Instruction.createMemU32(Code.Or_rm32_imm8, abs(64, V_OBS_FLAGS), 2));
    s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.EAX, R.EAX));
    s.ins(() => movToCr(R.CR8, R.RAX));
  }
}

/**
 * `reset32`: from 32-bit code at CPL 0 (protected or compatibility mode, or "unreal" after a
 * vector cleared PE) back to the home state. Order matters: PCIDE before PG (R14), PG before
 * EFER.LME (R65), PG off leaves IA-32e mode (R15).
 */
export function emitReset32(s: Section): void {
  s.label('reset32');
  s.ins(() => movFromCr(R.EAX, R.CR4));
  s.ins(() => Instruction.createRegU32(Code.And_rm32_imm32, R.EAX, ~(1 << 17)));
  s.ins(() => movToCr(R.CR4, R.EAX));
  s.ins(() => movImm32(R.EAX, 0x11));
  s.ins(() => movToCr(R.CR0, R.EAX));
  s.ins((L) => jmpFar(32, SEL.code32, L('reset32_cs')));
  s.label('reset32_cs');
  reloadData32(s);
  s.ins(() => movImm32(R.EAX, 1 << 18));
  s.ins(() => movToCr(R.CR4, R.EAX));
  s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.ECX, R.ECX));
  s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.EDX, R.EDX));
  s.ins(() => movImm32(R.EAX, 1));
  s.ins(() => op(Code.Xsetbv));
  s.ins(() => Instruction.createRegReg(Code.Xor_r32_rm32, R.EAX, R.EAX));
  s.ins(() => movToCr(R.CR4, R.EAX));
  s.ins(() => movToCr(R.CR3, R.EAX));
  s.ins(() => movImm32(R.ECX, MSR_EFER));
  s.ins(() => op(Code.Wrmsr));
  s.ins((L) => Instruction.createMem(Code.Lidt_m1632, abs(32, L('idt32_desc'))));
  s.ins(() => op(Code.Retnd));
}

/** Serial output routines: puts (ESI = string), hexmem (ESI = address - 1, ECX = bytes). */
export function emitPrint(s: Section): void {
  s.label('puts');
  s.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.DX, COM1));
  s.label('puts_loop');
  s.ins(() => Instruction.createRegMem(Code.Mov_r8_rm8, R.AL, mem(R.ESI, R.None, 0)));
  s.ins(() => Instruction.createRegU32(Code.Test_rm8_imm8, R.AL, 0xff));
  s.ins((L) => jcc(32, 'e', L('puts_done')));
  s.ins(() => Instruction.createRegReg(Code.Out_DX_AL, R.DX, R.AL));
  s.ins(() => Instruction.createReg(Code.Inc_r32, R.ESI));
  s.ins((L) => jmp(32, L('puts_loop')));
  s.label('puts_done');
  s.ins(() => op(Code.Retnd));

  s.label('hexmem');
  s.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.DX, COM1));
  s.label('hexmem_loop');
  s.ins(() => Instruction.createRegMem(Code.Movzx_r32_rm8, R.EDI, mem(R.ESI, R.ECX, 0)));
  s.ins(() => Instruction.createRegReg(Code.Mov_r32_rm32, R.EBX, R.EDI));
  s.ins(() => Instruction.createRegU32(Code.Shr_rm32_imm8, R.EBX, 4));
  s.ins((L) => Instruction.createRegMem(Code.Mov_r8_rm8, R.AL, mem(R.EBX, R.None, L('hexdigits'))));
  s.ins(() => Instruction.createRegReg(Code.Out_DX_AL, R.DX, R.AL));
  s.ins(() => Instruction.createRegReg(Code.Mov_r32_rm32, R.EBX, R.EDI));
  s.ins(() => Instruction.createRegU32(Code.And_rm32_imm8, R.EBX, 0xf));
  s.ins((L) => Instruction.createRegMem(Code.Mov_r8_rm8, R.AL, mem(R.EBX, R.None, L('hexdigits'))));
  s.ins(() => Instruction.createRegReg(Code.Out_DX_AL, R.DX, R.AL));
  s.ins(() => Instruction.createReg(Code.Dec_r32, R.ECX));
  s.ins((L) => jcc(32, 'ne', L('hexmem_loop')));
  s.ins(() => op(Code.Retnd));

  // print_result: ESI = vector id string. Format documented in output.ts.
  s.label('print_result');
  s.ins((L) => Instruction.createI32(Code.Pushd_imm32, L('s_nl')));
  s.ins(() => Instruction.createReg(Code.Push_r32, R.ESI));
  s.ins((L) => movImm32(R.ESI, L('s_prefix')));
  s.ins((L) => call(32, L('puts')));
  s.ins(() => Instruction.createReg(Code.Pop_r32, R.ESI));
  s.ins((L) => call(32, L('puts')));
  for (const f of RESULT_FIELDS) {
    s.ins((L) => movImm32(R.ESI, L(`s_f_${f.name}`)));
    s.ins((L) => call(32, L('puts')));
    s.ins(() => movImm32(R.ESI, f.addr - 1));
    s.ins(() => movImm32(R.ECX, f.bytes));
    s.ins((L) => call(32, L('hexmem')));
  }
  s.ins(() => Instruction.createReg(Code.Pop_r32, R.ESI));
  s.ins((L) => jmp(32, L('puts')));
}

/** Fields of a result line, in order (see output.ts). */
export const RESULT_FIELDS: readonly { name: string; addr: number; bytes: number }[] = [
  { name: 'exc', addr: V_RES_VEC, bytes: 1 },
  { name: 'ec', addr: V_RES_EC, bytes: 4 },
  { name: 'ph', addr: V_RES_PHASE, bytes: 1 },
  { name: 'rax', addr: V_RES_RAX, bytes: 8 },
  { name: 'rdx', addr: V_RES_RDX, bytes: 8 },
  { name: 'cr0', addr: V_OBS + OBS_OFFSET.cr0, bytes: 8 },
  { name: 'cr3', addr: V_OBS + OBS_OFFSET.cr3, bytes: 8 },
  { name: 'cr4', addr: V_OBS + OBS_OFFSET.cr4, bytes: 8 },
  { name: 'efer', addr: V_OBS + OBS_OFFSET.efer, bytes: 8 },
  { name: 'xcr0', addr: V_OBS + OBS_OFFSET.xcr0, bytes: 8 },
  { name: 'cr8', addr: V_OBS + OBS_OFFSET.cr8, bytes: 8 },
  { name: 'obs', addr: V_OBS_FLAGS, bytes: 1 },
];

/** Strings used by the fixed code. */
export function emitStrings(s: Section, ids: readonly string[]): void {
  const str = (label: string, text: string): void => {
    s.label(label);
    s.data(() => new TextEncoder().encode(`${text}\0`));
  };
  str('hexdigits', '0123456789abcdef');
  str('s_begin', 'CONFORM-BEGIN\n');
  str('s_end', 'CONFORM-END\n');
  str('s_prefix', 'CONFORM ');
  str('s_nl', '\n');
  for (const f of RESULT_FIELDS) str(`s_f_${f.name}`, ` ${f.name}=`);
  ids.forEach((id, i) => str(`s_id_${i}`, id));
}

function mem(base: Register, index: Register, disp: number): MemoryOperand {
  return new MemoryOperand(base, index, 1, BigInt(disp), disp === 0 ? 0 : 4, false, Register.None);
}
