import { describe, expect, it } from 'vitest';
import { createStandardDevices } from '../../src/runtime/machine/devices/standard.ts';
import { BufferedOutput, CapturedOutput } from '../../src/runtime/machine/output.ts';

function setup() {
  const out = new CapturedOutput();
  return { out, ...createStandardDevices(out) };
}

describe('standard devices (guest contract, "Devices")', () => {
  it('COM1 THR and the debug console write bytes to the output in order', () => {
    const { io, out } = setup();
    io.out(0x3f8, 1, 0x48);
    io.out(0xe9, 1, 0x69);
    io.out(0x3f8, 1, 0x10a); // only the low byte
    expect(out.text()).toBe('Hi\n');
  });

  it('COM1 line status reads 0x60 and the rest reads as an idle 16550', () => {
    const { io } = setup();
    expect(io.in(0x3fd, 1)).toBe(0x60);
    expect(io.in(0x3f8, 1)).toBe(0); // no input
    expect(io.in(0x3fa, 1)).toBe(0x01); // no interrupt pending
    io.out(0x3fa, 1, 0x07); // enable FIFOs
    expect(io.in(0x3fa, 1)).toBe(0xc1);
    io.out(0x3fb, 1, 0x03);
    expect(io.in(0x3fb, 1)).toBe(0x03);
    io.out(0x3ff, 1, 0x5a); // scratch
    expect(io.in(0x3ff, 1)).toBe(0x5a);
    io.out(0x3f9, 1, 0x0f);
    expect(io.in(0x3f9, 1)).toBe(0x0f);
  });

  it('COM1 with DLAB set writes the divisor latch, not the output', () => {
    const { io, out, com1 } = setup();
    io.out(0x3fb, 1, 0x80);
    io.out(0x3f8, 1, 0x01);
    io.out(0x3f9, 1, 0x00);
    expect(io.in(0x3f8, 1)).toBe(0x01);
    io.out(0x3fb, 1, 0x03);
    io.out(0x3f8, 1, 0x41);
    expect(out.text()).toBe('A');
    expect(com1.bytesWritten).toBe(1);
  });

  it('a write of v to 0xF4 requests a stop with status (v << 1) | 1, once', () => {
    const { io } = setup();
    expect(io.takeStop()).toBeNull();
    io.out(0xf4, 1, 0);
    expect(io.takeStop()).toEqual({ kind: 'debug-exit', status: 1 });
    expect(io.takeStop()).toBeNull();
    io.out(0xf4, 4, 0x10);
    expect(io.takeStop()).toEqual({ kind: 'debug-exit', status: 0x21 });
  });

  it('unknown ports read all ones for the access size, drop writes, and are counted', () => {
    const { io } = setup();
    expect(io.in(0x300, 1)).toBe(0xff);
    expect(io.in(0x300, 2)).toBe(0xffff);
    expect(io.in(0xcf0, 4)).toBe(0xffffffff);
    io.out(0x1234, 1, 0);
    expect(io.unknownPorts.get(0x300)).toBe(2);
    expect(io.unknownPorts.get(0xcf0)).toBe(1);
    expect(io.unknownPorts.get(0x1234)).toBe(1);
  });

  it('claims the platform ports: port 0x80 reads all ones but is not unknown', () => {
    const { io } = setup();
    expect(io.in(0x80, 1)).toBe(0xff);
    io.out(0x80, 1, 0x42);
    expect(io.unknownPorts.size).toBe(0);
  });

  it('refuses two devices on one port', () => {
    const { io, com1 } = setup();
    expect(() => io.attach(com1)).toThrow(/claimed twice/);
  });

  it('BufferedOutput hands on whole lines and the rest on flush', () => {
    const chunks: string[] = [];
    const b = new BufferedOutput((c) => chunks.push(Buffer.from(c).toString('latin1')), 4);
    for (const ch of 'ab\ncdefg') b.writeByte(ch.charCodeAt(0));
    expect(chunks).toEqual(['ab\n', 'cdef']);
    b.flush();
    expect(chunks).toEqual(['ab\n', 'cdef', 'g']);
  });
});
