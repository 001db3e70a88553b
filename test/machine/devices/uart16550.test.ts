import { describe, expect, it } from 'vitest';
import { Uart16550, type SerialInput } from '../../../src/runtime/machine/devices/uart16550.ts';
import { IrqRouter } from '../../../src/runtime/machine/irq-router.ts';
import { PortIoBus } from '../../../src/runtime/machine/io-bus.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';
import { SteppedClock } from './stepped-clock.ts';

const B = 0x3f8;
const [DATA, IER, IIR, LCR, MCR, LSR, MSR, SCR] = [0, 1, 2, 3, 4, 5, 6, 7].map((o) => B + o) as [number, number, number, number, number, number, number, number];

class QueueInput implements SerialInput {
  ended = false;
  readonly bytes: number[] = [];
  read(): number {
    return this.bytes.shift() ?? -1;
  }
}

/** The UART set up by setup() polls first at 9600 baud's character time (the divisor then). */
const FIRST_POLL_NS = Math.ceil((10 * 12 * 1e9) / 115200);

function setup() {
  const clock = new SteppedClock();
  const out = new CapturedOutput();
  const input = new QueueInput();
  let irq4 = false;
  const router = new IrqRouter({ setIrq: (irq, level) => irq === 4 && (irq4 = level) });
  const uart = new Uart16550(clock, router, { name: 'COM1', base: B, irq: 4, output: out, input });
  const io = new PortIoBus();
  io.attach(uart);
  // 115200 8N1 as kvm-unit-tests and Linux's early console set it.
  io.out(LCR, 1, 0x80);
  io.out(DATA, 1, 0x01);
  io.out(IER, 1, 0x00);
  io.out(LCR, 1, 0x03);
  clock.advance(FIRST_POLL_NS); // the first poll (nothing there yet): now at 115200 baud
  return { clock, out, input, uart, io, irq: () => irq4 };
}

describe('16550A UART', () => {
  it('transmits at once: THR bytes reach the output, LSR keeps THRE and TEMT', () => {
    const { io, out, uart } = setup();
    for (const c of 'ok\n') io.out(DATA, 1, c.charCodeAt(0));
    expect(out.text()).toBe('ok\n');
    expect(io.in(LSR, 1)).toBe(0x60);
    expect(uart.bytesWritten).toBe(3);
    expect(uart.charTimeNs()).toBe(Math.ceil((10 * 1e9) / 115200));
  });

  it('divisor latch, LCR, MCR, SCR read back; MSR idle shows DCD, DSR, CTS', () => {
    const { io } = setup();
    io.out(LCR, 1, 0x83);
    io.out(DATA, 1, 0x0c);
    io.out(IER, 1, 0x00);
    expect(io.in(DATA, 1)).toBe(0x0c);
    io.out(LCR, 1, 0x1b);
    expect(io.in(LCR, 1)).toBe(0x1b);
    io.out(MCR, 1, 0xff);
    expect(io.in(MCR, 1)).toBe(0x1f);
    expect(io.in(MSR, 1)).toBe(0xf0); // loopback (MCR bit 4): RI, DCD, DSR, CTS from MCR
    io.out(MCR, 1, 0x03);
    expect(io.in(MSR, 1)).toBe(0xb4); // out of loopback: RI fell (TERI), read-to-clear
    expect(io.in(MSR, 1)).toBe(0xb0);
    io.out(SCR, 1, 0xa5);
    expect(io.in(SCR, 1)).toBe(0xa5);
  });

  it('receives host input one byte per character time, DR in LSR, RBR pops', () => {
    const { io, clock, input, uart } = setup();
    clock.advance(2e6); // polled, nothing there
    input.bytes.push(0x41, 0x42);
    expect(io.in(LSR, 1) & 1).toBe(0);
    clock.advance(20e6); // the idle poll backs off to at most 10 ms
    expect(io.in(LSR, 1)).toBe(0x61);
    clock.advance(uart.charTimeNs() * 3);
    // FIFO off (16450 mode): one byte held; the second waits on the host side, never overrun.
    expect(io.in(DATA, 1)).toBe(0x41);
    expect(io.in(LSR, 1) & 1).toBe(0);
    clock.advance(uart.charTimeNs());
    expect(io.in(DATA, 1)).toBe(0x42);
    expect(io.in(LSR, 1) & 0x03).toBe(0);
    expect(uart.bytesRead).toBe(2);
  });

  it('RX data interrupt at the FIFO trigger level, gated by MCR OUT2; IIR reports FIFOs', () => {
    const { io, clock, input, irq } = setup();
    io.out(IIR, 1, 0x47); // FIFO on, clear, trigger 4
    io.out(IER, 1, 0x01);
    io.out(MCR, 1, 0x0b); // OUT2
    input.bytes.push(1, 2, 3);
    clock.advance(20e6);
    expect(io.in(IIR, 1)).toBe(0xcc); // 3 bytes, below the trigger: the character timeout
    expect(io.in(DATA, 1)).toBe(1);
    expect(io.in(IIR, 1)).toBe(0xc1); // a read clears the timeout (it restarts)
    expect(irq()).toBe(false);
    input.bytes.push(4, 5);
    clock.advance(20e6);
    expect(io.in(IIR, 1)).toBe(0xc4); // 4 bytes: received data available
    expect(irq()).toBe(true);
    io.out(MCR, 1, 0x03); // OUT2 off: the interrupt stays pending but the line drops
    expect(irq()).toBe(false);
    expect(io.in(IIR, 1)).toBe(0xc4);
    io.out(MCR, 1, 0x0b);
    expect(irq()).toBe(true);
    expect([2, 3, 4, 5].map(() => io.in(DATA, 1))).toEqual([2, 3, 4, 5]);
    expect(irq()).toBe(false);
  });

  it('character timeout: bytes below the trigger level interrupt after 4 character times', () => {
    const { io, clock, input, uart, irq } = setup();
    io.out(IIR, 1, 0xc7); // trigger 14
    io.out(IER, 1, 0x01);
    io.out(MCR, 1, 0x08);
    input.bytes.push(0x31, 0x32);
    clock.advance(20e6);
    expect(io.in(IIR, 1)).toBe(0xcc);
    expect(irq()).toBe(true);
    expect(io.in(DATA, 1)).toBe(0x31); // a read clears the timeout and restarts it
    expect(io.in(IIR, 1) & 0x0f).toBe(0x01);
    clock.advance(uart.charTimeNs() * 4 - 10);
    expect(io.in(IIR, 1) & 0x0f).toBe(0x01);
    clock.advance(10);
    expect(io.in(IIR, 1)).toBe(0xcc);
  });

  it('THRE interrupt: on enabling ETBEI, cleared by an IIR read, again after each THR write', () => {
    const { io, irq } = setup();
    io.out(MCR, 1, 0x08);
    io.out(IER, 1, 0x02);
    expect(irq()).toBe(true);
    expect(io.in(IIR, 1)).toBe(0x02);
    expect(irq()).toBe(false);
    expect(io.in(IIR, 1)).toBe(0x01);
    io.out(DATA, 1, 0x21);
    expect(irq()).toBe(true);
    expect(io.in(IIR, 1)).toBe(0x02);
  });

  it('loopback: THR goes to RBR, MSR mirrors MCR, an overrun sets OE and a line-status interrupt', () => {
    const { io, out } = setup();
    io.out(MCR, 1, 0x10 | 0x0b); // loop, OUT2, RTS, DTR
    expect(io.in(MSR, 1) & 0xf0).toBe(0x80 | 0x20 | 0x10); // DCD = OUT2, DSR = DTR, CTS = RTS
    io.out(IER, 1, 0x04); // line status interrupts
    io.out(DATA, 1, 0x55);
    expect(out.text()).toBe('');
    expect(io.in(LSR, 1) & 0x03).toBe(0x01);
    io.out(DATA, 1, 0x66); // 16450 mode: one byte of room, overrun
    expect(io.in(IIR, 1)).toBe(0x06);
    expect(io.in(LSR, 1) & 0x03).toBe(0x03); // OE, read-to-clear
    expect(io.in(LSR, 1) & 0x02).toBe(0);
    expect(io.in(DATA, 1)).toBe(0x55);
    io.out(IIR, 1, 0x01); // FIFO: 16 bytes of room
    for (let i = 0; i < 16; i++) io.out(DATA, 1, i);
    expect(io.in(LSR, 1) & 0x02).toBe(0);
    io.out(DATA, 1, 0xff);
    expect(io.in(LSR, 1) & 0x02).toBe(0x02);
    expect(Array.from({ length: 16 }, () => io.in(DATA, 1))).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('input starts at the first guest access and stops polling at end of input', () => {
    const clock = new SteppedClock();
    const input = new QueueInput();
    input.bytes.push(0x7a);
    const uart = new Uart16550(clock, new IrqRouter({ setIrq: () => {} }), { name: 'COM1', base: B, irq: 4, output: new CapturedOutput(), input });
    clock.advance(1e6);
    expect(clock.armed).toBe(false); // untouched: not polled
    expect(uart.in(5) & 1).toBe(0);
    clock.advance(1e6);
    expect(uart.in(0)).toBe(0x7a);
    input.ended = true;
    clock.advance(1e8);
    expect(clock.armed).toBe(false);
  });
});
