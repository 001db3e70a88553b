/**
 * IRET / IRETD / IRETQ (SDM Vol. 2 IRET "Operation"): real mode, v86 (IOPL 3 only, else #GP(0)),
 * protected mode to the same or an outer privilege level, return to v86 (CPL 0, 32-bit IRET with
 * VM set in the popped EFLAGS), and IA-32e mode (IRETQ always pops SS:RSP; a null SS is allowed
 * when returning to 64-bit code at CPL < 3). With EFLAGS.NT = 1 in legacy protected mode IRET
 * returns to the task in the back link (task-switch.ts); in IA-32e mode NT = 1 is #GP(0).
 */
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { fetchDescriptor, invalidateOuterSegments, loadCs, loadNull, loadOuterSs, loadV86, RawDescriptor, selErr } from '../segments.ts';
import { Flag, Seg, SegmentCache } from '../state.ts';
import { DescHi, descDpl, descIsSystem, descLimit, descPresent, descType, SegType, selIsNull, selRpl } from './descriptor.ts';
import { canonicalOf, hi32, isCanonical } from './sysmem.ts';
import { taskReturn } from './task-switch.ts';

const codeDesc = new RawDescriptor();
const ssDesc = new RawDescriptor();
const newSs = new SegmentCache();
const F = Flag;
const ARITH = F.CF | F.PF | F.AF | F.ZF | F.SF | F.TF | F.DF | F.OF | F.NT;

function stackOffset(cpu: Cpu, delta: number): number {
  const sp = cpu.getSp();
  if (cpu.stackSize === 8) return sp + delta;
  return ((sp + delta) & (cpu.stackSize === 4 ? 0xffff_ffff : 0xffff)) >>> 0;
}

function load(cpu: Cpu, index: number, w: number): number {
  const off = stackOffset(cpu, index * w);
  if (w === 8) {
    const v = cpu.read64(Seg.SS, off);
    return canonicalOf(Number(v & 0xffff_ffffn), Number(v >> 32n));
  }
  return cpu.read(Seg.SS, off, w);
}

/** EFLAGS after a protected-mode IRET: what the old CPL may change (SDM IRET, EFLAGS rules). */
function mergeFlags(cpu: Cpu, temp: number, w: number, cpl: number): number {
  const iopl = (cpu.flags >>> 12) & 3;
  let mask = ARITH;
  if (w >= 4) mask |= F.RF | F.AC | F.ID;
  if (cpl <= iopl) mask |= F.IF;
  if (cpl === 0) mask |= F.IOPL | (w >= 4 ? F.VIF | F.VIP : 0);
  if (w === 2) mask &= 0xffff;
  return (cpu.flags & ~mask) | (temp & mask);
}

/** IRET; a completed IRET ends NMI blocking (SDM Vol. 3A §6.7.1). */
export function iret(cpu: Cpu, insn: DecodedInsn): void {
  iretBody(cpu, insn);
  if (cpu.nmiBlocked) cpu.unblockNmi();
}

function iretBody(cpu: Cpu, insn: DecodedInsn): void {
  const w = insn.osz;
  const v86 = cpu.protectedMode && (cpu.flags & F.VM) !== 0;
  if (!cpu.protectedMode || v86) return iretReal(cpu, w, v86);
  if ((cpu.flags & F.NT) !== 0) {
    if (cpu.longMode) throw new GuestFault(Vec.GP, 0);
    return taskReturn(cpu);
  }
  const ip = load(cpu, 0, w);
  const sel = load(cpu, 1, w) & 0xffff;
  const temp = load(cpu, 2, w) >>> 0;
  const cpl = cpu.cpl;
  if (!cpu.longMode && w === 4 && (temp & F.VM) !== 0 && cpl === 0) return iretToV86(cpu, ip, sel, temp);

  if (selIsNull(sel)) throw new GuestFault(Vec.GP, 0);
  const rpl = selRpl(sel);
  if (rpl < cpl) throw new GuestFault(Vec.GP, selErr(sel, 0));
  fetchDescriptor(cpu, sel, codeDesc, Vec.GP, 0);
  const hi = codeDesc.hi;
  if (descIsSystem(hi) || (descType(hi) & SegType.CODE) === 0) throw new GuestFault(Vec.GP, selErr(sel, 0));
  const dpl = descDpl(hi);
  if ((descType(hi) & SegType.CONFORMING) !== 0 ? dpl > rpl : dpl !== rpl) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
  const target64 = cpu.longMode && (hi & DescHi.L) !== 0;
  if (cpu.longMode && (hi & (DescHi.L | DescHi.DB)) === (DescHi.L | DescHi.DB)) throw new GuestFault(Vec.GP, selErr(sel, 0));
  const nip = w === 2 ? ip & 0xffff : w === 4 ? ip >>> 0 : ip;
  if (target64 ? !isCanonical(nip) : nip > descLimit(codeDesc.lo, hi)) throw new GuestFault(Vec.GP, 0);
  const flags = mergeFlags(cpu, temp, w, cpl);

  const popsStack = rpl !== cpl || (cpu.longMode && (w === 8 || cpu.mode64));
  if (!popsStack) {
    cpu.setSp(stackOffset(cpu, 3 * w));
    cpu.setFlags(flags);
    loadCs(cpu, sel, codeDesc, cpl);
    cpu.nextIp = nip;
    return;
  }
  const nsp = load(cpu, 3, w);
  const ssSel = load(cpu, 4, w) & 0xffff;
  if (selIsNull(ssSel)) {
    if (!(target64 && rpl !== 3)) throw new GuestFault(Vec.GP, 0);
    loadNull(newSs, ssSel);
    newSs.dpl = rpl;
  } else {
    loadOuterSs(cpu, ssSel, rpl, ssDesc, newSs);
  }
  cpu.setFlags(flags);
  cpu.seg[Seg.SS]!.copyFrom(newSs);
  loadCs(cpu, sel, codeDesc, rpl);
  if (cpu.stackSize === 8 || w === 8) {
    cpu.lo[4] = nsp >>> 0;
    cpu.hi[4] = w === 8 ? hi32(nsp) : 0;
  } else if (cpu.stackSize === 4) {
    cpu.lo[4] = nsp >>> 0;
    cpu.hi[4] = 0;
  } else {
    cpu.lo[4] = ((cpu.lo[4]! & 0xffff_0000) | (nsp & 0xffff)) >>> 0;
  }
  if (rpl > cpl) invalidateOuterSegments(cpu);
  cpu.nextIp = nip;
}

function iretReal(cpu: Cpu, w: number, v86: boolean): void {
  if (v86 && ((cpu.flags >>> 12) & 3) < 3) throw new GuestFault(Vec.GP, 0);
  if (w === 8) throw new GuestFault(Vec.UD);
  const ip = load(cpu, 0, w);
  const sel = load(cpu, 1, w) & 0xffff;
  const temp = load(cpu, 2, w) >>> 0;
  const cs = cpu.seg[Seg.CS]!;
  const nip = w === 2 ? ip & 0xffff : ip >>> 0;
  if (nip > (v86 ? 0xffff : cs.limit)) throw new GuestFault(Vec.GP, 0);
  let flags: number;
  if (v86) {
    // IOPL, VM, VIP and VIF are not changed from v86 mode.
    const keep = F.VM | F.IOPL | F.VIP | F.VIF | (w === 2 ? 0xffff_0000 : 0);
    flags = (cpu.flags & keep) | (temp & ~keep);
  } else if (w === 4) {
    flags = (temp & 0x257fd5) | (cpu.flags & 0x1a0000);
  } else {
    flags = (cpu.flags & 0xffff_0000) | (temp & 0xffff);
  }
  cpu.setSp(stackOffset(cpu, 3 * w));
  cpu.setFlags(flags);
  if (v86) loadV86(cs, sel, true);
  else cs.loadReal(sel);
  cpu.nextIp = nip;
}

/** IRETD at CPL 0 with VM = 1 in the popped EFLAGS: enter virtual-8086 mode. */
function iretToV86(cpu: Cpu, ip: number, sel: number, temp: number): void {
  const esp = load(cpu, 3, 4);
  const ss = load(cpu, 4, 4) & 0xffff;
  const es = load(cpu, 5, 4) & 0xffff;
  const ds = load(cpu, 6, 4) & 0xffff;
  const fs = load(cpu, 7, 4) & 0xffff;
  const gs = load(cpu, 8, 4) & 0xffff;
  if ((ip & 0xffff) !== ip) throw new GuestFault(Vec.GP, 0);
  cpu.setFlags(temp);
  loadV86(cpu.seg[Seg.CS]!, sel, true);
  loadV86(cpu.seg[Seg.SS]!, ss, false);
  loadV86(cpu.seg[Seg.ES]!, es, false);
  loadV86(cpu.seg[Seg.DS]!, ds, false);
  loadV86(cpu.seg[Seg.FS]!, fs, false);
  loadV86(cpu.seg[Seg.GS]!, gs, false);
  cpu.lo[4] = esp >>> 0;
  cpu.hi[4] = 0;
  cpu.cpl = 3;
  cpu.updateMode();
  cpu.nextIp = ip;
}
