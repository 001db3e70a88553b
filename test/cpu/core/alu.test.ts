import { describe, expect, it } from 'vitest';
import { F, machine, status } from './harness.ts';

describe('ALU flags (32-bit)', () => {
  it('add: carry, zero, parity, aux', () => {
    const m = machine(32);
    // mov eax,0xffffffff ; add eax,1
    expect(m.run('b8 ffffffff  83 c0 01')).toBeNull();
    expect(m.cpu.lo[0]).toBe(0);
    expect(status(m.cpu)).toBe(F.CF | F.ZF | F.PF | F.AF);
  });

  it('add: signed overflow without carry', () => {
    const m = machine(32);
    // mov eax,0x7fffffff ; add eax,1
    m.run('b8 ffffff7f  83 c0 01');
    expect(m.cpu.lo[0]).toBe(0x80000000);
    expect(status(m.cpu)).toBe(F.OF | F.SF | F.AF | F.PF);
  });

  it('sub: borrow', () => {
    const m = machine(32);
    // mov eax,1 ; sub eax,2
    m.run('b8 01000000  83 e8 02');
    expect(m.cpu.lo[0]).toBe(0xffffffff);
    expect(status(m.cpu)).toBe(F.CF | F.SF | F.AF | F.PF);
  });

  it('cmp 8-bit: 0x80 - 1 overflows', () => {
    const m = machine(32);
    // mov al,0x80 ; cmp al,1
    m.run('b0 80  3c 01');
    expect(m.cpu.lo[0]! & 0xff).toBe(0x80);
    expect(status(m.cpu)).toBe(F.OF | F.AF);
  });

  it('adc/sbb use the carry', () => {
    const m = machine(32);
    // stc ; mov eax,5 ; adc eax,5 (=11) ; stc ; sbb eax,1 (=9)
    m.run('f9 b8 05000000 83 d0 05 89 c3 f9 83 d8 01');
    expect(m.cpu.lo[3]).toBe(11);
    expect(m.cpu.lo[0]).toBe(9);
    expect(status(m.cpu)).toBe(F.PF);
  });

  it('inc keeps CF, dec to zero sets ZF', () => {
    const m = machine(32);
    // stc ; mov ecx,1 ; dec ecx ; mov edx,0x7fffffff ; inc edx
    m.run('f9 b9 01000000 49 ba ffffff7f 42');
    expect(m.cpu.lo[1]).toBe(0);
    expect(m.cpu.lo[2]).toBe(0x80000000);
    expect(status(m.cpu)).toBe(F.CF | F.OF | F.SF | F.AF | F.PF);
  });

  it('neg sets CF for nonzero, not leaves flags', () => {
    const m = machine(32);
    // mov eax,5 ; neg eax ; not ebx(0) -> ffffffff
    m.run('b8 05000000 f7 d8 f7 d3');
    expect(m.cpu.lo[0]).toBe(0xfffffffb);
    expect(m.cpu.lo[3]).toBe(0xffffffff);
    expect(status(m.cpu)).toBe(F.CF | F.SF | F.AF);
  });

  it('and/or/xor clear CF and OF', () => {
    const m = machine(32);
    // mov eax,0xf0 ; stc ; and eax,0x0f -> 0 ZF PF
    m.run('b8 f0000000 f9 83 e0 0f');
    expect(m.cpu.lo[0]).toBe(0);
    expect(status(m.cpu)).toBe(F.ZF | F.PF);
  });

  it('memory operand read-modify-write', () => {
    const m = machine(32);
    // mov dword [0x2000],0x10 ; add dword [0x2000],0x20 ; sub byte [0x2001], 1
    m.run('c7 05 00200000 10000000  83 05 00200000 20  80 2d 01200000 01');
    expect(m.mem.read32(0x2000)).toBe(0x0000ff30);
  });
});

describe('ALU 64-bit', () => {
  it('add rax with carry out of bit 63', () => {
    const m = machine(64);
    // mov rax,-1 ; add rax,2
    m.run('48 c7 c0 ffffffff  48 83 c0 02');
    expect(m.cpu.readGpr(0)).toBe(1n);
    expect(status(m.cpu)).toBe(F.CF | F.AF);
  });
  it('sub r64 overflow', () => {
    const m = machine(64);
    // mov rax,0x8000000000000000 ; sub rax,1
    m.run('48 b8 0000000000000080  48 83 e8 01');
    expect(m.cpu.readGpr(0)).toBe(0x7fffffffffffffffn);
    expect(status(m.cpu)).toBe(F.OF | F.AF | F.PF);
  });
  it('32-bit ops zero-extend in 64-bit mode', () => {
    const m = machine(64);
    // mov rax,-1 ; add eax,1
    m.run('48 c7 c0 ffffffff  83 c0 01');
    expect(m.cpu.readGpr(0)).toBe(0n);
  });
  it('r8-r15 and high-byte registers', () => {
    const m = machine(64);
    // mov r9d,0x1234 ; mov ah,0x56 ; mov sil,0x77 ; add r9b, 1
    m.run('41 b9 34120000  b4 56  40 b6 77  41 80 c1 01');
    expect(m.cpu.readGpr(9)).toBe(0x1235n);
    expect(m.cpu.lo[0]! & 0xff00).toBe(0x5600);
    expect(m.cpu.lo[6]! & 0xff).toBe(0x77);
  });
});
