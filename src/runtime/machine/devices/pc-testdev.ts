import type { PortDevice } from './port-device.ts';
import type { IsaIrqSink } from '../irq-router.ts';

/**
 * QEMU's `pc-testdev` (hw/misc/pc-testdev.c), the test device kvm-unit-tests drives interrupt
 * lines with: a byte write of v to port 0x2000 + n sets ISA IRQ line n (0-15) to v != 0, through
 * the IRQ router to the 8259 pair and the IO-APIC. Port 0xE0 (the scratch "I/O data" port of
 * the string I/O tests) is not modelled; reads of the IRQ ports return 0.
 */
export const PC_TESTDEV_IRQ_BASE = 0x2000;

export class PcTestdevIrq implements PortDevice {
  readonly name = 'pc-testdev';
  readonly base = PC_TESTDEV_IRQ_BASE;
  readonly count = 16;
  private readonly irqs: IsaIrqSink;

  constructor(irqs: IsaIrqSink) {
    this.irqs = irqs;
  }

  in(): number {
    return 0;
  }

  out(offset: number, _size: 1 | 2 | 4, value: number): void {
    this.irqs.setIrq(offset, (value & 0xff) !== 0);
  }
}
