import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, gate, HANDLER, segDesc, Sel, STACK0, STACK3, SysMachine } from './harness.ts';

const CALL_GATE32 = 0xc;

describe('far control transfers', () => {
  it('CALL through a call gate from CPL 3 to CPL 0 switches stacks and copies parameters; RETF 8 returns', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.gdtEntry(Sel.CALLGATE >> 3, gate(Sel.CODE32, HANDLER, CALL_GATE32, 3, { params: 2 }));
    // push 0x11111111 ; push 0x22222222 ; call 0x68:0 ; mov ebx,7 ; hlt
    m.code(CODE, '6811111111 6822222222 9a000000006800 bb07000000 f4');
    m.code(HANDLER, '89e1 f4 ca0800'); // mov ecx,esp ; hlt ; retf 8
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(Sel.DATA32);
    const sp = STACK0 - 24;
    expect(m.cpu.lo[1]).toBe(sp);
    expect(m.r32(sp)).toBe(CODE + 17); // return EIP
    expect(m.r32(sp + 4)).toBe(Sel.CODE32_U); // return CS
    expect(m.r32(sp + 8)).toBe(0x22222222); // parameters in their original order
    expect(m.r32(sp + 12)).toBe(0x11111111);
    expect(m.r32(sp + 16)).toBe(STACK3 - 8); // caller ESP
    expect(m.r32(sp + 20)).toBe(Sel.DATA32_U); // caller SS
    // RETF 8 back to CPL 3 (the HLT there faults: run only the MOV).
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.lo[3]).toBe(7);
    expect(m.cpu.lo[4]).toBe(STACK3); // both parameters released
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(Sel.DATA32_U);
    expect(m.cpu.seg[Seg.DS]!.selector).toBe(Sel.DATA32_U); // DPL-3 data stays loaded
  });

  it('RETF to an outer level nulls data segment registers the new CPL may not use', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.gdtEntry(Sel.CALLGATE >> 3, gate(Sel.CODE32, HANDLER, CALL_GATE32, 3));
    m.code(CODE, '9a000000006800 90');
    m.code(HANDLER, '6a10 1f cb'); // push 0x10 ; pop ds (DPL 0 data) ; retf
    expect(m.run(4)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.ip).toBe(CODE + 7);
    expect(m.cpu.seg[Seg.DS]!.usable).toBe(false);
    expect(m.cpu.seg[Seg.DS]!.selector).toBe(0);
  });

  // RETF and IRET to CPL 3 check the popped SS alike (segments.ts loadOuterSs).
  const hex32 = (v: number): string =>
    [0, 8, 16, 24].map((b) => ((v >>> b) & 0xff).toString(16).padStart(2, '0')).join('');
  const push = (v: number): string => `68${hex32(v)}`;
  const NOT_PRESENT_DATA3 = 0x7b; // GDT entry 15, DPL 3, P = 0
  for (const [name, op, eflags] of [
    ['RETF', 'cb', ''],
    ['IRET', 'cf', push(0x2)],
  ] as const) {
    it.each([
      ['RPL 0 selector', Sel.DATA32, 13, Sel.DATA32],
      ['DPL 0 data with RPL 3', Sel.DATA32 | 3, 13, Sel.DATA32],
      ['code segment', Sel.CODE32_U, 13, Sel.CODE32_U & ~3],
      ['not-present data', NOT_PRESENT_DATA3, 12, NOT_PRESENT_DATA3 & ~3],
    ] as const)(`${name} to CPL 3 with a bad SS (%s) faults with the SS selector`, (_what, ss, vector, errorCode) => {
      const m = new SysMachine();
      m.protected32(CODE, 0);
      m.gdtEntry(15, segDesc(0, 0xfffff, 0x2, { dpl: 3, g: true, db: true, p: false }));
      m.idtGate(13, gate(Sel.CODE32, HANDLER, 0xe, 0));
      m.idtGate(12, gate(Sel.CODE32, HANDLER + 0x100, 0xe, 0));
      // push ss ; push esp ; [push eflags] ; push cs ; push eip ; retf/iret
      m.code(CODE, `${push(ss)} ${push(STACK3)} ${eflags} ${push(Sel.CODE32_U)} ${push(CODE + 0x80)} ${op}`);
      m.code(HANDLER, 'b90d000000 58 f4'); // mov ecx,13 ; pop eax ; hlt
      m.code(HANDLER + 0x100, 'b90c000000 58 f4'); // mov ecx,12 ; pop eax ; hlt
      expect(m.run()).toEqual({ kind: 'halted' });
      expect([m.cpu.lo[1], m.cpu.lo[0]]).toEqual([vector, errorCode]);
      expect(m.cpu.cpl).toBe(0);
    });
  }

  it('same-privilege far CALL and RETF', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.code(CODE, '9a00000200 0800 f4'); // call 0x08:0x20000 ; hlt
    m.code(HANDLER, 'b878563412 cb'); // mov eax,0x12345678 ; retf
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[0]).toBe(0x12345678);
    expect(m.cpu.ip).toBe(CODE + 8);
    expect(m.cpu.lo[4]).toBe(STACK0);
  });

  it('far JMP to a non-conforming DPL-0 segment from CPL 3 is #GP(selector)', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.idtGate(13, gate(Sel.CODE32, HANDLER, 0xe, 0));
    m.code(CODE, 'ea00000200 0800'); // jmp 0x08:0x20000
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.r32(STACK0 - 24)).toBe(Sel.CODE32);
    expect(m.r32(STACK0 - 20)).toBe(CODE);
  });

  it('far JMP to a conforming segment keeps CPL 3', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.code(CODE, 'ea00000200 7000'); // jmp 0x70:0x20000 (conforming, DPL 0)
    m.code(HANDLER, '90');
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.seg[Seg.CS]!.selector).toBe(0x73);
  });

  it('SYSCALL to CPL 0 and SYSRET (64-bit) back to CPL 3', () => {
    const m = new SysMachine();
    m.long64(CODE, 3);
    m.cpu.setControl({ efer: 0x501n }); // SCE | LME | LMA
    m.cpu.msr.star = (0x30n << 48n) | (0x30n << 32n);
    m.cpu.msr.lstar = BigInt(HANDLER);
    m.cpu.msr.sfmask = 0x200n; // clear IF
    m.cpu.setFlags(0x202);
    m.code(CODE, 'b842000000 0f05'); // mov eax,0x42 ; syscall
    // mov rdx,rcx ; mov ecx,0x11000 ; mov r11d,0x202 ; o64 sysret
    m.code(HANDLER, '4889ca b900100100 41bb02020000 480f07');
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.ip).toBe(HANDLER);
    expect(m.cpu.seg[Seg.CS]!.selector).toBe(0x30);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(0x38);
    expect(m.cpu.lo[1]).toBe(CODE + 7); // RCX = return RIP
    expect(m.cpu.lo[11]).toBe(0x202); // R11 = RFLAGS
    expect(m.cpu.getFlags() & 0x200).toBe(0);
    expect(m.run(4)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.ip).toBe(0x11000);
    expect(m.cpu.seg[Seg.CS]!.selector).toBe(0x43);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(0x3b);
    expect(m.cpu.mode).toBe('long64');
    expect(m.cpu.getFlags() & 0x200).toBe(0x200);
  });

  it('SYSCALL with EFER.SCE = 0 is #UD (R70)', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.idtGate64(6, Sel.CODE64, HANDLER, 0xe, 0);
    m.code(CODE, '0f05');
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(Number(m.r64(STACK0 - 40))).toBe(CODE);
  });

  it('SWAPGS exchanges GS.base and KERNEL_GS_BASE; WRMSR/RDMSR keep FS/GS bases', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    // mov ecx,0xc0000102 ; mov eax,0x5000 ; xor edx,edx ; wrmsr ; swapgs ; mov ecx,0xc0000101 ; rdmsr ; hlt
    m.code(CODE, 'b9020100c0 b800500000 31d2 0f30 0f01f8 b9010100c0 0f32 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.seg[Seg.GS]!.base).toBe(0x5000);
    expect(m.cpu.lo[0]).toBe(0x5000);
    expect(m.cpu.msr.kernelGsBase).toBe(0n);
  });
});

describe('more privilege transitions', () => {
  it('a 64-bit call gate from CPL 3 to CPL 0: RSP0, SS := null, four-qword frame; RETFQ returns', () => {
    const m = new SysMachine();
    m.long64(CODE, 3);
    // 16-byte call gate at 0x68 -> 0x30:HANDLER, DPL 3
    m.gdtEntry(13, gate(Sel.CODE64, HANDLER, CALL_GATE32, 3));
    m.gdtEntry(14, [0, 0]);
    m.w32(0x5000, 0); // m16:64 far pointer: offset (ignored for gates), selector
    m.w32(0x5004, 0);
    m.w16(0x5008, Sel.CALLGATE | 3);
    m.code(CODE, 'b800500000 48ff18 90'); // mov eax,0x5000 ; call far qword [rax] ; nop
    m.code(HANDLER, '4889e1 f4 48cb'); // mov rcx,rsp ; hlt ; retfq
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(0);
    expect(m.cpu.lo[1]).toBe(STACK0 - 32);
    expect(Number(m.r64(STACK0 - 32))).toBe(CODE + 8); // RIP
    expect(Number(m.r64(STACK0 - 24))).toBe(Sel.CODE64_U); // CS
    expect(Number(m.r64(STACK0 - 16))).toBe(STACK3); // RSP
    expect(Number(m.r64(STACK0 - 8))).toBe(Sel.DATA64_U); // SS
    expect(m.run(1)).toEqual({ kind: 'max-insns' }); // retfq
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.ip).toBe(CODE + 8);
    expect(m.cpu.lo[4]).toBe(STACK3);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(Sel.DATA64_U);
    expect(m.cpu.mode).toBe('long64');
  });

  it('RETF from 64-bit CPL 0 to 32-bit CPL 3 code enters compatibility mode', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.cpu.lo[4] = 0x7000;
    [0x0001_1000, Sel.CODE32_U, 0x7800, Sel.DATA32_U].forEach((v, i) => m.w32(0x7000 + 4 * i, v));
    m.code(CODE, 'cb'); // retf (32-bit operand size)
    m.code(0x11000, '90');
    expect(m.run(1)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.mode).toBe('compat32');
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.ip).toBe(0x11000);
    expect(m.cpu.lo[4]).toBe(0x7800);
  });

  it('SYSENTER to CPL 0 and SYSEXIT back to CPL 3 (32-bit)', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.cpu.msr.sysenterCs = BigInt(Sel.CODE32);
    m.cpu.msr.sysenterEsp = BigInt(STACK0);
    m.cpu.msr.sysenterEip = BigInt(HANDLER);
    m.cpu.setFlags(0x202);
    m.code(CODE, '0f34'); // sysenter
    m.code(HANDLER, 'b900700000 ba20000100 0f35'); // mov ecx,0x7000 ; mov edx,0x10020 ; sysexit
    expect(m.run(1)).toEqual({ kind: 'max-insns' });
    expect([m.cpu.cpl, m.cpu.ip, m.cpu.lo[4]]).toEqual([0, HANDLER, STACK0]);
    expect([m.cpu.seg[Seg.CS]!.selector, m.cpu.seg[Seg.SS]!.selector]).toEqual([Sel.CODE32, Sel.DATA32]);
    expect(m.cpu.getFlags() & 0x200).toBe(0);
    expect(m.run(3)).toEqual({ kind: 'max-insns' });
    expect([m.cpu.cpl, m.cpu.ip, m.cpu.lo[4]]).toEqual([3, 0x10020, 0x7000]);
    expect([m.cpu.seg[Seg.CS]!.selector, m.cpu.seg[Seg.SS]!.selector]).toEqual([Sel.CODE32_U, Sel.DATA32_U]);
  });
});

describe('fast system calls follow the modelled vendor (AMD, as QEMU -cpu max)', () => {
  it('SYSCALL from compatibility mode enters 64-bit code at CSTAR; ECX gets the return EIP', () => {
    const m = new SysMachine();
    m.long64(CODE, 3);
    m.load(Seg.CS, Sel.CODE32_U);
    expect(m.cpu.mode).toBe('compat32');
    m.cpu.setControl({ efer: 0x501n });
    m.cpu.msr.star = (0x30n << 48n) | (0x30n << 32n);
    m.cpu.msr.cstar = BigInt(HANDLER + 0x40);
    m.code(CODE, 'b801000000 0f05'); // mov eax,1 ; syscall
    m.code(HANDLER + 0x40, '90');
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect([m.cpu.mode, m.cpu.cpl, m.cpu.ip, m.cpu.lo[1]]).toEqual(['long64', 0, HANDLER + 0x40, CODE + 7]);
  });

  it('legacy-mode SYSCALL enters at STAR[31:0] with flat CPL-0 segments; SYSRET returns to CPL 3', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.cpu.setControl({ efer: 0x1n });
    m.cpu.msr.star = (BigInt(Sel.CODE32_U & ~3) << 48n) | (BigInt(Sel.CODE32) << 32n) | BigInt(HANDLER);
    m.cpu.setFlags(0x202);
    m.code(CODE, 'b801000000 0f05 90'); // mov eax,1 ; syscall ; nop
    m.code(HANDLER, '0f07'); // sysret
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect([m.cpu.mode, m.cpu.cpl, m.cpu.ip, m.cpu.lo[1]]).toEqual(['protected32', 0, HANDLER, CODE + 7]);
    expect([m.cpu.seg[Seg.CS]!.selector, m.cpu.seg[Seg.SS]!.selector]).toEqual([Sel.CODE32, Sel.DATA32]);
    expect(m.cpu.getFlags() & 0x200).toBe(0);
    expect(m.run(1)).toEqual({ kind: 'max-insns' });
    expect([m.cpu.cpl, m.cpu.ip]).toEqual([3, CODE + 7]);
    expect([m.cpu.seg[Seg.CS]!.selector, m.cpu.seg[Seg.SS]!.selector]).toEqual([Sel.CODE32_U, Sel.DATA32_U]);
    expect(m.cpu.getFlags() & 0x200).toBe(0x200);
  });

  it('SYSENTER in IA-32e mode is #UD', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.cpu.msr.sysenterCs = BigInt(Sel.CODE64);
    m.idtGate64(6, Sel.CODE64, HANDLER, 0xe, 0);
    m.code(CODE, '0f34');
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(Number(m.r64(STACK0 - 40))).toBe(CODE);
  });
});
