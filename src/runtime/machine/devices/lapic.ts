/**
 * The local APIC (SDM Vol. 3A ch. 10), xAPIC mode, one CPU (APIC ID 0, the BSP).
 *
 * - MMIO: the 4 KiB page at IA32_APIC_BASE[39:12] (default 0xFEE00000), remapped when the MSR
 *   moves it; unmapped while the APIC is globally disabled (IA32_APIC_BASE.EN = 0), when the
 *   8259's INTR reaches the CPU directly (LINT0 is the INTR pin then, §10.4.3). Registers are
 *   32 bits on 16-byte strides; a narrower read returns the addressed bytes, a narrower write is
 *   dropped, a write to a read-only or reserved offset sets ESR bit 7 (illegal register address).
 * - x2APIC is not reported (CPUID 01H:ECX[21] = 0): the x2APIC MSRs (800h–8FFh) raise #GP(0),
 *   and setting IA32_APIC_BASE.EXTD raises #GP(0) (reserved when x2APIC is not supported).
 * - Priority: PPR from TPR and the highest in-service vector; a fixed interrupt is delivered
 *   when its class (vector[7:4]) exceeds PPR's (§10.8.3.1). CR8 is TPR[7:4] (spec/rules/cr8.rules).
 * - EOI clears the highest ISR bit; a level-triggered one (TMR set) is broadcast to the IO-APIC.
 * - LVT: timer (one-shot, periodic, TSC-deadline: lapic-timer.ts), thermal and performance
 *   (no source), LINT0 (ExtINT: the 8259 pair, virtual-wire mode; or fixed/NMI), LINT1 (NMI),
 *   error. Software-disabled (SVR bit 8 = 0): every LVT mask set and held set (§10.4.7.2).
 * - ICR: fixed, lowest-priority and NMI IPIs to this CPU (self, all-including-self, or a
 *   destination that matches its ID/LDR); INIT, SIPI and IPIs to other CPUs are accepted and do
 *   nothing (there are none). Delivery status is always idle.
 *
 * The monitor sees it as a VirtualInterruptController (vmm/interrupt-injection.ts); its output
 * changing calls onIntrChange. Reset state: the APIC globally enabled at 0xFEE00000, SVR = 0xFF
 * (software-disabled), and LINT0 = ExtINT, LINT1 = NMI as firmware programs them for virtual-wire
 * mode (QEMU resets the BSP so), so the 8259 reaches the CPU before the guest touches the APIC.
 */
import type { Clock } from '../clock.ts';
import type { ExtIntSource, IntrChangeListener } from '../interrupt-lines.ts';
import type { MmioDevice, MmioMap } from '../mmio.ts';
import type { VirtualInterruptController } from '../../vmm/interrupt-injection.ts';
import { ApicTimer, TimerMode } from './lapic-timer.ts';
import { VectorSet } from './vector-set.ts';

export const APIC_DEFAULT_BASE = 0xfee0_0000;
export const MSR_APIC_BASE = 0x1b;
export const MSR_TSC_DEADLINE = 0x6e0;
/** IA32_APIC_BASE bits: BSP (8), EXTD (10, x2APIC), EN (11); base 39:12 (MAXPHYADDR 40). */
const BASE_BSP = 1n << 8n;
const BASE_EXTD = 1n << 10n;
const BASE_EN = 1n << 11n;
const BASE_ADDR = 0xff_ffff_f000n;
/** Version: 0x14 (integrated APIC), max LVT entry 5 (six LVTs), no EOI-broadcast suppression. */
const VERSION = 0x0005_0014;

/** LVT indices (register 0x320 + 0x10·i). */
export const enum Lvt {
  Timer = 0,
  Thermal = 1,
  Perf = 2,
  Lint0 = 3,
  Lint1 = 4,
  Error = 5,
}
const LVT_COUNT = 6;
const LVT_MASKED = 1 << 16;
/** Writable bits per LVT (vector, delivery mode, polarity, trigger, mask, timer mode). */
const LVT_WRITABLE = [0x6_00ff | LVT_MASKED, 0x1_07ff, 0x1_07ff, 0x1_a7ff, 0x1_a7ff, 0x1_00ff];
const DM_FIXED = 0;
const DM_LOWEST = 1;
const DM_NMI = 4;
const DM_EXTINT = 7;

/** ESR bits. */
const ESR_SEND_ILLEGAL = 1 << 5;
const ESR_RECV_ILLEGAL = 1 << 6;
const ESR_ILLEGAL_REG = 1 << 7;

export interface LapicOptions {
  clock: Clock;
  mmio: MmioMap;
  /** The guest's TSC now (for TSC-deadline mode). */
  tscNow: () => bigint;
  onIntrChange: IntrChangeListener;
}

export class LocalApic implements MmioDevice, VirtualInterruptController {
  readonly name = 'local APIC';
  private readonly mmio: MmioMap;
  private readonly notify: IntrChangeListener;
  readonly timer: ApicTimer;
  /** The 8259 pair's INTR/INTA, behind LINT0 (set by the machine once the PIC exists). */
  extInt: ExtIntSource | null = null;
  /** An IO-APIC listening for EOIs of level-triggered vectors. */
  eoiListener: ((vector: number) => void) | null = null;

  apicBase = BigInt(APIC_DEFAULT_BASE) | BASE_BSP | BASE_EN;
  id = 0;
  tpr = 0;
  ldr = 0;
  dfr = 0xffff_ffff;
  svr = 0xff;
  private esr = 0;
  private esrPending = 0;
  icrLo = 0;
  icrHi = 0;
  readonly lvt = new Uint32Array(LVT_COUNT);
  readonly irr = new VectorSet();
  readonly isr = new VectorSet();
  readonly tmr = new VectorSet();
  private nmiPending = false;
  /** Counters for --stats. */
  readonly counters = { accepted: 0, eois: 0, ipis: 0, spurious: 0, extInt: 0 };

  constructor(options: LapicOptions) {
    this.mmio = options.mmio;
    this.notify = options.onIntrChange;
    this.timer = new ApicTimer(options.clock, options.tscNow, () => this.lvtFire(Lvt.Timer));
    this.reset();
  }

  /** Power-on state (as QEMU resets the BSP; see the file comment). */
  reset(): void {
    this.apicBase = BigInt(APIC_DEFAULT_BASE) | BASE_BSP | BASE_EN;
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffff_ffff;
    this.svr = 0xff;
    this.esr = this.esrPending = 0;
    this.icrLo = this.icrHi = 0;
    this.lvt.fill(LVT_MASKED);
    this.lvt[Lvt.Lint0] = DM_EXTINT << 8;
    this.lvt[Lvt.Lint1] = DM_NMI << 8;
    this.irr.clear();
    this.isr.clear();
    this.tmr.clear();
    this.nmiPending = false;
    this.timer.stop();
    this.timer.setMode(TimerMode.OneShot);
    this.remap();
  }

  get globallyEnabled(): boolean {
    return (this.apicBase & BASE_EN) !== 0n;
  }

  get softwareEnabled(): boolean {
    return (this.svr & 0x100) !== 0;
  }

  get baseAddress(): number {
    return Number(this.apicBase & BASE_ADDR);
  }

  private remap(): void {
    if (this.globallyEnabled) this.mmio.map(this, this.baseAddress, 4096);
    else this.mmio.unmap(this);
  }

  // ---- MSRs (Cpu.msrDevice) -----------------------------------------------------------------

  readMsr(msr: number): bigint | null {
    if (msr === MSR_APIC_BASE) return this.apicBase;
    if (msr === MSR_TSC_DEADLINE) return this.timer.mode === TimerMode.TscDeadline ? this.timer.deadline : 0n;
    if (msr >= 0x800 && msr <= 0x8ff) return null; // x2APIC: not supported (#GP)
    return null;
  }

  /** MsrDevice.writeMsr: 0 not mine, 1 done, -1 #GP(0) (cpu.ts MSR_*). */
  writeMsr(msr: number, v: bigint): number {
    if (msr === MSR_TSC_DEADLINE) {
      this.timer.setDeadline(BigInt.asUintN(64, v));
      return 1;
    }
    if (msr !== MSR_APIC_BASE) return 0;
    // Reserved: bits 7:0, 9, 10 (EXTD without x2APIC), 63:40. BSP is read-only.
    if ((v & ~(BASE_ADDR | BASE_EN | BASE_BSP)) !== 0n) return -1;
    const wasEnabled = this.globallyEnabled;
    this.apicBase = (v & (BASE_ADDR | BASE_EN)) | BASE_BSP;
    if (wasEnabled && !this.globallyEnabled) {
      // Globally disabling resets the APIC state (SDM §10.4.3): as after power-up, but off.
      const base = this.apicBase;
      this.reset();
      this.apicBase = base;
      this.svr = 0xff;
      this.lvt.fill(LVT_MASKED);
    }
    this.remap();
    this.notify();
    return 1;
  }

  // ---- interrupt acceptance ----------------------------------------------------------------

  /** A fixed interrupt arrives (IO-APIC message, IPI, LVT): IRR (and TMR for level). */
  accept(vector: number, level: boolean): void {
    vector &= 0xff;
    if (!this.globallyEnabled || !this.softwareEnabled) return;
    if (vector < 16) {
      this.error(ESR_RECV_ILLEGAL);
      return;
    }
    this.counters.accepted++;
    this.irr.add(vector);
    if (level) this.tmr.add(vector);
    else this.tmr.remove(vector);
    this.notify();
  }

  /** An NMI arrives (LINT1, ICR, IO-APIC NMI). */
  nmi(): void {
    this.nmiPending = true;
    this.notify();
  }

  /** Deliver through an LVT entry (timer, LINT, error): masked entries deliver nothing. */
  private lvtFire(i: Lvt): void {
    const e = this.lvt[i]!;
    if ((e & LVT_MASKED) !== 0) return;
    const mode = (e >>> 8) & 7;
    if (mode === DM_NMI) this.nmi();
    else if (mode === DM_FIXED) this.accept(e & 0xff, i === Lvt.Lint0 || i === Lvt.Lint1 ? (e & (1 << 15)) !== 0 : false);
  }

  private error(bits: number): void {
    this.esrPending |= bits;
    const e = this.lvt[Lvt.Error]!;
    if ((e & LVT_MASKED) === 0 && this.globallyEnabled && this.softwareEnabled) {
      const v = e & 0xff;
      if (v >= 16) {
        this.irr.add(v);
        this.tmr.remove(v);
        this.notify();
      }
    }
  }

  /** LINT0 passes the 8259's INTR (virtual wire); or the APIC is off and INTR is the CPU's pin. */
  private extIntRoute(): boolean {
    if (this.extInt === null) return false;
    if (!this.globallyEnabled) return true;
    const e = this.lvt[Lvt.Lint0]!;
    return (e & LVT_MASKED) === 0 && ((e >>> 8) & 7) === DM_EXTINT;
  }

  get ppr(): number {
    const isrv = this.isr.highest();
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  private get apr(): number {
    const irrv = Math.max(this.irr.highest(), this.isr.highest(), 0) & 0xf0;
    return (this.tpr & 0xf0) >= irrv ? this.tpr & 0xff : irrv;
  }

  // ---- VirtualInterruptController ------------------------------------------------------------

  hasInterrupt(): boolean {
    if (this.extIntRoute() && this.extInt!.hasInterrupt()) return true;
    if (!this.globallyEnabled) return false;
    const v = this.irr.highest();
    return v >= 0 && (v & 0xf0) > (this.ppr & 0xf0);
  }

  acknowledge(): number {
    if (this.extIntRoute() && this.extInt!.hasInterrupt()) {
      this.counters.extInt++;
      return this.extInt!.acknowledge();
    }
    const v = this.irr.highest();
    if (v < 0 || (v & 0xf0) <= (this.ppr & 0xf0)) {
      // Raised, then masked by TPR before the INTA cycle: the spurious vector (§10.9).
      this.counters.spurious++;
      return this.svr & 0xff;
    }
    this.irr.remove(v);
    this.isr.add(v);
    return v;
  }

  hasNmi(): boolean {
    return this.nmiPending;
  }

  takeNmi(): void {
    this.nmiPending = false;
  }

  /** TPR write (MMIO or CR8): a lower priority may expose an interrupt. */
  setTpr(value: number): void {
    this.tpr = value & 0xff;
    this.notify();
  }

  private eoi(): void {
    const v = this.isr.highest();
    if (v < 0) return;
    this.counters.eois++;
    this.isr.remove(v);
    if (this.tmr.has(v)) this.eoiListener?.(v);
    this.notify();
  }

  // ---- ICR ----------------------------------------------------------------------------------

  private sendIpi(): void {
    const lo = this.icrLo;
    const vector = lo & 0xff;
    const mode = (lo >>> 8) & 7;
    const shorthand = (lo >>> 18) & 3;
    this.counters.ipis++;
    let self: boolean;
    if (shorthand === 1 || shorthand === 2) self = true;
    else if (shorthand === 3) self = false;
    else self = this.matchesDestination(this.icrHi >>> 24, (lo & (1 << 11)) !== 0);
    if (mode === DM_FIXED || mode === DM_LOWEST) {
      if (vector < 16) {
        this.error(ESR_SEND_ILLEGAL);
        return;
      }
      if (self) this.accept(vector, false);
    } else if (mode === DM_NMI) {
      if (self) this.nmi();
    }
    // INIT (5), SIPI (6), SMI (2): no other CPU; INIT/SIPI to self are not modelled (no-ops).
  }

  /** Does an IPI/IO-APIC destination name this APIC (physical: ID or broadcast; logical: flat/cluster)? */
  matchesDestination(dest: number, logical: boolean): boolean {
    if (!logical) return dest === 0xff || dest === this.id;
    const ldr = this.ldr >>> 24;
    if (dest === 0xff) return true;
    if ((this.dfr >>> 28) === 0xf) return (ldr & dest) !== 0; // flat model
    return (ldr >>> 4) === (dest >>> 4) && (ldr & dest & 0xf) !== 0; // cluster model
  }

  // ---- MMIO ---------------------------------------------------------------------------------

  mmioRead(offset: number, size: 1 | 2 | 4): number {
    const reg = offset & 0xff0;
    const v = (offset & 0xf) < 4 ? this.readReg(reg) : 0;
    const shift = (offset & 3) * 8;
    if (size === 4 && (offset & 3) === 0) return v;
    return (v >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4 || (offset & 0xf) !== 0) return; // only aligned 32-bit stores are defined
    this.writeReg(offset & 0xff0, value >>> 0);
  }

  private readReg(reg: number): number {
    switch (reg) {
      case 0x20:
        return (this.id << 24) >>> 0;
      case 0x30:
        return VERSION;
      case 0x80:
        return this.tpr;
      case 0x90:
        return this.apr;
      case 0xa0:
        return this.ppr;
      case 0xd0:
        return this.ldr;
      case 0xe0:
        return this.dfr;
      case 0xf0:
        return this.svr;
      case 0x280:
        return this.esr;
      case 0x300:
        return this.icrLo & ~(1 << 12);
      case 0x310:
        return this.icrHi;
      case 0x380:
        return this.timer.initial;
      case 0x390:
        return this.timer.current();
      case 0x3e0:
        return this.timer.dcr;
    }
    if (reg >= 0x100 && reg < 0x180) return this.isr.word((reg - 0x100) >>> 4);
    if (reg >= 0x180 && reg < 0x200) return this.tmr.word((reg - 0x180) >>> 4);
    if (reg >= 0x200 && reg < 0x280) return this.irr.word((reg - 0x200) >>> 4);
    if (reg >= 0x320 && reg < 0x380) return this.lvt[(reg - 0x320) >>> 4]!;
    return 0;
  }

  private writeReg(reg: number, v: number): void {
    switch (reg) {
      case 0x20:
        this.id = v >>> 24;
        return;
      case 0x80:
        this.setTpr(v);
        return;
      case 0xb0:
        this.eoi();
        return;
      case 0xd0:
        this.ldr = v & 0xff00_0000;
        return;
      case 0xe0:
        this.dfr = (v | 0x0fff_ffff) >>> 0;
        return;
      case 0xf0:
        this.writeSvr(v);
        return;
      case 0x280:
        // A write latches the errors detected since the last write (§10.5.3).
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case 0x300:
        this.icrLo = v & 0x000c_cfff;
        this.sendIpi();
        return;
      case 0x310:
        this.icrHi = v & 0xff00_0000;
        return;
      case 0x380:
        this.timer.setInitial(v);
        return;
      case 0x3e0:
        this.timer.setDivide(v);
        return;
    }
    if (reg >= 0x320 && reg < 0x380) {
      this.writeLvt((reg - 0x320) >>> 4, v);
      return;
    }
    // Read-only registers ignore writes; an unimplemented offset is an error (ESR bit 7).
    if (reg === 0x30 || reg === 0x90 || reg === 0xa0 || reg === 0xc0 || reg === 0x390 || (reg >= 0x100 && reg < 0x280)) return;
    this.error(ESR_ILLEGAL_REG);
  }

  private writeSvr(v: number): void {
    const wasEnabled = this.softwareEnabled;
    // Bits 7:0 vector (7:4 writable on modern parts; 3:0 too since P6), 8 enable, 9 focus check.
    this.svr = v & 0x3ff;
    if (wasEnabled && !this.softwareEnabled) for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] = this.lvt[i]! | LVT_MASKED;
    this.notify();
  }

  private writeLvt(i: number, v: number): void {
    let e = (this.lvt[i]! & ~LVT_WRITABLE[i]!) | (v & LVT_WRITABLE[i]!);
    if (!this.softwareEnabled) e |= LVT_MASKED;
    if (i === Lvt.Timer) {
      // Mode 10b (TSC deadline) is reported by CPUID 01H:ECX[24]; 11b is reserved (as 00b).
      const mode = (e >>> 17) & 3;
      this.timer.setMode(mode === 1 ? TimerMode.Periodic : mode === 2 ? TimerMode.TscDeadline : TimerMode.OneShot);
    }
    if (i === Lvt.Lint1) e &= ~(1 << 15); // LINT1 is always edge-triggered
    this.lvt[i] = e;
    this.notify();
  }
}
