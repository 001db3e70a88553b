import { describe, expect, it } from 'vitest';
import { formatStats } from '../../../src/runtime/machine/run-report.ts';
import { crExitSlot, EXIT_REASONS, exitName, NamedExitCounts, ReasonCounts, reasonSlot } from '../../../src/runtime/vmm/exit-counts.ts';
import type { CrAccessExit, VmExit } from '../../../src/runtime/vmm/exit.ts';
import { CR4_OSXMMEXCPT, CR4_PGE, LOOP_INSNS, loopMachine, SETUP_INSNS } from './loop-guest.ts';

/**
 * Exit counters are slots, not a Map per exit (issue 7): the counts by name (--stats, the bench),
 * by reason (TrapMonitor.exitCounts, CpuStats.exitsByReason) must still be exact.
 */

const reg = { kind: 'reg', gpr: 3, size: 4 } as const;
const cr = (access: 'mov-to-cr' | 'mov-from-cr' | 'clts' | 'lmsw' | 'smsw', n = 0): VmExit => ({
  reason: 'cr-access',
  cr: n,
  access,
  operand: reg,
  lmswSource: 0,
  insnLength: 3,
});

describe('exit names', () => {
  it('names every kind of exit as --stats always did', () => {
    expect(exitName(cr('mov-to-cr', 0))).toBe('mov-to-cr0');
    expect(exitName(cr('mov-to-cr', 8))).toBe('mov-to-cr8');
    expect(exitName(cr('mov-from-cr', 3))).toBe('mov-from-cr3');
    expect(exitName(cr('clts'))).toBe('clts');
    expect(exitName(cr('lmsw'))).toBe('lmsw');
    expect(exitName(cr('smsw'))).toBe('smsw');
    expect(exitName({ reason: 'rdmsr', msr: 0xc000_0080, insnLength: 2 })).toBe('rdmsr');
    expect(exitName({ reason: 'wrmsr', msr: 0xc000_0080, insnLength: 2 })).toBe('wrmsr');
    expect(exitName({ reason: 'xsetbv', insnLength: 3 })).toBe('xsetbv');
    expect(exitName({ reason: 'cpuid', insnLength: 2 })).toBe('cpuid');
    expect(exitName({ reason: 'hlt', insnLength: 1 })).toBe('hlt');
    expect(exitName({ reason: 'io', port: 0x3f8, size: 1, direction: 'in', insnLength: 1 })).toBe('io-in');
    expect(exitName({ reason: 'io', port: 0x3f8, size: 1, direction: 'out', insnLength: 1 })).toBe('io-out');
    expect(exitName({ reason: 'invlpg', linear: 0x1000, insnLength: 3 })).toBe('invlpg');
    expect(exitName({ reason: 'npf', guestPhysical: 0x1000, errorCode: 0 })).toBe('npf');
    expect(exitName({ reason: 'exception', vector: 14, errorCode: 2, faultAddress: 0 })).toBe('exception #14');
  });

  it('names exits outside the precomputed slots too (CR ≥ 16, vector ≥ 32)', () => {
    expect(exitName(cr('mov-to-cr', 17))).toBe('mov-to-cr17');
    expect(exitName({ reason: 'exception', vector: 40, errorCode: undefined, faultAddress: 0 })).toBe('exception #40');
  });
});

describe('slot counters', () => {
  it('NamedExitCounts counts by name, including names without a slot', () => {
    const c = new NamedExitCounts();
    for (let i = 0; i < 3; i++) c.count(cr('mov-to-cr', 4));
    c.count(cr('clts'));
    c.count(cr('mov-to-cr', 20));
    c.count(cr('mov-to-cr', 20));
    c.count({ reason: 'exception', vector: 14, errorCode: 0, faultAddress: 0 });
    c.count({ reason: 'exception', vector: 33, errorCode: undefined, faultAddress: 0 });
    expect(c.total).toBe(8);
    expect(Object.fromEntries(c.toMap())).toEqual({ 'mov-to-cr4': 3, clts: 1, 'exception #14': 1, 'mov-to-cr20': 2, 'exception #33': 1 });
    // Reasons are sums of the name slots and of the exits without one.
    expect(Object.fromEntries(c.reasonMap())).toEqual({ 'cr-access': 6, exception: 2 });
  });

  it('ReasonCounts has a slot per reason and reports only non-zero ones', () => {
    expect(new Set(EXIT_REASONS.map(reasonSlot)).size).toBe(EXIT_REASONS.length);
    const c = new ReasonCounts();
    c.count(cr('clts'));
    c.count(cr('mov-from-cr', 3));
    c.count({ reason: 'hlt', insnLength: 1 });
    expect(c.get('cr-access')).toBe(2);
    expect(c.get('wrmsr')).toBe(0);
    expect(Object.fromEntries(c.toMap())).toEqual({ 'cr-access': 2, hlt: 1 });
  });

  it('NamedExitCounts also counts by reason, through count() and countCr() alike', () => {
    const c = new NamedExitCounts();
    c.count(cr('mov-to-cr', 3));
    c.countCr(cr('mov-to-cr', 3) as CrAccessExit);
    c.countCr(cr('clts') as CrAccessExit);
    c.count({ reason: 'hlt', insnLength: 1 });
    c.slots[crExitSlot(cr('mov-from-cr', 8) as CrAccessExit)]++; // a JIT exit site's increment
    expect(c.total).toBe(5);
    expect(Object.fromEntries(c.toMap())).toEqual({ 'mov-to-cr3': 2, 'mov-from-cr8': 1, clts: 1, hlt: 1 });
    expect(Object.fromEntries(c.reasonMap())).toEqual({ 'cr-access': 4, hlt: 1 });
  });
});

describe('counts of a guest run (crmix loop)', () => {
  for (const [paging, toggle] of [
    ['nested', CR4_PGE],
    ['shadow', CR4_PGE],
    ['direct', CR4_OSXMMEXCPT],
  ] as const) {
    it(`${paging} paging: exact counts by name, by reason and in --stats`, () => {
      const n = 1000;
      const { machine, monitor } = loopMachine(paging, n, toggle);
      const r = machine.run(1_000_000);
      expect(r.stop).toEqual({ kind: 'halted' });
      // Nested paging restarts the instruction that took a nested page fault (counted twice).
      const npf = paging === 'nested' ? { npf: 1 } : {};
      expect(r.instructions).toBe(SETUP_INSNS + n * LOOP_INSNS + 1 + (paging === 'nested' ? 1 : 0));
      const stats = machine.stats();
      // Setup: mov eax, cr0 and mov eax, cr4; HLT at the end.
      expect(Object.fromEntries(stats.exits)).toEqual({
        ...npf,
        'mov-to-cr0': n,
        'mov-to-cr4': 2 * n,
        'mov-from-cr0': 1,
        'mov-from-cr3': n,
        'mov-from-cr4': 1,
        clts: n,
        hlt: 1,
      });
      expect(Object.fromEntries(monitor.exitCounts)).toEqual({ 'cr-access': 5 * n + 2, hlt: 1, ...npf });
      expect(Object.fromEntries(machine.cpu.stats.exitsByReason)).toEqual({ 'cr-access': 5 * n + 2, hlt: 1, ...npf });
      const text = formatStats(stats, paging);
      expect(text).toContain(`  ${'exits'.padEnd(32)}${5 * n + 3 + (npf.npf ?? 0)}\n`);
      expect(text).toContain(`    ${'mov-to-cr4'.padEnd(30)}${2 * n}\n`);
      expect(text).toContain(`    ${'clts'.padEnd(30)}${n}\n`);
      // The guest's view: TS cleared by the last CLTS, CR4 back to its start value.
      expect(monitor.guest.cr0 & 0x8n).toBe(0n);
      expect(monitor.guest.cr4 & BigInt(toggle)).toBe(0n);
    });
  }
});
