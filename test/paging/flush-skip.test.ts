/**
 * Nested and direct paging: guest flushes the hardware skips while every cached translation
 * still matches the guest tables (hardware-mmu.ts "Flush skipping", Vcpu.flushGuestTlb), and
 * does not skip once a guest store hit a table a cached translation came from (R42, R57, R101,
 * R103, R109).
 */
import { describe, expect, it } from 'vitest';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { A, G, P, readLo, setEntry, TableBuilder, U, W } from '../mmu/helpers.ts';
import { MODES } from '../mmu/setup.ts';
import { env, GROOT, type Env } from './env.ts';

const LIN = 0x40_3000;
const PHYS = 0x30_0000;
const CR4_PGE = 0x80n;

function reloadCr3(e: Env, mode: PagingMode): void {
  if (mode === PagingMode.Pae) expect(e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3)).toBe(true);
  e.strategy.cr3Loaded(e.vcpu, e.guest, { kind: 'non-global' });
}

function togglePge(e: Env, mode: PagingMode): void {
  e.guest.cr4 ^= CR4_PGE;
  if (mode === PagingMode.Pae) expect(e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3)).toBe(true);
  e.strategy.pagingModeChanged(e.vcpu, e.guest, { kind: 'all' }); // the rule's flush_tlb(all) comes with it
}

function misses(e: Env): number {
  return e.vcpu.mmu.stats().misses;
}

describe.each(['nested', 'direct'] as const)('%s paging: guest flushes', (name) => {
  describe.each(MODES)('%s guest', (_n, mode) => {
    it('R42: a CR3 reload of the same value with unwritten tables is skipped; the TLB stays', () => {
      const e = env(name, mode);
      e.tables.map(LIN, PHYS);
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
      const m = misses(e);
      reloadCr3(e, mode);
      expect(e.vcpu.skippedFlushes).toBe(1);
      expect(e.go(LIN + 4)).toEqual({ kind: 'ok', phys: PHYS + 4 });
      expect(misses(e)).toBe(m);
    });

    it('R42: the guest edits a PTE and reloads CR3: the flush happens, the new mapping is used', () => {
      const e = env(name, mode);
      e.tables.map(LIN, PHYS);
      e.go(LIN);
      e.tables.map(LIN, PHYS + 0x7000);
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS }); // no flush yet: the old one may stay
      reloadCr3(e, mode);
      expect(e.vcpu.skippedFlushes).toBe(0);
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x7000 });
      // The flush started a new clean period: the next reload is skipped again.
      reloadCr3(e, mode);
      expect(e.vcpu.skippedFlushes).toBe(1);
    });

    it('an edited directory entry is seen after the CR3 reload', () => {
      const e = env(name, mode);
      const large = mode === PagingMode.Legacy32 ? 4 * 2 ** 20 : 2 ** 21;
      e.tables.map(0x80_3000, PHYS);
      e.go(0x80_3000);
      e.tables.map(0x80_0000, 0, { size: large });
      reloadCr3(e, mode);
      expect(e.go(0x80_3000)).toEqual({ kind: 'ok', phys: 0x3000 });
    });

    it('R101: the guest clears A and reloads CR3: the next access sets A again', () => {
      const e = env(name, mode);
      e.tables.map(LIN, PHYS);
      e.go(LIN);
      const leaf = e.tables.leafOf(LIN);
      setEntry(e.bus, leaf, readLo(e.bus, leaf) & ~A, mode === PagingMode.Legacy32 ? undefined : 0);
      reloadCr3(e, mode);
      e.go(LIN);
      expect(readLo(e.bus, leaf) & A).toBe(A);
    });

    it('R57: PGE toggles with clean tables keep the TLB; with an edited table they flush', () => {
      const e = env(name, mode);
      e.tables.map(LIN, PHYS);
      e.go(LIN);
      const m = misses(e);
      const flushes = e.vcpu.flushes.length;
      togglePge(e, mode);
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
      togglePge(e, mode);
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
      expect(misses(e)).toBe(m);
      expect(e.vcpu.mmu.stats().pgeKept).toBe(2);
      // The hardware's CR4 write is the rule's flush (R57): no guest flush is asked for.
      expect(e.vcpu.skippedFlushes + e.vcpu.flushes.length - flushes).toBe(0);
      e.tables.map(LIN, PHYS + 0x5000);
      togglePge(e, mode);
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x5000 });
    });

    it('R103/R57: turning PGE off drops global entries that came from another CR3', () => {
      const e = env(name, mode, { cr4: 0x80 });
      e.tables.map(LIN, PHYS, { flags: P | W | U | G });
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
      // A second root, in fresh frames, that maps LIN elsewhere (no watched frame is written).
      const other = new TableBuilder(e.bus, mode, 0x6_0000, 0x6_1000);
      if (mode === PagingMode.Pae) other.preparePdpt();
      other.map(LIN, PHYS + 0x9000);
      e.guest.cr3 = 0x6_0000n;
      reloadCr3(e, mode);
      // The global entry may survive the CR3 load (R103) ...
      expect([PHYS, PHYS + 0x9000]).toContain((e.go(LIN) as { phys: number }).phys);
      togglePge(e, mode);
      // ... but not PGE going off: the new root's mapping.
      expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x9000 });
    });

    it('the monitor\'s own flushes (Vcpu.flushTlb) are never skipped', () => {
      const e = env(name, mode);
      e.tables.map(LIN, PHYS);
      e.go(LIN);
      const m = misses(e);
      e.vcpu.flushTlb({ kind: 'all' });
      e.go(LIN);
      expect(misses(e)).toBe(m + 1);
    });
  });

  it('R109: a PAE PDPT edited in memory is reloaded at the CR3 load', () => {
    const e = env(name, PagingMode.Pae);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    setEntry(e.bus, GROOT, 0, 0);
    reloadCr3(e, PagingMode.Pae);
    expect(e.go(LIN)).toMatchObject({ kind: 'pf', code: 0 });
  });

  it('R43: with CR4.PCIDE the flush of a PCID is not skipped', () => {
    const e = env(name, PagingMode.Level4, { cr4: 1 << 17 });
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    e.strategy.cr3Loaded(e.vcpu, e.guest, { kind: 'pcid', pcid: 0 });
    expect(e.vcpu.skippedFlushes).toBe(0);
  });
});
