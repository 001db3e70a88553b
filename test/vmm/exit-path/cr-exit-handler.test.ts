import { describe, expect, it } from 'vitest';
import type { CrAccessExit } from '../../../src/runtime/vmm/exit.ts';
import type { CpuMode } from '../../../src/runtime/vmm/vcpu.ts';
import { CR0, CR4, EFER, Harness, LONG } from '../../rules/support/harness.ts';

/**
 * TrapMonitor.crExitHandler (the per-exit handler compiled blocks call, Monitor.crExitHandler)
 * does exactly what handleCrAccess does with the same exit: outcome, registers, RIP, injected
 * exception, hardware and guest registers, strategy effects, counts.
 */

const exit = (access: CrAccessExit['access'], cr: number, gpr: number, size: 2 | 4 | 8): CrAccessExit => ({
  reason: 'cr-access',
  cr,
  access,
  operand: { kind: 'reg', gpr, size },
  lmswSource: 0,
  insnLength: access === 'clts' ? 2 : 3,
});

interface Case {
  name: string;
  mode: CpuMode;
  cpl: number;
  gpr: bigint;
  exit: CrAccessExit;
}

const PROT = CR0.PE | CR0.ET;
const cases: Case[] = [
  { name: 'MOV CR0 setting TS', mode: 'protected32', cpl: 0, gpr: PROT | CR0.TS, exit: exit('mov-to-cr', 0, 3, 4) },
  { name: 'MOV CR0 with PG without PE (#GP)', mode: 'protected32', cpl: 0, gpr: 0x8000_0000n, exit: exit('mov-to-cr', 0, 3, 4) },
  { name: 'MOV CR4 toggling PGE', mode: 'protected32', cpl: 0, gpr: CR4.PGE, exit: exit('mov-to-cr', 4, 6, 4) },
  { name: 'MOV CR4 with a reserved bit (#GP)', mode: 'protected32', cpl: 0, gpr: 0x8000_0000n, exit: exit('mov-to-cr', 4, 6, 4) },
  { name: 'MOV CR4 at CPL 3 (#GP)', mode: 'protected32', cpl: 3, gpr: CR4.PGE, exit: exit('mov-to-cr', 4, 6, 4) },
  { name: 'MOV CR3 in long mode, 64-bit operand', mode: 'long64', cpl: 0, gpr: 0x1234_5000n, exit: exit('mov-to-cr', 3, 9, 8) },
  { name: 'MOV CR3 in long mode, bits 63:52 set (#GP)', mode: 'long64', cpl: 0, gpr: 0xfff0_0000_0000_1000n, exit: exit('mov-to-cr', 3, 9, 8) },
  { name: 'MOV from CR3', mode: 'protected32', cpl: 0, gpr: 0xdeadn, exit: exit('mov-from-cr', 3, 0, 4) },
  { name: 'MOV from CR0 in long mode', mode: 'long64', cpl: 0, gpr: 0xdeadn, exit: exit('mov-from-cr', 0, 12, 8) },
  { name: 'CLTS', mode: 'protected32', cpl: 0, gpr: 0n, exit: exit('clts', 0, 0, 4) },
  { name: 'CLTS at CPL 3 (#GP)', mode: 'protected32', cpl: 3, gpr: 0n, exit: exit('clts', 0, 0, 4) },
];

function harness(c: Case): Harness {
  const long = c.mode === 'long64';
  const h = new Harness(c.mode, c.cpl, long ? LONG : { cr0: PROT | CR0.TS, cr3: 0x5000n, cr4: 0n, efer: EFER.SCE });
  const e = c.exit.operand as { gpr: number };
  h.vcpu.gprs[e.gpr] = c.gpr;
  return h;
}

function state(h: Harness) {
  return {
    gprs: [...h.vcpu.gprs],
    rip: h.vcpu.rip,
    injected: [...h.vcpu.injected],
    control: { ...h.vcpu.control },
    guest: h.guest.values(),
    effects: [...h.strategy.log],
    counts: Object.fromEntries(h.monitor.exitCounts),
  };
}

describe('TrapMonitor.crExitHandler', () => {
  for (const c of cases) {
    it(`${c.name}: as handleCrAccess`, () => {
      const a = harness(c);
      const b = harness(c);
      const viaHandle = a.monitor.handleCrAccess(c.exit, a.vcpu);
      const fn = b.monitor.crExitHandler(c.exit);
      expect(fn).toBeTypeOf('function');
      const viaFn = fn!(b.vcpu);
      expect(viaFn).toEqual(viaHandle);
      expect(state(b)).toEqual(state(a));
      // The case does something: RIP moved or an exception was injected.
      expect(a.vcpu.rip !== 0x1000n || a.vcpu.injected.length === 1).toBe(true);
    });
  }

  it('leaves LMSW, SMSW and memory operands to handleCrAccess', () => {
    const h = new Harness('protected32', 0, { cr0: PROT });
    expect(h.monitor.crExitHandler({ ...exit('lmsw', 0, 0, 2), lmswSource: 1 })).toBeUndefined();
    expect(h.monitor.crExitHandler(exit('smsw', 0, 0, 4))).toBeUndefined();
    expect(h.monitor.crExitHandler({ reason: 'cr-access', cr: 0, access: 'smsw', operand: { kind: 'mem', linear: 0x1000, size: 2 }, lmswSource: 0, insnLength: 3 })).toBeUndefined();
  });
});
