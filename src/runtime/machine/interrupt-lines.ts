/**
 * The interrupt wires between the devices and the CPU (the PC's shape, as in QEMU's `pc`):
 *
 *   devices ──IRQ n──► IRQ router ──► 8259 pair (IRQ 0-15) ──INTR──► LAPIC LINT0 (ExtINT) ──► CPU
 *                                 └─► IO-APIC pins 0-23 ──message──► LAPIC IRR ──────────────► CPU
 *
 * - ExtIntSource: the 8259 pair's INTR output and its INTA cycle. The LAPIC consumes it when
 *   LINT0 is in ExtINT mode (virtual wire), and the CPU directly when the APIC is globally
 *   disabled (IA32_APIC_BASE.EN = 0: LINT0 is then the INTR pin, SDM Vol. 3A §10.4.3).
 * - IoApicPins: the IO-APIC's 24 input pins; the IRQ router drives them beside the PIC.
 * - IntrChangeListener, "INTR may have changed": every interrupt controller takes one in its
 *   constructor options (`{ onIntrChange }`) and calls it whenever its output may have changed
 *   (a request raised, a mask cleared, an EOI that exposes a lower request). It is cheap and
 *   idempotent: it sets the CPU's "look at the interrupt lines" flag (Cpu.interruptCheck), so a
 *   compiled block or a halted CPU notices at the next instruction boundary. Calling it when
 *   nothing changed is harmless; not calling it when something did delays the interrupt until
 *   the next unrelated check (a bug).
 */

/** The 8259 pair's INTR output and INTA cycle. */
export interface ExtIntSource {
  /** INTR is asserted: an unmasked request with priority above anything in service. */
  hasInterrupt(): boolean;
  /** The INTA cycle: the vector (spurious 7/15 handled by the PIC); updates ISR/IRR. */
  acknowledge(): number;
}

/** The IO-APIC's input pins (level true = asserted; edge pins trigger on false → true). */
export interface IoApicPins {
  setPin(pin: number, level: boolean): void;
}

/** "INTR may have changed": see the file comment. */
export type IntrChangeListener = () => void;

/** Options every interrupt controller takes. */
export interface InterruptControllerOptions {
  onIntrChange: IntrChangeListener;
}
