import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, Sel, STACK0, SysMachine } from './harness.ts';

describe('real mode: IVT delivery and IRET', () => {
  it('INT n pushes FLAGS, CS, IP, clears IF/TF and jumps through the IVT; IRET returns', () => {
    const m = new SysMachine();
    // IVT[0x21] = 1000:0010
    m.w16(0x21 * 4, 0x0010);
    m.w16(0x21 * 4 + 2, 0x1000);
    m.code(0x7c00, 'b83412 cd21 f4'); // mov ax,0x1234 ; int 0x21 ; hlt
    m.code(0x10010, '89e3 f4 cf'); // mov bx,sp ; hlt ; iret
    m.real(0x7c00, 0x7000);
    m.cpu.setFlags(0x202 | 0x100); // IF, TF
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.seg[Seg.CS]!.selector).toBe(0x1000);
    expect(m.cpu.seg[Seg.CS]!.base).toBe(0x10000);
    expect(m.cpu.lo[3]! & 0xffff).toBe(0x6ffa);
    expect(m.r16(0x6ffa)).toBe(0x7c05); // return IP
    expect(m.r16(0x6ffc)).toBe(0x0000); // CS
    expect(m.r16(0x6ffe)).toBe(0x0302); // FLAGS as before
    expect(m.cpu.getFlags() & 0x300).toBe(0);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(0x7c06);
    expect(m.cpu.seg[Seg.CS]!.selector).toBe(0);
    expect(m.cpu.getFlags() & 0x300).toBe(0x300);
    expect(m.cpu.lo[4]! & 0xffff).toBe(0x7000);
  });

  it('a fault (#UD) pushes the faulting IP and no error code', () => {
    const m = new SysMachine();
    m.w16(6 * 4, 0x0100);
    m.w16(6 * 4 + 2, 0x0000);
    m.code(0x7c00, '90 0f0b'); // nop ; ud2
    m.code(0x0100, 'f4');
    m.real(0x7c00, 0x7000);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[4]! & 0xffff).toBe(0x6ffa);
    expect(m.r16(0x6ffa)).toBe(0x7c01);
  });

  it('far JMP/CALL/RETF load CS as selector << 4', () => {
    const m = new SysMachine();
    // 0:7c00: call 0x2000:0x0005 ; hlt
    m.code(0x7c00, '9a 0500 0020 f4');
    // 2000:0005: mov ax,cs ; retf
    m.code(0x20005, '8cc8 cb');
    m.real(0x7c00, 0x7000);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x2000);
    expect(m.cpu.ip).toBe(0x7c06);
    expect(m.cpu.seg[Seg.CS]!.base).toBe(0);
    expect(m.cpu.lo[4]! & 0xffff).toBe(0x7000);
  });

  it('an IVT entry beyond the IDTR limit escalates to #DF and then a triple fault', () => {
    const m = new SysMachine();
    m.code(0x7c00, 'cd21');
    m.real(0x7c00, 0x7000);
    m.cpu.idtr.limit = 0x1f; // vectors 0..7 only: #GP (13) and #DF (8) entries are missing too
    const stop = m.run();
    expect(stop?.kind).toBe('triple-fault');
    if (stop?.kind === 'triple-fault') {
      expect(stop.detail).toContain('#GP(0x0) -> #DF(0x0) -> #GP(0x0)');
      expect(stop.detail).toMatch(/CS:RIP=0000:00007c00/);
      expect(stop.detail).toContain('CR0=00000010');
    }
  });
});

describe('leaving protected mode (R21: descriptor caches stay until reloaded)', () => {
  it('after MOV CR0 clears PE, 32-bit code keeps running with the cached CS.D and SS.B until CS is reloaded', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.code(
      CODE,
      '0f20c0' + // mov eax, cr0
        '83e0fe' + // and eax, ~1
        '0f22c0' + // mov cr0, eax              (PE := 0; CS still D=1, SS still B=1)
        'bb78563412' + // mov ebx, 0x12345678   (5 bytes: 32-bit operand size)
        '53' + // push ebx                      (ESP, 4 bytes: SS.B)
        '89e1' + // mov ecx, esp
        'ea' + '40000000' + '0010', // jmp far 1000:00000040 (ptr16:32) — a real-mode CS load
    );
    m.code(
      CODE + 0x40,
      '8cc8' + // mov eax, cs
        '8ed8' + // mov ds, ax   (real mode: base = sel << 4, limit kept)
        'f4', // hlt
    );
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.exits.map((e) => e.reason)).toEqual(['cr-access', 'cr-access', 'hlt']);
    expect(m.cpu.mode).toBe('real');
    expect(m.cpu.lo[3]).toBe(0x12345678);
    expect(m.cpu.lo[1]).toBe(STACK0 - 4);
    expect(m.r32(STACK0 - 4)).toBe(0x12345678);
    const cs = m.cpu.seg[Seg.CS]!;
    expect([cs.selector, cs.base, cs.limit, cs.db]).toEqual([0x1000, 0x10000, 0xffffffff, true]);
    expect(m.cpu.ip).toBe(0x45); // 32-bit code after the real-mode far JMP: the cache keeps D=1
    const ds = m.cpu.seg[Seg.DS]!;
    expect([ds.selector, ds.base, ds.limit]).toEqual([0x1000, 0x10000, 0xffffffff]);
  });

  it('a 16-bit CS loaded before PE is cleared gives 16-bit real-mode code (the SDM §9.9.2 sequence)', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.code(
      CODE,
      'ea' + '00600000' + Sel.CODE16.toString(16).padStart(2, '0') + '00', // jmp far CODE16:00006000 (16-bit, 64 KiB)
    );
    m.code(
      0x6000,
      '0f20c0' + // mov eax, cr0
        '6683e0fe' + // and eax, ~1 (0x66: 32-bit operand in 16-bit code)
        '0f22c0' + // mov cr0, eax
        'bb3412' + // mov bx, 0x1234   (3 bytes: 16-bit operand size)
        'f4',
    );
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.mode).toBe('real');
    expect(m.cpu.lo[3]! & 0xffff).toBe(0x1234);
    expect(m.cpu.ip).toBe(0x6000 + 3 + 4 + 3 + 3 + 1);
    expect(m.cpu.seg[Seg.CS]!.db).toBe(false);
  });
});
