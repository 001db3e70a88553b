import { describe, expect, it } from 'vitest';
import { GuestFault } from '../../../src/runtime/cpu/fault.ts';
import { deliverInjected } from '../../../src/runtime/cpu/interrupts.ts';
import { NestedPageFault } from '../../../src/runtime/mmu/nested-fault.ts';
import type { Translator } from '../../../src/runtime/mmu/types.ts';
import { CODE, gate, HANDLER, Sel, STACK0, SysMachine } from './harness.ts';

/** Identity translation except for pages the test marks missing (#PF until "filled"). */
class HoleyTranslator implements Translator {
  readonly missing = new Set<number>();
  translate(linear: number, access: number, user: boolean): number {
    if (this.missing.has(Math.floor(linear / 4096))) throw new GuestFault(14, (access === 1 ? 2 : 0) | (user ? 4 : 0), linear);
    return linear;
  }
  flush(): void {}
}

/** Protected mode with paging on over a HoleyTranslator, #PF intercepted; the monitor fills on a #PF exit. */
function shadowLike(): { m: SysMachine; t: HoleyTranslator } {
  const m = new SysMachine();
  m.protected32(CODE, 0);
  const t = new HoleyTranslator();
  m.cpu.mmu = t;
  m.cpu.setControl({ cr0: 0x8000_0011n });
  m.cpu.intercepts.exceptionBitmap = 1 << 14;
  m.monitor.hook = (exit) => {
    if (exit.reason !== 'exception' || exit.vector !== 14) return null;
    t.missing.delete(Math.floor(exit.faultAddress / 4096));
    return { kind: 'resume' };
  };
  return { m, t };
}

describe('exceptions the monitor intercepts', () => {
  it('a #PF while delivering INT n exits; after the fill the INT is re-executed and delivered', () => {
    const { m, t } = shadowLike();
    t.missing.add((STACK0 - 4) >> 12);
    m.idtGate(0x30, gate(Sel.CODE32, HANDLER, 0xe, 0));
    m.code(CODE, 'cd30');
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.exits.map((e) => e.reason)).toEqual(['exception', 'hlt']);
    expect(m.monitor.exits[0]).toMatchObject({ vector: 14, errorCode: 2, faultAddress: STACK0 - 4 });
    expect(m.r32(STACK0 - 12)).toBe(CODE + 2);
    expect(m.cpu.cr2).toBe(0n); // an intercepted #PF is not delivered: CR2 untouched
  });

  it('an injected event whose delivery hits an intercepted #PF is queued again', () => {
    const { m, t } = shadowLike();
    t.missing.add((STACK0 - 4) >> 12);
    m.idtGate(13, gate(Sel.CODE32, HANDLER, 0xe, 0));
    deliverInjected(m.cpu, 13, 0);
    expect(m.monitor.exits.map((e) => e.reason)).toEqual(['exception']);
    expect(m.cpu.pending).toEqual({ vector: 13, errorCode: 0, type: 3 }); // re-queued as a hardware exception (VMX type 3)
    expect(m.cpu.ip).toBe(CODE);
  });

  it('an intercepted #PF during delivery of an injected #PF exits instead of forming #DF', () => {
    const { m, t } = shadowLike();
    t.missing.add((STACK0 - 4) >> 12);
    m.idtGate(14, gate(Sel.CODE32, HANDLER, 0xe, 0));
    m.idtGate(8, gate(Sel.CODE32, HANDLER + 0x10, 0xe, 0));
    m.code(HANDLER, 'f4');
    m.code(HANDLER + 0x10, 'f4');
    m.code(CODE, '90');
    m.cpu.cr2 = 0x4000_0000n;
    m.cpu.injectException(14, 2);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.exits.map((e) => e.reason === 'exception' ? `#${e.vector}` : e.reason)).toEqual(['#14', 'hlt']);
    expect(m.cpu.ip).toBe(HANDLER + 1); // the #PF handler, not the #DF one
    expect(m.r32(STACK0 - 16)).toBe(2);
    expect(m.cpu.cr2).toBe(0x4000_0000n);
  });

  it('an injected #PF re-queued after a shadow #PF exit is re-delivered without re-running the instruction', () => {
    // The guest's own #PF (a page its tables do not map) is injected once; delivering it needs the
    // handler's stack page, which the "shadow" has not filled yet. The monitor fills it and the
    // CPU re-delivers the owed #PF (IDT-vectoring information) instead of re-executing the load.
    const { m, t } = shadowLike();
    const GUEST_HOLE = 0x4000_0000;
    t.missing.add(GUEST_HOLE >> 12);
    t.missing.add((STACK0 - 4) >> 12);
    let injected = 0;
    m.monitor.hook = (exit, vcpu) => {
      if (exit.reason !== 'exception' || exit.vector !== 14) return null;
      if (Math.floor(exit.faultAddress / 4096) === GUEST_HOLE >> 12) {
        injected++;
        m.cpu.cr2 = BigInt(exit.faultAddress);
        vcpu.injectException(14, exit.errorCode);
      } else {
        t.missing.delete(Math.floor(exit.faultAddress / 4096));
      }
      return { kind: 'resume' };
    };
    m.idtGate(14, gate(Sel.CODE32, HANDLER, 0xe, 0));
    m.code(CODE, 'a100000040'); // mov eax, [0x40000000]
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(injected).toBe(1);
    expect(m.monitor.exits.map((e) => (e.reason === 'exception' ? `#${e.vector}@${e.faultAddress.toString(16)}` : e.reason))).toEqual([
      '#14@40000000',
      `#14@${(STACK0 - 4).toString(16)}`,
      'hlt',
    ]);
    expect(m.cpu.ip).toBe(HANDLER + 1);
    expect(m.r32(STACK0 - 12)).toBe(CODE); // pushed EIP: the faulting load
    expect(m.r32(STACK0 - 16)).toBe(0); // error code: not-present read at CPL 0
    expect(m.cpu.cr2).toBe(0x4000_0000n);
  });

  it('an intercepted #PF that is not nested in anything leaves no event pending', () => {
    const { m, t } = shadowLike();
    t.missing.add(0x5000 >> 12);
    m.code(CODE, 'a100500000 f4'); // mov eax,[0x5000] ; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.exits.map((e) => e.reason)).toEqual(['exception', 'hlt']);
    expect(m.cpu.pending).toBeNull();
  });
});

describe('nested paging faults during delivery', () => {
  it('an injected event whose delivery hits a nested-page fault is queued again and the fault exits', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    const missing = new Set<number>([(STACK0 - 4) >> 12]);
    m.cpu.mmu = {
      translate: (linear: number) => {
        if (missing.has(Math.floor(linear / 4096))) throw new NestedPageFault(linear, 2);
        return linear;
      },
      flush: () => undefined,
    };
    m.cpu.setControl({ ncr3: 0x1000n });
    m.idtGate(13, gate(Sel.CODE32, HANDLER, 0xe, 0));
    m.code(HANDLER, 'f4');
    m.code(CODE, '90');
    m.monitor.hook = (exit) => {
      if (exit.reason !== 'npf') return null;
      missing.delete(Math.floor(exit.guestPhysical / 4096));
      return { kind: 'resume' };
    };
    m.cpu.injectException(13, 0);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.exits.map((e) => e.reason)).toEqual(['npf', 'hlt']);
    expect(m.r32(STACK0 - 16)).toBe(0); // the #GP frame: error code, then EIP of the NOP
    expect(m.r32(STACK0 - 12)).toBe(CODE);
  });
});
