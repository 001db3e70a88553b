/**
 * LAR, LSL, VERR, VERW and ARPL (SDM Vol. 2): protected-mode only (#UD in real and v86 mode).
 * LAR/LSL/VERR/VERW never fault on the selector: they report in ZF whether the descriptor is
 * visible at the current CPL and the selector's RPL (conforming code segments are always
 * visible). ARPL does not exist in 64-bit mode (the opcode is MOVSXD there).
 */
import { Code } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import { OpK, type DecodedInsn, type Handler } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { peekDescriptor, RawDescriptor } from '../segments.ts';
import { Flag } from '../state.ts';
import { descDpl, descIsSystem, descLimit, descType, SegType, selRpl, SysType } from './descriptor.ts';
import { ea } from '../core/operands.ts';

const d = new RawDescriptor();

function requireProtected(cpu: Cpu): void {
  if (!cpu.protectedMode || (cpu.flags & Flag.VM) !== 0) throw new GuestFault(Vec.UD);
}

function setZf(cpu: Cpu, on: boolean): void {
  cpu.flags = on ? cpu.flags | Flag.ZF : cpu.flags & ~Flag.ZF;
}

/** Source selector: r16/r32/r64 (low 16 bits) or m16 — operand 1 for LAR/LSL, 0 for VERR/VERW. */
function selectorOperand(cpu: Cpu, insn: DecodedInsn, k: OpK, r: number): number {
  return k === OpK.Gpr ? cpu.lo[r]! & 0xffff : cpu.read(insn.seg, ea(cpu, insn), 2);
}

/** Is the descriptor visible (DPL ≥ CPL and DPL ≥ RPL, or conforming code)? */
function visible(cpu: Cpu, sel: number, hi: number): boolean {
  const conformingCode = !descIsSystem(hi) && (descType(hi) & (SegType.CODE | SegType.CONFORMING)) === (SegType.CODE | SegType.CONFORMING);
  if (conformingCode) return true;
  const dpl = descDpl(hi);
  return dpl >= cpu.cpl && dpl >= selRpl(sel);
}

function systemTypeOk(cpu: Cpu, type: number, forLar: boolean): boolean {
  if (cpu.longMode) return type === SysType.LDT || type === SysType.TSS_AVAIL || type === SysType.TSS_BUSY || (forLar && type === SysType.CALL_GATE);
  switch (type) {
    case SysType.TSS16_AVAIL:
    case SysType.LDT:
    case SysType.TSS16_BUSY:
    case SysType.TSS_AVAIL:
    case SysType.TSS_BUSY:
      return true;
    case SysType.CALL_GATE16:
    case SysType.TASK_GATE:
    case SysType.CALL_GATE:
      return forLar;
    default:
      return false;
  }
}

function writeDest(cpu: Cpu, insn: DecodedInsn, value: number): void {
  if (insn.s0 === 2) cpu.setReg(insn.r0, 2, value);
  else {
    cpu.lo[insn.r0] = value >>> 0;
    cpu.hi[insn.r0] = 0;
  }
}

function larOrLsl(lar: boolean): Handler {
  return (cpu, insn) => {
    requireProtected(cpu);
    const sel = selectorOperand(cpu, insn, insn.k1, insn.r1);
    if (!peekDescriptor(cpu, sel, d)) return setZf(cpu, false);
    const hi = d.hi;
    const ok = (descIsSystem(hi) ? systemTypeOk(cpu, descType(hi), lar) : true) && visible(cpu, sel, hi);
    if (!ok) return setZf(cpu, false);
    writeDest(cpu, insn, lar ? (insn.s0 === 2 ? hi & 0xff00 : hi & 0x00f0_ff00) : insn.s0 === 2 ? descLimit(d.lo, hi) & 0xffff : descLimit(d.lo, hi));
    setZf(cpu, true);
  };
}

function verify(write: boolean): Handler {
  return (cpu, insn) => {
    requireProtected(cpu);
    const sel = selectorOperand(cpu, insn, insn.k0, insn.r0);
    if (!peekDescriptor(cpu, sel, d) || descIsSystem(d.hi)) return setZf(cpu, false);
    const t = descType(d.hi);
    const code = (t & SegType.CODE) !== 0;
    const usable = write ? !code && (t & SegType.WRITABLE) !== 0 : !code || (t & SegType.READABLE) !== 0;
    setZf(cpu, usable && visible(cpu, sel, d.hi));
  };
}

const arpl: Handler = (cpu, insn) => {
  requireProtected(cpu);
  const src = cpu.lo[insn.r1]! & 3;
  const off = insn.k0 === OpK.Gpr ? 0 : ea(cpu, insn);
  const dest = insn.k0 === OpK.Gpr ? cpu.lo[insn.r0]! & 0xffff : cpu.read(insn.seg, off, 2);
  if ((dest & 3) < src) {
    const v = (dest & ~3) | src;
    if (insn.k0 === OpK.Gpr) cpu.setReg(insn.r0, 2, v);
    else cpu.write(insn.seg, off, 2, v);
    setZf(cpu, true);
  } else {
    setZf(cpu, false);
  }
};

export const ACCESS_RIGHTS_ENTRIES: ReadonlyArray<readonly [Handler, readonly number[]]> = [
  [larOrLsl(true), [Code.Lar_r16_rm16, Code.Lar_r32_r32m16, Code.Lar_r64_r64m16]],
  [larOrLsl(false), [Code.Lsl_r16_rm16, Code.Lsl_r32_r32m16, Code.Lsl_r64_r64m16]],
  [verify(false), [Code.Verr_rm16, Code.Verr_r32m16, Code.Verr_r64m16]],
  [verify(true), [Code.Verw_rm16, Code.Verw_r32m16, Code.Verw_r64m16]],
  [arpl, [Code.Arpl_rm16_r16, Code.Arpl_r32m16_r32]],
];
