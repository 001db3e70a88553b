import { describe, expect, it } from 'vitest';
import { CODE, F, machine, status } from './harness.ts';

describe('shifts and rotates', () => {
  it('shl by 1: CF from bit 31, OF = MSB ^ CF', () => {
    const m = machine(32);
    m.run('b8 01000080  d1 e0'); // mov eax,0x80000001 ; shl eax,1
    expect(m.cpu.lo[0]).toBe(2);
    expect(status(m.cpu)).toBe(F.CF | F.OF);
  });
  it('shift by 0 leaves flags alone', () => {
    const m = machine(32);
    m.run('f9 b8 01000000 c1 e0 00'); // stc ; mov eax,1 ; shl eax,0
    expect(m.cpu.lo[0]).toBe(1);
    expect(status(m.cpu)).toBe(F.CF);
  });
  it('sar by 4 keeps the sign', () => {
    const m = machine(32);
    m.run('b8 00000080  c1 f8 04');
    expect(m.cpu.lo[0]).toBe(0xf8000000);
    expect(status(m.cpu)).toBe(F.SF | F.PF);
  });
  it('shr al,1: OF = old MSB', () => {
    const m = machine(32);
    m.run('b0 81 d0 e8');
    expect(m.cpu.lo[0]! & 0xff).toBe(0x40);
    expect(status(m.cpu)).toBe(F.CF | F.OF);
  });
  it('shift count is masked to 5 bits', () => {
    const m = machine(32);
    m.run('b8 01000000 b1 21 d3 e0'); // mov eax,1 ; mov cl,33 ; shl eax,cl -> shift by 1
    expect(m.cpu.lo[0]).toBe(2);
  });
  it('rol/ror OF rules', () => {
    const m = machine(32);
    m.run('b0 81 d0 c0'); // rol al,1
    expect(m.cpu.lo[0]! & 0xff).toBe(0x03);
    expect(status(m.cpu)).toBe(F.CF | F.OF);
    const m2 = machine(32);
    m2.run('b0 01 d0 c8'); // ror al,1
    expect(m2.cpu.lo[0]! & 0xff).toBe(0x80);
    expect(status(m2.cpu)).toBe(F.CF | F.OF);
  });
  it('rotates leave SF/ZF/PF unchanged', () => {
    const m = machine(32);
    m.run('31 c0 b0 01 d0 c8'); // xor eax,eax (ZF PF) ; mov al,1 ; ror al,1
    expect(status(m.cpu)).toBe(F.ZF | F.PF | F.CF | F.OF);
  });
  it('rcl/rcr through carry', () => {
    const m = machine(32);
    m.run('f9 b0 80 d0 d0'); // stc ; mov al,0x80 ; rcl al,1
    expect(m.cpu.lo[0]! & 0xff).toBe(0x01);
    expect(status(m.cpu)).toBe(F.CF | F.OF);
    const m2 = machine(32);
    m2.run('f8 b0 01 d0 d8'); // clc ; mov al,1 ; rcr al,1
    expect(m2.cpu.lo[0]! & 0xff).toBe(0);
    expect(status(m2.cpu)).toBe(F.CF);
    const m3 = machine(32);
    m3.run('f9 66 b8 0100 66 c1 d8 11'); // stc ; mov ax,1 ; rcr ax,17 -> 17 mod 17 = 0: unchanged
    expect(m3.cpu.lo[0]! & 0xffff).toBe(1);
    expect(status(m3.cpu) & F.CF).toBe(F.CF);
  });
  it('shld/shrd', () => {
    const m = machine(32);
    m.run('b8 78563412 ba f0debc9a 0f a4 d0 08'); // shld eax,edx,8
    expect(m.cpu.lo[0]).toBe(0x3456789a);
    expect(status(m.cpu)).toBe(F.PF);
    const m2 = machine(32);
    m2.run('b8 78563412 ba f0debc9a 0f ac d0 04'); // shrd eax,edx,4
    expect(m2.cpu.lo[0]).toBe(0x01234567);
    expect(status(m2.cpu)).toBe(F.CF);
  });
  it('64-bit shifts and rotates', () => {
    const m = machine(64);
    // mov rax,1 ; shl rax,63 ; mov rbx,rax ; rol rbx,1 ; sar rax,62
    m.run('48 c7 c0 01000000 48 c1 e0 3f 48 89 c3 48 d1 c3 48 c1 f8 3e');
    expect(m.cpu.readGpr(3)).toBe(1n);
    expect(m.cpu.readGpr(0)).toBe(0xfffffffffffffffen);
  });
});

describe('mul/imul/div/idiv', () => {
  it('mul ecx: 64-bit product, CF=OF=1', () => {
    const m = machine(32);
    m.run('b8 00000100 b9 00000100 f7 e1');
    expect(m.cpu.lo[2]).toBe(1);
    expect(m.cpu.lo[0]).toBe(0);
    expect(status(m.cpu) & (F.CF | F.OF)).toBe(F.CF | F.OF);
  });
  it('imul one operand: -2 * 3', () => {
    const m = machine(32);
    m.run('b8 feffffff b9 03000000 f7 e9');
    expect(m.cpu.lo[0]).toBe(0xfffffffa);
    expect(m.cpu.lo[2]).toBe(0xffffffff);
    expect(status(m.cpu) & (F.CF | F.OF)).toBe(0);
  });
  it('imul three operands overflow / two operands no overflow', () => {
    const m = machine(32);
    m.run('b8 00000040 6b c0 04'); // imul eax,eax,4
    expect(m.cpu.lo[0]).toBe(0);
    expect(status(m.cpu) & (F.CF | F.OF)).toBe(F.CF | F.OF);
    const m2 = machine(32);
    m2.run('b8 f9ffffff b9 06000000 0f af c8'); // imul ecx,eax -> -42
    expect(m2.cpu.lo[1]).toBe(0xffffffd6);
    expect(status(m2.cpu) & (F.CF | F.OF)).toBe(0);
  });
  it('div 8-bit and idiv 32-bit', () => {
    const m = machine(32);
    m.run('66 b8 0701 b1 02 f6 f1'); // ax=263 ; div cl
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x0183);
    const m2 = machine(32);
    m2.run('b8 f9ffffff 99 b9 02000000 f7 f9'); // eax=-7 ; cdq ; idiv ecx(2)
    expect(m2.cpu.lo[0]).toBe(0xfffffffd);
    expect(m2.cpu.lo[2]).toBe(0xffffffff);
  });
  it('div by zero and quotient overflow raise #DE at the instruction', () => {
    for (const code of ['31 d2 b8 01000000 31 c9 f7 f1', 'ba 01000000 31 c0 b9 01000000 f7 f1']) {
      const m = machine(32);
      m.cpu.intercepts.exceptionBitmap = 1 << 0;
      const stop = m.run(code);
      expect(stop?.kind).toBe('monitor-error');
      expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 0 });
      expect(m.cpu.ip).toBe(CODE + code.replace(/ /g, '').length / 2 - 2);
    }
  });
  it('idiv overflow: INT_MIN / -1 raises #DE', () => {
    const m = machine(32);
    m.cpu.intercepts.exceptionBitmap = 1 << 0;
    m.run('b8 00000080 99 b9 ffffffff f7 f9');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 0 });
  });
  it('64-bit mul and div', () => {
    const m = machine(64);
    m.run('48 c7 c0 ffffffff 48 c7 c1 ffffffff 48 f7 e1'); // mul rcx: (2^64-1)^2
    expect(m.cpu.readGpr(2)).toBe(0xfffffffffffffffen);
    expect(m.cpu.readGpr(0)).toBe(1n);
    // rdx:rax / rcx = 2^64-1 rem 0
    m.run('48 f7 f1');
    expect(m.cpu.readGpr(0)).toBe(0xffffffffffffffffn);
    expect(m.cpu.readGpr(2)).toBe(0n);
  });
});
