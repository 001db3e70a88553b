/**
 * The 2-D walk: with nCR3 set, every guest-physical address of the guest walk (each table entry,
 * the PDPTEs, the final address) goes through the nested tables; a missing nested mapping is a
 * NestedPageFault, never a guest #PF.
 */
import { describe, expect, it } from 'vitest';
import { HardwareMmu } from '../../src/runtime/mmu/hardware-mmu.ts';
import { NestedPageFault } from '../../src/runtime/mmu/nested-fault.ts';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access, type PagingRegs } from '../../src/runtime/mmu/types.ts';
import { A, D, modeRegs, readLo, TableBuilder, TestBus, W, P, U } from './helpers.ts';
import { MODES, tr } from './setup.ts';

/** Nested tables in monitor memory mapping gpa page → hpa page (4 KiB each). */
function nestedTables(bus: TestBus, pages: Array<[number, number]>): { root: number; nt: TableBuilder } {
  const first = bus.allocMonitorPage();
  for (let i = 1; i < 64; i++) bus.allocMonitorPage();
  const nt = new TableBuilder(bus, PagingMode.Level4, first, first + 4096);
  for (const [gpa, hpa] of pages) nt.map(gpa, hpa);
  return { root: first, nt };
}

const GROOT = 0x10000;
const SHIFT = 0x10_0000; // nested map: gpa X → hpa X + 1 MiB

describe.each(MODES)('nested 2-D walk, %s guest', (_n, mode) => {
  function setup(): { bus: TestBus; mmu: HardwareMmu; regs: PagingRegs; gt: TableBuilder; nt: TableBuilder } {
    const bus = new TestBus();
    // Guest tables are built at guest-physical addresses, stored at gpa + SHIFT.
    const gtStore = new TableBuilder(bus, mode, GROOT + SHIFT, 0x20000 + SHIFT);
    if (mode === PagingMode.Pae) gtStore.preparePdpt();
    gtStore.map(0x40_3000, 0x5000 + SHIFT); // placeholder; entries rewritten below
    // Rewrite every table entry's address from host (gpa+SHIFT) to guest-physical (gpa).
    const mapped: Array<[number, number]> = [];
    for (let gpa = 0x10000; gpa < 0x30000; gpa += 0x1000) {
      mapped.push([gpa, gpa + SHIFT]);
      for (let off = 0; off < 4096; off += mode === PagingMode.Legacy32 ? 4 : 8) {
        const at = gpa + SHIFT + off;
        const lo = bus.read32(at) >>> 0;
        if ((lo & 1) !== 0) bus.write32(at, (lo - SHIFT) >>> 0);
      }
    }
    mapped.push([0x5000, 0x5000 + SHIFT]);
    const { root, nt } = nestedTables(bus, mapped);
    const m = modeRegs(mode);
    const regs: PagingRegs = { cr0: m.cr0, cr3: BigInt(GROOT), cr4: m.cr4, efer: m.efer, ncr3: BigInt(root) };
    return { bus, mmu: new HardwareMmu(bus, regs), regs, gt: gtStore, nt };
  }

  /** The guest leaf for 0x40_3000 (the entry naming gpa 0x5000), at its host location. */
  function leafHost(bus: TestBus): number {
    const step = mode === PagingMode.Legacy32 ? 4 : 8;
    for (let pa = 0x20000 + SHIFT; pa < 0x30000 + SHIFT; pa += step) {
      if (((bus.read32(pa) >>> 0) & 0xffff_f000) === 0x5000) return pa;
    }
    throw new Error('leaf not found');
  }

  it('translates guest tables and the final address through the nested tables', () => {
    const { bus, mmu } = setup();
    expect(tr(mmu, 0x40_3123, Access.Write, true)).toBe(0x5123 + SHIFT);
    // The guest's A/D bits were set in the guest tables (at their host location).
    expect(readLo(bus, leafHost(bus)) & (A | D)).toBe(A | D);
  });

  it('a guest not-present entry is the guest\'s #PF, not a nested fault', () => {
    const { mmu } = setup();
    expect(tr(mmu, 0x40_4000, Access.Read, true)).toMatchObject({ fault: 4 });
  });

  it('a missing nested mapping of the final address is a NestedPageFault with the gpa', () => {
    const s = setup();
    s.nt.map(0x5000, 0, { flags: 0 });
    s.mmu.flush({ kind: 'all' });
    expect(() => s.mmu.translate(0x40_3010, Access.Write, false, false)).toThrow(NestedPageFault);
    try {
      s.mmu.translate(0x40_3010, Access.Write, false, false);
    } catch (e) {
      expect((e as NestedPageFault).guestPhysical).toBe(0x5010);
      expect((e as NestedPageFault).errorCode & 1).toBe(0);
    }
    // The guest's leaf was not marked accessed by the failed walk.
    expect(readLo(s.bus, leafHost(s.bus)) & A).toBe(0);
  });

  it('a guest table whose gpa has no nested mapping faults NPF before any guest #PF', () => {
    const s = setup();
    s.nt.map(GROOT, 0, { flags: 0 });
    s.mmu.flush({ kind: 'all' });
    try {
      s.mmu.translate(0x40_3000, Access.Read, true, false);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NestedPageFault);
      expect((e as NestedPageFault).guestPhysical).toBe(GROOT + (mode === PagingMode.Legacy32 ? 4 : 0));
    }
  });
});

describe('nested paging with guest paging off', () => {
  it('guest-linear = guest-physical, then the nested tables', () => {
    const bus = new TestBus();
    const { root } = nestedTables(bus, [[0x7000, 0x9000]]);
    const regs: PagingRegs = { cr0: 1, cr3: 0n, cr4: 0, efer: 0, ncr3: BigInt(root) };
    const mmu = new HardwareMmu(bus, regs);
    expect(tr(mmu, 0x7abc, Access.Write, true)).toBe(0x9abc);
    expect(() => mmu.translate(0x8000, Access.Read, false, false)).toThrow(NestedPageFault);
  });

  it('nested tables are checked against HOST_MAXPHYADDR: monitor-memory tables work', () => {
    const bus = new TestBus();
    const { root, nt } = nestedTables(bus, []);
    nt.map(0x1000, 0x3000, { flags: P | W | U });
    expect(root).toBeGreaterThanOrEqual(2 ** 40);
    const regs: PagingRegs = { cr0: 1, cr3: 0n, cr4: 0, efer: 0, ncr3: BigInt(root) };
    expect(tr(new HardwareMmu(bus, regs), 0x1004)).toBe(0x3004);
  });
});
