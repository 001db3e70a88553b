import { describe, expect, it } from 'vitest';
import { PicPair } from '../../../src/runtime/machine/devices/pic.ts';
import { PortIoBus } from '../../../src/runtime/machine/io-bus.ts';

/** A PIC pair on a port bus, initialised as Linux's init_8259A / a BIOS does. */
function setup(options: { autoEoi?: boolean; masterBase?: number; slaveBase?: number } = {}) {
  let changes = 0;
  const pic = new PicPair({ onIntrChange: () => changes++ });
  const io = new PortIoBus();
  for (const d of pic.portDevices()) io.attach(d);
  const icw4 = options.autoEoi === true ? 0x03 : 0x01;
  io.out(0x20, 1, 0x11); // ICW1: edge, cascade, ICW4
  io.out(0x21, 1, options.masterBase ?? 0x20); // ICW2
  io.out(0x21, 1, 0x04); // ICW3: slave on IR2
  io.out(0x21, 1, icw4);
  io.out(0xa0, 1, 0x11);
  io.out(0xa1, 1, options.slaveBase ?? 0x28);
  io.out(0xa1, 1, 0x02); // slave ID 2
  io.out(0xa1, 1, icw4);
  io.out(0x21, 1, 0x00); // unmask all
  io.out(0xa1, 1, 0x00);
  return { pic, io, changes: () => changes };
}

const readIrr = (io: PortIoBus, port: number) => (io.out(port, 1, 0x0a), io.in(port, 1));
const readIsr = (io: PortIoBus, port: number) => (io.out(port, 1, 0x0b), io.in(port, 1));

describe('8259A pair', () => {
  it('delivers an edge request as ICW2 base + line, moving it from IRR to ISR', () => {
    const { pic, io, changes } = setup();
    expect(pic.hasInterrupt()).toBe(false);
    const before = changes();
    pic.setIrq(1, true);
    expect(changes()).toBeGreaterThan(before);
    expect(pic.hasInterrupt()).toBe(true);
    expect(readIrr(io, 0x20)).toBe(0x02);
    expect(pic.acknowledge()).toBe(0x21);
    expect(readIrr(io, 0x20)).toBe(0);
    expect(readIsr(io, 0x20)).toBe(0x02);
    expect(pic.hasInterrupt()).toBe(false);
    // An edge line held high does not request again; lower and raise it does.
    pic.setIrq(1, true);
    expect(readIrr(io, 0x20)).toBe(0);
    io.out(0x20, 1, 0x20); // non-specific EOI
    expect(readIsr(io, 0x20)).toBe(0);
    pic.setIrq(1, false);
    pic.setIrq(1, true);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('masks with OCW1 and reads IMR back; a masked request waits in IRR', () => {
    const { pic, io } = setup();
    io.out(0x21, 1, 0x01);
    expect(io.in(0x21, 1)).toBe(0x01);
    pic.setIrq(0, true);
    expect(pic.hasInterrupt()).toBe(false);
    expect(readIrr(io, 0x20)).toBe(0x01);
    io.out(0x21, 1, 0x00);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('serves the highest priority first and nests a higher one over a lower in service', () => {
    const { pic, io } = setup();
    pic.setIrq(4, true);
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x23);
    // IRQ 4 is lower than 3 (in service): blocked until the EOI.
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(1, true); // higher: nests
    expect(pic.acknowledge()).toBe(0x21);
    expect(readIsr(io, 0x20)).toBe(0x0a);
    io.out(0x20, 1, 0x20); // EOI clears the highest in service (1)
    expect(readIsr(io, 0x20)).toBe(0x08);
    expect(pic.hasInterrupt()).toBe(false);
    io.out(0x20, 1, 0x63); // specific EOI for 3
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('cascades the slave through IR2: vector from the slave, both ISRs set, EOI to both', () => {
    const { pic, io } = setup();
    pic.setIrq(12, true);
    expect(readIrr(io, 0x20)).toBe(0x04);
    expect(pic.acknowledge()).toBe(0x2c);
    expect(readIsr(io, 0x20)).toBe(0x04);
    expect(readIsr(io, 0xa0)).toBe(0x10);
    pic.setIrq(8, false);
    pic.setIrq(8, true); // the slave's IRQ 8 outranks 12, but the master's IR2 is in service
    expect(pic.hasInterrupt()).toBe(false);
    io.out(0xa0, 1, 0x20);
    io.out(0x20, 1, 0x20);
    expect(pic.acknowledge()).toBe(0x28);
  });

  it('answers a request that went away with the spurious vector 7 (master) or 15 (slave)', () => {
    const { pic, io } = setup();
    pic.setIrq(5, true);
    io.out(0x4d0, 1, 0x20); // make 5 level-triggered: IRR follows the line
    pic.setIrq(5, false);
    expect(pic.acknowledge()).toBe(0x27);
    expect(readIsr(io, 0x20)).toBe(0); // no ISR bit for a spurious IRQ 7
    io.out(0x4d1, 1, 0x02); // IRQ 9 level
    pic.setIrq(9, true);
    pic.setIrq(9, false);
    expect(pic.acknowledge()).toBe(0x2f);
    expect(readIsr(io, 0xa0)).toBe(0);
    expect(readIsr(io, 0x20)).toBe(0x04); // the master acknowledged its cascade line
    expect(pic.counters.spurious).toBe(2);
  });

  it('level-triggered lines (ELCR) keep requesting while high; ELCR bits 0-2 and 8, 13 are fixed', () => {
    const { pic, io } = setup();
    io.out(0x4d0, 1, 0xff);
    io.out(0x4d1, 1, 0xff);
    expect(io.in(0x4d0, 1)).toBe(0xf8);
    expect(io.in(0x4d1, 1)).toBe(0xde);
    pic.setIrq(10, true);
    expect(pic.acknowledge()).toBe(0x2a);
    io.out(0xa0, 1, 0x20);
    io.out(0x20, 1, 0x20);
    expect(pic.hasInterrupt()).toBe(true); // still high: requests again
    expect(pic.acknowledge()).toBe(0x2a);
  });

  it('in AEOI mode leaves ISR clear, so a lower request follows without an EOI', () => {
    const { pic, io } = setup({ autoEoi: true, masterBase: 0x08, slaveBase: 0x70 });
    pic.setIrq(0, true);
    pic.setIrq(6, true);
    expect(pic.acknowledge()).toBe(0x08);
    expect(readIsr(io, 0x20)).toBe(0);
    expect(pic.acknowledge()).toBe(0x0e);
    pic.setIrq(14, true);
    expect(pic.acknowledge()).toBe(0x76);
  });

  it('rotates priorities: rotate on non-specific EOI and set-priority', () => {
    const { pic, io } = setup();
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    io.out(0x20, 1, 0xa0); // rotate on non-specific EOI: 1 becomes lowest, 2 highest
    pic.setIrq(0, true);
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x23); // 3 outranks 0 now
    io.out(0x20, 1, 0x20);
    io.out(0x20, 1, 0xc3); // set priority: 3 lowest, 4 highest
    pic.setIrq(3, false);
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x20); // 0 before 3
  });

  it('poll mode: the next read returns 0x80 | level and acknowledges it', () => {
    const { pic, io } = setup();
    io.out(0x21, 1, 0xff); // polling works on masked controllers' pending unmasked lines only
    io.out(0x21, 1, 0xf7);
    pic.setIrq(3, true);
    io.out(0x20, 1, 0x0c); // OCW3 poll
    expect(io.in(0x20, 1)).toBe(0x83);
    expect(readIsr(io, 0x20)).toBe(0x08);
    io.out(0x20, 1, 0x0c);
    expect(io.in(0x21, 1)).toBe(0); // nothing pending
  });

  it('special mask mode lets a lower line through while a masked higher one is in service', () => {
    const { pic, io } = setup();
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    pic.setIrq(5, true);
    expect(pic.hasInterrupt()).toBe(false);
    io.out(0x21, 1, 0x02); // mask 1
    io.out(0x20, 1, 0x68); // set special mask mode
    expect(pic.acknowledge()).toBe(0x25);
    io.out(0x20, 1, 0x48); // reset special mask mode
  });

  it('ICW1 reinitialises: IMR and ISR clear, the new ICW2 base applies', () => {
    const { pic, io } = setup();
    io.out(0x21, 1, 0x55);
    pic.setIrq(4, true);
    pic.acknowledge();
    io.out(0x20, 1, 0x11);
    expect(readIsr(io, 0x20)).toBe(0);
    io.out(0x21, 1, 0x30);
    io.out(0x21, 1, 0x04);
    io.out(0x21, 1, 0x01);
    expect(io.in(0x21, 1)).toBe(0);
    pic.setIrq(2 + 5, true);
    expect(pic.acknowledge()).toBe(0x37);
  });
});
