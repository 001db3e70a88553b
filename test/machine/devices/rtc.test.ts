import { describe, expect, it } from 'vitest';
import { Rtc } from '../../../src/runtime/machine/devices/rtc.ts';
import { IrqRouter } from '../../../src/runtime/machine/irq-router.ts';
import { PortIoBus } from '../../../src/runtime/machine/io-bus.ts';
import { SteppedClock } from './stepped-clock.ts';

const MiB = 1024 * 1024;
/** 2025-06-30 23:59:58 UTC, a Monday. */
const START = Date.UTC(2025, 5, 30, 23, 59, 58) / 1000;

function setup(ramBytes = 128 * MiB, startSec = START) {
  const clock = new SteppedClock();
  const irq8: number[] = [];
  const router = new IrqRouter({ setIrq: (irq, level) => irq === 8 && level && irq8.push(clock.nowNs()) });
  const rtc = new Rtc(clock, router, { ramBytes, startSec });
  const io = new PortIoBus();
  io.attach(rtc);
  const read = (index: number) => (io.out(0x70, 1, index), io.in(0x71, 1));
  const write = (index: number, v: number) => (io.out(0x70, 1, index), io.out(0x71, 1, v));
  return { clock, rtc, io, read, write, irq8, router };
}

describe('CMOS RTC', () => {
  it('reads the start time in BCD 24-hour form and rolls over at the update', () => {
    const { clock, read } = setup();
    expect([read(0), read(2), read(4), read(7), read(8), read(9), read(0x32), read(6)]).toEqual([0x58, 0x59, 0x23, 0x30, 0x06, 0x25, 0x20, 0x02]);
    clock.advance(2e9);
    expect([read(0), read(2), read(4), read(7), read(8)]).toEqual([0x00, 0x00, 0x00, 0x01, 0x07]);
  });

  it('binary and 12-hour formats follow register B', () => {
    const { read, write } = setup();
    write(0x0b, 0x04); // binary, 12-hour
    expect(read(4)).toBe(0x80 | 11); // 23 h = 11 PM
    expect(read(0)).toBe(58);
    write(0x0b, 0x02 | 0x04); // binary 24 h
    expect(read(4)).toBe(23);
    write(0x0b, 0x00); // BCD 12 h
    expect(read(4)).toBe(0x91);
  });

  it('UIP is set only in the 244 µs before each update', () => {
    const { clock, read } = setup();
    expect(read(0x0a)).toBe(0x26);
    clock.advanceTo(1e9 - 245_000);
    expect(read(0x0a) & 0x80).toBe(0);
    clock.advanceTo(1e9 - 200_000);
    expect(read(0x0a) & 0x80).toBe(0x80);
    clock.advanceTo(1e9 + 1);
    expect(read(0x0a) & 0x80).toBe(0);
  });

  it('SET stops the update while the guest writes the time; clearing SET restarts it', () => {
    const { clock, read, write } = setup();
    write(0x0b, 0x82); // SET, 24 h BCD
    write(0, 0x30);
    write(2, 0x15);
    write(4, 0x08);
    write(7, 0x29);
    write(8, 0x02);
    write(9, 0x24); // 2024-02-29 08:15:30
    clock.advance(5e9);
    expect(read(0)).toBe(0x30); // held
    write(0x0b, 0x02);
    clock.advance(1.5e9);
    expect([read(0), read(2), read(4), read(7), read(8), read(9), read(6)]).toEqual([0x31, 0x15, 0x08, 0x29, 0x02, 0x24, 0x05]);
    // A running clock normalises a write: 2024-02-29 → day 30 is 1 March.
    write(7, 0x30);
    expect([read(7), read(8)]).toEqual([0x01, 0x03]);
  });

  it('periodic interrupt at the register A rate on IRQ 8; register C is read-to-clear', () => {
    const { clock, read, write, irq8 } = setup();
    write(0x0a, 0x26); // 1024 Hz
    write(0x0b, 0x42); // PIE
    clock.advanceTo(976_563);
    expect(irq8.length).toBe(1);
    expect(read(0x0c)).toBe(0xc0); // IRQF | PF
    expect(read(0x0c)).toBe(0);
    clock.advanceTo(10 * 976_563);
    // The line stays asserted until C is read: one edge while it was not read.
    expect(irq8.length).toBe(2);
    read(0x0c);
    write(0x0a, 0x2f); // 2 Hz
    irq8.length = 0;
    clock.advanceTo(10 * 976_563 + 2e9);
    expect(irq8.length).toBe(1);
    expect(read(0x0c) & 0xc0).toBe(0xc0);
  });

  it('update-ended and alarm interrupts; flags without enables are set and raise nothing', () => {
    const { clock, read, write, irq8 } = setup();
    clock.advance(1.5e9); // past one update with UIE off
    expect(read(0x0c)).toBe(0x10 | 0x40); // UF (and PF at the default 1024 Hz)
    expect(irq8.length).toBe(0);
    write(0x0b, 0x12); // UIE
    clock.advance(1e9);
    expect(irq8.length).toBe(1);
    expect(read(0x0c) & 0x90).toBe(0x90);
    write(0x0b, 0x22); // AIE only
    write(1, 0x05); // alarm at hh:mm:05, any minute, any hour
    write(3, 0xc0);
    write(5, 0xff);
    irq8.length = 0;
    clock.advance(10e9);
    expect(irq8.length).toBe(1);
    expect(read(0x0c) & 0xa0).toBe(0xa0);
    expect(read(0)).toBe(0x10); // 23:59:58 + 12.5 s
  });

  it('port 0x70 bit 7 is the NMI mask; CMOS RAM keeps bytes; C and D are read-only', () => {
    const { rtc, io, read, write } = setup();
    io.out(0x70, 1, 0x8f);
    expect(rtc.nmiMasked).toBe(true);
    io.out(0x71, 1, 0x5a);
    io.out(0x70, 1, 0x0f);
    expect(rtc.nmiMasked).toBe(false);
    expect(io.in(0x71, 1)).toBe(0x5a);
    write(0x0d, 0);
    expect(read(0x0d)).toBe(0x80);
  });

  it('memory-size bytes describe the RAM (32 MiB, and 3 GiB with the 64 MiB field clamped)', () => {
    const small = setup(32 * MiB);
    expect(small.read(0x15) | (small.read(0x16) << 8)).toBe(640);
    expect(small.read(0x17) | (small.read(0x18) << 8)).toBe(31 * 1024);
    expect(small.read(0x30) | (small.read(0x31) << 8)).toBe(31 * 1024);
    expect(small.read(0x34) | (small.read(0x35) << 8)).toBe((16 * MiB) / 65536);
    expect(small.read(0x5b) | small.read(0x5c) | small.read(0x5d)).toBe(0);
    const big = setup(3072 * MiB);
    expect(big.read(0x17) | (big.read(0x18) << 8)).toBe(0xffff);
    expect(big.read(0x34) | (big.read(0x35) << 8)).toBe((3056 * MiB) / 65536);
  });
});
