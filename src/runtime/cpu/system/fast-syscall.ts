/**
 * SYSCALL / SYSRET (EFER.SCE, STAR, LSTAR, CSTAR, SFMASK), SWAPGS (KERNEL_GS_BASE) and
 * SYSENTER / SYSEXIT (SYSENTER_CS/ESP/EIP), with AMD semantics because the modelled CPU reports
 * "AuthenticAMD" (spec/cpu/qemu-max.cpu, as QEMU -cpu max under TCG does), and as QEMU
 * implements them for that vendor:
 * - SYSCALL/SYSRET: #UD with SCE = 0 (R70); they work in every mode: 64-bit mode enters at
 *   LSTAR, compatibility mode at CSTAR, legacy mode at STAR[31:0] (flat 32-bit CS/SS, IF/RF/VM
 *   cleared). SYSRET is #GP(0) outside protected mode or at CPL > 0.
 * - SYSENTER/SYSEXIT: #UD in IA-32e mode (LMA = 1) on AMD; #GP(0) in real mode or with
 *   SYSENTER_CS[15:2] = 0.
 * The flat CS/SS caches these instructions load are fixed by the architecture, not read from
 * the GDT.
 */
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Efer, Flag, Seg, type SegmentCache } from '../state.ts';
import { canonicalOf, hi32, isCanonical } from './sysmem.ts';

function loadFlat(c: SegmentCache, sel: number, code: boolean, dpl: number, long: boolean): void {
  c.selector = sel & 0xffff;
  c.base = 0;
  c.limit = 0xffff_ffff;
  c.type = code ? 0xb : 0x3;
  c.s = true;
  c.dpl = dpl;
  c.present = true;
  c.avl = false;
  c.l = code && long;
  c.db = !(code && long);
  c.g = true;
  c.usable = true;
}

function setRip(cpu: Cpu, v: number): void {
  cpu.nextIp = v;
}

function setRsp(cpu: Cpu, v: number): void {
  cpu.lo[4] = v >>> 0;
  cpu.hi[4] = hi32(v);
}

function msrNumber(v: bigint): number {
  return canonicalOf(Number(v & 0xffff_ffffn), Number((v >> 32n) & 0xffff_ffffn));
}

function sceEnabled(cpu: Cpu): boolean {
  return (Number(cpu.hw.efer & 0xffffn) & Efer.SCE) !== 0;
}

export function syscall(cpu: Cpu): void {
  if (!sceEnabled(cpu)) throw new GuestFault(Vec.UD);
  const m = cpu.msr;
  const ret = cpu.nextIp;
  const sel = Number((m.star >> 32n) & 0xffffn);
  const flags = cpu.getFlags();
  if (!cpu.longMode) {
    // Legacy mode: ECX = return EIP, flat 32-bit CPL-0 segments, EIP = STAR[31:0].
    cpu.lo[1] = ret >>> 0;
    cpu.hi[1] = 0;
    cpu.setFlags(flags & ~(Flag.IF | Flag.RF | Flag.VM));
    loadFlat(cpu.seg[Seg.CS]!, sel & 0xfffc, true, 0, false);
    loadFlat(cpu.seg[Seg.SS]!, (sel + 8) & 0xfffc, false, 0, false);
    cpu.cpl = 0;
    cpu.updateMode();
    setRip(cpu, Number(m.star & 0xffff_ffffn));
    return;
  }
  const from64 = cpu.mode64;
  cpu.lo[1] = ret >>> 0; // RCX
  cpu.hi[1] = from64 ? hi32(ret) : 0;
  cpu.lo[11] = (flags & ~Flag.RF) >>> 0; // R11
  cpu.hi[11] = 0;
  cpu.setFlags(flags & ~Number(m.sfmask & 0xffff_ffffn) & ~(Flag.RF | Flag.VM));
  loadFlat(cpu.seg[Seg.CS]!, sel & 0xfffc, true, 0, true);
  loadFlat(cpu.seg[Seg.SS]!, (sel + 8) & 0xfffc, false, 0, false);
  cpu.cpl = 0;
  cpu.updateMode();
  setRip(cpu, msrNumber(from64 ? m.lstar : m.cstar));
}

export function sysret(cpu: Cpu, insn: DecodedInsn): void {
  if (!sceEnabled(cpu)) throw new GuestFault(Vec.UD);
  if (!cpu.protectedMode || cpu.cpl !== 0) throw new GuestFault(Vec.GP, 0);
  const base = Number((cpu.msr.star >> 48n) & 0xffffn);
  if (!cpu.longMode) {
    // Legacy mode: flat 32-bit CPL-3 segments, EIP = ECX, IF set.
    cpu.setFlags(cpu.getFlags() | Flag.IF);
    loadFlat(cpu.seg[Seg.CS]!, (base & 0xfffc) | 3, true, 3, false);
    loadFlat(cpu.seg[Seg.SS]!, ((base + 8) & 0xfffc) | 3, false, 3, false);
    cpu.cpl = 3;
    cpu.updateMode();
    setRip(cpu, cpu.lo[1]!);
    return;
  }
  const to64 = insn.osz === 8;
  const rip = to64 ? cpu.getRegNum64(1) : cpu.lo[1]!;
  if (to64 && !isCanonical(rip)) throw new GuestFault(Vec.GP, 0);
  cpu.setFlags((cpu.lo[11]! & 0x3c7fd7) | Flag.FIXED1);
  loadFlat(cpu.seg[Seg.CS]!, ((to64 ? base + 16 : base) & 0xfffc) | 3, true, 3, to64);
  loadFlat(cpu.seg[Seg.SS]!, ((base + 8) & 0xfffc) | 3, false, 3, false);
  cpu.cpl = 3;
  cpu.updateMode();
  setRip(cpu, rip);
}

export function swapgs(cpu: Cpu): void {
  if (!cpu.mode64) throw new GuestFault(Vec.UD);
  if (cpu.cpl !== 0) throw new GuestFault(Vec.GP, 0);
  const gs = cpu.seg[Seg.GS]!;
  const old = BigInt.asUintN(64, BigInt(gs.base));
  gs.base = msrNumber(cpu.msr.kernelGsBase);
  cpu.msr.kernelGsBase = old;
}

export function sysenter(cpu: Cpu): void {
  if (cpu.longMode) throw new GuestFault(Vec.UD); // AMD: not in IA-32e mode
  const m = cpu.msr;
  const cs = Number(m.sysenterCs & 0xffffn);
  if (!cpu.protectedMode || (cs & 0xfffc) === 0) throw new GuestFault(Vec.GP, 0);
  cpu.setFlags(cpu.getFlags() & ~(Flag.VM | Flag.IF | Flag.RF));
  loadFlat(cpu.seg[Seg.CS]!, cs & 0xfffc, true, 0, false);
  loadFlat(cpu.seg[Seg.SS]!, (cs + 8) & 0xfffc, false, 0, false);
  cpu.cpl = 0;
  cpu.updateMode();
  setRsp(cpu, Number(m.sysenterEsp & 0xffff_ffffn));
  setRip(cpu, Number(m.sysenterEip & 0xffff_ffffn));
}

/** SYSEXIT (legacy protected mode only on AMD; the REX.W form exists only in 64-bit mode). */
export function sysexit(cpu: Cpu, insn: DecodedInsn): void {
  void insn;
  if (cpu.longMode) throw new GuestFault(Vec.UD); // AMD: not in IA-32e mode
  const cs = Number(cpu.msr.sysenterCs & 0xffffn);
  if (!cpu.protectedMode || cpu.cpl !== 0 || (cs & 0xfffc) === 0) throw new GuestFault(Vec.GP, 0);
  const rip = cpu.lo[2]!;
  const rsp = cpu.lo[1]!;
  loadFlat(cpu.seg[Seg.CS]!, ((cs + 16) & 0xfffc) | 3, true, 3, false);
  loadFlat(cpu.seg[Seg.SS]!, ((cs + 24) & 0xfffc) | 3, false, 3, false);
  cpu.cpl = 3;
  cpu.updateMode();
  setRsp(cpu, rsp);
  setRip(cpu, rip);
}
