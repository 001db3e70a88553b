import type { OutputSink } from '../output.ts';
import type { PortDevice } from './port-device.ts';

/** 16550 register offsets (DLAB = LCR bit 7 selects the divisor latch at offsets 0 and 1). */
const enum Reg {
  Data = 0, // THR (write) / RBR (read); DLL with DLAB
  Ier = 1, // DLM with DLAB
  Iir = 2, // IIR (read) / FCR (write)
  Lcr = 3,
  Mcr = 4,
  Lsr = 5,
  Msr = 6,
  Scr = 7,
}

/** LSR: transmitter holding register empty (bit 5) and transmitter empty (bit 6); no data ready. */
export const LSR_IDLE = 0x60;
/** MSR as QEMU's 16550 reports it with nothing attached: DCD, DSR, CTS. */
const MSR_IDLE = 0xb0;

/**
 * A 16550 UART with output only (guest contract, "Devices"): bytes written to THR go to the
 * sink; LSR always reads "transmitter empty, no input", so polling guests never wait; the other
 * registers keep what is written and read back as a 16550 with no input and no interrupt
 * pending. Interrupts are never raised.
 */
export class Serial16550 implements PortDevice {
  readonly name: string;
  readonly count = 8;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private fcr = 0;
  private dll = 0x0c; // 9600 baud, as after a BIOS
  private dlm = 0;
  bytesWritten = 0;

  constructor(
    readonly base: number,
    private readonly sink: OutputSink,
    name = 'COM1',
  ) {
    this.name = name;
  }

  private get dlab(): boolean {
    return (this.lcr & 0x80) !== 0;
  }

  in(offset: number): number {
    switch (offset) {
      case Reg.Data:
        return this.dlab ? this.dll : 0;
      case Reg.Ier:
        return this.dlab ? this.dlm : this.ier;
      case Reg.Iir:
        // No interrupt pending (bit 0); bits 7:6 report the FIFOs when FCR enabled them.
        return (this.fcr & 1) !== 0 ? 0xc1 : 0x01;
      case Reg.Lcr:
        return this.lcr;
      case Reg.Mcr:
        return this.mcr;
      case Reg.Lsr:
        return LSR_IDLE;
      case Reg.Msr:
        return MSR_IDLE;
      default:
        return this.scr;
    }
  }

  out(offset: number, _size: 1 | 2 | 4, value: number): void {
    const byte = value & 0xff;
    switch (offset) {
      case Reg.Data:
        if (this.dlab) {
          this.dll = byte;
        } else {
          this.bytesWritten++;
          this.sink.writeByte(byte);
        }
        return;
      case Reg.Ier:
        if (this.dlab) this.dlm = byte;
        else this.ier = byte & 0x0f;
        return;
      case Reg.Iir:
        this.fcr = byte;
        return;
      case Reg.Lcr:
        this.lcr = byte;
        return;
      case Reg.Mcr:
        this.mcr = byte & 0x1f;
        return;
      case Reg.Scr:
        this.scr = byte;
        return;
      default:
        return; // LSR and MSR are read-only
    }
  }
}
