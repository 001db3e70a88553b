import { describe, expect, it } from 'vitest';
import { MONITOR_BASE } from '../../src/runtime/machine/bus.ts';
import { MONITOR_PAGE_SIZE, PhysicalMemory } from '../../src/runtime/machine/memory.ts';

describe('PhysicalMemory', () => {
  it('sizes RAM in MiB and reads back little-endian values of every width', () => {
    const m = new PhysicalMemory({ memMiB: 2 });
    expect(m.ramSize).toBe(2 * 1024 * 1024);
    expect(m.ram.length).toBe(m.ramSize);
    m.write32(0x1000, 0x11223344);
    expect(m.read8(0x1000)).toBe(0x44);
    expect(m.read16(0x1002)).toBe(0x1122);
    expect(m.ram[0x1003]).toBe(0x11);
    m.write64(0x2000, 0x8877665544332211n);
    expect(m.read64(0x2000)).toBe(0x8877665544332211n);
    expect(m.read32(0x2004)).toBe(0x88776655);
    m.write16(0x3001, 0xbeef); // unaligned
    expect(m.read16(0x3001)).toBe(0xbeef);
    m.write8(0x4000, 0x1ff); // truncated to a byte
    expect(m.read8(0x4000)).toBe(0xff);
    m.write32(0x5000, -1);
    expect(m.read32(0x5000)).toBe(0xffffffff);
  });

  it('reads all ones and drops writes beyond RAM', () => {
    const m = new PhysicalMemory({ memMiB: 1 });
    const end = m.ramSize;
    expect(m.read8(end)).toBe(0xff);
    expect(m.read16(end + 10)).toBe(0xffff);
    expect(m.read32(0xfee0_0000)).toBe(0xffffffff);
    expect(m.read64(end)).toBe(0xffff_ffff_ffff_ffffn);
    m.write32(end, 0);
    expect(m.read32(end)).toBe(0xffffffff);
    expect(m.counters.unbackedWrites).toBeGreaterThan(0);
    // A 32-bit access straddling the end of RAM: the RAM bytes are real, the rest all ones.
    m.write32(end - 2, 0x12345678);
    expect(m.read16(end - 2)).toBe(0x5678);
    expect(m.read32(end - 2)).toBe(0xffff5678);
  });

  it('allocates zeroed monitor pages at MONITOR_BASE and reuses freed ones', () => {
    const m = new PhysicalMemory({ memMiB: 1 });
    expect(m.read64(MONITOR_BASE)).toBe(0xffff_ffff_ffff_ffffn); // nothing allocated yet
    const a = m.allocMonitorPage();
    const b = m.allocMonitorPage();
    expect(a).toBe(MONITOR_BASE);
    expect(b).toBe(MONITOR_BASE + MONITOR_PAGE_SIZE);
    expect(m.read64(a)).toBe(0n);
    m.write64(a + 8, 0x0000_0001_2345_6003n);
    expect(m.read64(a + 8)).toBe(0x0000_0001_2345_6003n);
    expect(m.read32(a + 12)).toBe(1);
    expect(m.monitorPageView(a).getUint32(8, true)).toBe(0x23456003);
    m.write32(b + 4092, 0xaabbccdd);
    expect(m.read32(b + 4092)).toBe(0xaabbccdd);
    // Straddling the two pages goes byte by byte and still works.
    m.write32(a + 4094, 0x01020304);
    expect(m.read32(a + 4094)).toBe(0x01020304);
    expect(m.monitorPagesInUse).toBe(2);
    m.freeMonitorPage(a);
    expect(m.monitorPagesInUse).toBe(1);
    expect(m.allocMonitorPage()).toBe(a);
    expect(m.read64(a + 8)).toBe(0n); // zeroed again
    expect(() => m.freeMonitorPage(a + 1)).toThrow(RangeError);
    m.freeMonitorPage(b);
    expect(() => m.freeMonitorPage(b)).toThrow(/not an allocated monitor page/); // double free
    expect(() => m.freeMonitorPage(0x1000)).toThrow(RangeError);
  });

  it('rejects a RAM size that is not a positive number of bytes', () => {
    expect(() => new PhysicalMemory({ memMiB: 0 })).toThrow(RangeError);
    expect(() => new PhysicalMemory({ memMiB: -1 })).toThrow(RangeError);
  });
});
