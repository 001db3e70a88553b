import type { StopReason } from '../vmm/monitor.ts';
import type { Clock } from './clock.ts';
import { DebugConsole } from './devices/debug-console.ts';
import { DebugExit } from './devices/debug-exit.ts';
import { FwCfg } from './devices/fw-cfg.ts';
import { I8042, Port92 } from './devices/i8042.ts';
import { PciHost } from './devices/pci-host.ts';
import { PcTestdevIrq } from './devices/pc-testdev.ts';
import { PicPair } from './devices/pic.ts';
import { Pit8254 } from './devices/pit.ts';
import { Port61 } from './devices/port61.ts';
import { FerrLatch } from './devices/ferr.ts';
import { PostPort } from './devices/post-port.ts';
import { Rtc } from './devices/rtc.ts';
import { COM1_BASE, COM1_IRQ, COM2_BASE, COM2_IRQ, Uart16550, type SerialInput } from './devices/uart16550.ts';
import type { IntrChangeListener } from './interrupt-lines.ts';
import { PortIoBus, type StopSource } from './io-bus.ts';
import { IrqRouter } from './irq-router.ts';
import type { OutputSink } from './output.ts';

export const DEBUGCON_PORT = 0xe9;
export const DEBUG_EXIT_PORT = 0xf4;

export interface PlatformOptions {
  clock: Clock;
  /** Guest output: COM1 and the debug console. */
  output: OutputSink;
  /** Guest RAM in bytes (CMOS and fw_cfg report it). */
  ramBytes: number;
  /**
   * COM1's receive side (the host console); none: nothing is ever received. A console that
   * can quit the run (Ctrl-A X) also has takeStop, polled between CPU slices.
   */
  serialInput?: SerialInput & Partial<StopSource>;
  /** COM2's output; default: discarded. */
  com2Output?: OutputSink;
  /** RTC wall time at power-on (Unix seconds); default the deterministic DEFAULT_RTC_START_SEC. */
  rtcStartSec?: number;
  /** "INTR may have changed" (the CPU side's listener, interrupt-lines.ts). */
  onIntrChange?: IntrChangeListener;
}

/**
 * The PC platform's devices on one port bus, in the shape of QEMU's `pc` machine: the 8259
 * pair with ELCR, the 8254 and port 0x61, the CMOS RTC, COM1/COM2, the i8042 and port 0x92,
 * port 0x80, the PCI host bridge, fw_cfg, and the guest contract's debug console (0xE9) and
 * debug exit (0xF4). ISA IRQs go through the router to the PIC (and to the IO-APIC once the
 * CPU side connects it). Ports nothing claims read all ones. See docs/platform-devices.md.
 */
export class Platform {
  readonly io = new PortIoBus();
  readonly pic: PicPair;
  readonly router: IrqRouter;
  readonly pit: Pit8254;
  readonly port61: Port61;
  /** The x87 FERR# → IRQ13 latch (port 0xF0); the machine connects Cpu.onFerr to it. */
  readonly ferr: FerrLatch;
  readonly rtc: Rtc;
  readonly com1: Uart16550;
  readonly com2: Uart16550;
  readonly i8042: I8042;
  readonly port92 = new Port92();
  readonly post = new PostPort();
  readonly pci = new PciHost();
  readonly fwCfg: FwCfg;
  readonly debugcon: DebugConsole;
  readonly debugExit: DebugExit;
  /** Stops requested outside an OUT (the console's Ctrl-A X). */
  private pendingStop: StopReason | null = null;
  private readonly console: Partial<StopSource> | undefined;

  constructor(options: PlatformOptions) {
    const { clock } = options;
    this.console = options.serialInput;
    this.pic = new PicPair({ onIntrChange: options.onIntrChange });
    this.router = new IrqRouter(this.pic);
    this.pit = new Pit8254(clock, this.router);
    this.port61 = new Port61(clock, this.pit);
    this.ferr = new FerrLatch(this.router);
    this.rtc = new Rtc(clock, this.router, { ramBytes: options.ramBytes, startSec: options.rtcStartSec });
    this.com1 = new Uart16550(clock, this.router, { name: 'COM1', base: COM1_BASE, irq: COM1_IRQ, output: options.output, input: options.serialInput });
    this.com2 = new Uart16550(clock, this.router, { name: 'COM2', base: COM2_BASE, irq: COM2_IRQ, output: options.com2Output ?? { writeByte: () => {} } });
    this.i8042 = new I8042(this.router);
    this.fwCfg = new FwCfg({ ramBytes: options.ramBytes });
    this.debugcon = new DebugConsole(DEBUGCON_PORT, options.output);
    this.debugExit = new DebugExit(DEBUG_EXIT_PORT);
    const io = this.io;
    for (const d of this.pic.portDevices()) io.attach(d);
    io.attach(this.pit);
    io.attach(this.port61);
    io.attach(this.ferr);
    io.attach(this.rtc);
    io.attach(this.com1);
    io.attach(this.com2);
    for (const d of this.i8042.portDevices()) io.attach(d);
    io.attach(this.port92);
    io.attach(this.post);
    io.attach(this.pci);
    io.attach(this.fwCfg);
    io.attach(this.debugcon);
    io.attach(this.debugExit);
    io.attach(new PcTestdevIrq(this.router)); // QEMU's test device (kvm-unit-tests' IRQ lines)
    io.addStopSource(this.i8042); // port 0x92 and 0xCF9 are StoppingDevices themselves
  }

  /** Ask the run to end at the next check (the console's quit key). */
  requestStop(stop: StopReason): void {
    this.pendingStop ??= stop;
  }

  /** A stop requested outside an OUT, consumed (the machine's run loop asks between slices). */
  takeStop(): StopReason | null {
    const s = this.pendingStop ?? this.console?.takeStop?.() ?? null;
    this.pendingStop = null;
    return s;
  }

  /** Device counters for --stats. */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let irq = 0; irq < 16; irq++) {
      const n = this.router.raised[irq]!;
      if (n > 0) out[`irq.${irq}.raised`] = n;
    }
    out['pic.acknowledged'] = this.pic.counters.acknowledged;
    out['pic.spurious'] = this.pic.counters.spurious;
    out['pit.irq0'] = this.pit.counters.irq0;
    out['rtc.irq8'] = this.rtc.interrupts;
    out['com1.bytesOut'] = this.com1.bytesWritten;
    out['com1.bytesIn'] = this.com1.bytesRead;
    return out;
  }
}
