/**
 * The machine's interrupt routing above the legacy devices: one local APIC (the CPU's, which
 * the monitor injects from) and the IO-APIC wired to it (messages in, EOI broadcasts back).
 * The 8259 pair connects behind the APIC's LINT0 (`lapic.extInt = pic`), the IRQ router drives
 * the IO-APIC's pins (`ioapic.setPin`); see interrupt-lines.ts for the whole picture.
 */
import type { Clock } from './clock.ts';
import type { IntrChangeListener } from './interrupt-lines.ts';
import type { MmioMap } from './mmio.ts';
import { IOAPIC_BASE, IoApic } from './devices/ioapic.ts';
import { LocalApic } from './devices/lapic.ts';

export interface InterruptControllers {
  lapic: LocalApic;
  ioapic: IoApic;
}

export interface InterruptControllerParts {
  clock: Clock;
  mmio: MmioMap;
  /** The guest's TSC now (the APIC timer's TSC-deadline mode). */
  tscNow: () => bigint;
  /** The APIC's output may have changed (the monitor requests event windows). */
  onIntrChange: IntrChangeListener;
}

export function createInterruptControllers(parts: InterruptControllerParts): InterruptControllers {
  const lapic = new LocalApic(parts);
  const ioapic = new IoApic(lapic);
  lapic.eoiListener = (vector) => ioapic.eoi(vector);
  if (!parts.mmio.map(ioapic, IOAPIC_BASE, 4096)) throw new RangeError('RAM reaches the IO-APIC at 0xFEC00000: use less than 4076 MiB');
  return { lapic, ioapic };
}
