/**
 * Registers the system-side handlers (far transfers, IRET, descriptor tables, control/debug
 * registers, MSRs, I/O, fast system calls) into the system handler table, by iced-x86 Code.
 */
import { Code } from 'iced-x86';
import type { Handler, HandlerTable } from '../decoded.ts';
import { farCall, farJmp, farRet } from '../far.ts';
import { inHandler, insHandler, outHandler, outsHandler } from '../io.ts';
import { rdmsr, wrmsr } from '../msr.ts';
import {
  cacheFlush,
  clts,
  cpuid,
  hlt,
  invlpg,
  lmsw,
  movFromCr,
  movFromDr,
  movToCr,
  movToDr,
  rdpmc,
  rdtsc,
  smsw,
  xgetbv,
  xsetbv,
} from '../system.ts';
import { swapgs, syscall, sysenter, sysexit, sysret } from './fast-syscall.ts';
import { ACCESS_RIGHTS_ENTRIES } from './access-rights.ts';
import { iret } from './iret.ts';
import { clac, rdfsbase, rdgsbase, rdtscp, stac, wrfsbase, wrgsbase } from './isa-features.ts';
import { SEGMENT_LOAD_ENTRIES } from './segment-loads.ts';
import { lgdt, lidt, lldt, ltr, sgdt, sidt, sldt, str } from './tables.ts';

const ENTRIES: ReadonlyArray<readonly [Handler, readonly number[]]> = [
  [farJmp, [Code.Jmp_ptr1616, Code.Jmp_ptr1632, Code.Jmp_m1616, Code.Jmp_m1632, Code.Jmp_m1664]],
  [farCall, [Code.Call_ptr1616, Code.Call_ptr1632, Code.Call_m1616, Code.Call_m1632, Code.Call_m1664]],
  [farRet, [Code.Retfw, Code.Retfd, Code.Retfq, Code.Retfw_imm16, Code.Retfd_imm16, Code.Retfq_imm16]],
  [iret, [Code.Iretw, Code.Iretd, Code.Iretq]],
  [lgdt, [Code.Lgdt_m1632_16, Code.Lgdt_m1632, Code.Lgdt_m1664]],
  [lidt, [Code.Lidt_m1632_16, Code.Lidt_m1632, Code.Lidt_m1664]],
  [sgdt, [Code.Sgdt_m1632_16, Code.Sgdt_m1632, Code.Sgdt_m1664]],
  [sidt, [Code.Sidt_m1632_16, Code.Sidt_m1632, Code.Sidt_m1664]],
  [lldt, [Code.Lldt_rm16, Code.Lldt_r32m16, Code.Lldt_r64m16]],
  [ltr, [Code.Ltr_rm16, Code.Ltr_r32m16, Code.Ltr_r64m16]],
  [sldt, [Code.Sldt_rm16, Code.Sldt_r32m16, Code.Sldt_r64m16]],
  [str, [Code.Str_rm16, Code.Str_r32m16, Code.Str_r64m16]],
  [movToCr, [Code.Mov_cr_r32, Code.Mov_cr_r64]],
  [movFromCr, [Code.Mov_r32_cr, Code.Mov_r64_cr]],
  [movToDr, [Code.Mov_dr_r32, Code.Mov_dr_r64]],
  [movFromDr, [Code.Mov_r32_dr, Code.Mov_r64_dr]],
  [clts, [Code.Clts]],
  [lmsw, [Code.Lmsw_rm16, Code.Lmsw_r32m16, Code.Lmsw_r64m16]],
  [smsw, [Code.Smsw_rm16, Code.Smsw_r32m16, Code.Smsw_r64m16]],
  [invlpg, [Code.Invlpg_m]],
  [xsetbv, [Code.Xsetbv]],
  [xgetbv, [Code.Xgetbv]],
  [cpuid, [Code.Cpuid]],
  [hlt, [Code.Hlt]],
  [cacheFlush, [Code.Wbinvd, Code.Invd]],
  [rdtsc, [Code.Rdtsc]],
  [rdpmc, [Code.Rdpmc]],
  [rdtscp, [Code.Rdtscp]],
  [stac, [Code.Stac]],
  [clac, [Code.Clac]],
  [rdfsbase, [Code.Rdfsbase_r32, Code.Rdfsbase_r64]],
  [rdgsbase, [Code.Rdgsbase_r32, Code.Rdgsbase_r64]],
  [wrfsbase, [Code.Wrfsbase_r32, Code.Wrfsbase_r64]],
  [wrgsbase, [Code.Wrgsbase_r32, Code.Wrgsbase_r64]],
  [rdmsr, [Code.Rdmsr]],
  [wrmsr, [Code.Wrmsr]],
  [inHandler, [Code.In_AL_imm8, Code.In_AX_imm8, Code.In_EAX_imm8, Code.In_AL_DX, Code.In_AX_DX, Code.In_EAX_DX]],
  [outHandler, [Code.Out_imm8_AL, Code.Out_imm8_AX, Code.Out_imm8_EAX, Code.Out_DX_AL, Code.Out_DX_AX, Code.Out_DX_EAX]],
  [insHandler, [Code.Insb_m8_DX, Code.Insw_m16_DX, Code.Insd_m32_DX]],
  [outsHandler, [Code.Outsb_DX_m8, Code.Outsw_DX_m16, Code.Outsd_DX_m32]],
  [syscall, [Code.Syscall]],
  [sysret, [Code.Sysretd, Code.Sysretq]],
  [swapgs, [Code.Swapgs]],
  [sysenter, [Code.Sysenter]],
  [sysexit, [Code.Sysexitd, Code.Sysexitq]],
];

export function registerSystemHandlers(table: HandlerTable): void {
  for (const [handler, codes] of [...ENTRIES, ...SEGMENT_LOAD_ENTRIES, ...ACCESS_RIGHTS_ENTRIES]) for (const code of codes) table.byCode.set(code, handler);
}
