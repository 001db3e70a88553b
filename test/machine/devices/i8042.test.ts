import { describe, expect, it } from 'vitest';
import { I8042, Port92 } from '../../../src/runtime/machine/devices/i8042.ts';
import { IrqRouter } from '../../../src/runtime/machine/irq-router.ts';
import { PortIoBus } from '../../../src/runtime/machine/io-bus.ts';

function setup() {
  const lines = new Map<number, boolean>();
  const kbc = new I8042(new IrqRouter({ setIrq: (irq, level) => lines.set(irq, level) }));
  const io = new PortIoBus();
  for (const d of kbc.portDevices()) io.attach(d);
  io.addStopSource(kbc);
  io.attach(new Port92());
  return { kbc, io, lines };
}

/** Read one byte as a driver does: wait for OBF, then read the data port. */
function readByte(io: PortIoBus): number {
  expect(io.in(0x64, 1) & 1).toBe(1);
  return io.in(0x60, 1);
}

describe('i8042 keyboard controller', () => {
  it('probes as Linux does: status, self-test, command byte, interface tests', () => {
    const { io } = setup();
    expect(io.in(0x64, 1) & 0x03).toBe(0); // nothing to read, input buffer empty
    io.out(0x64, 1, 0xaa);
    expect(readByte(io)).toBe(0x55);
    expect(io.in(0x64, 1) & 0x04).toBe(0x04); // system flag after the self-test
    io.out(0x64, 1, 0x20);
    const ctr = readByte(io);
    expect(ctr & 0x03).toBe(0x03);
    io.out(0x64, 1, 0x60);
    io.out(0x60, 1, 0x65); // translate, disable mouse, sys, kbd int
    io.out(0x64, 1, 0x20);
    expect(readByte(io)).toBe(0x65);
    io.out(0x64, 1, 0xab);
    expect(readByte(io)).toBe(0x00);
    io.out(0x64, 1, 0xa9);
    expect(readByte(io)).toBe(0x00);
    expect(io.in(0x64, 1) & 1).toBe(0);
  });

  it('the keyboard answers reset, identify and echo; output raises IRQ 1 when enabled', () => {
    const { io, lines } = setup();
    io.out(0x60, 1, 0xff);
    expect(lines.get(1)).toBe(true);
    expect([readByte(io), readByte(io)]).toEqual([0xfa, 0xaa]);
    expect(lines.get(1)).toBe(false);
    io.out(0x60, 1, 0xf2);
    expect([readByte(io), readByte(io), readByte(io)]).toEqual([0xfa, 0xab, 0x83]);
    io.out(0x60, 1, 0xee);
    expect(readByte(io)).toBe(0xee);
    io.out(0x60, 1, 0xf0); // get scancode set
    io.out(0x60, 1, 0x00);
    expect([readByte(io), readByte(io), readByte(io)]).toEqual([0xfa, 0xfa, 0x02]);
  });

  it('0xD3 loops a byte back as AUX data (AUX OBF, IRQ 12)', () => {
    const { io, lines } = setup();
    io.out(0x64, 1, 0xd3);
    io.out(0x60, 1, 0x5a);
    expect(io.in(0x64, 1) & 0x21).toBe(0x21);
    expect(lines.get(12)).toBe(true);
    expect(io.in(0x60, 1)).toBe(0x5a);
  });

  it('0xFE pulses the reset line: the run stops as a reset', () => {
    const { io } = setup();
    io.out(0x64, 1, 0xd0);
    expect(readByte(io)).toBe(0xcf); // output port: reset high, A20 on
    io.out(0x64, 1, 0xff); // pulse nothing (bit 0 set): no reset
    expect(io.takeStop()).toBeNull();
    io.out(0x64, 1, 0xfe);
    expect(io.takeStop()).toEqual({ kind: 'reset', source: 'i8042 pulse of the reset line' });
  });

  it('port 0x92: A20 reads back, bit 0 resets', () => {
    const { io } = setup();
    expect(io.in(0x92, 1)).toBe(0x02);
    io.out(0x92, 1, 0x00);
    expect(io.in(0x92, 1)).toBe(0x00);
    expect(io.takeStop()).toBeNull();
    io.out(0x92, 1, 0x03);
    expect(io.takeStop()).toEqual({ kind: 'reset', source: 'port 0x92 fast reset' });
  });
});
