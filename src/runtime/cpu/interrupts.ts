/**
 * Exception and interrupt delivery (SDM Vol. 3A ch. 6; INT n/INTO/INT3 "Operation"):
 * - real mode and v86-less legacy: through the IVT (4-byte vectors at IDTR.base), FLAGS/CS/IP;
 * - protected mode: 8-byte IDT gates (16/32-bit interrupt and trap gates), same-privilege frames
 *   and inner-privilege frames on the TSS stack (SS:ESP for the gate's DPL), v86 → CPL 0 frames;
 * - IA-32e mode: 16-byte 64-bit gates, IST, RSP aligned down to 16, SS := null on a CPL change,
 *   five-qword frames.
 * Error codes are pushed for the vectors that have one (exception-class.ts); faults detected
 * while delivering a hardware exception carry EXT = 1. A fault during delivery is combined with
 * the event being delivered per SDM Table 6-5: serially, as #DF, or as a triple fault, which
 * stops the run with a report (StopReason 'triple-fault').
 *
 * Task gates in the legacy IDT switch tasks (system/task-switch.ts; the error code, if any, is
 * pushed on the new task's stack). A fault the switch raises after its commit belongs to the new
 * task and is delivered there as a new event, not combined into #DF.
 *
 * Monitor interception: an exception whose vector is set in `intercepts.exceptionBitmap` exits
 * (ExceptionExit) instead of being delivered, also when it arises while delivering another event
 * — then before the pair is combined into #DF (a shadow-paging #PF while delivering a guest #PF
 * is the monitor's to fill, not a double fault).
 * If that other event was injected by the monitor, it is queued again so it is delivered when the
 * guest resumes (what VMX's IDT-vectoring information lets a VMM do). INT3 and INTO themselves are
 * delivered without consulting the bitmap (re-injecting a software exception would need the
 * instruction length, which Vcpu.injectException does not carry). The same holds for a
 * NestedPageFault during delivery: it leaves for the run loop's 'npf' exit, and an injected event
 * is queued again first.
 */
import type { Cpu } from './cpu.ts';
import { GuestFault, Vec } from './fault.ts';
import { fetchDescriptor, fillCache, loadCs, loadNull, RawDescriptor, selErr, setAccessed, withinLimit } from './segments.ts';
import { Flag, Seg, SegmentCache } from './state.ts';
import {
  DescHi,
  descDpl,
  descIsSystem,
  descLimit,
  descPresent,
  descType,
  gateIst,
  gateOffset,
  gateSelector,
  SegType,
  selIsNull,
  selRpl,
  SysType,
} from './system/descriptor.ts';
import { hasErrorCode, nesting, Nesting } from './system/exception-class.ts';
import { fetchTssDescriptor, switchTasks, takeNewTaskFault, TaskSource } from './system/task-switch.ts';
import { canonicalOf, hi32, isCanonical, linRead, linWrite } from './system/sysmem.ts';
import { EventType } from './events.ts';

/** How an event arose: decides the gate-DPL check, EXT and the return address. */
export const enum EventKind {
  /** Raised by the hardware (fault or trap of an instruction, or injected by the monitor). */
  Exception = 0,
  /** INT n: gate DPL ≥ CPL required, never an error code, EXT = 0. */
  SoftInt = 1,
  /** INT3 / INTO: as INT n for the DPL check, but #BP/#OF for interception. */
  SoftException = 2,
  /**
   * An external interrupt or NMI (injected by the monitor, events.ts): no gate-DPL check, no
   * error code, EXT = 1 in the error code of a fault during its delivery, benign for Table 6-5.
   */
  External = 3,
}

const TF_NT_RF_VM = Flag.TF | Flag.NT | Flag.RF | Flag.VM;
/** The events of the current delivery, for a triple-fault report (formatted only then). */
const CHAIN_MAX = 8;
const chainVector = new Int32Array(CHAIN_MAX);
const chainError = new Float64Array(CHAIN_MAX); // -1: no error code
let chainLength = 0;

function record(vector: number, errorCode: number | undefined): void {
  if (chainLength === CHAIN_MAX) return;
  chainVector[chainLength] = vector;
  chainError[chainLength] = errorCode === undefined ? -1 : errorCode;
  chainLength++;
}
const gateDesc = new RawDescriptor();
const csDesc = new RawDescriptor();
const ssDesc = new RawDescriptor();
const tmpSs = new SegmentCache();

/** Deliver a fault raised by the current instruction (the run loop's catch). RIP pushed = cpu.ip. */
export function deliverException(cpu: Cpu, fault: GuestFault): void {
  raiseEvent(cpu, fault.vector, fault.errorCode, EventKind.Exception, cpu.ip, fault.address, NOT_INJECTED);
}

/**
 * Deliver an event the monitor injected (Vcpu.injectEvent), before the next instruction: a
 * hardware exception, an external interrupt or an NMI (which blocks NMIs until the next IRET).
 */
export function deliverInjected(cpu: Cpu, vector: number, errorCode: number | undefined, type: EventType = EventType.Exception): void {
  if (type === EventType.Exception) {
    raiseEvent(cpu, vector, errorCode, EventKind.Exception, cpu.ip, Number(BigInt.asIntN(64, cpu.cr2)), type);
    return;
  }
  if (type === EventType.Nmi) cpu.nmiBlocked = true;
  raiseEvent(cpu, vector, undefined, EventKind.External, cpu.ip, 0, type);
}

/**
 * INT n / INT3 / INTO / INT1 from their handlers: the pushed return address is the next
 * instruction (cpu.nextIp). On return cpu.ip and cpu.nextIp hold the handler entry (or, after a
 * fault during delivery, whatever handled that fault).
 */
export function softwareInterrupt(cpu: Cpu, vector: number, kind: EventKind): void {
  // INT n (not INT3/INTO/INT1) is IOPL-sensitive in v86 mode (no CR4.VME support).
  if (kind === EventKind.SoftInt && cpu.protectedMode && (cpu.flags & Flag.VM) !== 0 && ((cpu.flags >>> 12) & 3) < 3) {
    throw new GuestFault(Vec.GP, 0);
  }
  raiseEvent(cpu, vector, undefined, kind, cpu.nextIp, 0, NOT_INJECTED);
}

/** raiseEvent's `injected` for an event the monitor did not inject. */
const NOT_INJECTED = -1;

function name(vector: number, errorCode: number | undefined): string {
  const names = ['#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'CSO', '#TS', '#NP', '#SS', '#GP', '#PF', 'v15', '#MF', '#AC', '#MC', '#XM'];
  const n = names[vector] ?? `vector 0x${vector.toString(16)}`;
  return errorCode === undefined ? n : `${n}(0x${errorCode.toString(16)})`;
}

function raiseEvent(
  cpu: Cpu,
  vector: number,
  errorCode: number | undefined,
  kind: EventKind,
  returnIp: number,
  address: number,
  injectedType: EventType | typeof NOT_INJECTED,
): void {
  const firstVector = vector;
  const firstError = errorCode;
  const injected = injectedType !== NOT_INJECTED;
  const requeue = (): void => {
    cpu.pending = { vector: firstVector, errorCode: firstError, type: injectedType as EventType };
  };
  chainLength = 0;
  takeNewTaskFault();
  let nested = false;
  for (;;) {
    record(vector, errorCode);
    if (nested) {
      const recent = cpu.recentFaults;
      recent.push(vector);
      if (recent.length > 8) recent.shift();
    }
    if (vector === Vec.PF) cpu.cr2 = BigInt.asUintN(64, BigInt(address));
    try {
      deliverOnce(cpu, vector, errorCode, kind, returnIp);
      return;
    } catch (e) {
      if (!(e instanceof GuestFault)) {
        // A nested-paging fault (or a bug) leaves the CPU: an injected event stays owed.
        if (injected && cpu.pending === null) requeue();
        throw e;
      }
      // A fault during delivery that the monitor intercepts exits before any #DF is formed (what
      // VMX does, reporting the interrupted event as IDT-vectoring information). The first event
      // itself has been past the bitmap already: the run loop checks instruction faults, and
      // injected events and INT n are delivered as they are.
      if (e.vector < 32 && ((cpu.intercepts.exceptionBitmap >>> e.vector) & 1) !== 0) {
        const cr2 = cpu.cr2;
        cpu.exit({ reason: 'exception', vector: e.vector, errorCode: e.errorCode, faultAddress: e.address });
        // The injected event this fault interrupted is still owed to the guest, unless the
        // monitor queued another event (re-executing an instruction re-raises its own fault).
        if (cpu.pending === null) {
          if (injected) requeue();
          return;
        }
        // The monitor reflected the fault to the guest (shadow paging: the guest's own tables
        // fault): it arose during this delivery, so it combines with the event being delivered
        // as the hardware would — the monitor cannot, it does not see that event. Without this a
        // guest #PF during #PF delivery was re-injected forever (found by fuzzing, see
        // test/fuzz/regressions.test.ts).
        if (cpu.stopReason !== null) return;
        const how = kind === EventKind.SoftInt || kind === EventKind.External ? Nesting.Serial : nesting(vector, cpu.pending.vector);
        if (how === Nesting.Serial) return;
        record(cpu.pending.vector, cpu.pending.errorCode);
        cpu.cr2 = cr2; // as when the CPU forms the #DF itself (CR2 is written on delivery of #PF)
        if (how === Nesting.Triple) {
          cpu.pending = null;
          tripleFault(cpu);
        } else {
          cpu.pending = { vector: Vec.DF, errorCode: 0, type: EventType.Exception };
        }
        return;
      }
      // A fault in the new task of a task switch (after its commit) is that task's own.
      const how = takeNewTaskFault() || kind === EventKind.SoftInt || kind === EventKind.External ? Nesting.Serial : nesting(vector, e.vector);
      if (how === Nesting.Triple) {
        record(e.vector, e.errorCode);
        tripleFault(cpu);
        return;
      }
      if (how === Nesting.Double) {
        record(e.vector, e.errorCode);
        if (((cpu.intercepts.exceptionBitmap >>> Vec.DF) & 1) !== 0) {
          cpu.exit({ reason: 'exception', vector: Vec.DF, errorCode: 0, faultAddress: 0 });
          return;
        }
        vector = Vec.DF;
        errorCode = 0;
        address = 0;
      } else {
        vector = e.vector;
        errorCode = e.errorCode;
        address = e.address;
      }
      kind = EventKind.Exception;
      returnIp = cpu.ip;
      nested = true;
    }
  }
}

function hex(v: bigint | number, width: number): string {
  const n = typeof v === 'bigint' ? v : BigInt.asUintN(64, BigInt(v));
  return n.toString(16).padStart(width, '0');
}

/** Shutdown: stop the run with the exception chain and the state that led there. */
function tripleFault(cpu: Cpu): void {
  const chain: string[] = [];
  for (let i = 0; i < chainLength; i++) chain.push(name(chainVector[i]!, chainError[i]! < 0 ? undefined : chainError[i]));
  const hw = cpu.hw;
  const cs = cpu.seg[Seg.CS]!;
  const detail =
    `triple fault: ${chain.join(' -> ')}; ` +
    `CS:RIP=${hex(cs.selector, 4)}:${hex(cpu.ip, cpu.mode64 ? 16 : 8)} mode=${cpu.mode} CPL=${cpu.cpl} ` +
    `CR0=${hex(hw.cr0, 8)} CR2=${hex(cpu.cr2, 8)} CR3=${hex(hw.cr3, 8)} CR4=${hex(hw.cr4, 8)} EFER=${hex(hw.efer, 8)} ` +
    `IDTR=${hex(cpu.idtr.base, 8)}/${hex(cpu.idtr.limit, 4)} GDTR=${hex(cpu.gdtr.base, 8)}/${hex(cpu.gdtr.limit, 4)}`;
  cpu.requestStop({ kind: 'triple-fault', detail });
  cpu.nextIp = cpu.ip;
}

/** One delivery attempt; throws the GuestFault of a nested fault with all registers unchanged. */
function deliverOnce(cpu: Cpu, vector: number, errorCode: number | undefined, kind: EventKind, returnIp: number): void {
  if (!cpu.protectedMode) return deliverReal(cpu, vector, returnIp);
  const err = kind === EventKind.Exception && hasErrorCode(vector) ? (errorCode ?? 0) : kind === EventKind.Exception ? errorCode : undefined;
  if (cpu.longMode) return deliverLong(cpu, vector, err, kind, returnIp);
  return deliverProtected(cpu, vector, err, kind, returnIp);
}

// ---------------------------------------------------------------------------------------------
// Real mode
// ---------------------------------------------------------------------------------------------

function deliverReal(cpu: Cpu, vector: number, returnIp: number): void {
  const off = vector * 4;
  if (off + 3 > cpu.idtr.limit) throw new GuestFault(Vec.GP, 0);
  const entry = linRead(cpu, (cpu.idtr.base + off) >>> 0, 4, false);
  const ss = cpu.seg[Seg.SS]!;
  const sp = cpu.getSp();
  const mask = cpu.stackSize === 2 ? 0xffff : 0xffff_ffff;
  const s1 = ((sp - 2) & mask) >>> 0;
  const s2 = ((sp - 4) & mask) >>> 0;
  const s3 = ((sp - 6) & mask) >>> 0;
  if (!withinLimit(ss, s1, 2) || !withinLimit(ss, s2, 2) || !withinLimit(ss, s3, 2)) throw new GuestFault(Vec.SS, 0);
  linWrite(cpu, (ss.base + s1) >>> 0, 2, cpu.getFlags(), false);
  linWrite(cpu, (ss.base + s2) >>> 0, 2, cpu.seg[Seg.CS]!.selector, false);
  linWrite(cpu, (ss.base + s3) >>> 0, 2, returnIp, false);
  cpu.setSp(s3);
  cpu.setFlags(cpu.getFlags() & ~(Flag.IF | Flag.TF | Flag.AC | Flag.RF));
  cpu.seg[Seg.CS]!.loadReal(entry >>> 16);
  jumpTo(cpu, entry & 0xffff);
}

/** Stack-frame writer state (module-level: delivery does not allocate). */
const frame = { base: 0, p: 0, mask: 0, w: 4 as 2 | 4 | 8, user: false };

function frameStart(base: number, top: number, mask: number, w: 2 | 4 | 8, user: boolean): void {
  frame.base = base;
  frame.p = top;
  frame.mask = mask;
  frame.w = w;
  frame.user = user;
}

/** Push one 2- or 4-byte slot (legacy frames; the offset wraps in the stack's width). */
function put(cpu: Cpu, v: number): void {
  const w = frame.w as 2 | 4;
  frame.p = ((frame.p - w) & frame.mask) >>> 0;
  linWrite(cpu, (frame.base + frame.p) >>> 0, w, v, frame.user);
}

/** Push one qword (IA-32e frames; signed-canonical offsets). */
function put64(cpu: Cpu, lo: number, hi: number): void {
  frame.p -= 8;
  linWrite(cpu, frame.p, 4, lo, frame.user);
  linWrite(cpu, frame.p + 4, 4, hi, frame.user);
}

function jumpTo(cpu: Cpu, ip: number): void {
  cpu.ip = ip;
  cpu.nextIp = ip;
}

// ---------------------------------------------------------------------------------------------
// Protected mode (legacy)
// ---------------------------------------------------------------------------------------------

/** Read the IDT entry and check it (common to legacy and IA-32e). Returns the gate type. */
function readGate(cpu: Cpu, vector: number, kind: EventKind, ext: number, wide: boolean): number {
  const size = wide ? 16 : 8;
  const idtErr = vector * 8 + 2 + ext;
  if (vector * size + size - 1 > cpu.idtr.limit) throw new GuestFault(Vec.GP, idtErr);
  const addr = cpu.longMode ? cpu.idtr.base + vector * size : (cpu.idtr.base + vector * size) >>> 0;
  const g = gateDesc;
  g.addr = addr;
  g.lo = linRead(cpu, addr, 4, false);
  g.hi = linRead(cpu, addr + 4, 4, false);
  if (wide) {
    g.lo2 = linRead(cpu, addr + 8, 4, false);
    g.hi2 = linRead(cpu, addr + 12, 4, false);
  }
  const type = descType(g.hi);
  const ok = descIsSystem(g.hi) &&
    (wide
      ? type === SysType.INT_GATE || type === SysType.TRAP_GATE
      : type === SysType.TASK_GATE || type === SysType.INT_GATE16 || type === SysType.TRAP_GATE16 ||
        type === SysType.INT_GATE || type === SysType.TRAP_GATE);
  if (!ok) throw new GuestFault(Vec.GP, idtErr);
  if ((kind === EventKind.SoftInt || kind === EventKind.SoftException) && descDpl(g.hi) < cpu.cpl) throw new GuestFault(Vec.GP, vector * 8 + 2);
  if (!descPresent(g.hi)) throw new GuestFault(Vec.NP, idtErr);
  return type;
}

/** Fetch and check the gate's code segment. Returns the new CPL. */
function readGateCode(cpu: Cpu, sel: number, ext: number): number {
  if (selIsNull(sel)) throw new GuestFault(Vec.GP, ext);
  fetchDescriptor(cpu, sel, csDesc, Vec.GP, ext);
  const hi = csDesc.hi;
  const dpl = descDpl(hi);
  if (descIsSystem(hi) || (descType(hi) & SegType.CODE) === 0 || dpl > cpu.cpl) throw new GuestFault(Vec.GP, selErr(sel, ext));
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, ext));
  const conforming = (descType(hi) & SegType.CONFORMING) !== 0;
  return conforming ? cpu.cpl : dpl;
}

/**
 * Read SS:ESP for privilege `dpl` from the current (legacy) TSS and check the new SS
 * (SDM §6.12.1.1, INT n "Operation" / CALL via call gate). Fills `tmpSs` and `ssDesc`.
 * Returns ESP.
 */
export function readTssStack(cpu: Cpu, dpl: number, ext: number, out: SegmentCache, outDesc: RawDescriptor): number {
  const tr = cpu.seg[Seg.TR]!;
  const tss32 = (tr.type & 8) !== 0;
  const espOff = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
  const ssOff = tss32 ? espOff + 4 : espOff + 2;
  if (!tr.usable || ssOff + 1 > tr.limit) throw new GuestFault(Vec.TS, selErr(tr.selector, ext));
  const esp = linRead(cpu, (tr.base + espOff) >>> 0, tss32 ? 4 : 2, false);
  const ss = linRead(cpu, (tr.base + ssOff) >>> 0, 2, false);
  if (selIsNull(ss)) throw new GuestFault(Vec.TS, ext);
  if (selRpl(ss) !== dpl) throw new GuestFault(Vec.TS, selErr(ss, ext));
  fetchDescriptor(cpu, ss, outDesc, Vec.TS, ext);
  const hi = outDesc.hi;
  const t = descType(hi);
  if (descIsSystem(hi) || (t & SegType.CODE) !== 0 || (t & SegType.WRITABLE) === 0 || descDpl(hi) !== dpl) {
    throw new GuestFault(Vec.TS, selErr(ss, ext));
  }
  if (!descPresent(hi)) throw new GuestFault(Vec.SS, selErr(ss, ext));
  fillCache(out, ss, outDesc);
  return esp;
}

function deliverProtected(cpu: Cpu, vector: number, err: number | undefined, kind: EventKind, returnIp: number): void {
  const ext = kind === EventKind.Exception || kind === EventKind.External ? 1 : 0;
  const type = readGate(cpu, vector, kind, ext, false);
  if (type === SysType.TASK_GATE) {
    const tssSel = gateSelector(gateDesc.lo);
    switchTasks(cpu, tssSel, fetchTssDescriptor(cpu, tssSel, TaskSource.Interrupt, ext), TaskSource.Interrupt, ext, returnIp, err);
    return;
  }
  const gate32 = type === SysType.INT_GATE || type === SysType.TRAP_GATE;
  const sel = gateSelector(gateDesc.lo);
  let target = gateOffset(gateDesc.lo, gateDesc.hi);
  if (!gate32) target &= 0xffff;
  const trap = type === SysType.TRAP_GATE || type === SysType.TRAP_GATE16;
  const newCpl = readGateCode(cpu, sel, ext);
  const v86 = (cpu.flags & Flag.VM) !== 0;
  const w = gate32 ? 4 : 2;
  const oldFlags = cpu.getFlags();
  const oldCs = cpu.seg[Seg.CS]!.selector;
  const oldSs = cpu.seg[Seg.SS]!;
  const hasErr = err !== undefined;
  if (target > descLimit(csDesc.lo, csDesc.hi)) throw new GuestFault(Vec.GP, 0);

  if (newCpl < cpu.cpl) {
    if (v86 && newCpl !== 0) throw new GuestFault(Vec.GP, selErr(sel, ext));
    const esp = readTssStack(cpu, newCpl, ext, tmpSs, ssDesc);
    const items = (v86 ? 9 : 5) + (hasErr ? 1 : 0);
    const spMask = tmpSs.db ? 0xffff_ffff : 0xffff;
    const top = (esp & spMask) >>> 0;
    const bottom = ((top - items * w) & spMask) >>> 0;
    if (!withinLimit(tmpSs, bottom, items * w)) throw new GuestFault(Vec.SS, selErr(tmpSs.selector, ext));
    const user = newCpl === 3;
    frameStart(tmpSs.base, top, spMask, w, user);
    if (v86) {
      put(cpu, cpu.seg[Seg.GS]!.selector);
      put(cpu, cpu.seg[Seg.FS]!.selector);
      put(cpu, cpu.seg[Seg.DS]!.selector);
      put(cpu, cpu.seg[Seg.ES]!.selector);
    }
    put(cpu, oldSs.selector);
    put(cpu, cpu.lo[4]!);
    put(cpu, oldFlags);
    put(cpu, oldCs);
    put(cpu, returnIp);
    if (hasErr) put(cpu, err);
    const p = frame.p;
    // Commit.
    if (v86) for (let s = Seg.ES; s <= Seg.GS; s++) if (s !== Seg.CS && s !== Seg.SS) loadNull(cpu.seg[s]!, 0);
    setAccessed(cpu, ssDesc);
    cpu.seg[Seg.SS]!.copyFrom(tmpSs);
    if (tmpSs.db) cpu.lo[4] = p >>> 0;
    else cpu.lo[4] = ((esp & 0xffff_0000) | p) >>> 0;
    cpu.hi[4] = 0;
  } else {
    if (v86) throw new GuestFault(Vec.GP, selErr(sel, ext));
    const items = 3 + (hasErr ? 1 : 0);
    const spMask = cpu.stackSize === 4 ? 0xffff_ffff : 0xffff;
    const top = (cpu.lo[4]! & spMask) >>> 0;
    const bottom = ((top - items * w) & spMask) >>> 0;
    if (!oldSs.usable || !withinLimit(oldSs, bottom, items * w)) throw new GuestFault(Vec.SS, ext);
    const user = newCpl === 3;
    frameStart(oldSs.base, top, spMask, w, user);
    put(cpu, oldFlags);
    put(cpu, oldCs);
    put(cpu, returnIp);
    if (hasErr) put(cpu, err);
    const p = frame.p;
    if (spMask === 0xffff) cpu.lo[4] = ((cpu.lo[4]! & 0xffff_0000) | p) >>> 0;
    else cpu.lo[4] = p >>> 0;
  }
  cpu.setFlags(oldFlags & ~(TF_NT_RF_VM | (trap ? 0 : Flag.IF)));
  loadCs(cpu, sel, csDesc, newCpl);
  jumpTo(cpu, target);
}

// ---------------------------------------------------------------------------------------------
// IA-32e mode
// ---------------------------------------------------------------------------------------------

/** Read a 64-bit stack pointer from the 64-bit TSS at `offset` (RSPn or ISTn). */
export function readTss64(cpu: Cpu, offset: number, ext: number): number {
  const tr = cpu.seg[Seg.TR]!;
  if (!tr.usable || offset + 7 > tr.limit) throw new GuestFault(Vec.TS, selErr(tr.selector, ext));
  const lo = linRead(cpu, tr.base + offset, 4, false);
  const hi = linRead(cpu, tr.base + offset + 4, 4, false);
  const v = canonicalOf(lo, hi);
  if (!isCanonical(v) || (hi | 0) !== Math.floor(v / 0x1_0000_0000)) throw new GuestFault(Vec.SS, ext);
  return v;
}

function deliverLong(cpu: Cpu, vector: number, err: number | undefined, kind: EventKind, returnIp: number): void {
  const ext = kind === EventKind.Exception || kind === EventKind.External ? 1 : 0;
  const type = readGate(cpu, vector, kind, ext, true);
  const g = gateDesc;
  const sel = gateSelector(g.lo);
  const ist = gateIst(g.hi);
  const target = canonicalOf(gateOffset(g.lo, g.hi), g.lo2);
  const newCpl = readGateCode(cpu, sel, ext);
  // The handler must be 64-bit code (L = 1, D = 0).
  if ((csDesc.hi & (DescHi.L | DescHi.DB)) !== DescHi.L) throw new GuestFault(Vec.GP, selErr(sel, ext));
  if (!isCanonical(target)) throw new GuestFault(Vec.GP, ext);
  let rsp: number;
  if (ist !== 0) rsp = readTss64(cpu, 0x24 + 8 * (ist - 1), ext);
  else if (newCpl < cpu.cpl) rsp = readTss64(cpu, 4 + 8 * newCpl, ext);
  else rsp = cpu.getRegNum64(4);
  rsp -= rsp % 16 === 0 ? 0 : ((rsp % 16) + 16) % 16; // align down to 16 (works for negative values)
  const items = 5 + (err !== undefined ? 1 : 0);
  const user = newCpl === 3;
  if (!isCanonical(rsp - items * 8)) throw new GuestFault(Vec.SS, ext);
  const oldSs = cpu.seg[Seg.SS]!.selector;
  frameStart(0, rsp, 0, 8, user);
  put64(cpu, oldSs, 0);
  put64(cpu, cpu.lo[4]!, cpu.hi[4]!);
  put64(cpu, cpu.getFlags(), 0);
  put64(cpu, cpu.seg[Seg.CS]!.selector, 0);
  put64(cpu, returnIp >>> 0, cpu.mode64 ? hi32(returnIp) : 0);
  if (err !== undefined) put64(cpu, err, 0);
  const p = frame.p;
  // Commit.
  if (newCpl !== cpu.cpl) {
    const ss = cpu.seg[Seg.SS]!;
    loadNull(ss, newCpl);
    ss.dpl = newCpl;
  }
  cpu.lo[4] = p >>> 0;
  cpu.hi[4] = hi32(p);
  const trap = type === SysType.TRAP_GATE;
  cpu.setFlags(cpu.getFlags() & ~(TF_NT_RF_VM | (trap ? 0 : Flag.IF)));
  loadCs(cpu, sel, csDesc, newCpl);
  jumpTo(cpu, target);
}

