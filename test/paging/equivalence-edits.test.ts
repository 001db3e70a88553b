/**
 * shadow ≡ nested ≡ direct when the guest edits its tables: random accesses interleaved with
 * edits that the guest follows by a CR3 reload of the same root (R42), plain CR3 reloads and PGE
 * toggles (R57). Every edit is flushed before the next access, so the architecture leaves no
 * choice: translations, #PF codes, CR2 and the guest tables' A/D bits must agree, whatever the
 * strategies keep across clean flushes (shadow-cache.ts, hardware-mmu.ts "Flush skipping").
 * No G bits: a global entry may legally outlive the CR3 reload in one strategy and not another.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { A, CR0_PE, CR0_PG, CR0_WP, D, NX_HI, P, TestBus, U, W } from '../mmu/helpers.ts';
import { MODES } from '../mmu/setup.ts';
import { env, type Env } from './env.ts';

interface Mapping {
  page: number;
  frame: number;
  flags: number;
  nx: boolean;
  large: boolean;
}

const flagsArb = fc.subarray([P, P, P, W, U, A, D]).map((bits) => bits.reduce((x, y) => x | y, 0));

const mappingArb = fc.record({
  page: fc.nat(4095),
  frame: fc.nat(1023),
  flags: flagsArb,
  nx: fc.boolean(),
  large: fc.boolean(),
});

const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('access' as const), mapping: fc.nat(100), offset: fc.nat(0x3fff), access: fc.constantFrom(Access.Read, Access.Write, Access.Fetch), user: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('edit' as const), mapping: fc.nat(100), frame: fc.nat(1023), flags: flagsArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pge' as const) }) },
);

function reload(e: Env, mode: PagingMode): void {
  if (mode === PagingMode.Pae) e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3);
  e.strategy.cr3Loaded(e.vcpu, e.guest, { kind: 'non-global' });
}

describe.each([...MODES, ['5-level', PagingMode.Level5] as [string, PagingMode]])('edits and flushes: shadow ≡ nested ≡ direct, %s guest', (_n, mode) => {
  it('same translations, faults and guest A/D bits', () => {
    fc.assert(
      fc.property(fc.array(mappingArb, { minLength: 1, maxLength: 6 }), fc.array(opArb, { minLength: 1, maxLength: 80 }), fc.boolean(), (mappings, ops, wp) => {
        const cr0 = (CR0_PE | CR0_PG | (wp ? CR0_WP : 0)) >>> 0;
        const efer = mode !== PagingMode.Legacy32 ? 0x800 : 0; // NXE
        const large = mode === PagingMode.Legacy32 ? 4 * 2 ** 20 : 2 ** 21;
        const runs = (['shadow', 'nested', 'direct'] as const).map((name) => {
          const bus = new TestBus();
          const e = env(name, mode, { cr0, efer, bus });
          const place = (m: Mapping, frame: number, flags: number): number => {
            const isLarge = m.large && m.page % 4 === 0;
            const lin = isLarge ? m.page * 4096 - ((m.page * 4096) % large) : m.page * 4096;
            const phys = isLarge ? frame * 4096 - ((frame * 4096) % large) : frame * 4096;
            e.tables.map(lin, phys, { flags, hi: m.nx && mode !== PagingMode.Legacy32 ? NX_HI : 0, size: isLarge ? large : 4096 });
            return lin;
          };
          for (const m of mappings) place(m, m.frame, m.flags);
          if (mode === PagingMode.Pae) e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3);
          const outcomes: unknown[] = [];
          for (const op of ops) {
            if (op.kind === 'access') {
              const m = mappings[op.mapping % mappings.length]!;
              outcomes.push(e.go(m.page * 4096 + op.offset, op.access, op.user));
            } else if (op.kind === 'edit') {
              place(mappings[op.mapping % mappings.length]!, op.frame, op.flags);
              reload(e, mode);
            } else if (op.kind === 'reload') {
              reload(e, mode);
            } else {
              e.guest.cr4 ^= 0x80n;
              if (mode === PagingMode.Pae) e.strategy.loadPdptes(e.vcpu, e.guest, e.guest.cr3);
              e.strategy.pagingModeChanged(e.vcpu, e.guest, { kind: 'all' }); // the rule's flush_tlb(all) comes with it
            }
          }
          return { outcomes, tables: Buffer.from(bus.ram.subarray(0x10000, 0x80000)) };
        });
        expect(runs[0]!.outcomes).toEqual(runs[2]!.outcomes);
        expect(runs[1]!.outcomes).toEqual(runs[2]!.outcomes);
        expect(runs[0]!.tables.equals(runs[2]!.tables)).toBe(true);
        expect(runs[1]!.tables.equals(runs[2]!.tables)).toBe(true);
      }),
      { numRuns: 80 },
    );
  });
});
