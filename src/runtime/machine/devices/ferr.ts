import type { IsaIrqSink } from '../irq-router.ts';
import type { PortDevice } from './port-device.ts';

/** ISA IRQ of the x87 error (FERR#) on a PC/AT. */
export const FERR_IRQ = 13;
export const FERR_PORT = 0xf0;

/**
 * The PC/AT's x87 error path for CR0.NE = 0 (SDM Vol. 1 §D.1, Figure D-1): the CPU's FERR#
 * output (Cpu.onFerr) sets a latch that drives IRQ13; a write to port 0xF0 (any value) clears the
 * latch (and, on hardware, asserts IGNNE# so the FPU proceeds; the interpreter never waits on
 * FERR#, see docs/fpu.md). FERR# going inactive (FNINIT/FNCLEX) also drops the line. Port 0xF0
 * reads as all ones (nothing to read on an AT).
 */
export class FerrLatch implements PortDevice {
  readonly name = 'ferr';
  readonly base = FERR_PORT;
  readonly count = 1;

  constructor(private readonly irq: IsaIrqSink) {}

  /** Cpu.onFerr: FERR# asserted or released. */
  setFerr(asserted: boolean): void {
    this.irq.setIrq(FERR_IRQ, asserted);
  }

  in(): number {
    return 0xff;
  }

  out(): void {
    this.irq.setIrq(FERR_IRQ, false);
  }
}
