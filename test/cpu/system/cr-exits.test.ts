import { describe, expect, it } from 'vitest';
import type { CrAccessExit } from '../../../src/runtime/vmm/exit.ts';
import { CODE, gate, HANDLER, Sel, STACK0, SysMachine } from './harness.ts';

function crExits(m: SysMachine): CrAccessExit[] {
  return m.monitor.exits.filter((e): e is CrAccessExit => e.reason === 'cr-access');
}

/** Protected mode at `cpl` with #UD and #GP handlers that halt; returns the machine. */
function withHandlers(cpl: 0 | 3): SysMachine {
  const m = new SysMachine();
  m.protected32(CODE, cpl);
  m.idtGate(6, gate(Sel.CODE32, HANDLER, 0xe, 0));
  m.idtGate(13, gate(Sel.CODE32, HANDLER + 0x10, 0xe, 0));
  m.code(HANDLER, 'b806000000 f4'); // mov eax,6 ; hlt
  m.code(HANDLER + 0x10, 'b80d000000 f4'); // mov eax,13 ; hlt
  return m;
}

describe('control-register accesses exit with the VMX-style qualification', () => {
  it('MOV from/to CR, LMSW m16, SMSW m16, CLTS in 32-bit protected mode', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.w16(0x5000, 0x000f);
    m.cpu.lo[3] = 0x20; // ebx = PAE
    // mov eax,cr0 ; mov cr4,ebx ; lmsw [0x5000] ; smsw [0x5002] ; clts ; hlt
    m.code(CODE, '0f20c0 0f22e3 0f013500500000 0f012502500000 0f06 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(crExits(m)).toEqual([
      { reason: 'cr-access', cr: 0, access: 'mov-from-cr', operand: { kind: 'reg', gpr: 0, size: 4 }, lmswSource: 0, insnLength: 3 },
      { reason: 'cr-access', cr: 4, access: 'mov-to-cr', operand: { kind: 'reg', gpr: 3, size: 4 }, lmswSource: 0, insnLength: 3 },
      { reason: 'cr-access', cr: 0, access: 'lmsw', operand: { kind: 'reg', gpr: 0, size: 2 }, lmswSource: 0x000f, insnLength: 7 },
      { reason: 'cr-access', cr: 0, access: 'smsw', operand: { kind: 'mem', linear: 0x5002, size: 2 }, lmswSource: 0, insnLength: 7 },
      { reason: 'cr-access', cr: 0, access: 'clts', operand: { kind: 'reg', gpr: 0, size: 4 }, lmswSource: 0, insnLength: 2 },
    ]);
    // The (bare) monitor completed them: EAX = CR0, CR4 = PAE, LMSW set MP/EM/TS then CLTS cleared TS.
    expect(m.cpu.lo[0]).toBe(0x11);
    expect(m.cpu.control.cr4).toBe(0x20n);
    expect(m.cpu.control.cr0 & 0xfn).toBe(0x7n);
    expect(m.r16(0x5002)).toBe(0x1f);
  });

  it('64-bit mode: CR8 and CR3 with 64-bit operands, SMSW r32 and m16', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.cpu.lo[3] = 0x6000;
    m.cpu.lo[0] = 5;
    // mov cr8,rax ; mov rax,cr3 ; smsw r9d ; smsw [rbx+8] ; hlt
    m.code(CODE, '440f22c0 0f20d8 410f01e1 0f016308 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    const e = crExits(m);
    expect(e.map((x) => [x.cr, x.access, x.operand])).toEqual([
      [8, 'mov-to-cr', { kind: 'reg', gpr: 0, size: 8 }],
      [3, 'mov-from-cr', { kind: 'reg', gpr: 0, size: 8 }],
      [0, 'smsw', { kind: 'reg', gpr: 9, size: 4 }],
      [0, 'smsw', { kind: 'mem', linear: 0x6008, size: 2 }],
    ]);
    expect(m.cpu.control.cr8).toBe(5n);
  });

  it('MOV CR2 is handled by the CPU without an exit', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.cpu.lo[0] = 0xcafe_f00d;
    m.code(CODE, '0f22d0 0f20d3 f4'); // mov cr2,eax ; mov ebx,cr2 ; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.cr2).toBe(0xcafe_f00dn);
    expect(m.cpu.lo[3]).toBe(0xcafe_f00d);
    expect(crExits(m)).toEqual([]);
  });

  it('CR1, CR5, CR7 and LOCK MOV CR0 (the AMD CR8 alias) are #UD (R1, R2, R73), before the CPL check', () => {
    // mov eax,cr1 ; mov eax,cr5 ; mov cr7,eax ; lock mov eax,cr0
    for (const code of ['0f20c8', '0f20e8', '0f22f8', 'f00f20c0']) {
      const m = withHandlers(3);
      m.code(CODE, code);
      expect(m.run()).toEqual({ kind: 'halted' });
      expect(m.cpu.lo[0]).toBe(6);
      expect(crExits(m)).toEqual([]);
    }
  });

  it('MOV CR0, LMSW and CLTS at CPL 3 are #GP(0) without an exit; SMSW is allowed (no UMIP)', () => {
    for (const code of ['0f20c0', '0f22c0', '0f01f0', '0f06']) {
      const m = withHandlers(3);
      m.code(CODE, code);
      expect(m.run()).toEqual({ kind: 'halted' });
      expect(m.cpu.lo[0]).toBe(13);
      expect(m.r32(STACK0 - 24)).toBe(0);
      expect(crExits(m)).toEqual([]);
    }
    const m = withHandlers(3);
    m.code(CODE, '660f01e0 90'); // smsw ax ; nop
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect(crExits(m).map((e) => e.access)).toEqual(['smsw']);
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x11);
  });

  it('a compiled MOV from CR0 made at CPL 0 is #GP(0) without an exit when the same code runs at CPL 3', () => {
    const m = withHandlers(0);
    m.cpu.decoded.jit.threshold = 1;
    m.code(CODE, '0f20c0 49 75fa f4'); // L: mov eax,cr0 ; dec ecx ; jnz L ; hlt
    m.cpu.lo[1] = 20;
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[1]).toBe(0);
    const exits = crExits(m).length;
    expect(exits).toBe(20);
    expect(m.cpu.decoded.jit.exitSiteCalls).toBeGreaterThan(0); // the loop ran as a block
    m.protected32(CODE, 3); // the same code page and block, now at CPL 3
    m.cpu.lo[1] = 5;
    const calls = m.cpu.decoded.jit.exitSiteCalls;
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.decoded.jit.exitSiteCalls).toBe(calls + 1); // the block reached its exit site once
    expect(m.cpu.lo[0]).toBe(13); // the #GP handler
    expect(m.cpu.lo[1]).toBe(5); // nothing after the faulting MOV ran
    expect(m.r32(STACK0 - 24)).toBe(0); // error code
    expect(m.r32(STACK0 - 20)).toBe(CODE); // EIP of the MOV
    expect(crExits(m).length).toBe(exits);
  });

  it('SMSW at CPL 3 with CR4.UMIP is #GP(0)', () => {
    const m = withHandlers(3);
    m.cpu.setControl({ cr4: 1n << 11n });
    m.code(CODE, '660f01e0');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[0]).toBe(13);
    expect(crExits(m)).toEqual([]);
  });

  it('LMSW in real mode exits (real mode is CPL 0) and can set PE', () => {
    const m = new SysMachine();
    m.real(0x7c00);
    m.cpu.lo[0] = 1;
    m.code(0x7c00, '0f01f0 0f20c0'); // lmsw ax ; mov eax,cr0
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect(crExits(m).map((e) => [e.access, e.lmswSource])).toEqual([
      ['lmsw', 1],
      ['mov-from-cr', 0],
    ]);
    expect(m.cpu.mode).toBe('protected16');
    expect(m.cpu.lo[0]).toBe(0x11);
  });

  it('in virtual-8086 mode MOV CR is #GP(0) but SMSW exits', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.idtGate(13, gate(Sel.CODE32, HANDLER, 0xe, 0));
    m.code(HANDLER, 'f4');
    [0x0100, 0x2000, 0x20002, 0x0ffe, 0x3000, 0, 0, 0, 0].forEach((v, i) => m.w32(0x7000 + 4 * i, v));
    m.cpu.lo[4] = 0x7000;
    m.code(CODE, 'cf'); // iretd into v86 at 2000:0100
    m.code(0x20100, '0f01e0 0f20c0'); // smsw ax ; mov eax,cr0
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(crExits(m).map((e) => e.access)).toEqual(['smsw']);
    expect(m.r32(STACK0 - 36)).toBe(0x0103); // #GP at the MOV CR
  });

  it('INVLPG exits with the linear address when intercepted', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.code(CODE, '0f013d00400000 f4'); // invlpg [0x4000] ; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.exits[0]).toEqual({ reason: 'invlpg', linear: 0x4000, insnLength: 7 });
  });
});

describe('MSRs', () => {
  it('RDMSR of EFER exits; an unknown MSR is #GP(0) (R72)', () => {
    const m = withHandlers(0);
    m.cpu.setControl({ efer: 0x800n });
    m.code(CODE, 'b9800000c0 0f32 b934120000 0f32'); // mov ecx,EFER ; rdmsr ; mov ecx,0x1234 ; rdmsr
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.exits[0]).toEqual({ reason: 'rdmsr', msr: 0xc000_0080, insnLength: 2 });
    expect(m.cpu.lo[2]).toBe(0);
    expect(m.cpu.lo[0]).toBe(13); // the #GP handler ran (EAX was 0x800 after the EFER read)
    expect(m.r32(STACK0 - 12)).toBe(CODE + 12);
  });

  it('RDMSR at CPL 3 is #GP(0) before any exit (R62)', () => {
    const m = withHandlers(3);
    m.code(CODE, 'b9800000c0 0f32');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[0]).toBe(13);
    expect(m.monitor.exits.filter((e) => e.reason === 'rdmsr')).toEqual([]);
  });
});

describe('debug registers', () => {
  it('DR4/DR5 alias DR6/DR7 with CR4.DE = 0 and are #UD with CR4.DE = 1', () => {
    const m = withHandlers(0);
    m.cpu.lo[0] = 0x1;
    m.code(CODE, '0f23f8 0f21e3 90'); // mov dr7,eax ; mov ebx,dr4 (= DR6)
    expect(m.run(3)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.dr[7]).toBe(0x401n);
    expect(m.cpu.lo[3]).toBe(0xffff0ff0);
    const d = withHandlers(0);
    d.cpu.setControl({ cr4: 0x8n });
    d.code(CODE, '0f21e0'); // mov eax,dr4
    expect(d.run()).toEqual({ kind: 'halted' });
    expect(d.cpu.lo[0]).toBe(6);
  });
});
