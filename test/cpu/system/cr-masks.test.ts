/**
 * VMX-style CR ownership in the hardware (Intercepts.crMasks), per instruction, against SDM
 * Vol. 3C §26.1.3 (which accesses exit) and §26.3 (what they do when they do not).
 */
import { describe, expect, it } from 'vitest';
import type { CrAccessExit } from '../../../src/runtime/vmm/exit.ts';
import type { CrMasks } from '../../../src/runtime/vmm/vcpu.ts';
import { CODE, SysMachine } from './harness.ts';

const TS = 0x8;

function crExits(m: SysMachine): CrAccessExit[] {
  return m.monitor.exits.filter((e): e is CrAccessExit => e.reason === 'cr-access');
}

/** 32-bit protected mode at CPL 0 with hardware CR0 = `cr0` and the given masks. */
function machine(cr0: bigint, masks: Partial<CrMasks>): SysMachine {
  const m = new SysMachine();
  m.protected32(CODE, 0);
  m.cpu.setControl({ cr0 });
  m.cpu.intercepts = { ...m.cpu.intercepts, crMasks: { cr0: null, cr4: null, cr3Targets: [], ...masks } };
  return m;
}

describe('CR0 guest/host mask and read shadow', () => {
  it('MOV to CR0 exits only when a host-owned bit differs from the shadow; guest-owned bits load', () => {
    // TS guest-owned; the shadow says PE|ET (the guest's view), the hardware also has PG.
    const m = machine(0x8000_0011n, { cr0: { mask: ~TS >>> 0, shadow: 0x11 } });
    // mov eax,0x19 ; mov cr0,eax ; mov ebx,cr0 ; mov eax,0x13 ; mov cr0,eax ; hlt
    m.code(CODE, 'b819000000 0f22c0 0f20c3 b813000000 0f22c0 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    const exits = crExits(m).map((e) => [e.access, e.cr]);
    expect(exits).toEqual([['mov-to-cr', 0]]); // only the write that changes MP (host-owned)
    // The first write set TS in the hardware and kept the host-owned PG; the read saw TS from
    // the hardware and PE|ET from the shadow (not the hardware's PG).
    expect(m.cpu.lo[3]).toBe(0x19);
  });

  it('MOV from CR0 returns host-owned bits from the shadow and never exits', () => {
    const m = machine(0x8000_0019n, { cr0: { mask: ~TS >>> 0, shadow: 0x0000_0031 } });
    m.code(CODE, '0f20c3 f4'); // mov ebx,cr0 ; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(crExits(m)).toEqual([]);
    expect(m.cpu.lo[3]).toBe(0x39); // TS (guest-owned) from the hardware, NE|ET|PE from the shadow
  });

  it('CLTS: guest-owned TS is cleared; host-owned with shadow TS=0 completes unchanged; shadow TS=1 exits', () => {
    const owned = machine(0x8000_0019n, { cr0: { mask: ~TS >>> 0, shadow: 0x11 } });
    owned.code(CODE, '0f06 f4');
    expect(owned.run()).toEqual({ kind: 'halted' });
    expect(crExits(owned)).toEqual([]);
    expect(owned.cpu.control.cr0).toBe(0x8000_0011n);

    const quiet = machine(0x8000_0019n, { cr0: { mask: 0xffff_ffff, shadow: 0x11 } });
    quiet.code(CODE, '0f06 f4');
    expect(quiet.run(20_000)).toEqual({ kind: 'halted' });
    expect(crExits(quiet)).toEqual([]);
    expect(quiet.cpu.control.cr0).toBe(0x8000_0019n); // unchanged: the shadow already says TS=0

    const exits = machine(0x8000_0019n, { cr0: { mask: 0xffff_ffff, shadow: 0x19 } });
    exits.code(CODE, '0f06 f4');
    expect(exits.run()).toEqual({ kind: 'halted' });
    expect(crExits(exits).map((e) => e.access)).toEqual(['clts']);
  });

  it('LMSW: exits on host-owned PE set from 0 or a host-owned bit 3:1 that differs; loads owned bits, never clears PE', () => {
    const run = (cr0: bigint, masks: CrMasks['cr0'], src: number): SysMachine => {
      const m = machine(cr0, { cr0: masks });
      m.cpu.lo[0] = src;
      m.code(CODE, '0f01f0 f4'); // lmsw ax ; hlt
      expect(m.run()).toEqual({ kind: 'halted' });
      return m;
    };
    // MP/EM/TS guest-owned, PE host-owned: setting TS and EM loads them, no exit.
    const a = run(0x11n, { mask: ~0xe >>> 0, shadow: 0x11 }, 0x000d);
    expect(crExits(a)).toEqual([]);
    expect(a.cpu.control.cr0).toBe(0x1dn);
    // PE host-owned, clear in the shadow, set in the source: exit.
    const b = run(0x10n, { mask: 0xffff_ffff, shadow: 0x10 }, 0x0001);
    expect(crExits(b).map((e) => [e.access, e.lmswSource])).toEqual([['lmsw', 1]]);
    // MP host-owned and different from the shadow: exit.
    const c = run(0x11n, { mask: 0xffff_fff3, shadow: 0x11 }, 0x0003);
    expect(crExits(c).map((e) => e.access)).toEqual(['lmsw']);
    // PE guest-owned: LMSW with PE=0 cannot clear it.
    const d = run(0x11n, { mask: ~0xf >>> 0, shadow: 0x10 }, 0x0000);
    expect(crExits(d)).toEqual([]);
    expect(d.cpu.control.cr0).toBe(0x11n);
  });

  it('SMSW never exits: r32 gets the shadowed CR0, m16 its low 16 bits', () => {
    const m = machine(0x8000_0019n, { cr0: { mask: ~TS >>> 0, shadow: 0x11 } });
    m.code(CODE, '0f01e3 0f012500500000 f4'); // smsw ebx ; smsw [0x5000] ; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(crExits(m)).toEqual([]);
    expect(m.cpu.lo[3]).toBe(0x19);
    expect(m.r16(0x5000)).toBe(0x19);
  });

  it('64-bit mode: a source with bits 63:32 set always exits (host-owned, shadow 0)', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    const cr0 = m.cpu.control.cr0;
    m.cpu.intercepts = { ...m.cpu.intercepts, crMasks: { cr0: { mask: ~TS >>> 0, shadow: Number(cr0) }, cr4: null, cr3Targets: [] } };
    m.cpu.lo[0] = Number(cr0) | TS;
    m.cpu.hi[0] = 1;
    m.monitor.stopOn.add('cr-access');
    m.code(CODE, '0f22c0 f4'); // mov cr0,rax ; hlt
    expect(m.run()?.kind).toBe('monitor-error');
    expect(crExits(m).map((e) => [e.access, e.operand])).toEqual([['mov-to-cr', { kind: 'reg', gpr: 0, size: 8 }]]);
  });

  it('a compiled block honours the mask: a hot loop toggling guest-owned TS never exits, one toggling MP exits every time', () => {
    // mov ecx,2000 ; l: mov cr0,eax ; xor eax,8 ; dec ecx ; jnz l ; hlt
    const loop = 'b9d0070000 0f22c0 83f008 49 75f7 f4';
    const quiet = machine(0x11n, { cr0: { mask: ~TS >>> 0, shadow: 0x11 } });
    quiet.cpu.lo[0] = 0x19;
    quiet.code(CODE, loop);
    expect(quiet.run(20_000)).toEqual({ kind: 'halted' });
    expect(crExits(quiet)).toEqual([]);
    expect(quiet.cpu.control.cr0).toBe(0x11n); // an even number of toggles
    expect(quiet.cpu.decoded.jit.compiled).toBeGreaterThan(0);
    expect(quiet.cpu.decoded.jit.exitSiteCalls).toBeGreaterThan(1000); // the MOV ran from compiled code

    const loud = machine(0x11n, { cr0: { mask: 0xffff_ffff, shadow: 0x11 } });
    loud.cpu.lo[0] = 0x19;
    loud.code(CODE, loop);
    expect(loud.run(20_000)).toEqual({ kind: 'halted' });
    expect(crExits(loud).length).toBe(1000); // every write with TS=1 differs from the shadow
    expect(loud.cpu.decoded.jit.exitSiteCalls).toBeGreaterThan(1000);
  });
});

describe('CR4 guest/host mask', () => {
  it('MOV to/from CR4: guest-owned OSFXSR loads without an exit, host-owned PAE exits', () => {
    const m = machine(0x11n, { cr4: { mask: ~0x200 >>> 0, shadow: 0 } });
    m.cpu.lo[0] = 0x200;
    m.cpu.lo[1] = 0x20;
    // mov cr4,eax ; mov ebx,cr4 ; mov cr4,ecx ; hlt
    m.code(CODE, '0f22e0 0f20e3 0f22e1 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[3]).toBe(0x200);
    expect(crExits(m).map((e) => [e.access, e.cr])).toEqual([['mov-to-cr', 4]]);
  });
});

describe('CR3-target values', () => {
  it('MOV to CR3 of a target value loads CR3 without an exit; any other value exits', () => {
    const m = machine(0x11n, { cr3Targets: [0x5000n] });
    m.cpu.lo[0] = 0x5000;
    m.cpu.lo[1] = 0x6000;
    m.code(CODE, '0f22d8 0f22d9 f4'); // mov cr3,eax ; mov cr3,ecx ; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(crExits(m).map((e) => [e.access, e.cr, e.operand])).toEqual([['mov-to-cr', 3, { kind: 'reg', gpr: 1, size: 4 }]]);
  });
});
