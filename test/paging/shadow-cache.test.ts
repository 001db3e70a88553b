/**
 * The shadow tree kept across guest flushes while the guest tables it came from are unwritten
 * (shadow-cache.ts): clean CR3 reloads and PGE toggles keep the tree and the hardware TLB; any
 * guest store to a table the tree read makes the next flush rebuild, so edits are seen exactly
 * when the architecture requires (R42, R57, R107, R108); A/D bits behave as after a real flush.
 */
import { describe, expect, it } from 'vitest';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { A, CR0_PE, CR0_PG, CR4_SMEP, D, P, readLo, setEntry, U, W } from '../mmu/helpers.ts';
import { MODES } from '../mmu/setup.ts';
import { env, GROOT, type Env } from './env.ts';

const LIN = 0x40_3000;
const PHYS = 0x30_0000;
const CR4_PGE = 0x80n;
const NON_GLOBAL = { kind: 'non-global' } as const;

function stat(e: Env, key: string): number {
  return e.strategy.stats()[key] ?? NaN;
}

/** Guest `mov cr3, <same>` as the handler does it (PAE: the guard reloads the PDPTEs first). */
function reloadCr3(e: Env, mode: PagingMode): void {
  if (mode === PagingMode.Pae) expect(e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3)).toBe(true);
  e.strategy.cr3Loaded(e.vcpu, e.guest, NON_GLOBAL);
}

/** Guest `mov cr4` toggling PGE: flush_tlb(all) then paging_mode_changed (cr4.rules, R57). */
function togglePge(e: Env, mode: PagingMode): void {
  e.guest.cr4 ^= CR4_PGE;
  if (mode === PagingMode.Pae) expect(e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3)).toBe(true);
  e.strategy.pagingModeChanged(e.vcpu, e.guest, { kind: 'all' }); // the rule's flush_tlb(all) comes with it
}

describe.each(MODES)('shadow tree cache, %s guest', (_n, mode) => {
  it('a clean CR3 reload of the same root keeps the tree and the hardware TLB', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.vcpu.exits).toBe(1);
    const flushes = e.vcpu.flushes.length;
    reloadCr3(e, mode);
    expect(e.vcpu.flushes.length).toBe(flushes);
    expect(e.go(LIN + 4)).toEqual({ kind: 'ok', phys: PHYS + 4 });
    expect(e.vcpu.exits).toBe(1);
    expect(stat(e, 'shadow.treesKept')).toBe(1);
    expect(stat(e, 'shadow.treesDropped')).toBe(0);
    expect(stat(e, 'tlbFlush.cr3')).toBe(1);
  });

  it('R42: the guest edits a PTE and reloads CR3: the new mapping is used', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    e.tables.map(LIN, PHYS + 0x7000);
    expect(stat(e, 'shadow.watchHits')).toBe(1);
    reloadCr3(e, mode);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x7000 });
    expect(stat(e, 'shadow.treesKept')).toBe(0);
    expect(stat(e, 'shadow.treesDropped')).toBe(1);
    // Rebuilt and clean again: the next reload keeps it.
    reloadCr3(e, mode);
    expect(stat(e, 'shadow.treesKept')).toBe(1);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x7000 });
  });

  it('R108: an edit without a flush may show the old mapping; after INVLPG or a CR3 load the new one', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.tables.map(LIN + 0x1000, PHYS + 0x1000);
    e.go(LIN);
    e.go(LIN + 0x1000);
    e.tables.map(LIN, PHYS + 0x8000);
    e.tables.map(LIN + 0x1000, PHYS + 0x9000);
    expect([PHYS, PHYS + 0x8000]).toContain((e.go(LIN) as { phys: number }).phys);
    e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: LIN });
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x8000 });
    reloadCr3(e, mode);
    expect(e.go(LIN + 0x1000)).toEqual({ kind: 'ok', phys: PHYS + 0x9000 });
  });

  it('an edit of a directory entry (now a large page) is seen after the CR3 load', () => {
    const e = env('shadow', mode);
    const large = mode === PagingMode.Legacy32 ? 4 * 2 ** 20 : 2 ** 21;
    const base = 0x80_0000;
    e.tables.map(base + 0x3000, PHYS);
    expect(e.go(base + 0x3000)).toEqual({ kind: 'ok', phys: PHYS });
    e.tables.map(base, 0, { size: large }); // rewrites the directory entry
    reloadCr3(e, mode);
    expect(e.go(base + 0x3000)).toEqual({ kind: 'ok', phys: 0x3000 });
  });

  it('R101: the guest clears A and reloads CR3: the next access sets A again', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS, { flags: P | W | U });
    e.go(LIN);
    const leaf = e.tables.leafOf(LIN);
    expect(readLo(e.bus, leaf) & A).toBe(A);
    setEntry(e.bus, leaf, readLo(e.bus, leaf) & ~A, mode === PagingMode.Legacy32 ? undefined : 0);
    reloadCr3(e, mode);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
    expect(readLo(e.bus, leaf) & A).toBe(A);
  });

  it('R102: the guest clears D and reloads CR3: the next write sets D again', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS, { flags: P | W | U });
    e.go(LIN, Access.Write);
    const leaf = e.tables.leafOf(LIN);
    expect(readLo(e.bus, leaf) & D).toBe(D);
    setEntry(e.bus, leaf, readLo(e.bus, leaf) & ~D, mode === PagingMode.Legacy32 ? undefined : 0);
    reloadCr3(e, mode);
    expect(e.go(LIN, Access.Read)).toEqual({ kind: 'ok', phys: PHYS });
    expect(readLo(e.bus, leaf) & D).toBe(0);
    expect(e.go(LIN, Access.Write)).toEqual({ kind: 'ok', phys: PHYS });
    expect(readLo(e.bus, leaf) & D).toBe(D);
  });

  it('the monitor setting A/D in guest tables does not make the tree stale', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS, { flags: P | W | U });
    e.go(LIN); // fill: sets A
    e.go(LIN, Access.Write); // dirty fault: sets D
    expect(readLo(e.bus, e.tables.leafOf(LIN)) & (A | D)).toBe(A | D);
    const exits = e.vcpu.exits;
    reloadCr3(e, mode);
    expect(stat(e, 'shadow.treesKept')).toBe(1);
    expect(e.go(LIN, Access.Write)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.vcpu.exits).toBe(exits);
  });

  it('R57: a PGE toggle with a clean tree keeps it; hardware CR4.PGE stays clear', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    const flushes = e.vcpu.flushes.length;
    togglePge(e, mode);
    expect(e.vcpu.control.cr4 & CR4_PGE).toBe(0n);
    togglePge(e, mode);
    expect(e.vcpu.control.cr4 & CR4_PGE).toBe(0n);
    expect(e.vcpu.flushes.length).toBe(flushes);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.vcpu.exits).toBe(1);
    // One reprogram per toggle: the rule's flush comes with its mode change (one call).
    expect(stat(e, 'shadow.treesKept')).toBe(2);
  });

  it('R57: a PGE toggle with a stale tree rebuilds it: the edit is seen', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    e.tables.map(LIN, PHYS + 0x6000);
    togglePge(e, mode);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x6000 });
    expect(stat(e, 'shadow.treesDropped')).toBe(1);
  });

  it('a paging-bit change (WP, SMEP) still rebuilds', () => {
    const e = env('shadow', mode, { cr0: (CR0_PE | CR0_PG) >>> 0 });
    e.tables.map(LIN, PHYS, { flags: P | U });
    expect(e.go(LIN, Access.Write)).toEqual({ kind: 'ok', phys: PHYS }); // WP=0: allowed
    e.guest.cr0 |= 1n << 16n;
    e.strategy.pagingModeChanged(e.vcpu, e.guest, null);
    expect(e.go(LIN, Access.Write)).toMatchObject({ kind: 'pf', code: 1 | 2 });
    e.guest.cr4 |= BigInt(CR4_SMEP);
    if (mode === PagingMode.Pae) e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3);
    e.strategy.pagingModeChanged(e.vcpu, e.guest, null);
    expect(e.go(LIN, Access.Fetch)).toMatchObject({ kind: 'pf', code: 1 | 16 });
    expect(stat(e, 'shadow.treesKept')).toBe(0);
  });

  it('a CR3 load of another root with the same contents rebuilds', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    const other = 0x18000;
    for (let i = 0; i < 4096; i += 4) e.bus.write32(other + i, e.bus.read32(GROOT + i));
    e.tables.map(LIN, PHYS + 0x2000); // the old root's tree sees the edit only if it is rebuilt
    e.guest.cr3 = BigInt(other);
    reloadCr3(e, mode);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x2000 });
    expect(stat(e, 'shadow.treesKept')).toBe(0);
  });
});

describe('shadow tree cache: PAE PDPTEs', () => {
  it('R109: a PDPT edited in memory is taken at the CR3 reload (PDPTEs compared)', () => {
    const e = env('shadow', PagingMode.Pae);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    setEntry(e.bus, GROOT, 0, 0); // PDPTE 0 not present
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS }); // latched PDPTEs still rule
    reloadCr3(e, PagingMode.Pae);
    expect(e.go(LIN)).toMatchObject({ kind: 'pf', code: 0 });
  });
});
