import { describe, expect, it } from 'vitest';
import { Cpu } from '../../../src/runtime/cpu/cpu.ts';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { PhysicalMemory } from '../../../src/runtime/machine/memory.ts';
import type { GuestState } from '../../../src/runtime/vmm/effects.ts';
import { GuestRegs } from '../../../src/runtime/vmm/guest-regs.ts';
import type { PagingStrategy } from '../../../src/runtime/vmm/paging.ts';
import { RuleContext } from '../../../src/runtime/vmm/rule-context.ts';
import type { HardwareControl } from '../../../src/runtime/vmm/vcpu.ts';
import { TestVcpu } from '../../rules/support/test-vcpu.ts';

/**
 * The exit path's fast paths (issue 7) compute what the slow paths did: Cpu.setControl's tiers,
 * readGpr/writeGpr without BigInt shifts, RuleContext.setHardware's merge.
 */

function cpu(): Cpu {
  return new Cpu({ bus: new PhysicalMemory({ memMiB: 1 }), monitor: { attach: () => undefined, handleExit: () => ({ kind: 'resume' }) } });
}

/** Enter flat 32-bit protected mode (descriptor caches only). */
function protected32(c: Cpu): void {
  for (let s = 0; s < 6; s++) {
    const d = c.seg[s]!;
    d.limit = 0xffff_ffff;
    d.db = true;
  }
  c.setControl({ cr0: 0x11n });
}

describe('Cpu.setControl tiers', () => {
  it('quiet bits (CR0.TS, CR4.OSXMMEXCPT, CR8, XCR0): registers and pagingRegs change, the fetch page stays', () => {
    const c = cpu();
    protected32(c);
    c.decoded.fetchBase = 0x1000; // as if a code page were cached
    c.setControl({ cr0: 0x19n });
    c.setControl({ cr4: 0x400n });
    c.setControl({ cr8: 5n, xcr0: 3n });
    expect(c.hw).toMatchObject({ cr0: 0x19n, cr4: 0x400n, cr8: 5n, xcr0: 3n });
    expect(c.pagingRegs.cr0).toBe(0x19);
    expect(c.pagingRegs.cr4).toBe(0x400);
    expect(c.cr0Has(0x8)).toBe(true);
    expect(c.decoded.fetchBase).toBe(0x1000);
    expect(c.mode).toBe('protected32');
  });

  it('other paging bits (CR4.PGE, CR0.WP, CR3) drop the fetch page, as a TLB flush does', () => {
    for (const update of [{ cr4: 0x80n }, { cr0: 0x1_0011n }, { cr3: 0x5000n }] as Partial<HardwareControl>[]) {
      const c = cpu();
      protected32(c);
      c.decoded.fetchBase = 0x1000;
      c.setControl(update);
      expect(c.decoded.fetchBase).toBeNaN();
      expect(c.pagingRegs.cr3).toBe(c.hw.cr3);
      expect(c.pagingRegs.cr0).toBe(Number(c.hw.cr0));
      expect(c.pagingRegs.cr4).toBe(Number(c.hw.cr4));
      expect(c.mode).toBe('protected32');
    }
  });

  it('CR0.PE and EFER re-derive the mode', () => {
    const c = cpu();
    protected32(c);
    expect(c.protectedMode).toBe(true);
    c.setControl({ cr0: 0x10n });
    expect(c.mode).toBe('real');
    expect(c.protectedMode).toBe(false);
    c.setControl({ cr0: 0x8000_0011n, cr4: 0x20n, efer: 0x500n });
    expect(c.longMode).toBe(true);
    expect(c.mode).toBe('compat32');
    expect(c.pagingRegs.efer).toBe(0x500);
  });

  it('an update that changes nothing still re-derives (callers that changed segments rely on it)', () => {
    const c = cpu();
    protected32(c);
    c.setControl({ cr0: 0x8000_0011n, cr4: 0x20n, efer: 0x500n });
    expect(c.mode).toBe('compat32');
    c.seg[Seg.CS]!.l = true;
    c.seg[Seg.CS]!.db = false;
    c.setControl({ cr0: 0x8000_0011n }); // same value
    expect(c.mode).toBe('long64');
    expect(c.bitness).toBe(64);
  });

  it('keeps only bits 31:0 in pagingRegs for values with high bits', () => {
    const c = cpu();
    protected32(c);
    c.setControl({ cr4: 0x1_0000_0400n });
    expect(c.pagingRegs.cr4).toBe(0x400);
  });
});

describe('Cpu.readGpr / writeGpr', () => {
  it('round-trips 64-bit values and keeps the architectural size rules', () => {
    const c = cpu();
    c.writeGpr(3, 0xdead_beef_1234_5678n, 8);
    expect(c.readGpr(3)).toBe(0xdead_beef_1234_5678n);
    expect(c.lo[3]).toBe(0x1234_5678);
    expect(c.hi[3]).toBe(0xdead_beef);
    c.writeGpr(3, 0xffff_ffffn, 4); // size 4 zero-extends
    expect(c.readGpr(3)).toBe(0xffff_ffffn);
    c.writeGpr(3, 0xdead_beef_1234_5678n, 8);
    c.writeGpr(3, 0xabcdn, 2); // size 2 keeps the rest
    expect(c.readGpr(3)).toBe(0xdead_beef_1234_abcdn);
    c.writeGpr(4, 0x1_2345_6789n, 4); // a wider value with size 4 keeps bits 31:0
    expect(c.readGpr(4)).toBe(0x2345_6789n);
    c.writeGpr(5, 0x8000_0000n, 8);
    expect(c.readGpr(5)).toBe(0x8000_0000n);
    expect(c.hi[5]).toBe(0);
    c.writeGpr(6, 0xffff_ffff_ffff_ffffn, 8);
    expect(c.readGpr(6)).toBe(0xffff_ffff_ffff_ffffn);
  });
});

describe('RuleContext.setHardware', () => {
  const paging = {} as PagingStrategy;
  const guest: GuestState = new GuestRegs();

  class CountingVcpu extends TestVcpu {
    updates: Partial<HardwareControl>[] = [];
    override setControl(update: Partial<HardwareControl>): void {
      this.updates.push({ ...update });
      super.setControl(update);
    }
  }

  it('takes the strategy-owned bits from the hardware and the others from the value', () => {
    const v = new CountingVcpu('protected32', 0, { cr0: 0x8001_0011n, cr4: 0xb0n });
    const cx = new RuleContext(guest, paging);
    cx.arm(v, 0n);
    cx.setHardware('cr0', 0x19n, 0x8001_0000n);
    expect(v.control.cr0).toBe(0x8001_0019n);
    cx.setHardware('cr4', 0x600n, 0x3210b0n);
    expect(v.control.cr4).toBe(0x6b0n);
    cx.setHardware('efer', 0xd01n, 0xd00n);
    expect(v.control.efer).toBe(0x1n);
    cx.setHardware('xcr0', 0x7n, 0n);
    expect(v.control.xcr0).toBe(0x7n);
    cx.setHardware('cr8', 0xfn, 0n);
    expect(v.control.cr8).toBe(0xfn);
    expect(v.updates).toEqual([{ cr0: 0x8001_0019n }, { cr4: 0x6b0n }, { efer: 0x1n }, { xcr0: 0x7n }, { cr8: 0xfn }]);
  });

  it('does not program the hardware when only strategy-owned bits differ', () => {
    const v = new CountingVcpu('protected32', 0, { cr4: 0xb0n });
    const cx = new RuleContext(guest, paging);
    cx.arm(v, 0n);
    cx.setHardware('cr4', 0x30n, 0x3210b0n); // PGE differs, owned by the strategy
    cx.setHardware('cr4', 0xb0n, 0x3210b0n);
    expect(v.updates).toEqual([]);
    cx.setHardware('cr4', 0xffff_ffff_0000_00b0n, 0x3210b0n); // high bits are not owned
    expect(v.control.cr4).toBe(0xffff_ffff_0000_00b0n);
  });
});
