/**
 * The TLB's cached rights must give exactly what a fresh walk gives (R94–R99, R102): for every
 * combination of leaf U/S, R/W, XD, D, CR0.WP, CR4.SMEP/SMAP and access (kind, user, AC), the
 * answer after a warming read (hit path) equals the answer of a cold MMU (walk).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_SMAP, CR4_SMEP, D, EFER_NXE, NX_HI, P, U, W } from './helpers.ts';
import { rig, tr } from './setup.ts';

describe('cached rights equal walked rights', () => {
  it('for every leaf, control bits and access', () => {
    fc.assert(
      fc.property(
        fc.record({
          u: fc.boolean(),
          w: fc.boolean(),
          nx: fc.boolean(),
          d: fc.boolean(),
          wp: fc.boolean(),
          smep: fc.boolean(),
          smap: fc.boolean(),
          warmUser: fc.boolean(),
          warmAc: fc.boolean(),
          access: fc.constantFrom(Access.Read, Access.Write, Access.Fetch),
          user: fc.boolean(),
          ac: fc.boolean(),
        }),
        (c) => {
          const extra = {
            cr0: (CR0_PE | CR0_PG | (c.wp ? CR0_WP : 0)) >>> 0,
            cr4: (c.smep ? CR4_SMEP : 0) | (c.smap ? CR4_SMAP : 0),
            efer: EFER_NXE,
          };
          const flags = P | (c.u ? U : 0) | (c.w ? W : 0) | (c.d ? D : 0);
          const cold = rig(PagingMode.Level4, extra);
          cold.tables.map(0x5000, 0x9000, { flags, hi: c.nx ? NX_HI : 0 });
          const want = tr(cold.mmu, 0x5000, c.access, c.user, c.ac);
          const warm = rig(PagingMode.Level4, extra);
          warm.tables.map(0x5000, 0x9000, { flags, hi: c.nx ? NX_HI : 0 });
          tr(warm.mmu, 0x5000, Access.Read, c.warmUser, c.warmAc); // may or may not cache
          expect(tr(warm.mmu, 0x5000, c.access, c.user, c.ac)).toEqual(want);
        },
      ),
      { numRuns: 600 },
    );
  });
});
