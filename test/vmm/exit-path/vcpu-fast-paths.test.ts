import { describe, expect, it } from 'vitest';
import { Cpu } from '../../../src/runtime/cpu/cpu.ts';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { PhysicalMemory } from '../../../src/runtime/machine/memory.ts';
import { GuestRegs } from '../../../src/runtime/vmm/guest-regs.ts';
import type { HardwareControl } from '../../../src/runtime/vmm/vcpu.ts';

/**
 * The exit path's fast paths (issue 7) compute what the slow paths did: Cpu.setControl's tiers,
 * readGpr/writeGpr without BigInt shifts, Cpu.programControl (RuleContext.setHardware's merge)
 * on halves, GuestRegs' halves setters.
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

describe('Cpu.programControl (RuleEffects.setHardware on halves)', () => {
  it('takes the kept (strategy-owned) bits from the hardware and the others from the value', () => {
    const c = cpu();
    protected32(c);
    c.setControl({ cr0: 0x8001_0011n, cr4: 0xb0n });
    c.programControl('cr0', 0x19, 0, 0x8001_0000, 0);
    expect(c.hw.cr0).toBe(0x8001_0019n);
    c.programControl('cr4', 0x600, 0, 0x3210b0, 0);
    expect(c.hw.cr4).toBe(0x6b0n);
    c.programControl('efer', 0xd01, 0, 0xd00, 0);
    expect(c.hw.efer).toBe(0x1n);
    c.programControl('xcr0', 0x7, 0, 0, 0);
    expect(c.hw.xcr0).toBe(0x7n);
    c.programControl('cr8', 0xf, 0, 0, 0);
    expect(c.hw.cr8).toBe(0xfn);
  });

  it('leaves the register and the fetch page alone when only kept bits differ', () => {
    const c = cpu();
    protected32(c);
    c.setControl({ cr4: 0xb0n });
    c.decoded.fetchBase = 0x1000;
    c.programControl('cr4', 0x30, 0, 0x3210b0, 0); // PGE differs, owned by the strategy
    expect(c.hw.cr4).toBe(0xb0n);
    expect(c.decoded.fetchBase).toBe(0x1000);
    c.programControl('cr4', 0xb0, 0xffff_ffff, 0x3210b0, 0); // high bits are not kept
    expect(c.hw.cr4).toBe(0xffff_ffff_0000_00b0n);
    expect(c.hw.cr4Hi).toBe(0xffff_ffff);
  });

  it('takes int32 halves as their uint32 values', () => {
    const c = cpu();
    protected32(c);
    c.programControl('cr0', 0x8000_0011 | 0, -1, 0, 0);
    expect(c.hw.cr0).toBe(0xffff_ffff_8000_0011n);
    expect(c.hw.cr0Lo).toBe(0x8000_0011);
    expect(c.pagingRegs.cr0).toBe(0x8000_0011);
  });

  it('has setControl\'s tiers: the same registers, pagingRegs, mode and fetch page', () => {
    const cases: [keyof Omit<HardwareControl, 'ncr3'>, bigint][] = [
      ['cr0', 0x19n], // quiet
      ['cr0', 0x1_0011n], // WP: paging
      ['cr0', 0x10n], // PE off: mode
      ['cr4', 0x400n],
      ['cr4', 0x80n],
      ['cr4', 0x10n],
      ['cr3', 0x5000n],
      ['efer', 0x1n],
      ['cr8', 5n],
      ['xcr0', 3n],
    ];
    for (const [reg, value] of cases) {
      const a = cpu();
      const b = cpu();
      for (const c of [a, b]) {
        protected32(c);
        c.decoded.fetchBase = 0x1000;
      }
      a.programControl(reg, Number(value & 0xffff_ffffn), Number(value >> 32n), 0, 0);
      b.setControl({ [reg]: value });
      const view = (c: Cpu) => ({ hw: { cr0: c.hw.cr0, cr3: c.hw.cr3, cr4: c.hw.cr4, efer: c.hw.efer, cr8: c.hw.cr8, xcr0: c.hw.xcr0 }, regs: { ...c.pagingRegs }, mode: c.mode, fetch: c.decoded.fetchBase });
      expect(view(a), `${reg} = ${value.toString(16)}`).toEqual(view(b));
      expect(a.hw[reg]).toBe(value);
    }
  });
});

describe('Cpu.gprLo / gprHi / writeGprHalves', () => {
  it('read the halves and write with the size rules of writeGpr', () => {
    const c = cpu();
    c.writeGpr(3, 0xdead_beef_1234_5678n, 8);
    expect([c.gprLo(3), c.gprHi(3)]).toEqual([0x1234_5678, 0xdead_beef]);
    c.writeGprHalves(3, 0xabcd_0001, 0x5555, 2); // size 2 keeps the rest
    expect(c.readGpr(3)).toBe(0xdead_beef_1234_0001n);
    c.writeGprHalves(3, -1, 7, 4); // size 4 zero-extends
    expect(c.readGpr(3)).toBe(0xffff_ffffn);
    c.writeGprHalves(3, 1, -1, 8);
    expect(c.readGpr(3)).toBe(0xffff_ffff_0000_0001n);
  });
});

describe('GuestRegs halves', () => {
  it('setCr4(lo, hi) sets the mirrors and the BigInt; assigning the BigInt sets the mirrors', () => {
    const g = new GuestRegs({ cr4: 0x20n });
    g.setCr4(0x8000_0000 | 0, 1);
    expect([g.cr4Lo, g.cr4Hi]).toEqual([0x8000_0000, 1]);
    expect(g.cr4).toBe(0x1_8000_0000n);
    g.cr4 = 0xffff_ffff_0000_0010n;
    expect([g.cr4Lo, g.cr4Hi]).toEqual([0x10, 0xffff_ffff]);
    g.setEfer(0x500, 0);
    g.setCr0(0x11, 0);
    expect(g.values()).toMatchObject({ cr0: 0x11n, cr4: 0xffff_ffff_0000_0010n, efer: 0x500n });
  });
});
