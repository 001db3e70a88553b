/**
 * Shadow paging: passthrough while guest paging is off, fill vs inject on hardware #PF, A/D
 * emulation, guest CR0.WP=0, when guest edits become visible, INVLPG/CR3/mode drops, stats.
 */
import { describe, expect, it } from 'vitest';
import { MONITOR_BASE } from '../../src/runtime/machine/bus.ts';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access } from '../../src/runtime/mmu/types.ts';
import { A, CR0_PE, CR0_PG, CR4_PAE, CR4_SMEP, D, P, readLo, setEntry, U, W } from '../mmu/helpers.ts';
import { MODES } from '../mmu/setup.ts';
import { env, GROOT } from './env.ts';

const LIN = 0x40_3000;
const PHYS = 0x30_0000;

describe('passthrough (guest CR0.PG=0)', () => {
  it('runs the hardware paged over 32-bit identity tables in monitor memory', () => {
    const e = env('shadow', PagingMode.Off);
    expect(e.vcpu.control.cr0 & 0x8001_0000n).toBe(0x8001_0000n); // PG, WP
    expect(e.vcpu.control.cr4 & 0x30n).toBe(0x10n); // PSE, not PAE
    expect(Number(e.vcpu.control.cr3)).toBeGreaterThanOrEqual(MONITOR_BASE);
    expect(e.go(0x1234, Access.Write, true)).toEqual({ kind: 'ok', phys: 0x1234 });
    expect(e.go(0xffff_fff0)).toEqual({ kind: 'ok', phys: 0xffff_fff0 });
    expect(e.vcpu.exits).toBe(0);
  });

  it('uses PAE-format passthrough tables when the guest sets CR4.PAE with paging off', () => {
    const e = env('shadow', PagingMode.Off);
    e.guest.cr4 |= BigInt(CR4_PAE);
    e.strategy.pagingModeChanged(e.vcpu, e.guest, null);
    expect(e.vcpu.control.cr4 & 0x30n).toBe(0x20n);
    expect(e.go(0x3f_fffc, Access.Fetch)).toEqual({ kind: 'ok', phys: 0x3f_fffc });
    expect(e.go(0x9000_0000, Access.Write)).toEqual({ kind: 'ok', phys: 0x9000_0000 });
  });

  it('paged real mode: CR0.PE=0 keeps hardware paging on', () => {
    const e = env('shadow', PagingMode.Off, { cr0: 0 });
    expect(e.vcpu.control.cr0 & 0x8000_0001n).toBe(0x8000_0000n);
    expect(e.go(0x7c00)).toEqual({ kind: 'ok', phys: 0x7c00 });
  });

  it('P21/R107: INVLPG with guest paging off is a no-op, not an error', () => {
    const e = env('shadow', PagingMode.Off);
    e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: 0x1000 });
    expect(e.go(0x1000)).toEqual({ kind: 'ok', phys: 0x1000 });
  });
});

describe.each(MODES)('shadow tables, %s guest', (_n, mode) => {
  it('start empty, fill on the first access, then run without exits', () => {
    const e = env('shadow', mode);
    expect(Number(e.vcpu.control.cr3)).toBeGreaterThanOrEqual(MONITOR_BASE);
    expect(e.vcpu.control.cr4 & BigInt(CR4_PAE)).toBe(BigInt(CR4_PAE));
    e.tables.map(LIN, PHYS);
    expect(e.go(LIN + 8, Access.Read, true)).toEqual({ kind: 'ok', phys: PHYS + 8 });
    expect(e.vcpu.exits).toBe(1);
    expect(e.go(LIN + 16, Access.Read, true)).toEqual({ kind: 'ok', phys: PHYS + 16 });
    expect(e.vcpu.exits).toBe(1);
    expect(e.strategy.stats()['shadow.fills']).toBe(1);
  });

  it('guest not-present: injects #PF with the guest error code and CR2', () => {
    const e = env('shadow', mode);
    expect(e.go(LIN + 4, Access.Write, true)).toEqual({ kind: 'pf', code: 2 | 4, cr2: BigInt(LIN + 4) });
    expect(e.vcpu.injected).toEqual([{ vector: 14, errorCode: 6 }]);
    expect(e.strategy.stats()['shadow.pfInjected']).toBe(1);
  });

  it('guest rights failure: injects P|U for a user read of a supervisor page', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS, { flags: P | W });
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.go(LIN, Access.Read, true)).toMatchObject({ kind: 'pf', code: 1 | 4 });
  });

  it('guest reserved bit: injects P|RSVD (never seen in the shadow)', () => {
    const e = env('shadow', mode);
    if (mode === PagingMode.Legacy32) setEntry(e.bus, GROOT + (LIN >>> 22) * 4, PHYS | P | W | 0x80 | (1 << 21));
    else e.tables.map(LIN, 2 ** 40);
    expect(e.go(LIN)).toMatchObject({ kind: 'pf', code: 1 | 8 });
  });

  it('A on fill, D emulated by a read-only shadow until the first write', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    const leaf = e.tables.leafOf(LIN);
    e.go(LIN);
    expect(readLo(e.bus, leaf) & (A | D)).toBe(A);
    const exits = e.vcpu.exits;
    expect(e.go(LIN, Access.Write)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.vcpu.exits).toBe(exits + 1);
    expect(readLo(e.bus, leaf) & (A | D)).toBe(A | D);
    expect(e.strategy.stats()['shadow.dirtyFaults']).toBe(1);
    e.go(LIN + 4, Access.Write);
    expect(e.vcpu.exits).toBe(exits + 1);
  });

  it('a guest page that is already dirty is shadowed writable at once', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS, { flags: P | W | U | A | D });
    e.go(LIN);
    e.go(LIN, Access.Write);
    expect(e.vcpu.exits).toBe(1);
  });

  it('guest CR0.WP=0: supervisor write to a read-only page succeeds (hardware WP stays 1)', () => {
    const e = env('shadow', mode, { cr0: (CR0_PE | CR0_PG) >>> 0 });
    expect(e.vcpu.control.cr0 & (1n << 16n)).toBe(1n << 16n);
    e.tables.map(LIN, PHYS, { flags: P | U });
    expect(e.go(LIN, Access.Write)).toEqual({ kind: 'ok', phys: PHYS });
    expect(readLo(e.bus, e.tables.leafOf(LIN)) & D).toBe(D);
    // The supervisor-only writable shadow must not let the user write or skip the user check.
    expect(e.go(LIN, Access.Write, true)).toMatchObject({ kind: 'pf', code: 1 | 2 | 4 });
    expect(e.go(LIN, Access.Read, true)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.go(LIN, Access.Write)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.strategy.stats()['shadow.wpEmulated']).toBeGreaterThanOrEqual(2);
  });

  it('guest CR0.WP=0 with SMEP: the supervisor-writable shadow of a user page is not executable', () => {
    const e = env('shadow', mode, { cr0: (CR0_PE | CR0_PG) >>> 0, cr4: CR4_SMEP });
    e.tables.map(LIN, PHYS, { flags: P | U });
    expect(e.go(LIN, Access.Write)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.go(LIN, Access.Fetch)).toMatchObject({ kind: 'pf', code: 1 | 16 });
  });

  it('guest CR0.WP=1: supervisor write to a read-only page is the guest\'s #PF', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS, { flags: P | U });
    expect(e.go(LIN, Access.Write)).toMatchObject({ kind: 'pf', code: 1 | 2 });
  });

  it('R108: guest edits are seen at once for pages not yet shadowed', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    e.tables.map(LIN + 0x1000, PHYS + 0x5000);
    expect(e.go(LIN + 0x1000)).toEqual({ kind: 'ok', phys: PHYS + 0x5000 });
  });

  it('R108/R107: an edit to a shadowed page is seen after INVLPG of that page only', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.tables.map(LIN + 0x1000, PHYS + 0x1000);
    e.go(LIN);
    e.go(LIN + 0x1000);
    e.tables.map(LIN, PHYS + 0x8000);
    e.tables.map(LIN + 0x1000, PHYS + 0x9000);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
    e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: LIN });
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x8000 });
    expect(e.go(LIN + 0x1000)).toEqual({ kind: 'ok', phys: PHYS + 0x1000 });
    expect(e.strategy.stats()['tlbFlush.invlpg']).toBe(1);
  });

  it('R42: a guest CR3 load drops the shadow tree (edits seen, pages returned)', () => {
    const e = env('shadow', mode);
    for (let i = 0; i < 8; i++) e.tables.map(LIN + i * 0x20_0000, PHYS + i * 0x1000);
    for (let i = 0; i < 8; i++) e.go(LIN + i * 0x20_0000);
    const live = e.strategy.stats()['shadow.tablePagesLive'];
    expect(live).toBeGreaterThan(2);
    e.tables.map(LIN, PHYS + 0x7000);
    e.strategy.cr3Loaded(e.vcpu, e.guest, { kind: 'non-global' });
    expect(e.strategy.stats()['shadow.tablePagesLive']).toBeLessThan(live);
    expect(e.bus.monitorPages()).toBe(e.strategy.stats()['shadow.tablePagesLive']);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS + 0x7000 });
    expect(e.strategy.stats()['tlbFlush.cr3']).toBe(1);
  });

  it('INVLPG inside a guest large page drops the whole large page', () => {
    const e = env('shadow', mode);
    const size = mode === PagingMode.Legacy32 ? 4 * 2 ** 20 : 2 ** 21;
    const base = 0x80_0000;
    e.tables.map(base, 0x40_0000 - (mode === PagingMode.Legacy32 ? 0 : 0), { size });
    expect(e.go(base)).toEqual({ kind: 'ok', phys: 0x40_0000 });
    expect(e.go(base + size - 0x1000)).toEqual({ kind: 'ok', phys: 0x40_0000 + size - 0x1000 });
    e.tables.map(base, 0, { size });
    e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: base + 0x5000 });
    expect(e.go(base + size - 0x1000)).toEqual({ kind: 'ok', phys: size - 0x1000 });
    expect(e.go(base)).toEqual({ kind: 'ok', phys: 0 });
  });

  it('a guest mapping past RAM maps the unbacked range: reads all ones, writes dropped', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, 0x9000_0000);
    const r = e.go(LIN, Access.Write);
    expect(r).toEqual({ kind: 'ok', phys: 0x9000_0000 });
    e.bus.write32(0x9000_0000, 5);
    expect(e.bus.read32(0x9000_0000)).toBe(0xffff_ffff);
  });

  it('guest paging off again: back to passthrough, shadow pages returned', () => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.go(LIN);
    e.guest.cr0 &= ~BigInt(CR0_PG);
    e.guest.efer &= ~(1n << 10n);
    e.strategy.pagingModeChanged(e.vcpu, e.guest, null);
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: LIN });
    expect(e.strategy.stats()['shadow.treesDropped']).toBe(1);
  });
});

describe('shadow: PDPTEs and isolation', () => {
  it('R41: loadPdptes refuses present PDPTEs with reserved bits 2:1, 8:5, 63:M', () => {
    const e = env('shadow', PagingMode.Off);
    const cr3 = 0x5000n;
    setEntry(e.bus, 0x5000, 0x6000 | P, 0);
    expect(e.strategy.loadPdptes(e.vcpu, e.guest, cr3)).toBe(true);
    for (const [lo, hi] of [
      [0x6000 | P | W, 0],
      [0x6000 | P | 0x20, 0],
      [0x6000 | P, 1 << 8], // bit 40
      [0x6000 | P, 0x8000_0000], // XD is reserved in PDPTEs
    ]) {
      setEntry(e.bus, 0x5008, lo, hi);
      expect(e.strategy.loadPdptes(e.vcpu, e.guest, cr3)).toBe(false);
    }
    setEntry(e.bus, 0x5008, W | 0x20, 0xffff_ffff); // not present: bits ignored
    expect(e.strategy.loadPdptes(e.vcpu, e.guest, cr3)).toBe(true);
  });

  it('R109: the shadow follows the latched PDPTEs, not the PDPT in memory', () => {
    const e = env('shadow', PagingMode.Pae);
    e.tables.map(LIN, PHYS);
    setEntry(e.bus, GROOT, 0, 0); // guest clears PDPTE 0 in memory without reloading CR3
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
  });

  it('a guest with self-referencing tables gets a translation or a #PF, never a hang', () => {
    const e = env('shadow', PagingMode.Level4);
    setEntry(e.bus, GROOT, GROOT | P | W | U, 0);
    expect(e.go(0x10)).toEqual({ kind: 'ok', phys: GROOT + 0x10 });
    expect(e.go(0x40_0000_0000)).toMatchObject({ kind: 'pf', code: 0 });
  });

  it('guest tables past RAM end in a reserved-bit #PF', () => {
    const e = env('shadow', PagingMode.Level4);
    setEntry(e.bus, GROOT, 0x8000_0000 | P | W | U, 0);
    expect(e.go(0x1000)).toMatchObject({ kind: 'pf', code: 1 | 8 });
  });
});

describe('shadow: 4-level specifics', () => {
  it('INVLPG inside a guest 1 GiB page drops the whole page; the freed tables return to the pool', () => {
    const e = env('shadow', PagingMode.Level4);
    e.tables.map(0x4000_0000, 0, { size: 2 ** 30 });
    expect(e.go(0x4000_0000 + 0x1000)).toEqual({ kind: 'ok', phys: 0x1000 });
    expect(e.go(0x4000_0000 + 0x3f_f000)).toEqual({ kind: 'ok', phys: 0x3f_f000 });
    const live = e.strategy.stats()['shadow.tablePagesLive'];
    e.tables.map(0x4000_0000, 0x4000_0000, { size: 2 ** 30 });
    e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: 0x4000_0000 + 0x1234_5000 });
    expect(e.strategy.stats()['shadow.tablePagesLive']).toBeLessThan(live);
    expect(e.bus.monitorPages()).toBe(e.strategy.stats()['shadow.tablePagesLive']);
    expect(e.go(0x4000_0000 + 0x1000)).toEqual({ kind: 'ok', phys: 0x4000_1000 });
  });

  it('high-half (negative) addresses: fill, INVLPG, CR2 of an injected fault', () => {
    const e = env('shadow', PagingMode.Level4);
    const hi = -(2 ** 47) + 0x20_0000;
    e.tables.map(hi, PHYS);
    expect(e.go(hi + 8)).toEqual({ kind: 'ok', phys: PHYS + 8 });
    e.tables.map(hi, PHYS + 0x1000);
    e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: hi });
    expect(e.go(hi + 8)).toEqual({ kind: 'ok', phys: PHYS + 0x1008 });
    expect(e.go(hi + 0x1000, Access.Write)).toEqual({ kind: 'pf', code: 2, cr2: 0xffff_8000_0020_1000n });
  });
});

describe('shadow: refill guard', () => {
  it('INVLPG then the same access, many times over, is not mistaken for a fill loop', () => {
    const e = env('shadow', PagingMode.Pae);
    e.tables.map(LIN, PHYS);
    for (let i = 0; i < 10; i++) {
      expect(e.go(LIN + 4)).toEqual({ kind: 'ok', phys: PHYS + 4 });
      e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: LIN });
    }
    expect(e.strategy.stats()['shadow.fills']).toBe(10);
  });

  it('a fill the hardware keeps refusing ends in a monitor error, not a hang', () => {
    const e = env('shadow', PagingMode.Pae);
    e.tables.map(LIN, PHYS);
    // Hardware that never accepts the shadow entry: fake the same #PF again and again.
    let out = e.strategy.handlePageFault({ reason: 'exception', vector: 14, errorCode: 0, faultAddress: LIN }, e.vcpu, e.guest);
    for (let i = 0; i < 8 && out.kind === 'resume'; i++) {
      out = e.strategy.handlePageFault({ reason: 'exception', vector: 14, errorCode: 0, faultAddress: LIN }, e.vcpu, e.guest);
    }
    expect(out).toMatchObject({ kind: 'stop', reason: { kind: 'monitor-error' } });
  });
});

describe('shadow: 5-level guest (LA57)', () => {
  it('fills, injects and invalidates on 5-level shadow tables', () => {
    const e = env('shadow', PagingMode.Level5);
    expect(e.vcpu.control.cr4 & (1n << 12n)).toBe(1n << 12n);
    const lin = 2 ** 50 + 0x40_3000;
    e.tables.map(lin, PHYS);
    expect(e.go(lin + 4, Access.Write, true)).toEqual({ kind: 'ok', phys: PHYS + 4 });
    expect(readLo(e.bus, e.tables.leafOf(lin)) & (A | D)).toBe(A | D);
    expect(e.go(lin + 0x1000)).toEqual({ kind: 'pf', code: 0, cr2: BigInt(lin + 0x1000) });
    const neg = -(2 ** 56) + 0x1000;
    e.tables.map(neg, PHYS + 0x2000);
    expect(e.go(neg)).toEqual({ kind: 'ok', phys: PHYS + 0x2000 });
    e.tables.map(neg, PHYS + 0x3000);
    e.strategy.flush(e.vcpu, e.guest, { kind: 'page', linear: neg });
    expect(e.go(neg)).toEqual({ kind: 'ok', phys: PHYS + 0x3000 });
  });
});

describe('shadow: prefetch of accessed neighbours', () => {
  it.each(MODES)('%s: a fill also shadows neighbours the guest already accessed, read-only unless dirty', (_n, mode) => {
    const e = env('shadow', mode);
    e.tables.map(LIN, PHYS);
    e.tables.map(LIN + 0x1000, PHYS + 0x1000, { flags: P | W | U | A }); // accessed, clean
    e.tables.map(LIN + 0x2000, PHYS + 0x2000, { flags: P | W | U | A | D }); // accessed, dirty
    e.tables.map(LIN + 0x3000, PHYS + 0x3000); // never accessed: not prefetched
    const upper = [e.tables.leafOf(LIN + 0x3000)];
    expect(e.go(LIN)).toEqual({ kind: 'ok', phys: PHYS });
    expect(e.strategy.stats()['shadow.prefetched']).toBeGreaterThanOrEqual(2);
    const exits = e.vcpu.exits;
    expect(e.go(LIN + 0x1000)).toEqual({ kind: 'ok', phys: PHYS + 0x1000 });
    expect(e.go(LIN + 0x2000, Access.Write)).toEqual({ kind: 'ok', phys: PHYS + 0x2000 });
    expect(e.vcpu.exits).toBe(exits);
    expect(readLo(e.bus, upper[0]) & A).toBe(0); // the never-accessed page stayed untouched
    expect(e.go(LIN + 0x1000, Access.Write)).toEqual({ kind: 'ok', phys: PHYS + 0x1000 });
    expect(e.vcpu.exits).toBe(exits + 1); // D emulation still sees the first write
    expect(readLo(e.bus, e.tables.leafOf(LIN + 0x1000)) & D).toBe(D);
    expect(e.go(LIN + 0x3000)).toEqual({ kind: 'ok', phys: PHYS + 0x3000 });
    expect(e.vcpu.exits).toBe(exits + 2);
  });
});
