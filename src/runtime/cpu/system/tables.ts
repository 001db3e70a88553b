/**
 * Descriptor-table instructions (SDM Vol. 2): LGDT, LIDT, SGDT, SIDT, LLDT, LTR, SLDT, STR.
 * L* need CPL 0 (#GP(0); v86 is CPL 3). S* are allowed at any CPL unless CR4.UMIP (#GP(0) at
 * CPL > 0). LLDT/LTR/SLDT/STR are #UD in real and v86 mode. In IA-32e mode LDT and TSS
 * descriptors are 16 bytes (base 63:32 in bytes 8-11; bytes 12-15 type 0) and the GDTR/IDTR
 * base is 64-bit and must be canonical.
 */
import type { Cpu } from '../cpu.ts';
import { OpK, type DecodedInsn } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { fetchDescriptor, fillSystemCache, loadNull, RawDescriptor, selErr, systemBaseCanonical, upperHalfValid } from '../segments.ts';
import { Flag, Seg } from '../state.ts';
import { checkUmip, requirePrivileged } from '../system.ts';
import { descIsSystem, descPresent, descType, selIsNull, SysType } from './descriptor.ts';
import { ea } from '../core/operands.ts';
import { readRm16 } from './operands.ts';
import { canonicalOf, hi32, isCanonical, sysWrite } from './sysmem.ts';

const desc = new RawDescriptor();

function tableOf(cpu: Cpu, idt: boolean): { base: number; limit: number } {
  return idt ? cpu.idtr : cpu.gdtr;
}

function loadTable(cpu: Cpu, insn: DecodedInsn, idt: boolean): void {
  if (insn.k0 !== OpK.Mem) throw new GuestFault(Vec.UD);
  requirePrivileged(cpu);
  const off = ea(cpu, insn);
  const next = (d: number): number => (cpu.mode64 ? off + d : (off + d) & (insn.addrSize === 2 ? 0xffff : 0xffff_ffff));
  const limit = cpu.read(insn.seg, off, 2);
  let base: number;
  if (cpu.mode64) {
    const lo = cpu.read(insn.seg, next(2), 4);
    const hi = cpu.read(insn.seg, next(6), 4);
    base = canonicalOf(lo, hi);
    if (!isCanonical(base) || (hi | 0) !== Math.floor(base / 0x1_0000_0000)) throw new GuestFault(Vec.GP, 0);
  } else {
    base = cpu.read(insn.seg, next(2), 4);
    if (insn.osz === 2) base &= 0x00ff_ffff;
  }
  const t = tableOf(cpu, idt);
  t.base = base;
  t.limit = limit;
}

function storeTable(cpu: Cpu, insn: DecodedInsn, idt: boolean): void {
  if (insn.k0 !== OpK.Mem) throw new GuestFault(Vec.UD);
  checkUmip(cpu);
  const off = ea(cpu, insn);
  const next = (d: number): number => (cpu.mode64 ? off + d : (off + d) & (insn.addrSize === 2 ? 0xffff : 0xffff_ffff));
  const t = tableOf(cpu, idt);
  // Check the whole operand is writable before storing any of it.
  cpu.mem.linear(insn.seg, off, cpu.mode64 ? 10 : 6, true);
  cpu.write(insn.seg, off, 2, t.limit);
  cpu.write(insn.seg, next(2), 4, t.base >>> 0);
  if (cpu.mode64) cpu.write(insn.seg, next(6), 4, hi32(t.base));
}

export function lgdt(cpu: Cpu, insn: DecodedInsn): void {
  loadTable(cpu, insn, false);
}

export function lidt(cpu: Cpu, insn: DecodedInsn): void {
  loadTable(cpu, insn, true);
}

export function sgdt(cpu: Cpu, insn: DecodedInsn): void {
  storeTable(cpu, insn, false);
}

export function sidt(cpu: Cpu, insn: DecodedInsn): void {
  storeTable(cpu, insn, true);
}

function requireProtected(cpu: Cpu): void {
  if (!cpu.protectedMode || (cpu.flags & Flag.VM) !== 0) throw new GuestFault(Vec.UD);
}

export function lldt(cpu: Cpu, insn: DecodedInsn): void {
  requireProtected(cpu);
  requirePrivileged(cpu);
  const sel = readRm16(cpu, insn);
  const ldtr = cpu.seg[Seg.LDTR]!;
  if (selIsNull(sel)) {
    loadNull(ldtr, sel);
    return;
  }
  if ((sel & 4) !== 0) throw new GuestFault(Vec.GP, selErr(sel, 0));
  fetchDescriptor(cpu, sel, desc, Vec.GP, 0, cpu.longMode);
  const hi = desc.hi;
  if (!descIsSystem(hi) || descType(hi) !== SysType.LDT) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (cpu.longMode && (!upperHalfValid(desc) || !systemBaseCanonical(desc))) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
  fillSystemCache(cpu, ldtr, sel, desc);
}

export function ltr(cpu: Cpu, insn: DecodedInsn): void {
  requireProtected(cpu);
  requirePrivileged(cpu);
  const sel = readRm16(cpu, insn);
  if (selIsNull(sel)) throw new GuestFault(Vec.GP, 0);
  if ((sel & 4) !== 0) throw new GuestFault(Vec.GP, selErr(sel, 0));
  fetchDescriptor(cpu, sel, desc, Vec.GP, 0, cpu.longMode);
  const hi = desc.hi;
  const type = descType(hi);
  const available = cpu.longMode ? type === SysType.TSS_AVAIL : type === SysType.TSS_AVAIL || type === SysType.TSS16_AVAIL;
  if (!descIsSystem(hi) || !available) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (cpu.longMode && (!upperHalfValid(desc) || !systemBaseCanonical(desc))) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
  // Mark the descriptor busy (type bit 1), then load TR.
  desc.hi = hi | (2 << 8);
  sysWrite(cpu, desc.addr + 4, 4, desc.hi);
  fillSystemCache(cpu, cpu.seg[Seg.TR]!, sel, desc);
}

/** SLDT / STR: the selector to r16 (upper bits kept), r32/r64 (zero-extended) or m16. */
function storeSelector(cpu: Cpu, insn: DecodedInsn, seg: Seg): void {
  requireProtected(cpu);
  checkUmip(cpu);
  const sel = cpu.seg[seg]!.selector;
  if (insn.k0 === OpK.Gpr) {
    if (insn.s0 === 2) cpu.setReg(insn.r0, 2, sel);
    else cpu.writeGpr(insn.r0, BigInt(sel), insn.s0 === 8 ? 8 : 4);
    return;
  }
  cpu.write(insn.seg, ea(cpu, insn), 2, sel);
}

export function sldt(cpu: Cpu, insn: DecodedInsn): void {
  storeSelector(cpu, insn, Seg.LDTR);
}

export function str(cpu: Cpu, insn: DecodedInsn): void {
  storeSelector(cpu, insn, Seg.TR);
}
