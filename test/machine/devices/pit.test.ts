import { describe, expect, it } from 'vitest';
import { nsToPitTicks, Pit8254, PIT_HZ, pitTicksToNs } from '../../../src/runtime/machine/devices/pit.ts';
import { Port61 } from '../../../src/runtime/machine/devices/port61.ts';
import { IrqRouter } from '../../../src/runtime/machine/irq-router.ts';
import { PortIoBus } from '../../../src/runtime/machine/io-bus.ts';
import { SteppedClock } from './stepped-clock.ts';

function setup() {
  const clock = new SteppedClock();
  const edges: number[] = [];
  const levels: boolean[] = [];
  const router = new IrqRouter({
    setIrq: (irq, level) => {
      if (irq !== 0) return;
      levels.push(level);
      if (level) edges.push(clock.nowNs());
    },
  });
  const pit = new Pit8254(clock, router);
  const io = new PortIoBus();
  io.attach(pit);
  io.attach(new Port61(clock, pit));
  return { clock, pit, io, edges, levels };
}

const tick = (n: number) => pitTicksToNs(n);
function readWord(io: PortIoBus, port: number): number {
  const lo = io.in(port, 1);
  return lo | (io.in(port, 1) << 8);
}

describe('8254 PIT', () => {
  it('converts between ns and 1.193182 MHz ticks exactly, far from power-on too', () => {
    expect(nsToPitTicks(1e9)).toBe(PIT_HZ);
    expect(nsToPitTicks(pitTicksToNs(12345)) ).toBe(12345);
    expect(nsToPitTicks(pitTicksToNs(12345) - 1)).toBe(12344);
    const far = 3600 * 24 * 365 * PIT_HZ + 7;
    expect(nsToPitTicks(pitTicksToNs(far))).toBe(far);
  });

  it('mode 2 on counter 0 raises IRQ 0 every count ticks (Linux: 0x34, LATCH = 1193182/HZ)', () => {
    const { clock, io, edges } = setup();
    io.out(0x43, 1, 0x34);
    io.out(0x40, 1, 1193 & 0xff);
    io.out(0x40, 1, 1193 >> 8);
    clock.advanceTo(tick(1193 * 5) + 10);
    expect(edges).toEqual([1, 2, 3, 4, 5].map((k) => tick(1193 * k)));
  });

  it('mode 3 square wave: IRQ 0 at each period, the count decrements by two', () => {
    const { clock, io, edges } = setup();
    io.out(0x43, 1, 0x36);
    io.out(0x40, 1, 100);
    io.out(0x40, 1, 0);
    clock.advanceTo(tick(10));
    io.out(0x43, 1, 0x00); // latch counter 0
    expect(readWord(io, 0x40)).toBe(80);
    clock.advanceTo(tick(250));
    expect(edges).toEqual([tick(100), tick(200)]);
  });

  it('mode 0 one-shot: OUT0 (IRQ 0) rises once at terminal count and stays high', () => {
    const { clock, io, edges, levels } = setup();
    io.out(0x43, 1, 0x30);
    io.out(0x40, 1, 0x00);
    io.out(0x40, 1, 0x10); // 4096
    clock.advanceTo(tick(4095));
    expect(edges).toEqual([]);
    clock.advanceTo(tick(20000));
    expect(edges).toEqual([tick(4096)]);
    expect(levels.at(-1)).toBe(true);
    // A new control word drops OUT0 (mode 0 starts low).
    io.out(0x43, 1, 0x30);
    expect(levels.at(-1)).toBe(false);
  });

  it('mode 4 software strobe: one IRQ 0 edge, one tick after terminal count', () => {
    const { clock, io, edges } = setup();
    io.out(0x43, 1, 0x38);
    io.out(0x40, 1, 50);
    io.out(0x40, 1, 0);
    clock.advanceTo(tick(1000));
    expect(edges).toEqual([tick(51)]);
  });

  it('LSB-only and MSB-only access, and the counter latch holds one value until read', () => {
    const { clock, io } = setup();
    io.out(0x43, 1, 0x90); // counter 2, LSB only, mode 0
    io.out(0x42, 1, 0x80);
    io.out(0x61, 1, 0x01); // gate high
    clock.advanceTo(tick(16));
    expect(io.in(0x42, 1)).toBe(0x80 - 16);
    io.out(0x43, 1, 0xa0); // counter 2, MSB only, mode 0
    io.out(0x42, 1, 0x20); // 0x2000
    clock.advance(tick(0x101));
    expect(io.in(0x42, 1)).toBe(0x1e);
    io.out(0x43, 1, 0xb0); // word
    io.out(0x42, 1, 0x34);
    io.out(0x42, 1, 0x12);
    clock.advance(tick(2));
    io.out(0x43, 1, 0x80); // latch counter 2
    clock.advance(tick(100));
    io.out(0x43, 1, 0x80); // a second latch before reading is ignored
    expect(readWord(io, 0x42)).toBe(0x1232);
    expect(readWord(io, 0x42)).toBe(0x1234 - 102); // live again
  });

  it('read-back latches status (OUT, null count, access, mode, BCD) and count', () => {
    const { clock, io } = setup();
    io.out(0x43, 1, 0x35); // counter 0, word, mode 2, BCD
    io.out(0x43, 1, 0xe2); // read back the status of counter 0
    expect(io.in(0x40, 1)).toBe(0x40 | 0x80 | 0x35); // null count, OUT high
    io.out(0x40, 1, 0x00);
    io.out(0x40, 1, 0x10); // BCD 1000
    clock.advance(tick(1));
    io.out(0x43, 1, 0xc2); // read back count and status of counter 0
    expect(io.in(0x40, 1)).toBe(0x80 | 0x35); // status first
    expect(readWord(io, 0x40)).toBe(0x0999); // BCD count
    clock.advance(tick(1000 - 1 - 1));
    io.out(0x43, 1, 0xe2);
    expect(io.in(0x40, 1) & 0x80).toBe(0); // OUT low for the tick the count is 1
  });

  it('counter 2 gated by port 0x61 bit 0, OUT2 on bit 5, refresh toggling on bit 4', () => {
    const { clock, io } = setup();
    io.out(0x61, 1, 0x00);
    io.out(0x43, 1, 0xb0);
    io.out(0x42, 1, 100);
    io.out(0x42, 1, 0);
    clock.advance(tick(500));
    expect(io.in(0x61, 1) & 0x20).toBe(0); // gate low: not counting
    expect(readWord(io, 0x42)).toBe(100);
    io.out(0x61, 1, 0x03); // gate high, speaker data on
    expect(io.in(0x61, 1) & 0x0f).toBe(0x03);
    clock.advance(tick(99));
    expect(io.in(0x61, 1) & 0x20).toBe(0);
    io.out(0x61, 1, 0x02); // pause at 1 left
    clock.advance(tick(1000));
    expect(readWord(io, 0x42)).toBe(1);
    io.out(0x61, 1, 0x01);
    clock.advance(tick(1));
    expect(io.in(0x61, 1) & 0x20).toBe(0x20);
    const r0 = io.in(0x61, 1) & 0x10;
    clock.advance(15_085);
    expect(io.in(0x61, 1) & 0x10).toBe(r0 ^ 0x10);
  });

  it("Linux's quick_pit_calibrate finds the clock's TSC rate from counter 2's MSB", () => {
    // The guest loop: gate high, counter 2 mode 0 from 0xFFFF, then wait for each MSB value and
    // take the TSC (here: virtual ns at 1 GHz) when it changes; the rate is ticks / time.
    const { clock, io } = setup();
    io.out(0x61, 1, (io.in(0x61, 1) & ~0x02) | 0x01);
    io.out(0x43, 1, 0xb0);
    io.out(0x42, 1, 0xff);
    io.out(0x42, 1, 0xff);
    const step = 37; // ns per poll iteration (instructions of the guest loop)
    const msbChange: number[] = [];
    let last = 0xff;
    while (msbChange.length < 20) {
      clock.advance(step);
      io.in(0x42, 1);
      const msb = io.in(0x42, 1);
      if (msb !== last) {
        msbChange.push(clock.nowNs());
        last = msb;
      }
    }
    const ns = msbChange.at(-1)! - msbChange[0]!;
    const hz = ((msbChange.length - 1) * 256 * 1e9) / ns;
    expect(Math.abs(hz - PIT_HZ) / PIT_HZ).toBeLessThan(1e-3);
  });
});
