/**
 * TLB flush rules (R19, R42–R44, R57–R59, R103, R107, R108): entries stay cached until the
 * architecture says they go. Staleness is observed by editing a PTE in memory after a hit.
 */
import { describe, expect, it } from 'vitest';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { CR4_PCIDE, CR4_PGE, CR4_SMEP, G, P, U, W, setEntry } from './helpers.ts';
import { rig, tr, type Rig } from './setup.ts';

const LIN = 0x40_3000;

/** Map LIN → 0x30_0000 (global or not), warm the TLB, then remap it in memory to 0x31_0000. */
function staleSetup(r: Rig, global: boolean): void {
  r.tables.map(LIN, 0x30_0000, { flags: P | W | U | (global ? G : 0) });
  expect(tr(r.mmu, LIN)).toBe(0x30_0000);
  r.tables.map(LIN, 0x31_0000, { flags: P | W | U | (global ? G : 0) });
}

describe('TLB flush rules', () => {
  it('R108: an edited PTE stays stale until a flush', () => {
    const r = rig(PagingMode.Level4);
    staleSetup(r, false);
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
  });

  it('R42: MOV CR3 (non-global flush) drops non-global entries', () => {
    const r = rig(PagingMode.Level4, { cr4: CR4_PGE });
    staleSetup(r, false);
    r.mmu.flush({ kind: 'non-global' });
    expect(tr(r.mmu, LIN)).toBe(0x31_0000);
  });

  it('R42/R103: MOV CR3 keeps global entries when CR4.PGE=1', () => {
    const r = rig(PagingMode.Level4, { cr4: CR4_PGE });
    staleSetup(r, true);
    r.mmu.flush({ kind: 'non-global' });
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
  });

  it('R103: the G bit means nothing with CR4.PGE=0', () => {
    const r = rig(PagingMode.Level4);
    staleSetup(r, true);
    r.mmu.flush({ kind: 'non-global' });
    expect(tr(r.mmu, LIN)).toBe(0x31_0000);
  });

  it('R42: a changed CR3 value (PCIDE=0) drops non-global entries once the MMU is told', () => {
    const r = rig(PagingMode.Legacy32, { cr4: CR4_PGE });
    staleSetup(r, false);
    r.regs.cr3 = r.regs.cr3 + 0n; // same value: nothing noticed
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
    // Switch to a copy of the directory.
    for (let i = 0; i < 4096; i += 4) r.bus.write32(0x70000 + i, r.bus.read32(0x10000 + i));
    r.regs.cr3 = 0x70000n;
    r.mmu.registersChanged();
    expect(tr(r.mmu, LIN)).toBe(0x31_0000);
  });

  it('R57: toggling CR4.PGE drops global entries', () => {
    const r = rig(PagingMode.Level4, { cr4: CR4_PGE });
    staleSetup(r, true);
    r.regs.cr4 &= ~CR4_PGE;
    expect(tr(r.mmu, LIN)).toBe(0x31_0000);
  });

  it('R19/R57: a full flush drops global entries', () => {
    const r = rig(PagingMode.Pae, { cr4: CR4_PGE });
    staleSetup(r, true);
    r.mmu.flush({ kind: 'all' });
    expect(tr(r.mmu, LIN)).toBe(0x31_0000);
  });

  it('R58/R59: changing SMEP drops cached translations', () => {
    const r = rig(PagingMode.Level4, { cr4: CR4_PGE });
    staleSetup(r, true);
    r.regs.cr4 |= CR4_SMEP;
    expect(tr(r.mmu, LIN, Access.Fetch)).toMatchObject({ fault: 1 | 16 });
  });

  it('R20: changing CR0.WP takes effect on cached entries', () => {
    const r = rig(PagingMode.Level4);
    r.regs.cr0 &= ~(1 << 16);
    r.tables.map(LIN, 0x30_0000, { flags: P | U });
    expect(tr(r.mmu, LIN, Access.Write)).toBe(0x30_0000);
    r.regs.cr0 |= 1 << 16;
    expect(tr(r.mmu, LIN, Access.Write)).toMatchObject({ fault: 1 | 2 });
  });

  it('R107: INVLPG drops one page, global included, and leaves the others', () => {
    const r = rig(PagingMode.Level4, { cr4: CR4_PGE });
    staleSetup(r, true);
    r.tables.map(LIN + 0x1000, 0x30_1000, { flags: P | W | U | G });
    expect(tr(r.mmu, LIN + 0x1000)).toBe(0x30_1000);
    r.tables.map(LIN + 0x1000, 0x32_1000);
    r.mmu.flush({ kind: 'page', linear: LIN + 0x123 });
    expect(tr(r.mmu, LIN)).toBe(0x31_0000);
    expect(tr(r.mmu, LIN + 0x1000)).toBe(0x30_1000);
  });

  it('R107: INVLPG of any address in a large page drops all of it', () => {
    const r = rig(PagingMode.Pae);
    r.tables.map(0x60_0000, 0x20_0000, { size: 2 ** 21 });
    expect(tr(r.mmu, 0x60_0000)).toBe(0x20_0000);
    expect(tr(r.mmu, 0x7f_f000)).toBe(0x3f_f000);
    r.tables.map(0x60_0000, 0x40_0000, { size: 2 ** 21 });
    r.mmu.flush({ kind: 'page', linear: 0x70_0000 });
    expect(tr(r.mmu, 0x60_0000)).toBe(0x40_0000);
    expect(tr(r.mmu, 0x7f_f000)).toBe(0x5f_f000);
  });

  it('R44: with PCIDE=1, switching PCID keeps each PCID\'s entries (no-flush)', () => {
    const r = rig(PagingMode.Level4, { cr4: CR4_PCIDE });
    // PCID 1 and PCID 2 use different roots.
    r.regs.cr3 = 0x10000n | 1n;
    staleSetup(r, false); // PCID 1 cached LIN → 0x30_0000, memory now says 0x31_0000
    const root2 = 0x70000;
    for (let i = 0; i < 4096; i += 4) r.bus.write32(root2 + i, r.bus.read32(0x10000 + i));
    r.regs.cr3 = BigInt(root2) | 2n;
    r.mmu.registersChanged();
    expect(tr(r.mmu, LIN)).toBe(0x31_0000); // PCID 2: fresh walk
    r.regs.cr3 = 0x10000n | 1n; // back to PCID 1 without a flush
    r.mmu.registersChanged();
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
  });

  it('a CR3 change is picked up at the next miss even without being told', () => {
    const r = rig(PagingMode.Level4);
    r.tables.map(LIN, 0x30_0000);
    for (let i = 0; i < 4096; i += 4) r.bus.write32(0x70000 + i, r.bus.read32(0x10000 + i));
    r.regs.cr3 = 0x70000n;
    expect(tr(r.mmu, LIN + 0x1000)).toMatchObject({ fault: 0 }); // a miss under the new CR3
    expect(r.mmu.stats().flushImplicit).toBeGreaterThan(1);
  });

  it('R43: flushing one PCID leaves the other PCIDs\' entries', () => {
    const r = rig(PagingMode.Level4, { cr4: CR4_PCIDE });
    r.regs.cr3 = 0x10000n | 1n;
    staleSetup(r, false);
    r.mmu.flush({ kind: 'pcid', pcid: 2 });
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
    r.mmu.flush({ kind: 'pcid', pcid: 1 });
    expect(tr(r.mmu, LIN)).toBe(0x31_0000);
  });

  it('R109: PAE uses the latched PDPTEs until the next flush', () => {
    const r = rig(PagingMode.Pae);
    r.tables.map(LIN, 0x30_0000);
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
    // Point PDPTE 0 elsewhere (an empty directory), and force a TLB miss with INVLPG.
    setEntry(r.bus, 0x10000, 0x7_0000 | P, 0);
    r.mmu.flush({ kind: 'page', linear: LIN });
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
    r.mmu.flush({ kind: 'non-global' });
    expect(tr(r.mmu, LIN)).toMatchObject({ fault: 0 });
  });

  it('paging off (PG=0): linear = physical, 32-bit wrap, no faults', () => {
    const r = rig(PagingMode.Off);
    expect(tr(r.mmu, 0x1234_5678, Access.Write, true)).toBe(0x1234_5678);
    expect(r.mmu.tlb.occupancy()).toBe(0);
  });

  it('hits do not re-walk: a hit survives the tables being zeroed', () => {
    const r = rig(PagingMode.Level4);
    r.tables.map(LIN, 0x30_0000);
    tr(r.mmu, LIN, Access.Write);
    const misses = r.mmu.stats().misses;
    for (let i = 0; i < 4096; i += 4) r.bus.write32(0x10000 + i, 0);
    for (let i = 0; i < 100; i++) expect(tr(r.mmu, LIN + i, Access.Write)).toBe(0x30_0000 + i);
    expect(r.mmu.stats().misses).toBe(misses);
  });
});

describe('PDPTE latch (R109)', () => {
  it('a CR0 change of a non-paging bit (TS) does not reload the PDPTEs', () => {
    const r = rig(PagingMode.Pae);
    r.tables.map(LIN, 0x30_0000);
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
    setEntry(r.bus, 0x10000, 0, 0); // PDPTE 0 cleared in memory
    r.regs.cr0 |= 1 << 3; // CR0.TS
    r.mmu.flush({ kind: 'page', linear: LIN });
    expect(tr(r.mmu, LIN)).toBe(0x30_0000);
    r.regs.cr0 &= ~(1 << 16); // CR0.WP: a paging bit, PDPTEs reloaded
    expect(tr(r.mmu, LIN)).toMatchObject({ fault: 0 });
  });
});
