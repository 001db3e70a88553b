import { describe, expect, it } from 'vitest';
import type { FuzzGuest, GateSpec } from '../../src/fuzz/guest-image.ts';
import type { Op } from '../../src/fuzz/ops.ts';
import { runFuzzGuest } from '../../src/fuzz/run-guest.ts';
import { PAGING_MODES } from '../../src/runtime/machine/monitor-factory.ts';

/** Failing seeds found by the fuzzer, shrunk and kept (README.md, "Found and fixed"). */

const stubs = (): GateSpec[] => Array.from({ length: 32 }, (): GateSpec => ({ kind: 'stub' }));
const pages = (flags: number): FuzzGuest['dataPages'] => Array.from({ length: 16 }, () => ({ flags, nx: false, frame: 0 }));
const guest = (mode: FuzzGuest['mode'], ops: Op[], idt = stubs()): FuzzGuest => ({ mode, body: { ops }, idt, gdt: [], tableNoise: [], dataPages: pages(1) });

function allModes(g: FuzzGuest) {
  return PAGING_MODES.map((paging) => ({ paging, ...runFuzzGuest(g, { paging, maxInsns: 20_000 }) }));
}

describe('fuzz regressions', () => {
  // Seed 2 (diff target, shrunk): clearing CR4.PSE under 32-bit paging turns the 4 MiB page that
  // holds code, stack and IDT into a page-table pointer to 0, so the next fetch is a guest #PF
  // whose delivery faults again. Shadow paging re-injected #PF forever (max-insns) instead of
  // forming #DF and then the triple fault nested and direct paging report.
  it('guest #PF while delivering a guest #PF under shadow paging: #DF, then triple fault (paged32, CR4.PSE cleared)', () => {
    const rs = allModes(guest('paged32', [{ k: 'togglecr', cr: 4, mask: 0x10 }, { k: 'movi', reg: 0, value: 0 }]));
    for (const r of rs) {
      expect(r.violations, r.paging).toEqual([]);
      expect(r.stop.kind, r.paging).toBe('triple-fault');
      // The chain in the report starts at the last exit under shadow paging: it ends #DF -> #PF.
      expect(r.stop.kind === 'triple-fault' && r.stop.detail, r.paging).toMatch(/#DF\(0x0\) -> #PF\(0x0\);/);
      expect(r.state, r.paging).toEqual(rs[2]!.state);
    }
  });

  // Seed 7 (guest target, shrunk): in long mode an IDT whose gates for #GP and #PF straddle into a
  // not-present page; MOV CR0, 0 raises #GP (R11), its delivery a guest #PF, whose delivery
  // another. Shadow paging stopped with "monitor-error: no progress after 100000 faults/exits".
  it('guest #PF while delivering an injected #GP under shadow paging: #DF, then triple fault (long mode)', () => {
    const ops: Op[] = [
      { k: 'ldt', which: 'idt', base: 0x3fff11, limit: 239, scratch: 0x107000 },
      { k: 'smsw', addr: 0x10b000 }, // PDPT[0] low word := 0x0011 (live table edit, no flush)
      { k: 'movcr', cr: 0, value: 0n },
    ];
    // The guest edits a live table without a flush, so the paging modes may legitimately differ
    // in what they still translate (R108); each must end in a triple fault, not a monitor error.
    for (const r of allModes(guest('long', ops))) {
      expect(r.violations, r.paging).toEqual([]);
      expect(r.stop.kind, r.paging).toBe('triple-fault');
    }
  });

  // Seed 2 (diff target): a write to a read-only data page with CR0.WP=1 in long mode; the
  // stack stays writable (the fuzz builder's PML4/PDPT entries are writable), so the #PF reaches
  // its stub under every paging mode and prints vector 14.
  it('write-protect #PF in long mode reaches the guest handler under shadow, nested, direct', () => {
    const rs = allModes(guest('long', [{ k: 'togglecr', cr: 0, mask: 1 << 16 }, { k: 'rmw', alu: 'add', reg: 0, addr: 0x400000 }]));
    for (const r of rs) {
      expect(r.violations, r.paging).toEqual([]);
      expect(r.output, r.paging).toBe('\x0e');
      expect(r.state, r.paging).toEqual(rs[2]!.state);
    }
  });
});
