/**
 * Far control transfers (SDM Vol. 2 JMP, CALL, RET "Operation"; Vol. 3A §5.8): far JMP/CALL to
 * a code segment or through a call gate (16/32-bit legacy gates, 64-bit gates in IA-32e mode),
 * CALL through a gate to a more privileged non-conforming segment with the TSS stack switch and
 * parameter copy, and far RET (with imm16) to the same or an outer privilege level. Real mode and
 * v86 load CS as selector << 4. Transfers between 64-bit and compatibility code follow the
 * target descriptor's L/D bits. A TSS descriptor or task gate target switches tasks
 * (system/task-switch.ts) outside IA-32e mode; in it such targets are #GP(selector).
 *
 * Every check and every read that can fault happens before the first register write; stack
 * stores go first too (a faulting store leaves registers unchanged).
 */
import type { Cpu } from './cpu.ts';
import { OpK, type DecodedInsn } from './decoded.ts';
import { GuestFault, Vec } from './fault.ts';
import { readTss64, readTssStack } from './interrupts.ts';
import {
  fetchDescriptor,
  invalidateOuterSegments,
  loadCs,
  loadNull,
  loadOuterSs,
  loadV86,
  RawDescriptor,
  selErr,
  setAccessed,
  withinLimit,
} from './segments.ts';
import { Flag, Seg, SegmentCache } from './state.ts';
import {
  DescHi,
  descDpl,
  descIsSystem,
  descLimit,
  descPresent,
  descType,
  gateOffset,
  gateParamCount,
  gateSelector,
  SegType,
  selIsNull,
  selRpl,
  SysType,
} from './system/descriptor.ts';
import { ea } from './core/operands.ts';
import { fetchTssDescriptor, isAvailableTss, isBusyTss, switchTasks, TaskSource } from './system/task-switch.ts';
import { canonicalOf, hi32, isCanonical, linWrite } from './system/sysmem.ts';

const target = new RawDescriptor();
const codeDesc = new RawDescriptor();
const ssDesc = new RawDescriptor();
const newSs = new SegmentCache();
const params = new Uint32Array(32);

/** Decoded far pointer of the current instruction. */
const ptr = { sel: 0, off: 0 };

/**
 * Far JMP/CALL to a TSS descriptor or a task gate (SDM JMP/CALL "Operation", TASK-GATE and
 * TASK-STATE-SEGMENT): DPL ≥ CPL and ≥ RPL, else #GP(selector); a TSS must be in the GDT and
 * available (#GP), present (#NP); a gate present (#NP), its TSS checked by fetchTssDescriptor.
 */
function farTaskSwitch(cpu: Cpu, sel: number, call: boolean): void {
  const hi = target.hi;
  const dpl = descDpl(hi);
  if (dpl < cpu.cpl || dpl < selRpl(sel)) throw new GuestFault(Vec.GP, selErr(sel, 0));
  const source = call ? TaskSource.Call : TaskSource.Jmp;
  if (descType(hi) === SysType.TASK_GATE) {
    if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
    const tssSel = gateSelector(target.lo);
    switchTasks(cpu, tssSel, fetchTssDescriptor(cpu, tssSel, source, 0), source, 0, cpu.nextIp);
    return;
  }
  if ((sel & 4) !== 0 || !isAvailableTss(descType(hi))) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
  switchTasks(cpu, sel, target, source, 0, cpu.nextIp);
}

/** Read the far pointer operand (ptr16:16/32 immediate or m16:16/32/64). */
function readFarPointer(cpu: Cpu, insn: DecodedInsn): void {
  if (insn.k0 === OpK.FarPtr) {
    ptr.sel = insn.farSel;
    ptr.off = insn.farOff;
    return;
  }
  const off = ea(cpu, insn);
  const w = insn.osz;
  if (w === 8) {
    const v = cpu.read64(insn.seg, off);
    ptr.off = canonicalOf(Number(v & 0xffff_ffffn), Number(v >> 32n));
  } else {
    ptr.off = cpu.read(insn.seg, off, w);
  }
  ptr.sel = cpu.read(insn.seg, cpu.mode64 ? off + w : (off + w) & (insn.addrSize === 2 ? 0xffff : 0xffff_ffff), 2);
}

function stackMask(cpu: Cpu): number {
  return cpu.stackSize === 4 ? 0xffff_ffff : 0xffff;
}

/** SP + delta in the current stack's width (signed-canonical in 64-bit mode). */
function spPlus(cpu: Cpu, delta: number): number {
  const sp = cpu.getSp();
  if (cpu.stackSize === 8) return sp + delta;
  return ((sp + delta) & stackMask(cpu)) >>> 0;
}

/** Store `w` bytes at SS:offset (current SS). */
function stackStore(cpu: Cpu, offset: number, w: number, value: number): void {
  if (w === 8) cpu.write64(Seg.SS, offset, BigInt.asUintN(64, BigInt(value)));
  else cpu.write(Seg.SS, offset, w, value);
}

function stackLoad(cpu: Cpu, offset: number, w: number): number {
  if (w === 8) {
    const v = cpu.read64(Seg.SS, offset);
    return canonicalOf(Number(v & 0xffff_ffffn), Number(v >> 32n));
  }
  return cpu.read(Seg.SS, offset, w);
}

/** Push CS and the return address on the current stack (far CALL, same privilege). */
function pushReturn(cpu: Cpu, w: number): void {
  const a = spPlus(cpu, -w);
  const b = spPlus(cpu, -2 * w);
  stackStore(cpu, a, w, cpu.seg[Seg.CS]!.selector);
  stackStore(cpu, b, w, w === 2 ? cpu.nextIp & 0xffff : cpu.nextIp);
  cpu.setSp(b);
}

// ---------------------------------------------------------------------------------------------
// Real mode and v86
// ---------------------------------------------------------------------------------------------

function realTransfer(cpu: Cpu, sel: number, off: number, w: number, call: boolean): void {
  const cs = cpu.seg[Seg.CS]!;
  const ip = w === 2 ? off & 0xffff : off >>> 0;
  if (ip > cs.limit) throw new GuestFault(Vec.GP, 0);
  if (call) pushReturn(cpu, w);
  if ((cpu.flags & Flag.VM) !== 0) loadV86(cs, sel, true);
  else {
    cs.loadReal(sel);
    cpu.cpl = 0;
  }
  cpu.nextIp = ip;
}

// ---------------------------------------------------------------------------------------------
// Protected and IA-32e mode
// ---------------------------------------------------------------------------------------------

/** Offset check against a code descriptor: limit outside 64-bit code, canonical in it. */
function checkTargetOffset(d: RawDescriptor, longMode: boolean, off: number): void {
  const is64 = longMode && (d.hi & (DescHi.L | DescHi.DB)) === DescHi.L;
  if (is64 ? !isCanonical(off) : off > descLimit(d.lo, d.hi)) throw new GuestFault(Vec.GP, 0);
}

/** L and D both set is reserved in IA-32e mode. */
function checkLD(cpu: Cpu, d: RawDescriptor, sel: number): void {
  if (cpu.longMode && (d.hi & (DescHi.L | DescHi.DB)) === (DescHi.L | DescHi.DB)) throw new GuestFault(Vec.GP, selErr(sel, 0));
}

/** Far JMP/CALL in protected or IA-32e mode. `w` = operand size in bytes. */
function protectedTransfer(cpu: Cpu, sel: number, off: number, w: number, call: boolean): void {
  if (selIsNull(sel)) throw new GuestFault(Vec.GP, 0);
  const cpl = cpu.cpl;
  fetchDescriptor(cpu, sel, target, Vec.GP, 0);
  const hi = target.hi;
  const dpl = descDpl(hi);
  if (!descIsSystem(hi)) {
    if ((descType(hi) & SegType.CODE) === 0) throw new GuestFault(Vec.GP, selErr(sel, 0));
    const conforming = (descType(hi) & SegType.CONFORMING) !== 0;
    if (conforming ? dpl > cpl : selRpl(sel) > cpl || dpl !== cpl) throw new GuestFault(Vec.GP, selErr(sel, 0));
    if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
    checkLD(cpu, target, sel);
    const ip = w === 2 ? off & 0xffff : w === 4 ? off >>> 0 : off;
    checkTargetOffset(target, cpu.longMode, ip);
    if (call) pushReturn(cpu, w);
    loadCs(cpu, sel, target, cpl);
    cpu.nextIp = ip;
    return;
  }
  const type = descType(hi);
  const legacyGate = !cpu.longMode && (type === SysType.CALL_GATE16 || type === SysType.CALL_GATE);
  const longGate = cpu.longMode && type === SysType.CALL_GATE;
  if (!legacyGate && !longGate) {
    const task = type === SysType.TASK_GATE || isAvailableTss(type) || isBusyTss(type);
    if (task && !cpu.longMode) return farTaskSwitch(cpu, sel, call);
    throw new GuestFault(Vec.GP, selErr(sel, 0));
  }
  if (dpl < cpl || dpl < selRpl(sel)) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
  let gateOff = gateOffset(target.lo, hi);
  if (longGate) {
    // 16-byte gate: offset 63:32 in bytes 8-11, bytes 12-15 must have type 0.
    fetchDescriptor(cpu, sel, target, Vec.GP, 0, true);
    if (((target.hi2 >>> 8) & 0x1f) !== 0) throw new GuestFault(Vec.GP, selErr(sel, 0));
    gateOff = canonicalOf(gateOff, target.lo2);
  } else if (type === SysType.CALL_GATE16) {
    gateOff &= 0xffff;
  }
  const csSel = gateSelector(target.lo);
  if (selIsNull(csSel)) throw new GuestFault(Vec.GP, 0);
  fetchDescriptor(cpu, csSel, codeDesc, Vec.GP, 0);
  const chi = codeDesc.hi;
  const cdpl = descDpl(chi);
  const conforming = (descType(chi) & SegType.CONFORMING) !== 0;
  if (descIsSystem(chi) || (descType(chi) & SegType.CODE) === 0 || cdpl > cpl) throw new GuestFault(Vec.GP, selErr(csSel, 0));
  if (!call && !conforming && cdpl !== cpl) throw new GuestFault(Vec.GP, selErr(csSel, 0));
  if (longGate && (chi & (DescHi.L | DescHi.DB)) !== DescHi.L) throw new GuestFault(Vec.GP, selErr(csSel, 0));
  if (!descPresent(chi)) throw new GuestFault(Vec.NP, selErr(csSel, 0));
  checkTargetOffset(codeDesc, cpu.longMode, gateOff);
  const gw = longGate ? 8 : type === SysType.CALL_GATE ? 4 : 2;
  if (!call) {
    loadCs(cpu, csSel, codeDesc, cpl);
    cpu.nextIp = gateOff;
    return;
  }
  if (!conforming && cdpl < cpl) {
    callInner(cpu, csSel, cdpl, gateOff, gw, longGate ? 0 : gateParamCount(hi));
    return;
  }
  pushReturn(cpu, gw);
  loadCs(cpu, csSel, codeDesc, cpl);
  cpu.nextIp = gateOff;
}

/** CALL through a gate to a more privileged level: new stack from the TSS, optional parameter copy. */
function callInner(cpu: Cpu, csSel: number, newCpl: number, ip: number, w: number, count: number): void {
  const oldSs = cpu.seg[Seg.SS]!.selector;
  const oldCs = cpu.seg[Seg.CS]!.selector;
  const ret = cpu.nextIp;
  if (w === 8) {
    const rsp = readTss64(cpu, 4 + 8 * newCpl, 0);
    let p = rsp;
    const put = (lo: number, hiDword: number): void => {
      p -= 8;
      linWrite(cpu, p, 4, lo, false);
      linWrite(cpu, p + 4, 4, hiDword, false);
    };
    put(oldSs, 0);
    put(cpu.lo[4]!, cpu.hi[4]!);
    put(oldCs, 0);
    put(ret >>> 0, cpu.mode64 ? hi32(ret) : 0);
    const ss = cpu.seg[Seg.SS]!;
    loadNull(ss, newCpl);
    ss.dpl = newCpl;
    cpu.lo[4] = p >>> 0;
    cpu.hi[4] = hi32(p);
    loadCs(cpu, csSel, codeDesc, newCpl);
    cpu.nextIp = ip;
    return;
  }
  const esp = readTssStack(cpu, newCpl, 0, newSs, ssDesc);
  // Parameters from the old stack (read before anything changes).
  for (let i = 0; i < count; i++) params[i] = cpu.read(Seg.SS, spPlus(cpu, i * w), w);
  const mask = newSs.db ? 0xffff_ffff : 0xffff;
  const total = (4 + count) * w;
  const top = (esp & mask) >>> 0;
  if (!withinLimit(newSs, ((top - total) & mask) >>> 0, total)) throw new GuestFault(Vec.SS, selErr(newSs.selector, 0));
  let p = top;
  const user = newCpl === 3;
  const put = (v: number): void => {
    p = ((p - w) & mask) >>> 0;
    linWrite(cpu, (newSs.base + p) >>> 0, w as 2 | 4, v, user);
  };
  put(oldSs);
  put(cpu.lo[4]!);
  for (let i = count - 1; i >= 0; i--) put(params[i]!);
  put(oldCs);
  put(ret);
  setAccessed(cpu, ssDesc);
  cpu.seg[Seg.SS]!.copyFrom(newSs);
  cpu.lo[4] = newSs.db ? p >>> 0 : ((esp & 0xffff_0000) | p) >>> 0;
  cpu.hi[4] = 0;
  loadCs(cpu, csSel, codeDesc, newCpl);
  cpu.nextIp = ip;
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

function farTransfer(cpu: Cpu, insn: DecodedInsn, call: boolean): void {
  readFarPointer(cpu, insn);
  const w = insn.k0 === OpK.FarPtr ? insn.s0 : insn.osz;
  if (!cpu.protectedMode || (cpu.flags & Flag.VM) !== 0) realTransfer(cpu, ptr.sel, ptr.off, w, call);
  else protectedTransfer(cpu, ptr.sel, ptr.off, w, call);
}

export function farJmp(cpu: Cpu, insn: DecodedInsn): void {
  farTransfer(cpu, insn, false);
}

export function farCall(cpu: Cpu, insn: DecodedInsn): void {
  farTransfer(cpu, insn, true);
}

/** RETF [imm16]: operand size from the form (Retfw/Retfd/Retfq). */
export function farRet(cpu: Cpu, insn: DecodedInsn): void {
  const w = insn.osz;
  const imm = insn.k0 === OpK.Imm ? insn.imm & 0xffff : 0;
  const ip = stackLoad(cpu, spPlus(cpu, 0), w);
  const sel = stackLoad(cpu, spPlus(cpu, w), w) & 0xffff;
  if (!cpu.protectedMode || (cpu.flags & Flag.VM) !== 0) {
    const cs = cpu.seg[Seg.CS]!;
    const nip = w === 2 ? ip & 0xffff : ip >>> 0;
    if (nip > cs.limit) throw new GuestFault(Vec.GP, 0);
    if ((cpu.flags & Flag.VM) !== 0) loadV86(cs, sel, true);
    else cs.loadReal(sel);
    cpu.setSp(spPlus(cpu, 2 * w + imm));
    cpu.nextIp = nip;
    return;
  }
  const cpl = cpu.cpl;
  if (selIsNull(sel)) throw new GuestFault(Vec.GP, 0);
  const rpl = selRpl(sel);
  if (rpl < cpl) throw new GuestFault(Vec.GP, selErr(sel, 0));
  fetchDescriptor(cpu, sel, codeDesc, Vec.GP, 0);
  const hi = codeDesc.hi;
  const dpl = descDpl(hi);
  if (descIsSystem(hi) || (descType(hi) & SegType.CODE) === 0) throw new GuestFault(Vec.GP, selErr(sel, 0));
  const conforming = (descType(hi) & SegType.CONFORMING) !== 0;
  if (conforming ? dpl > rpl : dpl !== rpl) throw new GuestFault(Vec.GP, selErr(sel, 0));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
  checkLD(cpu, codeDesc, sel);
  const nip = w === 2 ? ip & 0xffff : w === 4 ? ip >>> 0 : ip;
  checkTargetOffset(codeDesc, cpu.longMode, nip);
  if (rpl === cpl) {
    cpu.setSp(spPlus(cpu, 2 * w + imm));
    loadCs(cpu, sel, codeDesc, cpl);
    cpu.nextIp = nip;
    return;
  }
  // Return to an outer level: SS:eSP follow the parameters.
  const nsp = stackLoad(cpu, spPlus(cpu, 2 * w + imm), w);
  const ssSel = stackLoad(cpu, spPlus(cpu, 3 * w + imm), w) & 0xffff;
  const target64 = cpu.longMode && (hi & DescHi.L) !== 0;
  const nullSsOk = target64 && rpl !== 3 && selRpl(ssSel) === rpl;
  if (selIsNull(ssSel) && !nullSsOk) throw new GuestFault(Vec.GP, 0);
  const ss = newSs;
  if (!selIsNull(ssSel)) {
    loadOuterSs(cpu, ssSel, rpl, ssDesc, ss);
  } else {
    loadNull(ss, ssSel);
    ss.dpl = rpl;
  }
  cpu.seg[Seg.SS]!.copyFrom(ss);
  loadCs(cpu, sel, codeDesc, rpl);
  // eSP := saved eSP + imm in the new stack's width.
  if (cpu.stackSize === 8) {
    const v = nsp + imm;
    cpu.lo[4] = v >>> 0;
    cpu.hi[4] = hi32(v);
  } else {
    cpu.setSp((nsp + imm) & (cpu.stackSize === 4 ? 0xffff_ffff : 0xffff));
  }
  invalidateOuterSegments(cpu);
  cpu.nextIp = nip;
}
