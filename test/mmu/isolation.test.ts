/**
 * Isolation of the hardware walk (issue 5 §6): whatever the guest writes into its tables, a walk
 * ends in an architectural #PF or a translation below MONITOR_BASE — never a JS exception, a
 * hang, or an address in monitor memory.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MONITOR_BASE } from '../../src/runtime/machine/bus.ts';
import { GuestFault } from '../../src/runtime/cpu/fault.ts';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { CR4_PSE, P, U, W, setEntry } from './helpers.ts';
import { MODES, ROOT, rig, tr } from './setup.ts';

describe('tables that point past RAM', () => {
  it('4-level: a table past RAM reads all ones → reserved-bit fault', () => {
    const { bus, mmu } = rig(PagingMode.Level4);
    setEntry(bus, ROOT, 0x8000_0000 | P | W | U, 0); // RAM is 4 MiB
    expect(tr(mmu, 0x1000, Access.Write, true)).toMatchObject({ fault: 1 | 2 | 4 | 8 });
  });

  it('PAE: a directory past RAM reads all ones → reserved-bit fault', () => {
    const { bus, mmu } = rig(PagingMode.Pae);
    setEntry(bus, ROOT, 0x8000_0000 | P, 0);
    expect(tr(mmu, 0x1000)).toMatchObject({ fault: 1 | 8 });
  });

  it('32-bit, PSE=0: a page table past RAM reads all ones: a present page of unbacked memory', () => {
    const { bus, regs, mmu } = rig(PagingMode.Legacy32);
    regs.cr4 &= ~CR4_PSE;
    setEntry(bus, ROOT, 0x8000_0000 | P | W | U);
    const pa = tr(mmu, 0x1234, Access.Write, true);
    expect(pa).toBe(0xffff_f234);
    expect(bus.read32(pa as number)).toBe(0xffff_ffff);
  });

  it('32-bit, PSE=1: a directory past RAM (CR3 past RAM) reads all ones → bit 21 reserved', () => {
    const { regs, mmu } = rig(PagingMode.Legacy32);
    regs.cr3 = 0x8000_0000n;
    expect(tr(mmu, 0x1234)).toMatchObject({ fault: 1 | 8 });
  });

  it('a leaf naming an address past RAM maps unbacked memory: writes are dropped', () => {
    const { bus, tables, mmu } = rig(PagingMode.Level4);
    tables.map(0x5000, 0x9000_0000);
    const pa = tr(mmu, 0x5000, Access.Write) as number;
    expect(pa).toBe(0x9000_0000);
    bus.write32(pa, 0x1234);
    expect(bus.read32(pa)).toBe(0xffff_ffff);
    expect(bus.droppedWrites).toBeGreaterThan(0);
  });
});

describe('self-referencing tables', () => {
  it('4-level: a PML4 entry pointing at the PML4 (at every level) terminates', () => {
    const { bus, mmu } = rig(PagingMode.Level4);
    setEntry(bus, ROOT, ROOT | P | W | U, 0);
    // Walk: PML4[0] → PML4 as PDPT → [0] → PML4 as PD → [0] → PML4 as PT → [0] → page ROOT.
    expect(tr(mmu, 0x10)).toBe(ROOT + 0x10);
  });

  it('32-bit: the directory used as its own page table', () => {
    const { bus, regs, mmu } = rig(PagingMode.Legacy32);
    regs.cr4 &= ~CR4_PSE;
    setEntry(bus, ROOT, ROOT | P | W | U);
    expect(tr(mmu, 0x8)).toBe(ROOT + 8);
  });
});

describe.each([...MODES, ['5-level', PagingMode.Level5] as [string, PagingMode]])(
  'random tables, %s paging',
  (_n, mode) => {
    it('every walk ends in a #PF or an address below MONITOR_BASE', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(8191), fc.nat(0xffff_ffff), fc.nat(0xffff_ffff)), { maxLength: 200 }),
          fc.array(fc.tuple(fc.double({ min: -(2 ** 47), max: 2 ** 47 - 1, noNaN: true }), fc.nat(2), fc.boolean(), fc.boolean()), {
            minLength: 1,
            maxLength: 20,
          }),
          (writes, accesses) => {
            const { bus, mmu } = rig(mode);
            // Scribble over the root page and the next page (entries point anywhere, incl. them).
            for (const [slot, lo, hi] of writes) {
              const pa = ROOT + slot * 4;
              bus.write32(pa, lo);
              if (slot % 2 === 0) bus.write32(pa + 4, hi & 0x8000_00ff); // mostly-valid high halves
            }
            for (const [lin0, acc, user, ac] of accesses) {
              let lin = Math.trunc(lin0);
              if (mode !== PagingMode.Level4 && mode !== PagingMode.Level5) lin = lin >>> 0;
              try {
                const pa = mmu.translate(lin, acc as Access, user, ac);
                expect(Number.isInteger(pa)).toBe(true);
                expect(pa).toBeGreaterThanOrEqual(0);
                expect(pa).toBeLessThan(MONITOR_BASE);
              } catch (e) {
                expect(e).toBeInstanceOf(GuestFault);
                expect((e as GuestFault).vector).toBe(14);
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  },
);

describe('non-canonical linear addresses', () => {
  it('4-level: a non-canonical address (the CPU raises #GP first) still walks without a JS error', () => {
    const { tables, mmu } = rig(PagingMode.Level4);
    tables.map(-(2 ** 47), 0x7000);
    // 2^47 has the same bits 47:12 as -(2^47): the walk uses bits 47:0 only.
    expect(tr(mmu, 2 ** 47 + 4)).toBe(0x7004);
    expect(tr(mmu, 2 ** 60)).toMatchObject({ fault: 0 });
    expect(tr(mmu, -(2 ** 62))).toMatchObject({ fault: 0 });
  });
});
