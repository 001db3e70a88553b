/**
 * The I/O APIC (Intel 82093AA datasheet; QEMU's ioapic), at 0xFEC00000: IOREGSEL (+0x00, the
 * register index) and IOWIN (+0x10, the selected 32-bit register). Registers: 00h ID (27:24),
 * 01h version (0x11, max redirection entry 23), 02h arbitration ID, 10h + 2n / 11h + 2n the low
 * and high dwords of redirection entry n (0 ≤ n < 24).
 *
 * A redirection entry: vector 7:0, delivery mode 10:8 (fixed, lowest priority, NMI; SMI, INIT
 * and ExtINT are accepted and not delivered), destination mode 11, delivery status 12 (RO,
 * always idle: delivery is immediate), polarity 13 (stored; pins are driven with their logical
 * level, as QEMU does), remote IRR 14 (RO), trigger mode 15, mask 16, destination 63:56.
 * Edge-triggered pins deliver on a rising edge while unmasked (a masked edge is lost).
 * Level-triggered pins deliver while asserted, unmasked and remote IRR clear, then set remote
 * IRR until the local APIC broadcasts an EOI for the vector; a still-asserted pin then delivers
 * again, and so does unmasking an asserted pin.
 */
import type { IoApicPins } from '../interrupt-lines.ts';
import type { MmioDevice } from '../mmio.ts';

export const IOAPIC_BASE = 0xfec0_0000;
export const IOAPIC_PINS = 24;
const VERSION = ((IOAPIC_PINS - 1) << 16) | 0x11;

const MASKED = 1 << 16;
const LEVEL = 1 << 15;
const REMOTE_IRR = 1 << 14;
/** Writable bits of the low dword (delivery status and remote IRR are read-only). */
const LOW_WRITABLE = 0x1_afff;

/** Where the IO-APIC delivers: the local APIC (devices/lapic.ts). */
export interface IoApicTarget {
  matchesDestination(dest: number, logical: boolean): boolean;
  accept(vector: number, level: boolean): void;
  nmi(): void;
}

export class IoApic implements MmioDevice, IoApicPins {
  readonly name = 'IO-APIC';
  private readonly target: IoApicTarget;
  private select = 0;
  id = 0;
  readonly low = new Uint32Array(IOAPIC_PINS).fill(MASKED);
  readonly high = new Uint32Array(IOAPIC_PINS);
  /** Current (logical) pin levels. */
  private readonly levels = new Uint8Array(IOAPIC_PINS);
  /** Messages sent, for --stats. */
  delivered = 0;

  constructor(target: IoApicTarget) {
    this.target = target;
  }

  setPin(pin: number, level: boolean): void {
    if (pin < 0 || pin >= IOAPIC_PINS) return;
    const was = this.levels[pin] !== 0;
    this.levels[pin] = level ? 1 : 0;
    const e = this.low[pin]!;
    if ((e & LEVEL) !== 0) {
      if (level) this.service(pin);
    } else if (level && !was && (e & MASKED) === 0) {
      this.deliver(pin);
    }
  }

  /** The local APIC's EOI broadcast for a level-triggered vector. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const e = this.low[pin]!;
      if ((e & REMOTE_IRR) !== 0 && (e & 0xff) === vector) {
        this.low[pin] = e & ~REMOTE_IRR;
        this.service(pin);
      }
    }
  }

  /** Level-triggered pin: deliver if asserted, unmasked and not awaiting an EOI. */
  private service(pin: number): void {
    const e = this.low[pin]!;
    if ((e & LEVEL) === 0 || this.levels[pin] === 0 || (e & (MASKED | REMOTE_IRR)) !== 0) return;
    this.low[pin] = e | REMOTE_IRR;
    this.deliver(pin);
  }

  private deliver(pin: number): void {
    const e = this.low[pin]!;
    const dest = this.high[pin]! >>> 24;
    if (!this.target.matchesDestination(dest, (e & (1 << 11)) !== 0)) return;
    const mode = (e >>> 8) & 7;
    this.delivered++;
    if (mode === 0 || mode === 1) this.target.accept(e & 0xff, (e & LEVEL) !== 0);
    else if (mode === 4) this.target.nmi();
  }

  mmioRead(offset: number, size: 1 | 2 | 4): number {
    void size;
    if (offset === 0x00) return this.select;
    if (offset === 0x10) return this.readReg(this.select);
    return 0;
  }

  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    void size;
    if (offset === 0x00) this.select = value & 0xff;
    else if (offset === 0x10) this.writeReg(this.select, value >>> 0);
  }

  private readReg(index: number): number {
    if (index === 0x00 || index === 0x02) return (this.id << 24) >>> 0;
    if (index === 0x01) return VERSION;
    const n = (index - 0x10) >>> 1;
    if (index >= 0x10 && n < IOAPIC_PINS) return (index & 1) === 0 ? this.low[n]! : this.high[n]!;
    return 0;
  }

  private writeReg(index: number, v: number): void {
    if (index === 0x00) {
      this.id = (v >>> 24) & 0xf;
      return;
    }
    const n = (index - 0x10) >>> 1;
    if (index < 0x10 || n >= IOAPIC_PINS) return;
    if ((index & 1) === 1) {
      this.high[n] = v & 0xff00_0000;
      return;
    }
    const old = this.low[n]!;
    let e = (old & ~LOW_WRITABLE) | (v & LOW_WRITABLE);
    if ((e & LEVEL) === 0) e &= ~REMOTE_IRR; // an edge entry has no remote IRR
    this.low[n] = e;
    // Unmasking (or making level) an asserted level pin delivers it now.
    if ((e & LEVEL) !== 0) this.service(n);
  }
}
