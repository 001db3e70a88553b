/**
 * SYSCALL / SYSRET (EFER.SCE, STAR, LSTAR, SFMASK), SWAPGS (KERNEL_GS_BASE) and
 * SYSENTER / SYSEXIT (SYSENTER_CS/ESP/EIP), Intel semantics (SDM Vol. 2): SYSCALL and SYSRET are
 * #UD outside 64-bit mode or with SCE = 0 (R70). The flat CS/SS caches these instructions load
 * are fixed by the architecture, not read from the GDT.
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

export function syscall(cpu: Cpu): void {
  if (!cpu.mode64 || (Number(cpu.hw.efer & 0xffffn) & Efer.SCE) === 0) throw new GuestFault(Vec.UD);
  const m = cpu.msr;
  const ret = cpu.nextIp;
  cpu.lo[1] = ret >>> 0; // RCX
  cpu.hi[1] = hi32(ret);
  const flags = cpu.getFlags();
  cpu.lo[11] = (flags & ~Flag.RF) >>> 0; // R11
  cpu.hi[11] = 0;
  const sel = Number((m.star >> 32n) & 0xffffn);
  cpu.setFlags(flags & ~Number(m.sfmask & 0xffff_ffffn) & ~(Flag.RF | Flag.VM));
  loadFlat(cpu.seg[Seg.CS]!, sel & 0xfffc, true, 0, true);
  loadFlat(cpu.seg[Seg.SS]!, (sel + 8) & 0xfffc, false, 0, false);
  cpu.cpl = 0;
  cpu.updateMode();
  setRip(cpu, msrNumber(m.lstar));
}

export function sysret(cpu: Cpu, insn: DecodedInsn): void {
  if (!cpu.mode64 || (Number(cpu.hw.efer & 0xffffn) & Efer.SCE) === 0) throw new GuestFault(Vec.UD);
  if (cpu.cpl !== 0) throw new GuestFault(Vec.GP, 0);
  const to64 = insn.osz === 8;
  const rip = to64 ? cpu.getRegNum64(1) : cpu.lo[1]!;
  if (to64 && !isCanonical(rip)) throw new GuestFault(Vec.GP, 0);
  const base = Number((cpu.msr.star >> 48n) & 0xffffn);
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
  const m = cpu.msr;
  const cs = Number(m.sysenterCs & 0xffffn);
  if (!cpu.protectedMode || (cs & 0xfffc) === 0) throw new GuestFault(Vec.GP, 0);
  cpu.setFlags(cpu.getFlags() & ~(Flag.VM | Flag.IF | Flag.RF));
  const long = cpu.longMode;
  loadFlat(cpu.seg[Seg.CS]!, cs & 0xfffc, true, 0, long);
  loadFlat(cpu.seg[Seg.SS]!, (cs + 8) & 0xfffc, false, 0, false);
  cpu.cpl = 0;
  cpu.updateMode();
  const esp = msrNumber(m.sysenterEsp);
  const eip = msrNumber(m.sysenterEip);
  setRsp(cpu, long ? esp : esp >>> 0);
  setRip(cpu, long ? eip : eip >>> 0);
}

export function sysexit(cpu: Cpu, insn: DecodedInsn): void {
  const cs = Number(cpu.msr.sysenterCs & 0xffffn);
  if (!cpu.protectedMode || cpu.cpl !== 0 || (cs & 0xfffc) === 0) throw new GuestFault(Vec.GP, 0);
  const to64 = insn.osz === 8;
  const rip = to64 ? cpu.getRegNum64(2) : cpu.lo[2]!;
  const rsp = to64 ? cpu.getRegNum64(1) : cpu.lo[1]!;
  if (to64 && (!isCanonical(rip) || !isCanonical(rsp))) throw new GuestFault(Vec.GP, 0);
  loadFlat(cpu.seg[Seg.CS]!, ((to64 ? cs + 32 : cs + 16) & 0xfffc) | 3, true, 3, to64);
  loadFlat(cpu.seg[Seg.SS]!, ((to64 ? cs + 40 : cs + 24) & 0xfffc) | 3, false, 3, false);
  cpu.cpl = 3;
  cpu.updateMode();
  setRsp(cpu, rsp);
  setRip(cpu, rip);
}
