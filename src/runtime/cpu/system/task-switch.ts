/**
 * Hardware task switching (SDM Vol. 3A §7.3 "Task Switching", Table 7-1 "Exception Conditions
 * Checked During a Task Switch"; Vol. 2 JMP/CALL/INT n/IRET "Operation"), legacy protected mode
 * only (IA-32e mode has none: those paths raise #GP before getting here).
 *
 * Entry points: `switchTasks` (JMP/CALL to a TSS descriptor or through a task gate, from far.ts;
 * INT n/exceptions through a task gate in the IDT, from interrupts.ts) and `taskReturn` (IRET
 * with EFLAGS.NT = 1, from iret.ts). The switch runs in the SDM's order:
 *
 * 1. Before the commit (any fault is restartable, raised in the old task): the new TSS limit
 *    (#TS), the old TSS limit (#TS), the whole new TSS read into scratch, and the pages of the
 *    old TSS's save area, the new TSS's link field and both TSS descriptors translated for
 *    writing (step 5: "paged into system memory"), so nothing after the commit can #PF there.
 * 2. Commit: busy bit of the old descriptor cleared (JMP, IRET), the old task's state saved
 *    (EIP, EFLAGS — NT cleared for IRET — GPRs, segment selectors), the back link written and NT
 *    set (CALL, interrupt), the new descriptor marked busy (JMP, CALL, interrupt), TR loaded.
 *    CR0.TS and CR3 (32-bit TSS) belong to the monitor: one TaskSwitchExit hands them over.
 * 3. The new task's state: EFLAGS, EIP, GPRs, then LDTR, CS, SS, DS, ES, FS, GS with the checks
 *    of Table 7-1 (#TS/#NP/#SS with the selector and EXT). A fault here is raised in the new
 *    task (cpu.ip is already the new EIP) and is not combined with the event that caused the
 *    switch (takeNewTaskFault tells interrupts.ts). In a v86 task (EFLAGS.VM) segments load as v86.
 *
 * A 16-bit TSS loads the low 16 bits of the GPRs and sets the upper halves to FFFFh, and has
 * no CR3 (as QEMU and Bochs do; the SDM leaves it open). Not modelled: the T (debug trap) bit,
 * the I/O permission bitmap.
 */
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { fetchDescriptor, fillCache, loadNull, loadV86, RawDescriptor, selErr, setAccessed, withinLimit } from '../segments.ts';
import { Flag, Seg } from '../state.ts';
import { Access } from '../../mmu/types.ts';
import { NestedPageFault } from '../../mmu/nested-fault.ts';
import { descBase, descDpl, descIsSystem, descLimit, descPresent, descType, SegType, selIsNull, selRpl, SysType } from './descriptor.ts';
import { linRead, linWrite, sysWrite } from './sysmem.ts';

/** What started the switch: decides busy bits, the back link and NT (SDM §7.3 steps 6-11). */
export const enum TaskSource {
  Jmp = 0,
  Call = 1,
  /** INT n, an exception or an external interrupt through a task gate. */
  Interrupt = 2,
  Iret = 3,
}

/** Busy bit of a TSS descriptor's type (type 9 ↔ 11, 1 ↔ 3): bit 9 of the high dword. */
const BUSY = 1 << 9;
/** Minimum TSS limits (SDM §7.2.1, Table 7-1 check 3). */
const TSS32_MIN_LIMIT = 0x67;
const TSS16_MIN_LIMIT = 0x2b;
/** Monitor fills enterWithFills allows (a new task touches at most ~10 pages). */
const MAX_FILLS = 32;

const oldDesc = new RawDescriptor();
const newDesc = new RawDescriptor();
const segDesc = new RawDescriptor();
/** The new task's state as read before the commit. */
const next = { eip: 0, eflags: 0, cr3: 0, ldt: 0, regs: new Uint32Array(8), sels: new Uint16Array(6) };

/** Set when a fault left a switch after its commit: it belongs to the new task (takeNewTaskFault). */
let newTaskFault = false;

/**
 * Did the last fault come from a task switch after its commit? (Read and cleared by interrupt
 * delivery: such a fault is the new task's, raised before its first instruction, and does not
 * combine with the event that switched tasks into a #DF.)
 */
export function takeNewTaskFault(): boolean {
  const v = newTaskFault;
  newTaskFault = false;
  return v;
}

function isTss32(type: number): boolean {
  return (type & 8) !== 0;
}

/** Is the TSS descriptor type available (not busy): 1 or 9? */
export function isAvailableTss(type: number): boolean {
  return type === SysType.TSS_AVAIL || type === SysType.TSS16_AVAIL;
}

export function isBusyTss(type: number): boolean {
  return type === SysType.TSS_BUSY || type === SysType.TSS16_BUSY;
}

/**
 * Fetch and check the TSS descriptor a task gate (or IRET's back link) names: GDT only,
 * not-busy (or busy for IRET), present. `vector` is #GP for JMP/CALL/INT and #TS for IRET.
 */
export function fetchTssDescriptor(cpu: Cpu, sel: number, source: TaskSource, ext: number): RawDescriptor {
  const vector = source === TaskSource.Iret ? Vec.TS : Vec.GP;
  if ((sel & 4) !== 0 || selIsNull(sel)) throw new GuestFault(vector, selErr(sel, ext));
  fetchDescriptor(cpu, sel, newDesc, vector, ext);
  const hi = newDesc.hi;
  const type = descType(hi);
  const ok = descIsSystem(hi) && (source === TaskSource.Iret ? isBusyTss(type) : isAvailableTss(type));
  if (!ok) throw new GuestFault(vector, selErr(sel, ext));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, ext));
  return newDesc;
}

/** Translate the pages of [lin, lin + size) for a supervisor write (faults before the commit). */
function touchForWrite(cpu: Cpu, lin: number, size: number): void {
  cpu.mem.translate(lin, Access.Write, false);
  const last = (lin + size - 1) >>> 0;
  if (last >>> 12 !== lin >>> 12) cpu.mem.translate(last, Access.Write, false);
}

function readNewTss(cpu: Cpu, base: number, tss32: boolean): void {
  const rd = (off: number, size: 2 | 4): number => linRead(cpu, (base + off) >>> 0, size, false);
  if (tss32) {
    next.cr3 = rd(0x1c, 4);
    next.eip = rd(0x20, 4);
    next.eflags = rd(0x24, 4);
    for (let i = 0; i < 8; i++) next.regs[i] = rd(0x28 + 4 * i, 4);
    for (let s = 0; s < 6; s++) next.sels[s] = rd(0x48 + 4 * s, 2);
    next.ldt = rd(0x60, 2);
  } else {
    next.cr3 = 0;
    next.eip = rd(0x0e, 2);
    next.eflags = rd(0x10, 2);
    for (let i = 0; i < 8; i++) next.regs[i] = (0xffff_0000 | rd(0x12 + 2 * i, 2)) >>> 0;
    for (let s = 0; s < 4; s++) next.sels[s] = rd(0x22 + 2 * s, 2); // ES CS SS DS
    next.sels[Seg.FS] = 0;
    next.sels[Seg.GS] = 0;
    next.ldt = rd(0x2a, 2);
  }
}

function saveOldTss(cpu: Cpu, base: number, tss32: boolean, eip: number, eflags: number): void {
  const wr = (off: number, size: 2 | 4, v: number): void => sysWrite(cpu, (base + off) >>> 0, size, v);
  if (tss32) {
    wr(0x20, 4, eip);
    wr(0x24, 4, eflags);
    for (let i = 0; i < 8; i++) wr(0x28 + 4 * i, 4, cpu.lo[i]!);
    for (let s = 0; s < 6; s++) wr(0x48 + 4 * s, 2, cpu.seg[s]!.selector);
  } else {
    wr(0x0e, 2, eip & 0xffff);
    wr(0x10, 2, eflags & 0xffff);
    for (let i = 0; i < 8; i++) wr(0x12 + 2 * i, 2, cpu.lo[i]! & 0xffff);
    for (let s = 0; s < 4; s++) wr(0x22 + 2 * s, 2, cpu.seg[s]!.selector);
  }
}

/**
 * Switch to the task whose TSS descriptor `desc` (already checked: type, busy, present — see
 * fetchTssDescriptor and far.ts) selector `sel` names. `returnIp` is the EIP saved in the old
 * task; `errorCode` (interrupt source only) is pushed on the new task's stack. `ext` goes into
 * the error codes of the faults. On return cpu.ip and cpu.nextIp are the new task's EIP.
 */
export function switchTasks(cpu: Cpu, sel: number, desc: RawDescriptor, source: TaskSource, ext: number, returnIp: number, errorCode?: number): void {
  const newType = descType(desc.hi);
  const newTss32 = isTss32(newType);
  const newBase = descBase(desc.lo, desc.hi);
  const newLimit = descLimit(desc.lo, desc.hi);
  if (newLimit < (newTss32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) throw new GuestFault(Vec.TS, selErr(sel, ext));
  const tr = cpu.seg[Seg.TR]!;
  const oldTss32 = isTss32(tr.type);
  if (!tr.usable || selIsNull(tr.selector) || tr.limit < (oldTss32 ? 0x5f : 0x29)) throw new GuestFault(Vec.TS, selErr(tr.selector, ext));
  // The old TSS descriptor (its busy bit changes for JMP/IRET).
  fetchDescriptor(cpu, tr.selector, oldDesc, Vec.TS, ext);
  // Step 5: every page the commit writes is present and writable; the new TSS is read now.
  touchForWrite(cpu, (tr.base + (oldTss32 ? 0x20 : 0x0e)) >>> 0, oldTss32 ? 0x40 : 0x1c);
  touchForWrite(cpu, newBase, 2);
  touchForWrite(cpu, oldDesc.addr + 4, 4);
  touchForWrite(cpu, desc.addr + 4, 4);
  readNewTss(cpu, newBase, newTss32);

  // ---- commit ----
  try {
    const oldSel = tr.selector;
    if (source === TaskSource.Jmp || source === TaskSource.Iret) {
      sysWrite(cpu, oldDesc.addr + 4, 4, oldDesc.hi & ~BUSY);
      // A task returning to itself reads its own descriptor afresh below.
      if (oldDesc.addr === desc.addr) desc.hi &= ~BUSY;
    }
    let savedFlags = cpu.getFlags();
    if (source === TaskSource.Iret) savedFlags &= ~Flag.NT;
    saveOldTss(cpu, tr.base, oldTss32, returnIp, savedFlags);
    let eflags = next.eflags;
    if (source === TaskSource.Call || source === TaskSource.Interrupt) {
      sysWrite(cpu, newBase, 2, oldSel);
      eflags |= Flag.NT;
    }
    if (source !== TaskSource.Iret) desc.hi |= BUSY;
    sysWrite(cpu, desc.addr + 4, 4, desc.hi);
    fillCache(tr, sel, desc);
    tr.usable = true;

    // CR0.TS and CR3 are the monitor's (TaskSwitchExit). Its faults are the new task's.
    cpu.exit({ reason: 'task-switch', cr3: newTss32 ? next.cr3 : null });
    if (cpu.stopReason !== null) return;

    enterWithFills(cpu, newTss32, eflags, ext, errorCode);
  } catch (e) {
    if (e instanceof GuestFault) newTaskFault = true;
    throw e;
  }
}

/**
 * The new task's state (after the commit and the CR3 load), re-run from the start when a read
 * faults in a way the monitor takes: under shadow paging the new CR3's shadow tables start
 * empty, so the descriptor reads #PF into the monitor, which fills them (nested paging: the
 * same with nested faults). A VMM emulating a task switch reads these through the guest's own
 * tables; here the monitor fills and the hardware retries. A #PF the monitor gives back to the
 * guest (or any other fault) is raised in the new task.
 */
function enterWithFills(cpu: Cpu, tss32: boolean, eflags: number, ext: number, errorCode: number | undefined): void {
  for (let attempt = 0; ; attempt++) {
    try {
      enterNewTask(cpu, tss32, eflags, ext, errorCode);
      return;
    } catch (e) {
      if (attempt >= MAX_FILLS) throw e;
      if (e instanceof NestedPageFault) {
        cpu.exit({ reason: 'npf', guestPhysical: e.guestPhysical, errorCode: e.errorCode });
      } else if (e instanceof GuestFault && e.vector === Vec.PF && ((cpu.intercepts.exceptionBitmap >>> Vec.PF) & 1) !== 0) {
        cpu.exit({ reason: 'exception', vector: e.vector, errorCode: e.errorCode, faultAddress: e.address });
      } else {
        throw e;
      }
      // The monitor injected the fault (the guest's own tables do not map it) or stopped.
      if (cpu.stopReason !== null || cpu.pending !== null) return;
    }
  }
}

/** Registers, then segments (Table 7-1 checks), then the EIP limit and the error code. */
function enterNewTask(cpu: Cpu, tss32: boolean, eflags: number, ext: number, errorCode: number | undefined): void {
  // A 16-bit TSS has FLAGS only (upper EFLAGS bits clear).
  cpu.setFlags(tss32 ? eflags : eflags & 0xffff);
  for (let i = 0; i < 8; i++) {
    cpu.lo[i] = next.regs[i]!;
    cpu.hi[i] = 0;
  }
  const eip = tss32 ? next.eip : next.eip & 0xffff;
  cpu.ip = eip;
  cpu.nextIp = eip;
  loadTaskSegments(cpu, ext);
  if (eip > cpu.seg[Seg.CS]!.limit) throw new GuestFault(Vec.GP, ext);
  if (errorCode !== undefined) pushErrorCode(cpu, errorCode, tss32 ? 4 : 2, ext);
}

/** IRET with NT = 1: back to the task in the current TSS's back link (SDM IRET "TASK-RETURN"). */
export function taskReturn(cpu: Cpu): void {
  const tr = cpu.seg[Seg.TR]!;
  if (!tr.usable || tr.limit < 1) throw new GuestFault(Vec.TS, selErr(tr.selector, 0));
  const link = linRead(cpu, tr.base, 2, false);
  const desc = fetchTssDescriptor(cpu, link, TaskSource.Iret, 0);
  switchTasks(cpu, link, desc, TaskSource.Iret, 0, cpu.nextIp);
}

/** An exception's error code on the new task's stack (INT n "Operation", TASK-GATE). */
function pushErrorCode(cpu: Cpu, errorCode: number, w: 2 | 4, ext: number): void {
  const ss = cpu.seg[Seg.SS]!;
  const mask = ss.db ? 0xffff_ffff : 0xffff;
  const sp = ((cpu.lo[4]! - w) & mask) >>> 0;
  if (!withinLimit(ss, sp, w)) throw new GuestFault(Vec.SS, ext);
  linWrite(cpu, (ss.base + sp) >>> 0, w, errorCode, cpu.cpl === 3);
  cpu.lo[4] = ss.db ? sp : ((cpu.lo[4]! & 0xffff_0000) | sp) >>> 0;
}

/** LDTR and the segment registers of the new task, with Table 7-1's checks (after the commit). */
function loadTaskSegments(cpu: Cpu, ext: number): void {
  const sels = next.sels;
  // The selectors are the new task's even when a check below faults.
  for (let s = 0; s < 6; s++) cpu.seg[s]!.selector = sels[s]!;
  loadLdt(cpu, next.ldt, ext);
  if ((cpu.flags & Flag.VM) !== 0) {
    for (let s = 0; s < 6; s++) loadV86(cpu.seg[s]!, sels[s]!, s === Seg.CS);
    cpu.cpl = 3;
    cpu.updateMode();
    return;
  }
  for (const s of [Seg.ES, Seg.DS, Seg.FS, Seg.GS] as const) cpu.seg[s]!.usable = false;
  const csSel = sels[Seg.CS]!;
  const cpl = selRpl(csSel);
  // CS: a code segment, DPL = RPL (conforming: DPL ≤ RPL), present.
  if (selIsNull(csSel)) throw new GuestFault(Vec.TS, selErr(csSel, ext));
  fetchDescriptor(cpu, csSel, segDesc, Vec.TS, ext);
  let hi = segDesc.hi;
  const conforming = (descType(hi) & SegType.CONFORMING) !== 0;
  if (descIsSystem(hi) || (descType(hi) & SegType.CODE) === 0 || (conforming ? descDpl(hi) > cpl : descDpl(hi) !== cpl)) {
    throw new GuestFault(Vec.TS, selErr(csSel, ext));
  }
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(csSel, ext));
  setAccessed(cpu, segDesc);
  fillCache(cpu.seg[Seg.CS]!, csSel, segDesc);
  cpu.cpl = cpl;
  // SS: writable data, RPL = DPL = CPL, present (#SS).
  const ssSel = sels[Seg.SS]!;
  if (selIsNull(ssSel)) throw new GuestFault(Vec.TS, selErr(ssSel, ext));
  fetchDescriptor(cpu, ssSel, segDesc, Vec.TS, ext);
  hi = segDesc.hi;
  const t = descType(hi);
  if (descIsSystem(hi) || (t & SegType.CODE) !== 0 || (t & SegType.WRITABLE) === 0 || selRpl(ssSel) !== cpl || descDpl(hi) !== cpl) {
    throw new GuestFault(Vec.TS, selErr(ssSel, ext));
  }
  if (!descPresent(hi)) throw new GuestFault(Vec.SS, selErr(ssSel, ext));
  setAccessed(cpu, segDesc);
  fillCache(cpu.seg[Seg.SS]!, ssSel, segDesc);
  cpu.updateMode();
  // DS, ES, FS, GS: null, or data / readable code with DPL ≥ max(CPL, RPL) unless conforming.
  for (const s of [Seg.DS, Seg.ES, Seg.FS, Seg.GS] as const) {
    const sel = sels[s]!;
    const cache = cpu.seg[s]!;
    if (selIsNull(sel)) {
      loadNull(cache, sel);
      continue;
    }
    fetchDescriptor(cpu, sel, segDesc, Vec.TS, ext);
    hi = segDesc.hi;
    const ty = descType(hi);
    if (descIsSystem(hi) || ((ty & SegType.CODE) !== 0 && (ty & SegType.READABLE) === 0)) throw new GuestFault(Vec.TS, selErr(sel, ext));
    const conformingCode = (ty & (SegType.CODE | SegType.CONFORMING)) === (SegType.CODE | SegType.CONFORMING);
    if (!conformingCode && (descDpl(hi) < cpl || descDpl(hi) < selRpl(sel))) throw new GuestFault(Vec.TS, selErr(sel, ext));
    if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, ext));
    setAccessed(cpu, segDesc);
    fillCache(cache, sel, segDesc);
  }
}

/** The new task's LDTR: null (unusable), or an LDT descriptor in the GDT, present (#TS otherwise). */
function loadLdt(cpu: Cpu, sel: number, ext: number): void {
  const ldtr = cpu.seg[Seg.LDTR]!;
  loadNull(ldtr, sel); // unusable until its descriptor checks out
  if (selIsNull(sel)) return;
  if ((sel & 4) !== 0) throw new GuestFault(Vec.TS, selErr(sel, ext));
  fetchDescriptor(cpu, sel, segDesc, Vec.TS, ext);
  const hi = segDesc.hi;
  if (!descIsSystem(hi) || descType(hi) !== SysType.LDT || !descPresent(hi)) throw new GuestFault(Vec.TS, selErr(sel, ext));
  fillCache(ldtr, sel, segDesc);
}
