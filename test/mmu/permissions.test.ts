/**
 * One test per permission rule and #PF error-code bit in each paging mode (R92–R99, R104),
 * through the hardware MMU (TLB + walker) over tables in RAM.
 */
import { describe, expect, it } from 'vitest';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { CR0_PE, CR0_PG, CR4_SMAP, CR4_SMEP, EFER_NXE, NX_HI, P, U, W } from './helpers.ts';
import { MODES, rig, tr } from './setup.ts';

const LIN = 0x0040_3000;
const PHYS = 0x0030_0000;
const ERR_P = 1;
const ERR_W = 2;
const ERR_U = 4;
const ERR_RSVD = 8;
const ERR_ID = 16;

describe.each(MODES)('permissions, %s paging', (_name, mode) => {
  it('maps a present page: read, write, fetch, user, supervisor', () => {
    const { tables, mmu } = rig(mode);
    tables.map(LIN, PHYS);
    expect(tr(mmu, LIN + 0x123)).toBe(PHYS + 0x123);
    expect(tr(mmu, LIN + 4, Access.Write, true)).toBe(PHYS + 4);
    expect(tr(mmu, LIN + 8, Access.Fetch, true)).toBe(PHYS + 8);
  });

  it('R92/R104: not-present read/write/user faults with P=0 and W/U describing the access', () => {
    const { mmu } = rig(mode);
    expect(tr(mmu, LIN)).toEqual({ fault: 0, addr: LIN });
    expect(tr(mmu, LIN, Access.Write)).toMatchObject({ fault: ERR_W });
    expect(tr(mmu, LIN, Access.Read, true)).toMatchObject({ fault: ERR_U });
    expect(tr(mmu, LIN, Access.Write, true)).toMatchObject({ fault: ERR_W | ERR_U });
  });

  it('R92: a not-present leaf below present tables faults with P=0', () => {
    const { tables, mmu } = rig(mode);
    tables.map(LIN, PHYS);
    tables.map(LIN + 0x1000, PHYS, { flags: 0 });
    expect(tr(mmu, LIN + 0x1000, Access.Read, true)).toMatchObject({ fault: ERR_U });
  });

  it('R94: user access to a supervisor leaf faults P|U', () => {
    const { tables, mmu } = rig(mode);
    tables.map(LIN, PHYS, { flags: P | W });
    expect(tr(mmu, LIN, Access.Read, true)).toMatchObject({ fault: ERR_P | ERR_U });
    expect(tr(mmu, LIN, Access.Write, true)).toMatchObject({ fault: ERR_P | ERR_W | ERR_U });
    expect(tr(mmu, LIN)).toBe(PHYS);
  });

  it('R93: U/S is the AND over levels (supervisor upper level)', () => {
    const { tables, mmu } = rig(mode);
    tables.map(LIN, PHYS, { upper: P | W });
    expect(tr(mmu, LIN, Access.Read, true)).toMatchObject({ fault: ERR_P | ERR_U });
  });

  it('R93: R/W is the AND over levels (read-only upper level)', () => {
    const { tables, mmu } = rig(mode);
    tables.map(LIN, PHYS, { upper: P | U });
    expect(tr(mmu, LIN, Access.Write, true)).toMatchObject({ fault: ERR_P | ERR_W | ERR_U });
    expect(tr(mmu, LIN, Access.Read, true)).toBe(PHYS);
  });

  it('R94: user write to a read-only page faults even with CR0.WP=0', () => {
    const { tables, mmu } = rig(mode, { cr0: (CR0_PE | CR0_PG) >>> 0 });
    tables.map(LIN, PHYS, { flags: P | U });
    expect(tr(mmu, LIN, Access.Write, true)).toMatchObject({ fault: ERR_P | ERR_W | ERR_U });
  });

  it('R96: supervisor write to a read-only page faults P|W with CR0.WP=1', () => {
    const { tables, mmu } = rig(mode);
    tables.map(LIN, PHYS, { flags: P | U });
    expect(tr(mmu, LIN, Access.Write)).toMatchObject({ fault: ERR_P | ERR_W });
  });

  it('R96: supervisor write to a read-only page succeeds with CR0.WP=0', () => {
    const { tables, mmu } = rig(mode, { cr0: (CR0_PE | CR0_PG) >>> 0 });
    tables.map(LIN, PHYS, { flags: P });
    expect(tr(mmu, LIN, Access.Write)).toBe(PHYS);
  });

  it('R98: SMEP: supervisor fetch from a user page faults P|ID', () => {
    const { tables, mmu } = rig(mode, { cr4: CR4_SMEP });
    tables.map(LIN, PHYS);
    expect(tr(mmu, LIN, Access.Fetch)).toMatchObject({ fault: ERR_P | ERR_ID });
    expect(tr(mmu, LIN, Access.Read)).toBe(PHYS);
    expect(tr(mmu, LIN, Access.Fetch, true)).toBe(PHYS);
  });

  it('R104: I/D is reported on a not-present fetch when SMEP=1', () => {
    const { mmu } = rig(mode, { cr4: CR4_SMEP });
    expect(tr(mmu, LIN, Access.Fetch)).toMatchObject({ fault: ERR_ID });
  });

  it('R99: SMAP: supervisor data access to a user page faults unless AC=1', () => {
    const { tables, mmu } = rig(mode, { cr4: CR4_SMAP });
    tables.map(LIN, PHYS);
    expect(tr(mmu, LIN, Access.Read, false, false)).toMatchObject({ fault: ERR_P });
    expect(tr(mmu, LIN, Access.Write, false, false)).toMatchObject({ fault: ERR_P | ERR_W });
    expect(tr(mmu, LIN, Access.Read, false, true)).toBe(PHYS);
    expect(tr(mmu, LIN, Access.Write, false, true)).toBe(PHYS);
    // SMAP does not restrict fetches or user accesses.
    expect(tr(mmu, LIN, Access.Fetch, false, false)).toBe(PHYS);
    expect(tr(mmu, LIN, Access.Read, true, false)).toBe(PHYS);
  });

  it('R99: SMAP with AC=1 still honours WP for read-only user pages', () => {
    const { tables, mmu } = rig(mode, { cr4: CR4_SMAP });
    tables.map(LIN, PHYS, { flags: P | U });
    expect(tr(mmu, LIN, Access.Write, false, true)).toMatchObject({ fault: ERR_P | ERR_W });
  });
});

describe.each(MODES.filter(([, m]) => m !== PagingMode.Legacy32))('NX, %s paging', (_name, mode) => {
  it('R97/R104: fetch from an XD page faults P|ID with NXE=1; reads are fine', () => {
    const { tables, mmu } = rig(mode, { efer: EFER_NXE });
    tables.map(LIN, PHYS, { hi: NX_HI });
    expect(tr(mmu, LIN, Access.Fetch)).toMatchObject({ fault: ERR_P | ERR_ID });
    expect(tr(mmu, LIN, Access.Fetch, true)).toMatchObject({ fault: ERR_P | ERR_U | ERR_ID });
    expect(tr(mmu, LIN, Access.Read, true)).toBe(PHYS);
  });

  it('R104: I/D is reported on a not-present fetch when NXE=1', () => {
    const { mmu } = rig(mode, { efer: EFER_NXE });
    expect(tr(mmu, LIN, Access.Fetch)).toMatchObject({ fault: ERR_ID });
  });

  it('R104: no I/D on a fetch fault with NXE=0 and SMEP=0', () => {
    const { mmu } = rig(mode);
    expect(tr(mmu, LIN, Access.Fetch)).toMatchObject({ fault: 0 });
  });

  it('R90/R91: bit 63 with NXE=0 is a reserved-bit fault', () => {
    const { tables, mmu } = rig(mode);
    tables.map(LIN, PHYS, { hi: NX_HI });
    expect(tr(mmu, LIN)).toMatchObject({ fault: ERR_P | ERR_RSVD });
    expect(tr(mmu, LIN, Access.Write, true)).toMatchObject({ fault: ERR_P | ERR_RSVD | ERR_W | ERR_U });
  });
});

describe('I/D in 32-bit paging', () => {
  it('R104: NXE=1 does not add I/D under 32-bit paging (no XD bit there)', () => {
    const { mmu } = rig(PagingMode.Legacy32, { efer: EFER_NXE });
    expect(tr(mmu, LIN, Access.Fetch)).toMatchObject({ fault: 0 });
  });
});
