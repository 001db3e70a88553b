/**
 * Large pages (R85–R87), reserved bits (R88–R91), walk order (R92), accessed/dirty (R101–R102),
 * and the walker's probe mode (no A/D when just looking).
 */
import { describe, expect, it } from 'vitest';
import { newWalkConfig, PagingMode, configure } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { walk, WalkResult, WALK_OK, WALK_SET_AD } from '../../src/runtime/mmu/walker.ts';
import { A, CR4_PSE, D, P, PS, readLo, setEntry, U, W } from './helpers.ts';
import { MODES, ROOT, rig, tr } from './setup.ts';

const ERR_P = 1;
const ERR_W = 2;
const ERR_RSVD = 8;
const MiB = 1024 * 1024;

describe('large pages', () => {
  it('R85: 4 MiB pages with CR4.PSE=1 in 32-bit paging', () => {
    const { tables, mmu } = rig(PagingMode.Legacy32);
    tables.map(0x0080_0000, 0x0040_0000, { size: 4 * MiB });
    expect(tr(mmu, 0x0080_0000 + 0x12_3456)).toBe(0x0040_0000 + 0x12_3456);
  });

  it('R85: with CR4.PSE=0 the PS bit is ignored and the PDE names a page table', () => {
    const { bus, regs, mmu } = rig(PagingMode.Legacy32);
    regs.cr4 &= ~CR4_PSE;
    // PDE for 0x00800000 points at 0x30000 with PS set; PTE 0 there maps 0x5000.
    setEntry(bus, ROOT + 2 * 4, 0x30000 | P | W | PS);
    setEntry(bus, 0x30000, 0x5000 | P | W);
    expect(tr(mmu, 0x0080_0010)).toBe(0x5010);
  });

  it('R89: PSE-36: PDE bits 20:13 supply physical bits 39:32', () => {
    const { bus, mmu } = rig(PagingMode.Legacy32);
    setEntry(bus, ROOT + 1 * 4, 0x0040_0000 | (0x3 << 13) | P | W | PS);
    expect(tr(mmu, 0x0040_0010)).toBe(3 * 2 ** 32 + 0x0040_0010);
  });

  it('R89: bit 21 of a 4 MiB PDE is reserved', () => {
    const { bus, mmu } = rig(PagingMode.Legacy32);
    setEntry(bus, ROOT + 1 * 4, 0x0040_0000 | (1 << 21) | P | W | PS);
    expect(tr(mmu, 0x0040_0010, Access.Write)).toMatchObject({ fault: ERR_P | ERR_W | ERR_RSVD });
  });

  it.each([
    ['PAE', PagingMode.Pae],
    ['4-level', PagingMode.Level4],
  ])('R86: 2 MiB pages regardless of CR4.PSE (%s)', (_n, mode) => {
    const { tables, regs, mmu } = rig(mode);
    regs.cr4 &= ~CR4_PSE;
    tables.map(0x0060_0000, 0x0020_0000, { size: 2 * MiB });
    expect(tr(mmu, 0x0061_2345)).toBe(0x0021_2345);
  });

  it.each([
    ['PAE', PagingMode.Pae],
    ['4-level', PagingMode.Level4],
  ])('R90/R91: bits 20:13 of a 2 MiB PDE are reserved (%s)', (_n, mode) => {
    const { tables, mmu } = rig(mode);
    tables.map(0x0060_0000, 0x0020_0000 | (1 << 13), { size: 2 * MiB });
    expect(tr(mmu, 0x0060_0000)).toMatchObject({ fault: ERR_P | ERR_RSVD });
  });

  it('R87: 1 GiB pages in 4-level paging', () => {
    const { tables, mmu } = rig(PagingMode.Level4);
    tables.map(0x4000_0000, 0, { size: 2 ** 30 });
    expect(tr(mmu, 0x4012_3456)).toBe(0x12_3456);
  });

  it('R91: bits 29:13 of a 1 GiB PDPTE are reserved', () => {
    const { tables, mmu } = rig(PagingMode.Level4);
    tables.map(0x4000_0000, 1 << 20, { size: 2 ** 30 });
    expect(tr(mmu, 0x4000_0000)).toMatchObject({ fault: ERR_P | ERR_RSVD });
  });

  it('R88: PS in a PML4E is a reserved-bit fault', () => {
    const { bus, mmu } = rig(PagingMode.Level4);
    setEntry(bus, ROOT, 0 | P | W | PS, 0);
    expect(tr(mmu, 0x1000)).toMatchObject({ fault: ERR_P | ERR_RSVD });
  });

  it('5-level paging walks PML5 → PML4 → … (LA57)', () => {
    const { tables, mmu } = rig(PagingMode.Level5);
    const lin = 2 ** 50 + 0x7000;
    tables.map(lin, 0x9000);
    expect(tr(mmu, lin + 1)).toBe(0x9001);
  });

  it('4-level: negative (canonical high-half) linear addresses index the upper half', () => {
    const { tables, mmu } = rig(PagingMode.Level4);
    const lin = -(2 ** 47) + 0x1000; // 0xFFFF_8000_0000_1000
    tables.map(lin, 0xa000);
    expect(tr(mmu, lin + 5)).toBe(0xa005);
    expect(tr(mmu, 0x1000)).toMatchObject({ fault: 0 });
  });
});

describe('reserved physical-address bits', () => {
  it.each([
    ['PAE', PagingMode.Pae],
    ['4-level', PagingMode.Level4],
  ])('R90/R91: leaf address bit ≥ MAXPHYADDR (40) is reserved (%s)', (_n, mode) => {
    const { tables, mmu } = rig(mode);
    tables.map(0x5000, 2 ** 40);
    expect(tr(mmu, 0x5000)).toMatchObject({ fault: ERR_P | ERR_RSVD });
  });

  it('R91: non-leaf address bit ≥ MAXPHYADDR is reserved', () => {
    const { bus, mmu } = rig(PagingMode.Level4);
    setEntry(bus, ROOT, 0x20000 | P | W, 1 << 12); // bit 44
    expect(tr(mmu, 0x5000)).toMatchObject({ fault: ERR_P | ERR_RSVD });
  });

  it('R90: PAE entries reserve bits 62:52 too', () => {
    const { tables, mmu } = rig(PagingMode.Pae);
    tables.map(0x5000, 0x6000, { hi: 1 << 25 });
    expect(tr(mmu, 0x5000)).toMatchObject({ fault: ERR_P | ERR_RSVD });
  });

  it('R91: 4-level entries ignore bits 62:52', () => {
    const { tables, mmu } = rig(PagingMode.Level4);
    tables.map(0x5000, 0x6000, { hi: 1 << 25 });
    expect(tr(mmu, 0x5000)).toBe(0x6000);
  });

  it('R41/R109: a present PDPTE with reserved bits 2:1 faults RSVD in the walk', () => {
    const { bus, tables, mmu } = rig(PagingMode.Pae);
    tables.map(0x5000, 0x6000);
    setEntry(bus, ROOT, (readLo(bus, ROOT) | W) >>> 0, 0);
    expect(tr(mmu, 0x5000)).toMatchObject({ fault: ERR_P | ERR_RSVD });
  });

  it('R92: not-present beats reserved (a P=0 entry with reserved bits)', () => {
    const { tables, mmu } = rig(PagingMode.Level4);
    tables.map(0x5000, 2 ** 40, { flags: W | U });
    expect(tr(mmu, 0x5000, Access.Write)).toMatchObject({ fault: ERR_W });
  });

  it('R92: reserved bits are found before rights are checked', () => {
    const { tables, mmu } = rig(PagingMode.Level4);
    tables.map(0x5000, 2 ** 40, { flags: P }); // supervisor, read-only, reserved
    expect(tr(mmu, 0x5000, Access.Write, true)).toMatchObject({ fault: ERR_P | ERR_W | 4 | ERR_RSVD });
  });
});

describe.each(MODES)('accessed and dirty bits, %s paging', (_n, mode) => {
  it('R101: a read sets A on every level and not D', () => {
    const { bus, tables, mmu } = rig(mode);
    tables.map(0x40_3000, 0x30_0000);
    tr(mmu, 0x40_3000);
    const leaf = tables.leafOf(0x40_3000);
    expect(readLo(bus, leaf) & (A | D)).toBe(A);
    if (mode === PagingMode.Legacy32) expect(readLo(bus, ROOT + 1 * 4) & A).toBe(A);
    if (mode === PagingMode.Level4) expect(readLo(bus, ROOT) & A).toBe(A);
    if (mode === PagingMode.Pae) expect(readLo(bus, ROOT) & A).toBe(0); // PDPTEs have no A
  });

  it('R102: a write sets D on the leaf; a cached clean entry re-walks on the first write', () => {
    const { bus, tables, mmu } = rig(mode);
    tables.map(0x40_3000, 0x30_0000);
    tr(mmu, 0x40_3000); // cached, clean
    expect(readLo(bus, tables.leafOf(0x40_3000)) & D).toBe(0);
    expect(tr(mmu, 0x40_3004, Access.Write)).toBe(0x30_0004);
    expect(readLo(bus, tables.leafOf(0x40_3000)) & (A | D)).toBe(A | D);
  });

  it('R102: D is set on the large-page leaf', () => {
    const { bus, tables, mmu } = rig(mode);
    const size = mode === PagingMode.Legacy32 ? 4 * MiB : 2 * MiB;
    tables.map(0x80_0000, 0x40_0000, { size });
    tr(mmu, 0x80_1000, Access.Write);
    expect(readLo(bus, tables.leafOf(0x80_0000)) & (A | D | PS)).toBe(A | D | PS);
  });

  it('R102: a faulting write sets neither A nor D', () => {
    const { bus, tables, mmu } = rig(mode);
    tables.map(0x40_3000, 0x30_0000, { flags: P | U });
    expect(tr(mmu, 0x40_3000, Access.Write, true)).toMatchObject({ fault: ERR_P | ERR_W | 4 });
    expect(readLo(bus, tables.leafOf(0x40_3000)) & (A | D)).toBe(0);
  });

  it('R102: a WP=0 supervisor write to a read-only page sets D', () => {
    const { bus, tables, regs, mmu } = rig(mode);
    regs.cr0 &= ~(1 << 16);
    tables.map(0x40_3000, 0x30_0000, { flags: P });
    expect(tr(mmu, 0x40_3000, Access.Write)).toBe(0x30_0000);
    expect(readLo(bus, tables.leafOf(0x40_3000)) & D).toBe(D);
  });

  it('probe walks (no WALK_SET_AD) leave A and D alone', () => {
    const { bus, tables, regs } = rig(mode);
    tables.map(0x40_3000, 0x30_0000);
    const cfg = newWalkConfig();
    configure(cfg, regs.cr0, regs.cr3, regs.cr4, regs.efer, 40);
    const out = new WalkResult();
    const r = walk(bus, cfg, null, 0x40_3000, Access.Write, true, false, 0, out, null);
    expect(r).toBe(WALK_OK);
    expect(out.phys).toBe(0x30_0000);
    expect(out.dirty).toBe(false);
    expect(readLo(bus, tables.leafOf(0x40_3000)) & (A | D)).toBe(0);
    walk(bus, cfg, null, 0x40_3000, Access.Write, true, false, WALK_SET_AD, out, null);
    expect(readLo(bus, tables.leafOf(0x40_3000)) & (A | D)).toBe(A | D);
  });
});
