/** Nested and direct strategies: hardware programming, no #PF/CR3 exits, NPF fills, stats. */
import { describe, expect, it } from 'vitest';
import { MONITOR_BASE } from '../../src/runtime/machine/bus.ts';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { P, W } from '../mmu/helpers.ts';
import { MODES } from '../mmu/setup.ts';
import { env, GROOT } from './env.ts';

describe.each(MODES)('nested paging, %s guest', (_n, mode) => {
  it('hardware runs the guest CR3 and paging bits; #PF is not intercepted', () => {
    const e = env('nested', mode);
    expect(e.vcpu.control.cr3).toBe(BigInt(GROOT));
    expect(e.vcpu.control.cr4 & 0x30n).toBe(e.guest.cr4 & 0x30n);
    expect(Number(e.vcpu.control.ncr3)).toBeGreaterThanOrEqual(MONITOR_BASE);
    expect(e.vcpu.intercepts.exceptionBitmap & (1 << 14)).toBe(0);
  });

  it('fills the nested tables on NPF, then runs without exits', () => {
    const e = env('nested', mode);
    e.tables.map(0x40_3000, 0x30_0000);
    expect(e.go(0x40_3008, Access.Write, true)).toEqual({ kind: 'ok', phys: 0x30_0008 });
    const exits = e.vcpu.exits;
    expect(exits).toBeGreaterThan(0);
    expect(e.strategy.stats()['nested.npf']).toBe(exits);
    e.tables.map(0x40_4000, 0x30_1000);
    e.go(0x40_4000);
    expect(e.vcpu.exits).toBe(exits); // same 2 MiB nested pages
  });

  it('guest #PF goes to the guest without an exit', () => {
    const e = env('nested', mode);
    e.tables.map(0x40_3000, 0x30_0000, { flags: P | W });
    e.go(0x40_3000); // fills nested
    const exits = e.vcpu.exits;
    expect(e.go(0x40_3000, Access.Read, true)).toEqual({ kind: 'pf', code: 5, cr2: 0x40_3000n });
    expect(e.vcpu.exits).toBe(exits);
    expect(e.vcpu.injected).toEqual([]);
  });

  it('a guest-physical address past RAM maps to the unbacked range', () => {
    const e = env('nested', mode);
    e.tables.map(0x40_3000, 0x9000_0000);
    expect(e.go(0x40_3000, Access.Write)).toEqual({ kind: 'ok', phys: 0x9000_0000 });
    expect(e.bus.read32(0x9000_0000)).toBe(0xffff_ffff);
  });

  it('CR3 loads reach the hardware', () => {
    const e = env('nested', mode);
    e.guest.cr3 = 0x70000n;
    e.strategy.cr3Loaded(e.vcpu, e.guest, { kind: 'non-global' });
    expect(e.vcpu.control.cr3).toBe(0x70000n);
  });
});

describe.each(MODES)('direct paging, %s guest', (_n, mode) => {
  it('the hardware walks the guest tables; no monitor tables, no exits', () => {
    const e = env('direct', mode);
    expect(e.vcpu.control.cr3).toBe(BigInt(GROOT));
    expect(e.vcpu.control.ncr3).toBeNull();
    e.tables.map(0x40_3000, 0x30_0000);
    expect(e.go(0x40_3000, Access.Write, true)).toEqual({ kind: 'ok', phys: 0x30_0000 });
    expect(e.go(0x40_4000)).toMatchObject({ kind: 'pf', code: 0 });
    expect(e.vcpu.exits).toBe(0);
    expect(e.bus.monitorPages()).toBe(0);
  });

});

describe.each(MODES.filter(([, m]) => m !== PagingMode.Legacy32))('direct paging isolation, %s guest', (_n, mode) => {
  it('a guest entry naming an address ≥ 2^40 is a reserved-bit fault, not monitor memory', () => {
    const e = env('direct', mode);
    e.tables.map(0x40_3000, MONITOR_BASE);
    expect(e.go(0x40_3000)).toMatchObject({ kind: 'pf', code: 1 | 8 });
  });
});

describe('guest paging off under nested and direct', () => {
  it('nested: linear = guest-physical through the nested tables', () => {
    const e = env('nested', PagingMode.Off);
    expect(e.go(0x1234, Access.Write)).toEqual({ kind: 'ok', phys: 0x1234 });
    expect(e.vcpu.control.cr0 & (1n << 31n)).toBe(0n);
  });

  it('direct: hardware paging off', () => {
    const e = env('direct', PagingMode.Off);
    expect(e.go(0x1234, Access.Write)).toEqual({ kind: 'ok', phys: 0x1234 });
    expect(e.vcpu.control.cr0 & (1n << 31n)).toBe(0n);
  });
});

describe('paging-off rights', () => {
  it('R106: with guest paging off, CR4.SMEP/SMAP do not restrict nested translations', () => {
    const e = env('nested', PagingMode.Off, { cr4: (1 << 20) | (1 << 21) });
    expect(e.go(0x1234, Access.Fetch)).toEqual({ kind: 'ok', phys: 0x1234 });
    expect(e.go(0x1238, Access.Read)).toEqual({ kind: 'ok', phys: 0x1238 });
    const misses = e.vcpu.mmu.stats().misses;
    e.go(0x1240, Access.Read);
    expect(e.vcpu.mmu.stats().misses).toBe(misses);
  });
});
