import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { SysMachine } from './harness.ts';

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
