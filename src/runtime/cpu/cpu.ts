/**
 * The interpreter CPU: plays the hardware the monitor runs on. Architectural state lives in
 * CpuState (state.ts); this class adds the services instruction handlers use (registers by
 * index and size, memory by segment:offset, stack, faults, exits) and the run loop (run.ts).
 *
 * Conventions for handlers (core and system):
 * - `cpu.ip` points at the executing instruction; `cpu.nextIp` is preset to the next one.
 *   A branch sets `cpu.nextIp`. Faults (cpu.raise / a GuestFault from memory) leave ip as is.
 * - Do every check and every read that can fault before the first architectural write.
 * - Exits: build the VmExit and call `cpu.exit(exit)`; the monitor decides whether RIP advances.
 * - Stop the run (triple fault, ...): `cpu.requestStop(reason)`.
 */
import type { PhysicalBus } from '../machine/bus.ts';
import type { CrExitHandler, ExitOutcome, Monitor, StopReason } from '../vmm/monitor.ts';
import type { CrAccessExit, VmExit } from '../vmm/exit.ts';
import type { ControlRegName, CpuMode, HardwareControl, Intercepts, Vcpu } from '../vmm/vcpu.ts';
import type { FlushScope, Translator } from '../mmu/types.ts';
import { identityTranslator } from './identity-translator.ts';
import { GuestFault, Vec } from './fault.ts';
import { CpuState, Cr0, Cr4, Efer, Flag, Seg } from './state.ts';
import { Memory } from './memory.ts';
import { DecodeCache } from './decode-cache.ts';
import { runLoop } from './run.ts';
import { CodeWatchBus } from './watch-bus.ts';
import type { CpuDebugHooks } from './debug-hooks.ts';
import { deriveMode } from './system/mode.ts';
import { lo32 } from '../vmm/effects.ts';
import { CR0_MODE_N, CR0_PAGING_N, CR4_PAGING_N, setControl } from './control-update.ts';
import { EVENT_CHECK, EventType, WINDOW_INTR, WINDOW_NMI, type PendingEvent } from './events.ts';
import type { InjectedEventType } from '../vmm/vcpu.ts';

import type { MsrDevice } from './msr-device.ts';

export { MSR_DONE, MSR_GP, MSR_NOT_MINE, type MsrDevice } from './msr-device.ts';
import { FpuState } from './fpu/state.ts';
import { CpuStats } from './cpu-stats.ts';

export { identityTranslator };
export { CpuStats };

export interface CpuOptions {
  bus: PhysicalBus;
  monitor: Monitor;
}


const HIGH8 = 16;
const LOW32 = 0xffff_ffffn;

/**
 * Bits 31:0 of a register value as a number: lo32 (vmm/effects.ts) reads it through a typed
 * array (~1 ns) rather than Number(v & LOW32) (~10 ns and a BigInt allocation on Node 20).
 */
const low32 = lo32;

export class Cpu extends CpuState implements Vcpu {
  /** The machine's bus behind a write watcher (see watch-bus.ts); RAM is the same array. */
  readonly bus: PhysicalBus;
  readonly monitor: Monitor;
  /** The hardware MMU. Replace with the real one (src/runtime/mmu/hardware-mmu.ts reading cpu.pagingRegs). */
  mmu: Translator = identityTranslator;
  intercepts: Intercepts = { crAccess: true, efer: true, exceptionBitmap: 0, invlpg: true };
  readonly stats = new CpuStats();
  /** --trace sink: one line per executed instruction; null when off. */
  trace: ((line: string) => void) | null = null;
  /** A debugger's breakpoints, stepping and watchpoints (debug-hooks.ts); null when none is attached. */
  debug: CpuDebugHooks | null = null;

  /** Address of the next instruction (see file comment). */
  nextIp = 0;
  /** Memory access layer (segmentation, translation, RAM fast path). */
  readonly mem: Memory;
  /** Decoded-instruction cache. */
  readonly decoded: DecodeCache;
  /** Set to end the run after the current instruction. */
  stopReason: StopReason | null = null;
  /** Events queued by the monitor (injectException) or by the CPU, delivered before the next instruction. */
  pending: PendingEvent | null = null;
  /** Interrupt/NMI-window exiting requested by the monitor (events.ts WINDOW_* bits). */
  windowExits = 0;
  /**
   * MSRs a device keeps (the local APIC: IA32_APIC_BASE, IA32_TSC_DEADLINE): consulted before
   * the CPU's own (msr.ts). Null: the CPU keeps IA32_APIC_BASE as a plain value.
   */
  msrDevice: MsrDevice | null = null;
  /** TSC ticks since power-on from the machine's clock (machine/clock.ts). Null: the instruction count. */
  tscTicks: (() => number) | null = null;
  /** Last exceptions raised (vector list, newest last), for triple-fault reports. */
  readonly recentFaults: number[] = [];
  /** The x87 FPU (fpu/state.ts; instructions in fpu/). */
  readonly fpu = new FpuState();
  /**
   * The FERR# output (CR0.NE = 0 error reporting, SDM Vol. 3A §22.18.3 / Vol. 1 §D.1): called with
   * true when an unmasked x87 exception becomes pending and with false when FNINIT/FNCLEX (or a
   * load of a status word without one) clears it. The machine connects it to IRQ13
   * (machine/devices/ferr.ts); null (a bare CPU): the exception just stays pending in FSW.ES.
   */
  onFerr: ((asserted: boolean) => void) | null = null;

  private cachedMode: CpuMode = 'real';
  /** readGpr's last conversion per register (NaN: none). */
  private readonly gprMemoLo = new Float64Array(16).fill(NaN);
  private readonly gprMemoHi = new Float64Array(16).fill(NaN);
  private readonly gprMemo: bigint[] = new Array<bigint>(16).fill(0n);

  constructor(options: CpuOptions) {
    super();
    // Writes through cpu.bus (system side, monitor) invalidate decoded code like CPU stores do.
    this.bus = new CodeWatchBus(options.bus, { noteWrite: (pa, size) => this.mem.noteWrite(pa, size) });
    this.monitor = options.monitor;
    this.mem = new Memory(this);
    this.decoded = new DecodeCache(this);
    this.resetRealMode();
  }

  /** Real mode, flat 64 KiB segments at base 0, CPL 0, IP 0, EFLAGS = 2 (loaders set what they need). */
  resetRealMode(): void {
    for (let i = 0; i < 6; i++) {
      const s = this.seg[i]!;
      s.selector = 0;
      s.base = 0;
      s.limit = 0xffff;
      s.type = i === Seg.CS ? 0xb : 0x3;
      s.s = true;
      s.dpl = 0;
      s.present = true;
      s.db = false;
      s.l = false;
      s.g = false;
      s.usable = true;
    }
    const ldtr = this.seg[Seg.LDTR]!;
    ldtr.s = false;
    ldtr.type = 2;
    const tr = this.seg[Seg.TR]!;
    tr.s = false;
    tr.type = 3;
    this.flags = Flag.FIXED1;
    this.ip = 0;
    this.cpl = 0;
    this.setControl({});
  }

  // ---------------------------------------------------------------------------------------
  // Mode
  // ---------------------------------------------------------------------------------------

  get mode(): CpuMode {
    return this.cachedMode;
  }

  /**
   * Recompute derived mode bits after a change of CR0, EFER, CS (L/D), SS (B) or EFLAGS.VM.
   * Cheap; call it whenever in doubt.
   */
  updateMode(): void {
    const cr0 = this.hw.cr0Lo;
    const efer = this.hw.eferLo;
    const pr = this.pagingRegs;
    pr.cr0 = cr0;
    pr.cr3 = this.hw.cr3;
    pr.cr4 = this.hw.cr4Lo;
    pr.efer = efer;
    pr.ncr3 = this.hw.ncr3;
    this.protectedMode = (cr0 & Cr0.PE) !== 0;
    this.paging = (cr0 & Cr0.PG) !== 0;
    this.longMode = (efer & Efer.LMA) !== 0;
    const cs = this.seg[Seg.CS]!;
    this.mode64 = this.longMode && cs.l;
    const v86 = this.protectedMode && (this.flags & Flag.VM) !== 0;
    // R21: sizes come from the descriptor caches, also in real mode: after MOV CR0 clears PE a
    // 32-bit CS (D=1) and SS (B=1) stay in force until reloaded (real-mode loads keep them too).
    this.bitness = this.mode64 ? 64 : !v86 && cs.db ? 32 : 16;
    this.stackSize = this.mode64 ? 8 : !v86 && this.seg[Seg.SS]!.db ? 4 : 2;
    this.cachedMode = deriveMode(this);
    this.mem.refresh();
    this.decoded.selectBitness(this.bitness);
  }

  // ---------------------------------------------------------------------------------------
  // Vcpu (the monitor's view)
  // ---------------------------------------------------------------------------------------

  readGpr(n: number): bigint {
    const lo = this.lo[n]!;
    const hi = this.hi[n]!;
    // The exit path reads the same register values over and over (a CR toggle loop): the last
    // conversion per register is remembered, since making a BigInt costs ~35 ns (issue 7).
    if (lo === this.gprMemoLo[n] && hi === this.gprMemoHi[n]) return this.gprMemo[n]!;
    // One BigInt instead of three when bits 63:32 are clear (every 32-bit guest).
    const v = hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
    this.gprMemoLo[n] = lo;
    this.gprMemoHi[n] = hi;
    this.gprMemo[n] = v;
    return v;
  }

  gprLo(n: number): number {
    return this.lo[n]!;
  }

  gprHi(n: number): number {
    return this.hi[n]!;
  }

  writeGprHalves(n: number, lo: number, hi: number, size: 2 | 4 | 8): void {
    if (size === 2) {
      this.lo[n] = (this.lo[n]! & 0xffff0000) | (lo & 0xffff);
    } else {
      this.lo[n] = lo;
      this.hi[n] = size === 8 ? hi : 0;
    }
  }

  writeGpr(n: number, value: bigint, size: 2 | 4 | 8): void {
    const lo = low32(value);
    if (size === 2) {
      this.lo[n] = (this.lo[n]! & 0xffff0000) | (lo & 0xffff);
    } else {
      this.lo[n] = lo;
      this.hi[n] = size === 8 && (value > LOW32 || value < 0n) ? Number(BigInt.asUintN(32, value >> 32n)) : 0;
    }
  }

  get rflags(): number {
    return this.getFlags();
  }

  get rip(): bigint {
    return BigInt.asUintN(64, BigInt(this.ip));
  }

  advanceRip(length: number): void {
    this.ip = this.mode64 ? this.ip + length : (this.ip + length) & (this.bitness === 16 ? 0xffff : 0xffffffff);
    if (!this.mode64) this.ip >>>= 0;
    this.nextIp = this.ip;
    this.interruptShadow = false;
  }

  get control(): Readonly<HardwareControl> {
    return this.hw;
  }

  /** Apply a partial update to the hardware control registers (control-update.ts has the tiers). */
  setControl(update: Partial<HardwareControl>): void {
    setControl(this, update);
  }

  /**
   * One register set to `(value & ~keep) | (hardware & keep)`, on halves (the exit path: no
   * BigInt made or compared; the register's BigInt follows when read, control-regs.ts), with
   * setControl's tiers; an unchanged value does nothing. One refinement: a CR4.PGE change alone
   * is quiet when the MMU keeps its TLB across it (Translator.pgeToggled, which applies it at
   * once), as it changes no translation then (setControl, off the exit path, treats it as any
   * paging bit).
   */
  programControl(reg: ControlRegName, lo: number, hi: number, keepLo: number, keepHi: number): void {
    // A small dispatch over small per-register bodies: V8 inlines each into a generated handler
    // (its `reg` is a constant there), where one function with every register was over V8's
    // inlining size limit and a real call on every CR0/CR4 exit (issue 7).
    if (reg === 'cr0') this.programCr0(lo, hi, keepLo, keepHi);
    else if (reg === 'cr4') this.programCr4(lo, hi, keepLo, keepHi);
    else this.programOther(reg, lo, hi, keepLo, keepHi);
  }

  // Per register: d = the bits that change (outside `keep`); the new value is the old ^ d.

  private programCr0(lo: number, hi: number, keepLo: number, keepHi: number): void {
    const hw = this.hw;
    const dLo = (hw.cr0Lo ^ lo) & ~keepLo;
    const dHi = (hw.cr0Hi ^ hi) & ~keepHi;
    if ((dLo | dHi) === 0) return;
    const nLo = (hw.cr0Lo ^ dLo) >>> 0;
    hw.setCr0(nLo, (hw.cr0Hi ^ dHi) >>> 0);
    if ((dLo & CR0_MODE_N) !== 0) return this.updateMode();
    this.pagingRegs.cr0 = nLo;
    if ((dLo & CR0_PAGING_N) !== 0) this.pagingChanged();
  }

  private programCr4(lo: number, hi: number, keepLo: number, keepHi: number): void {
    const hw = this.hw;
    const dLo = (hw.cr4Lo ^ lo) & ~keepLo;
    const dHi = (hw.cr4Hi ^ hi) & ~keepHi;
    if ((dLo | dHi) === 0) return;
    const nLo = (hw.cr4Lo ^ dLo) >>> 0;
    hw.setCr4(nLo, (hw.cr4Hi ^ dHi) >>> 0);
    this.pagingRegs.cr4 = nLo;
    const p = dLo & CR4_PAGING_N;
    if (p !== 0 && !(p === Cr4.PGE && this.mmu.pgeToggled?.() === true)) this.pagingChanged();
  }

  private programOther(reg: ControlRegName, lo: number, hi: number, keepLo: number, keepHi: number): void {
    const hw = this.hw;
    switch (reg) {
      case 'cr3': {
        const dLo = (hw.cr3Lo ^ lo) & ~keepLo;
        const dHi = (hw.cr3Hi ^ hi) & ~keepHi;
        if ((dLo | dHi) === 0) return;
        hw.setCr3((hw.cr3Lo ^ dLo) >>> 0, (hw.cr3Hi ^ dHi) >>> 0);
        this.pagingChanged();
        return;
      }
      case 'efer': {
        const dLo = (hw.eferLo ^ lo) & ~keepLo;
        const dHi = (hw.eferHi ^ hi) & ~keepHi;
        if ((dLo | dHi) === 0) return;
        hw.setEfer((hw.eferLo ^ dLo) >>> 0, (hw.eferHi ^ dHi) >>> 0);
        this.updateMode();
        return;
      }
      case 'cr8': {
        const dLo = (hw.cr8Lo ^ lo) & ~keepLo;
        const dHi = (hw.cr8Hi ^ hi) & ~keepHi;
        if ((dLo | dHi) !== 0) hw.setCr8((hw.cr8Lo ^ dLo) >>> 0, (hw.cr8Hi ^ dHi) >>> 0);
        return;
      }
      case 'xcr0': {
        const dLo = (hw.xcr0Lo ^ lo) & ~keepLo;
        const dHi = (hw.xcr0Hi ^ hi) & ~keepHi;
        if ((dLo | dHi) !== 0) hw.setXcr0((hw.xcr0Lo ^ dLo) >>> 0, (hw.xcr0Hi ^ dHi) >>> 0);
        return;
      }
    }
  }

  /** The PAGING tier of a control-register update: the MMU's CR3 copy, and the fetch page dropped. */
  private pagingChanged(): void {
    this.pagingRegs.cr3 = this.hw.cr3;
    this.decoded.dropFetchPage();
  }

  injectException(vector: number, errorCode?: number): void {
    this.pending = { vector, errorCode, type: EventType.Exception };
    this.halted = false;
  }

  injectEvent(type: InjectedEventType, vector: number, errorCode?: number): void {
    if (type === 'exception') return this.injectException(vector, errorCode);
    this.pending = { vector: type === 'nmi' ? 2 : vector & 0xff, errorCode: undefined, type: type === 'nmi' ? EventType.Nmi : EventType.External };
    this.halted = false;
  }

  setInterruptWindowExiting(on: boolean): void {
    this.setWindow(WINDOW_INTR, on);
  }

  setNmiWindowExiting(on: boolean): void {
    this.setWindow(WINDOW_NMI, on);
  }

  private setWindow(bit: number, on: boolean): void {
    if (on) {
      this.windowExits |= bit;
      this.lookAtEvents();
    } else {
      this.windowExits &= ~bit;
      if (this.windowExits === 0) this.waitingForIf = false;
    }
  }

  /** Make the run loop look at the windows at the next boundary (leaves compiled blocks). */
  lookAtEvents(): void {
    if (this.pending === null) this.pending = EVENT_CHECK;
  }

  override ifRaised(): void {
    this.waitingForIf = false;
    this.lookAtEvents();
  }

  /** A completed IRET ends NMI blocking (an NMI window may open). */
  unblockNmi(): void {
    this.nmiBlocked = false;
    if ((this.windowExits & WINDOW_NMI) !== 0) this.lookAtEvents();
  }

  /** The guest's TSC now, without a read's side effect (the APIC's TSC-deadline timer). */
  peekTsc(): bigint {
    const base = this.tscTicks !== null ? Math.floor(this.tscTicks()) : this.stats.instructions;
    return BigInt.asUintN(64, BigInt(base) + this.msr.tscOffset);
  }

  enterHalt(): void {
    this.halted = true;
    this.lookAtEvents(); // leave the inner loops: the run loop stops executing
  }

  get interruptible(): boolean {
    return (this.flags & Flag.IF) !== 0 && !this.interruptShadow;
  }

  flushTlb(scope: FlushScope): void {
    this.decoded.dropFetchPage();
    this.mmu.flush(scope);
  }

  writeLinear16(linear: number, value: number): boolean {
    try {
      this.mem.writeLin(linear, 2, value, this.cpl === 3);
      return true;
    } catch (e) {
      if (e instanceof GuestFault) {
        if (e.vector === Vec.PF) this.cr2 = BigInt.asUintN(64, BigInt(e.address));
        this.pending = { vector: e.vector, errorCode: e.errorCode, type: EventType.Exception };
        return false;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Registers by index and size
  // ---------------------------------------------------------------------------------------

  /**
   * Read register `r` with `size` bytes (1, 2 or 4) as an unsigned number. For size 1, r = 16..19
   * are AH, CH, DH, BH (without REX); 4..7 are SPL..DIL (with REX) — the decoder resolves that.
   */
  getReg(r: number, size: number): number {
    if (size === 4) return this.lo[r]!;
    if (size === 2) return this.lo[r]! & 0xffff;
    if (r >= HIGH8) return (this.lo[r - HIGH8]! >>> 8) & 0xff;
    return this.lo[r]! & 0xff;
  }

  /** Write register `r` with `size` bytes (1, 2, 4; 4 zero-extends to 64 bits). */
  setReg(r: number, size: number, value: number): void {
    if (size === 4) {
      this.lo[r] = value;
      this.hi[r] = 0;
    } else if (size === 2) {
      this.lo[r] = (this.lo[r]! & 0xffff0000) | (value & 0xffff);
    } else if (r >= HIGH8) {
      this.lo[r - HIGH8] = (this.lo[r - HIGH8]! & 0xffff00ff) | ((value & 0xff) << 8);
    } else {
      this.lo[r] = (this.lo[r]! & 0xffffff00) | (value & 0xff);
    }
  }

  getReg64(r: number): bigint {
    return (BigInt(this.hi[r]!) << 32n) | BigInt(this.lo[r]!);
  }

  setReg64(r: number, value: bigint): void {
    this.lo[r] = Number(value & 0xffffffffn);
    this.hi[r] = Number((value >> 32n) & 0xffffffffn);
  }

  /** Register as a signed-canonical style number (exact when bits 63:53 are a sign extension). */
  getRegNum64(r: number): number {
    return (this.hi[r]! | 0) * 0x100000000 + this.lo[r]!;
  }

  // ---------------------------------------------------------------------------------------
  // Memory by segment:offset (offset already truncated to the address size)
  // ---------------------------------------------------------------------------------------

  /** Read `size` (1, 2, 4) bytes at seg:offset as an unsigned number. */
  read(seg: number, offset: number, size: number): number {
    return this.mem.readLin(this.mem.linear(seg, offset, size, false), size, this.cpl === 3);
  }

  write(seg: number, offset: number, size: number, value: number): void {
    this.mem.writeLin(this.mem.linear(seg, offset, size, true), size, value, this.cpl === 3);
  }

  read64(seg: number, offset: number): bigint {
    const lin = this.mem.linear(seg, offset, 8, false);
    return this.mem.readLin64(lin, this.cpl === 3);
  }

  write64(seg: number, offset: number, value: bigint): void {
    const lin = this.mem.linear(seg, offset, 8, true);
    this.mem.writeLin64(lin, value, this.cpl === 3);
  }

  // ---------------------------------------------------------------------------------------
  // Stack (current stack size: SS.B / 64-bit mode)
  // ---------------------------------------------------------------------------------------

  /** Current stack pointer as an offset (masked to the stack size; signed-canonical in 64-bit mode). */
  getSp(): number {
    if (this.stackSize === 8) return this.getRegNum64(4);
    return this.stackSize === 4 ? this.lo[4]! : this.lo[4]! & 0xffff;
  }

  setSp(v: number): void {
    if (this.stackSize === 8) {
      this.lo[4] = v >>> 0;
      this.hi[4] = Math.floor(v / 0x100000000) >>> 0;
    } else if (this.stackSize === 4) {
      this.lo[4] = v >>> 0;
      this.hi[4] = 0;
    } else {
      this.lo[4] = (this.lo[4]! & 0xffff0000) | (v & 0xffff);
    }
  }

  private spAdd(sp: number, delta: number): number {
    if (this.stackSize === 8) return sp + delta;
    return this.stackSize === 4 ? (sp + delta) >>> 0 : (sp + delta) & 0xffff;
  }

  /** Push `size` (2 or 4) bytes. */
  push(value: number, size: number): void {
    const sp = this.spAdd(this.getSp(), -size);
    this.write(Seg.SS, sp, size, value);
    this.setSp(sp);
  }

  /** Pop `size` (2 or 4) bytes. */
  pop(size: number): number {
    const sp = this.getSp();
    const v = this.read(Seg.SS, sp, size);
    this.setSp(this.spAdd(sp, size));
    return v;
  }

  push64(value: bigint): void {
    const sp = this.spAdd(this.getSp(), -8);
    this.write64(Seg.SS, sp, value);
    this.setSp(sp);
  }

  pop64(): bigint {
    const sp = this.getSp();
    const v = this.read64(Seg.SS, sp);
    this.setSp(this.spAdd(sp, 8));
    return v;
  }

  /** Read at SS:(SP + offset) without changing SP (for multi-pop checks). */
  peek(offset: number, size: number): number {
    return this.read(Seg.SS, this.spAdd(this.getSp(), offset), size);
  }

  // ---------------------------------------------------------------------------------------
  // Faults, exits, stopping
  // ---------------------------------------------------------------------------------------

  /** Raise an architectural exception for the current instruction. Never returns. */
  raise(vector: number, errorCode?: number): never {
    throw new GuestFault(vector, errorCode);
  }

  /** #GP(0) unless CPL 0 — the common privileged-instruction check. */
  requireCpl0(): void {
    if (this.cpl !== 0) this.raise(Vec.GP, 0);
  }

  /** IOPL of EFLAGS. */
  get iopl(): number {
    return (this.flags >>> 12) & 3;
  }

  /**
   * Exit to the monitor. RIP stays at the exiting instruction unless the monitor advances it
   * (Vcpu.advanceRip). A 'stop' outcome ends the run after this instruction.
   */
  exit(exit: VmExit): ExitOutcome {
    this.stats.exits.count(exit);
    this.nextIp = this.ip;
    const outcome = this.monitor.handleExit(exit, this);
    if (outcome.kind === 'stop') this.stopReason = outcome.reason;
    return outcome;
  }

  /** exit() for a cr-access exit, through Monitor.handleCrAccess when the monitor has it. */
  exitCr(exit: CrAccessExit): ExitOutcome {
    this.stats.exits.countCr(exit);
    this.nextIp = this.ip;
    const monitor = this.monitor;
    const outcome = monitor.handleCrAccess !== undefined ? monitor.handleCrAccess(exit, this) : monitor.handleExit(exit, this);
    if (outcome.kind === 'stop') this.stopReason = outcome.reason;
    return outcome;
  }

  /** exitCr through the monitor's handler for this exit (Monitor.crExitHandler), as a compiled exit site calls it. */
  exitCrWith(fn: CrExitHandler, slot: number): void {
    this.stats.exits.slots[slot]!++;
    this.nextIp = this.ip;
    const outcome = fn(this);
    if (outcome.kind === 'stop') this.stopReason = outcome.reason;
  }

  /** Bits 31:0 of hardware CR0 or CR4 (Vcpu.controlLow). */
  controlLow(reg: 'cr0' | 'cr4'): number {
    return reg === 'cr0' ? this.hw.cr0Lo : this.hw.cr4Lo;
  }

  requestStop(reason: StopReason): void {
    this.stopReason = reason;
  }

  /** Count and raise #UD for an unsupported instruction. */
  unsupported(mnemonicName: string): never {
    const m = this.stats.udByMnemonic;
    m.set(mnemonicName, (m.get(mnemonicName) ?? 0) + 1);
    throw new GuestFault(Vec.UD);
  }

  // ---------------------------------------------------------------------------------------
  // Run loop
  // ---------------------------------------------------------------------------------------

  /**
   * Execute up to `budget` instructions. Returns the reason the run stopped, or
   * `{ kind: 'max-insns' }` when the budget ran out. Never throws for guest behaviour.
   */
  run(budget: number): StopReason | null {
    return runLoop(this, budget);
  }

  /** CR4 bits as a number (low 32). */
  get cr4(): number {
    return this.pagingRegs.cr4;
  }

  /** Is CR4 bit set? */
  cr4Has(bit: number): boolean {
    return (this.pagingRegs.cr4 & bit) !== 0;
  }

  /** Does CR0.NE etc. hold? */
  cr0Has(bit: number): boolean {
    return (this.pagingRegs.cr0 & bit) !== 0;
  }

  // ---------------------------------------------------------------------------------------
  // Write watch (Vcpu.watchFrame; the page bits live in Memory.codePages)
  // ---------------------------------------------------------------------------------------

  /** Called for a guest store to a watched frame (Memory.writePhys). */
  onWatchedWrite: ((frame: number) => void) | null = null;

  watchFrame(pa: number): boolean {
    return this.mem.watchFrame(pa);
  }

  unwatchAllFrames(): void {
    this.mem.unwatchAll();
  }

  /** The MMU given Memory.sourceWatch (done at its first guest flush). */
  private sourcesWiredTo: Translator | null = null;

  flushGuestTlb(scope: FlushScope): void {
    const mmu = this.mmu;
    if (mmu !== this.sourcesWiredTo) {
      this.sourcesWiredTo = mmu;
      mmu.watchSources?.(this.mem.sourceWatch);
    }
    if (mmu.canSkipFlush?.(scope) === true) return;
    this.flushTlb(scope);
  }
}
