/**
 * shadow ≡ nested ≡ direct at the memory-access level: the same random guest tables and the same
 * access sequence give the same translations, the same guest #PF error codes and CR2, and the
 * same guest page tables afterwards (A/D bits), in every guest paging mode. (The end-to-end
 * guest-output comparison lives with the CLI tests once the CPU and trap monitor run guests.)
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { A, CR0_PE, CR0_PG, CR0_WP, CR4_SMAP, CR4_SMEP, D, EFER_NXE, G, NX_HI, P, TestBus, U, W } from '../mmu/helpers.ts';
import { MODES } from '../mmu/setup.ts';
import { env } from './env.ts';

interface Mapping {
  page: number; // linear page index within a 64 MiB window
  frame: number; // physical page index (some past RAM)
  flags: number;
  nx: boolean;
  large: boolean;
}

const mappingArb = fc.record({
  page: fc.nat(16383),
  frame: fc.oneof(fc.nat(1023), fc.integer({ min: 0x10_0000, max: 0x10_0100 })),
  flags: fc.subarray([P, P, W, U, A, D, G]).map((bits) => bits.reduce((x, y) => x | y, 0)),
  nx: fc.boolean(),
  large: fc.boolean(),
});

const accessArb = fc.record({
  mapping: fc.nat(1000),
  offset: fc.nat(0x3fff),
  access: fc.constantFrom(Access.Read, Access.Write, Access.Fetch),
  user: fc.boolean(),
});

const regsArb = fc.record({ wp: fc.boolean(), smep: fc.boolean(), smap: fc.boolean(), nxe: fc.boolean(), ac: fc.boolean() });

function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return 0x10000 + i;
  return a.length;
}

describe.each([...MODES, ['5-level', PagingMode.Level5] as [string, PagingMode]])('shadow ≡ nested ≡ direct, %s guest', (_n, mode) => {
  it('same translations, faults and guest A/D bits', () => {
    fc.assert(
      fc.property(
        fc.array(mappingArb, { minLength: 1, maxLength: 24 }),
        fc.array(accessArb, { minLength: 1, maxLength: 60 }),
        regsArb,
        (mappings, accesses, r) => {
          // SMAP with guest CR0.WP=0 is the one combination shadow paging cannot express
          // (README.md, "Limits").
          const smap = r.smap && r.wp;
          const cr0 = (CR0_PE | CR0_PG | (r.wp ? CR0_WP : 0)) >>> 0;
          const cr4 = (r.smep ? CR4_SMEP : 0) | (smap ? CR4_SMAP : 0);
          const efer = r.nxe && mode !== PagingMode.Legacy32 ? EFER_NXE : 0;
          const large = mode === PagingMode.Legacy32 ? 4 * 2 ** 20 : 2 ** 21;
          const runs = (['shadow', 'nested', 'direct'] as const).map((name) => {
            const bus = new TestBus();
            const e = env(name, mode, { cr0, cr4, efer, bus });
            e.vcpu.rflags = r.ac ? 2 | (1 << 18) : 2;
            for (const m of mappings) {
              const isLarge = m.large && m.page % 4 === 0;
              const lin = isLarge ? m.page * 4096 - ((m.page * 4096) % large) : m.page * 4096;
              const phys = isLarge ? (m.frame * 4096) - ((m.frame * 4096) % large) : m.frame * 4096;
              e.tables.map(lin, phys, { flags: m.flags, hi: m.nx ? NX_HI : 0, size: isLarge ? large : 4096 });
            }
            if (mode === PagingMode.Pae) e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3);
            const outcomes = accesses.map((a) => {
              const m = mappings[a.mapping % mappings.length];
              return e.go(m.page * 4096 + a.offset, a.access, a.user);
            });
            return { outcomes, tables: Buffer.from(bus.ram.subarray(0x10000, 0x80000)) };
          });
          expect(runs[0].outcomes).toEqual(runs[2].outcomes);
          expect(runs[1].outcomes).toEqual(runs[2].outcomes);
          // Guest tables (and their A/D bits) byte for byte; on a difference, show where.
          expect(firstDifference(runs[0].tables, runs[2].tables)).toBe(-1);
          expect(firstDifference(runs[1].tables, runs[2].tables)).toBe(-1);
        },
      ),
      { numRuns: 100 },
    );
  });
});
