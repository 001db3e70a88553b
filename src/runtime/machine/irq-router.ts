import type { IoApicPins } from './interrupt-lines.ts';

/** The ISA side of the interrupt fabric: the dual 8259A takes IRQ 0–15 as input lines. */
export interface IsaIrqSink {
  setIrq(irq: number, level: boolean): void;
}

/** ISA IRQ lines on a PC. */
export const ISA_IRQS = 16;

/**
 * IO-APIC pin for an ISA IRQ: identity, except IRQ 0 (the PIT), which QEMU's pc machine wires
 * to pin 2 and the MADT states with an interrupt source override (ACPI 6.5 §5.2.12.5).
 */
export function ioApicPinFor(irq: number): number {
  return irq === 0 ? 2 : irq;
}

/**
 * ISA IRQ lines 0–15 as wires: a device drives a line high or low; the router forwards the
 * level to the PIC pair (which applies edge/level per its ELCR) and to the IO-APIC pin (whose
 * redirection entry says edge or level), as QEMU's gsi_handler does. A device never calls the
 * CPU; the CPU asks the controllers for a vector at an instruction boundary.
 */
export class IrqRouter {
  private readonly levels = new Uint8Array(ISA_IRQS);
  /** Rising edges per line (--stats). */
  readonly raised = new Float64Array(ISA_IRQS);
  private ioApic: IoApicPins | null = null;

  constructor(private readonly pic: IsaIrqSink) {}

  /** Connect the IO-APIC's input pins (the CPU side builds the IO-APIC). */
  connectIoApic(pins: IoApicPins): void {
    this.ioApic = pins;
    for (let irq = 0; irq < ISA_IRQS; irq++) if (this.levels[irq] !== 0) pins.setPin(ioApicPinFor(irq), true);
  }

  /** Drive ISA line `irq` to `level`; no-op when it already is there. */
  setIrq(irq: number, level: boolean): void {
    const v = level ? 1 : 0;
    if (this.levels[irq] === v) return;
    this.levels[irq] = v;
    if (level) this.raised[irq]!++;
    this.pic.setIrq(irq, level);
    this.ioApic?.setPin(ioApicPinFor(irq), level);
  }

  /** A rising then falling edge (an edge-triggered event such as a PIT period). */
  pulse(irq: number): void {
    this.setIrq(irq, false);
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  level(irq: number): boolean {
    return this.levels[irq] !== 0;
  }
}
