import { describe, expect, it } from 'vitest';
import { buildGuestImage, type FuzzGuest } from '../../src/fuzz/guest-image.ts';
import { checkControlInvariants, checkTables } from '../../src/fuzz/invariants.ts';
import { encodeOp } from '../../src/fuzz/ops.ts';
import { instrumentBus, runFuzzGuest } from '../../src/fuzz/run-guest.ts';
import { MONITOR_BASE } from '../../src/runtime/machine/bus.ts';
import { Machine } from '../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';

/** The fuzz harness itself: guests reach their modes, and each check can fail. */

const guest = (mode: FuzzGuest['mode'], ops: FuzzGuest['body']): FuzzGuest => ({
  mode,
  body: ops,
  idt: [],
  gdt: [],
  tableNoise: [],
  dataPages: Array.from({ length: 16 }, (_, i) => ({ flags: 3, nx: false, frame: i })),
});

function booted(g: FuzzGuest, paging: 'shadow' | 'nested' | 'direct'): Machine {
  const m = new Machine({ memMiB: 8, paging, output: new CapturedOutput() });
  const img = buildGuestImage(g);
  expect(m.load(img.bytes, { file: 'fuzz.img', format: img.format }).ok).toBe(true);
  return m;
}

describe('fuzz harness', () => {
  it('each mode prologue reaches its mode (guest CR0/CR4/EFER read back by the body)', () => {
    const expected = { real: [0x10n, 0n, 0n], protected: [0x11n, 0n, 0n], paged32: [0x80000011n, 0x10n, 0n], pae: [0x80000011n, 0x20n, 0n], long: [0x80000011n, 0x20n, 0x500n] } as const;
    for (const [mode, [cr0, cr4, efer]] of Object.entries(expected)) {
      const r = runFuzzGuest(guest(mode as FuzzGuest['mode'], { ops: [{ k: 'store', reg: 0, addr: mode === 'real' ? 0xc000 : 0x400000 }] }), { paging: 'shadow', maxInsns: 1000 });
      expect(r.violations).toEqual([]);
      expect(r.stop).toEqual({ kind: 'debug-exit', status: (0x2a << 1) | 1 });
      const [gcr0, , gcr4, gefer] = r.state.slice(19); // guest CR0, CR3, CR4, EFER
      expect([gcr0, gcr4, gefer], mode).toEqual([cr0, cr4, efer].map((v) => v.toString(16)));
    }
  });

  it('encodes CR8 with REX.R in 64-bit code and LOCK (AMD) elsewhere', () => {
    expect(encodeOp({ k: 'readcr', cr: 8 }, 64)).toEqual([0x44, 0x0f, 0x20, 0xc0]);
    expect(encodeOp({ k: 'readcr', cr: 8 }, 32)).toEqual([0xf0, 0x0f, 0x20, 0xc0]);
    expect(encodeOp({ k: 'store', reg: 1, addr: 0x1234 }, 64)).toEqual([0x89, 0x0c, 0x25, 0x34, 0x12, 0, 0]);
  });

  it('the control-register check reports a guest CR0 without ET and hardware bits that differ', () => {
    const m = booted(guest('pae', { ops: [] }), 'shadow');
    m.run(1000);
    expect(checkControlInvariants(m, 'shadow')).toEqual([]);
    const g = m.guestControl()!;
    g.cr0 &= ~0x10n;
    g.efer |= 1n << 10n;
    const problems = checkControlInvariants(m, 'shadow').join('\n');
    expect(problems).toMatch(/guest CR0.ET = 0/);
    expect(problems).toMatch(/EFER.LMA != CR0.PG && EFER.LME/);
    expect(problems).toMatch(/hardware CR0 non-paging bits differ/);
  });

  it('the table check reports a shadow entry that points outside monitor memory', () => {
    const m = booted(guest('long', { ops: [] }), 'shadow');
    m.run(1000);
    expect(checkTables(m, 'shadow')).toEqual([]);
    const root = Number(m.vcpu.control.cr3 & ~0xfffn);
    expect(root).toBeGreaterThanOrEqual(MONITOR_BASE);
    m.memory.write32(root + 511 * 8, 0x5007); // PML4[511] -> guest RAM page 0x5000
    expect(checkTables(m, 'shadow')).toEqual([expect.stringMatching(/table at 0x5000 is not an allocated monitor page/)]);
  });

  it('the nested table check reports a leaf that maps monitor memory', () => {
    const m = booted(guest('pae', { ops: [] }), 'nested');
    m.run(1000);
    expect(checkTables(m, 'nested')).toEqual([]);
    const root = Number(m.vcpu.control.ncr3!);
    const pdpt = Number(m.memory.read64(root) & 0xf_ffff_ffff_f000n);
    expect(pdpt).toBeGreaterThanOrEqual(MONITOR_BASE);
    m.memory.write32(pdpt + 511 * 8, 0x83); // a 1 GiB leaf at MONITOR_BASE
    m.memory.write32(pdpt + 511 * 8 + 4, MONITOR_BASE / 2 ** 32);
    expect(checkTables(m, 'nested')).toEqual([expect.stringMatching(/leaf at level 3 maps 0x10000000000/)]);
  });

  it('the bus wrapper reports accesses to unallocated monitor memory and bad addresses, not RAM or unbacked ones', () => {
    const m = booted(guest('protected', { ops: [] }), 'shadow');
    const violations: string[] = [];
    instrumentBus(m, violations);
    m.memory.read32(0x1000);
    m.memory.write8(0x7fff_ffff, 1); // unbacked, below MONITOR_BASE: allowed
    m.memory.read64(Number(m.vcpu.control.cr3 & ~0xfffn)); // an allocated monitor page
    expect(violations).toEqual([]);
    m.memory.write32(MONITOR_BASE + 2 ** 30, 0);
    expect(violations[0]).toBe('write32 at 0x10040000000: not an allocated monitor page');
    violations.length = 0;
    m.memory.read8(-1);
    expect(violations).toEqual(['read8 at invalid address -1']);
  });
});
