import type { Clock } from '../clock.ts';
import type { IrqRouter } from '../irq-router.ts';
import type { OutputSink } from '../output.ts';
import type { PortDevice } from './port-device.ts';

export const COM1_BASE = 0x3f8;
export const COM1_IRQ = 4;
export const COM2_BASE = 0x2f8;
export const COM2_IRQ = 3;

/** Where received bytes come from (the host console, a test). Polled, never blocking. */
export interface SerialInput {
  /** The next byte, or -1 when none is available now. */
  read(): number;
  /** No byte will ever come (end of file): the UART stops polling. */
  readonly ended: boolean;
}

/** Register offsets (DLAB = LCR bit 7 puts the divisor latch at offsets 0 and 1). */
const enum Reg {
  Data = 0,
  Ier = 1,
  Iir = 2,
  Lcr = 3,
  Mcr = 4,
  Lsr = 5,
  Msr = 6,
  Scr = 7,
}

const IER_RDA = 0x01;
const IER_THRE = 0x02;
const IER_RLS = 0x04;
const IER_MS = 0x08;
const IIR_NONE = 0x01;
const IIR_MS = 0x00;
const IIR_THRE = 0x02;
const IIR_RDA = 0x04;
const IIR_RLS = 0x06;
const IIR_TIMEOUT = 0x0c;
const IIR_FIFO = 0xc0;
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_ERRORS = 0x1e; // OE, PE, FE, BI
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;
/** LSR with nothing received: transmitter empty (the guest contract's 0x60). */
export const LSR_IDLE = LSR_THRE | LSR_TEMT;
/** MSR with nothing attached: DCD, DSR, CTS asserted (QEMU's default). */
const MSR_IDLE = 0xb0;
const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
/** The UART's 1.8432 MHz crystal / 16. */
const BASE_BAUD = 115200;
/** The host input is polled at most this often once it has been idle (virtual ns). */
const MAX_POLL_NS = 10_000_000;

/** The UART's registers as a guest sees them. */
export interface UartState {
  ier: number;
  lcr: number;
  mcr: number;
  /** LSR's sticky error bits (OE); DR, THRE and TEMT are derived. */
  lsrErrors: number;
  msr: number;
  scr: number;
  fcr: number;
  dll: number;
  dlm: number;
  /** Receive FIFO (one entry used in 16450 mode). */
  rx: Uint8Array;
  rxHead: number;
  rxCount: number;
  /** THR-empty interrupt pending (cleared by an IIR read that reports it, or a THR write). */
  thrPending: boolean;
  /** Character timeout: bytes in the FIFO below the trigger level for 4 character times. */
  timeoutPending: boolean;
}

export interface UartOptions {
  name: string;
  base: number;
  irq: number;
  output: OutputSink;
  input?: SerialInput;
}

/**
 * A 16550A UART (National PC16550D data sheet; QEMU hw/char/serial.c). Transmission is
 * instantaneous: a byte written to THR goes to the output sink at once and LSR always shows the
 * transmitter empty, so polling guests never wait (guest contract). Received bytes come from
 * the SerialInput, taken at instruction boundaries at most one per character time of the
 * programmed line speed and only while there is room (the host side is flow-controlled, never
 * overrun); loopback mode (MCR bit 4) sends transmitted bytes to the receiver instead, where an
 * overrun sets OE. Interrupts: line status, received data at the FIFO trigger level (1/4/8/14),
 * character timeout, THR empty and modem status, in the data sheet's priority order, on the
 * ISA IRQ when MCR OUT2 is set (the PC's IRQ enable; OUT2 is forced inactive in loopback).
 * Not modelled: parity/framing errors and break (nothing produces them), the transmit FIFO's
 * fill level, the scratchpad's absence on a 16450.
 */
export class Uart16550 implements PortDevice {
  readonly name: string;
  readonly base: number;
  readonly count = 8;
  readonly state: UartState;
  bytesWritten = 0;
  bytesRead = 0;
  private readonly irq: number;
  private readonly output: OutputSink;
  private input: SerialInput | null;
  private pollTimer = 0;
  private pollNs = 0;
  /** The guest has touched the UART: from then on the input is polled. */
  private started = false;
  private timeoutTimer = 0;

  constructor(
    private readonly clock: Clock,
    private readonly router: IrqRouter,
    options: UartOptions,
  ) {
    this.name = options.name;
    this.base = options.base;
    this.irq = options.irq;
    this.output = options.output;
    this.input = options.input ?? null;
    this.state = {
      ier: 0,
      lcr: 0,
      mcr: 0,
      lsrErrors: 0,
      msr: MSR_IDLE,
      scr: 0,
      fcr: 0,
      dll: 0x0c, // 9600 baud, as a BIOS leaves it
      dlm: 0,
      rx: new Uint8Array(FIFO_SIZE),
      rxHead: 0,
      rxCount: 0,
      thrPending: false,
      timeoutPending: false,
    };
  }

  /** Attach (or replace) the receive source. */
  connectInput(input: SerialInput | null): void {
    this.input = input;
    this.pollNs = 0;
    this.schedulePoll(0);
  }

  reset(): void {
    const s = this.state;
    Object.assign(s, { ier: 0, lcr: 0, mcr: 0, lsrErrors: 0, msr: MSR_IDLE, scr: 0, fcr: 0, dll: 0x0c, dlm: 0 });
    s.rxHead = 0;
    s.rxCount = 0;
    s.thrPending = false;
    s.timeoutPending = false;
    this.update();
  }

  private get dlab(): boolean {
    return (this.state.lcr & 0x80) !== 0;
  }

  private get fifoEnabled(): boolean {
    return (this.state.fcr & FCR_ENABLE) !== 0;
  }

  private get capacity(): number {
    return this.fifoEnabled ? FIFO_SIZE : 1;
  }

  /** The first access connects the input (bytes typed before a driver exists are kept). */
  private start(): void {
    this.started = true;
    this.schedulePoll(0);
  }

  in(offset: number): number {
    const s = this.state;
    if (!this.started) this.start();
    switch (offset) {
      case Reg.Data:
        return this.dlab ? s.dll : this.readRbr();
      case Reg.Ier:
        return this.dlab ? s.dlm : s.ier;
      case Reg.Iir: {
        const iir = this.pendingIir();
        if (iir === IIR_THRE) {
          s.thrPending = false;
          this.update();
        }
        return iir | (this.fifoEnabled ? IIR_FIFO : 0);
      }
      case Reg.Lcr:
        return s.lcr;
      case Reg.Mcr:
        return s.mcr;
      case Reg.Lsr: {
        const lsr = s.lsrErrors | (s.rxCount > 0 ? LSR_DR : 0) | LSR_IDLE;
        s.lsrErrors = 0;
        if (lsr & LSR_ERRORS) this.update();
        return lsr;
      }
      case Reg.Msr: {
        const msr = s.msr;
        s.msr &= 0xf0; // reading clears the delta bits
        if (msr & 0x0f) this.update();
        return msr;
      }
      default:
        return s.scr;
    }
  }

  out(offset: number, _size: 1 | 2 | 4, value: number): void {
    this.write(offset, value & 0xff);
    // Polling starts (or resumes: FIFO enabled, loopback off) once the write took effect.
    this.started = true;
    this.schedulePoll(0);
  }

  private write(offset: number, v: number): void {
    const s = this.state;
    switch (offset) {
      case Reg.Data:
        if (this.dlab) s.dll = v;
        else this.transmit(v);
        return;
      case Reg.Ier:
        if (this.dlab) {
          s.dlm = v;
          return;
        }
        // Enabling the THRE interrupt with THR empty requests one (data sheet; QEMU).
        if ((v & IER_THRE) !== 0 && (s.ier & IER_THRE) === 0) s.thrPending = true;
        s.ier = v & 0x0f;
        this.update();
        return;
      case Reg.Iir:
        this.writeFcr(v);
        return;
      case Reg.Lcr:
        s.lcr = v;
        return;
      case Reg.Mcr: {
        const old = s.mcr;
        s.mcr = v & 0x1f;
        if ((s.mcr & MCR_LOOP) !== 0) this.setMsr(loopbackMsr(s.mcr));
        else if ((old & MCR_LOOP) !== 0) this.setMsr(MSR_IDLE);
        this.update();
        return;
      }
      case Reg.Scr:
        s.scr = v;
        return;
      default:
        return; // LSR and MSR are read-only (factory test modes ignored)
    }
  }


  private transmit(byte: number): void {
    const s = this.state;
    if ((s.mcr & MCR_LOOP) !== 0) {
      this.receive(byte);
    } else {
      this.bytesWritten++;
      this.output.writeByte(byte);
    }
    // The byte leaves at once: THR is empty again, which is itself a THRE interrupt.
    s.thrPending = true;
    this.update();
  }

  private readRbr(): number {
    const s = this.state;
    if (s.rxCount === 0) return 0;
    const byte = s.rx[s.rxHead]!;
    s.rxHead = (s.rxHead + 1) % FIFO_SIZE;
    s.rxCount--;
    s.timeoutPending = false;
    this.restartTimeout();
    this.update();
    if (this.input !== null) this.schedulePoll(0);
    return byte;
  }

  /** A byte arrives at the receiver (host input or loopback). */
  private receive(byte: number): void {
    const s = this.state;
    if (s.rxCount >= this.capacity) {
      s.lsrErrors |= LSR_OE; // overrun: the new character is lost
      this.update();
      return;
    }
    s.rx[(s.rxHead + s.rxCount) % FIFO_SIZE] = byte;
    s.rxCount++;
    this.restartTimeout();
    this.update();
  }

  private writeFcr(v: number): void {
    const s = this.state;
    const wasEnabled = this.fifoEnabled;
    // Changing FIFO enable clears the FIFOs; bit 1 clears the receive FIFO.
    if ((v & FCR_CLEAR_RX) !== 0 || ((v & FCR_ENABLE) !== 0) !== wasEnabled) {
      s.rxHead = 0;
      s.rxCount = 0;
      s.timeoutPending = false;
    }
    s.fcr = v & 0xc9; // enable, DMA mode, trigger level (clear bits self-clear)
    this.update();
  }

  private setMsr(msr: number): void {
    const s = this.state;
    const old = s.msr;
    let delta = s.msr & 0x0f;
    if ((old ^ msr) & 0x10) delta |= 0x01; // DCTS
    if ((old ^ msr) & 0x20) delta |= 0x02; // DDSR
    if (old & 0x40 && !(msr & 0x40)) delta |= 0x04; // TERI: RI trailing edge
    if ((old ^ msr) & 0x80) delta |= 0x08; // DDCD
    s.msr = (msr & 0xf0) | delta;
  }

  /** The highest-priority interrupt condition (IIR bits 3:0). */
  private pendingIir(): number {
    const s = this.state;
    if ((s.ier & IER_RLS) !== 0 && (s.lsrErrors & LSR_ERRORS) !== 0) return IIR_RLS;
    if ((s.ier & IER_RDA) !== 0) {
      const level = this.fifoEnabled ? TRIGGER_LEVELS[s.fcr >> 6]! : 1;
      if (s.rxCount >= level) return IIR_RDA;
      if (this.fifoEnabled && s.timeoutPending && s.rxCount > 0) return IIR_TIMEOUT;
    }
    if ((s.ier & IER_THRE) !== 0 && s.thrPending) return IIR_THRE;
    if ((s.ier & IER_MS) !== 0 && (s.msr & 0x0f) !== 0) return IIR_MS;
    return IIR_NONE;
  }

  /** The IRQ line: an interrupt pending and OUT2 enabling the PC's IRQ driver. */
  private update(): void {
    const mcr = this.state.mcr;
    const gate = (mcr & MCR_OUT2) !== 0 && (mcr & MCR_LOOP) === 0;
    this.router.setIrq(this.irq, gate && this.pendingIir() !== IIR_NONE);
  }

  /** Line time of one character in ns: start + data + parity + stop bits at the divisor's baud. */
  charTimeNs(): number {
    const s = this.state;
    const divisor = s.dll | (s.dlm << 8) || 1;
    const lcr = s.lcr;
    const bits = 1 + 5 + (lcr & 3) + ((lcr & 0x08) !== 0 ? 1 : 0) + ((lcr & 0x04) !== 0 ? 2 : 1);
    return Math.ceil((bits * divisor * 1e9) / BASE_BAUD);
  }

  /** The character timeout: 4 character times after the last FIFO activity (data sheet). */
  private restartTimeout(): void {
    if (this.timeoutTimer !== 0) this.clock.clearTimer(this.timeoutTimer);
    this.timeoutTimer = 0;
    const s = this.state;
    if (!this.fifoEnabled || s.rxCount === 0) return;
    this.timeoutTimer = this.clock.setTimer(this.clock.nowNs() + 4 * this.charTimeNs(), () => {
      this.timeoutTimer = 0;
      s.timeoutPending = true;
      this.update();
    });
  }

  /** Poll the input after `delayNs` (0: one character time), unless a poll is armed already. */
  private schedulePoll(delayNs: number): void {
    const input = this.input;
    if (!this.started || input === null || input.ended || this.pollTimer !== 0) return;
    if ((this.state.mcr & MCR_LOOP) !== 0 || this.state.rxCount >= this.capacity) return;
    const at = this.clock.nowNs() + (delayNs > 0 ? delayNs : this.charTimeNs());
    this.pollTimer = this.clock.setTimer(at, this.onPoll);
  }

  private readonly onPoll = (): void => {
    this.pollTimer = 0;
    const input = this.input;
    if (input === null) return;
    const byte = (this.state.mcr & MCR_LOOP) === 0 && this.state.rxCount < this.capacity ? input.read() : -1;
    if (byte >= 0) {
      this.bytesRead++;
      this.pollNs = 0;
      this.receive(byte);
      this.schedulePoll(0);
      return;
    }
    // Nothing there: back off (doubling, up to MAX_POLL_NS) so an idle console costs little.
    this.pollNs = Math.min(MAX_POLL_NS, Math.max(this.charTimeNs(), this.pollNs * 2));
    this.schedulePoll(this.pollNs);
  };
}

/** MSR in loopback: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
function loopbackMsr(mcr: number): number {
  return ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) | ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4);
}
