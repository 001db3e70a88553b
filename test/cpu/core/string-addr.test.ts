import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, F, machine, status } from './harness.ts';

function putStr(mem: { write8(pa: number, v: number): void }, pa: number, s: string): void {
  for (let i = 0; i < s.length; i++) mem.write8(pa + i, s.charCodeAt(i));
}

describe('string instructions', () => {
  it('rep movsb copies forward', () => {
    const m = machine(32);
    putStr(m.mem, 0x3000, 'hello');
    m.run('be 00300000 bf 00400000 b9 05000000 fc f3 a4');
    expect([0, 1, 2, 3, 4].map((i) => String.fromCharCode(m.mem.read8(0x4000 + i))).join('')).toBe('hello');
    expect(m.cpu.lo[1]).toBe(0);
    expect(m.cpu.lo[6]).toBe(0x3005);
    expect(m.cpu.lo[7]).toBe(0x4005);
  });
  it('rep stosd backwards with DF=1', () => {
    const m = machine(32);
    m.run('bf 10400000 b8 44332211 b9 03000000 fd f3 ab');
    expect(m.mem.read32(0x4010)).toBe(0x11223344);
    expect(m.mem.read32(0x400c)).toBe(0x11223344);
    expect(m.mem.read32(0x4008)).toBe(0x11223344);
    expect(m.mem.read32(0x4004)).toBe(0);
    expect(m.cpu.lo[7]).toBe(0x4004);
  });
  it('repne scasb finds the terminator', () => {
    const m = machine(32);
    putStr(m.mem, 0x3000, 'hello\0');
    m.run('31 c0 bf 00300000 b9 ffffffff fc f2 ae');
    expect(m.cpu.lo[7]).toBe(0x3006);
    expect(m.cpu.lo[1]).toBe(0xfffffff9);
    expect(status(m.cpu) & F.ZF).toBe(F.ZF);
  });
  it('repe cmpsb stops at the first difference', () => {
    const m = machine(32);
    putStr(m.mem, 0x3000, 'hello');
    putStr(m.mem, 0x4000, 'help!');
    m.run('be 00300000 bf 00400000 b9 05000000 fc f3 a6');
    expect(m.cpu.lo[1]).toBe(1);
    expect(m.cpu.lo[6]).toBe(0x3004);
    // 'l' - 'p' = 0xfc: borrow, negative, even parity, no nibble borrow
    expect(status(m.cpu)).toBe(F.CF | F.SF | F.PF);
  });
  it('rep with count 0 does nothing; lodsw loads', () => {
    const m = machine(32);
    m.mem.write16(0x3000, 0xbeef);
    m.run('31 c9 bf 00400000 f3 aa be 00300000 66 ad');
    expect(m.cpu.lo[7]).toBe(0x4000);
    expect(m.cpu.lo[0]! & 0xffff).toBe(0xbeef);
    expect(m.cpu.lo[6]).toBe(0x3002);
  });
  it('16-bit rep movsw with segment override on the source, ES destination', () => {
    const m = machine(16);
    m.cpu.seg[Seg.FS]!.loadReal(0x300);
    m.cpu.seg[Seg.ES]!.loadReal(0x400);
    m.mem.write16(0x3010, 0x1234);
    m.mem.write16(0x3012, 0x5678);
    // mov si,0x10 ; mov di,0x20 ; mov cx,2 ; cld ; rep movsw fs:
    m.run('be 1000 bf 2000 b9 0200 fc 64 f3 a5');
    expect(m.mem.read32(0x4020)).toBe(0x56781234);
    expect(m.cpu.lo[1]! & 0xffff).toBe(0);
  });
  it('64-bit rep stosq', () => {
    const m = machine(64);
    // mov rdi,0x5000 ; mov rax,-1 ; mov ecx,2 ; rep stosq
    m.run('48 c7 c7 00500000 48 c7 c0 ffffffff b9 02000000 f3 48 ab');
    expect(m.mem.read64(0x5000)).toBe(0xffffffffffffffffn);
    expect(m.mem.read64(0x5008)).toBe(0xffffffffffffffffn);
    expect(m.cpu.readGpr(7)).toBe(0x5010n);
  });
});

describe('addressing', () => {
  it('16-bit [bx+si+disp8] uses DS; [bp+disp] uses SS; ES override', () => {
    const m = machine(16);
    m.cpu.seg[Seg.DS]!.loadReal(0x200);
    m.cpu.seg[Seg.SS]!.loadReal(0x300);
    m.cpu.seg[Seg.ES]!.loadReal(0x400);
    // mov bx,0x100 ; mov si,0x20 ; mov byte [bx+si+5],0x42 ; mov bp,0x10 ; mov byte [bp+2],0x55 ; mov byte es:[bx],0x77
    m.run('bb 0001 be 2000 c6 40 05 42 bd 1000 c6 46 02 55 26 c6 07 77');
    expect(m.mem.read8(0x2125)).toBe(0x42);
    expect(m.mem.read8(0x3012)).toBe(0x55);
    expect(m.mem.read8(0x4100)).toBe(0x77);
  });
  it('16-bit offsets wrap at 64 KiB', () => {
    const m = machine(16);
    m.cpu.seg[Seg.DS]!.loadReal(0x200);
    m.run('bb ffff c6 47 02 99'); // mov bx,0xffff ; mov byte [bx+2],0x99 -> offset 1
    expect(m.mem.read8(0x2001)).toBe(0x99);
  });
  it('32-bit SIB with scale and a negative displacement', () => {
    const m = machine(32);
    m.mem.write32(0x2008 + 4 * 3 - 8, 0xcafe);
    // mov ebx,0x2008 ; mov ecx,3 ; mov eax,[ebx+ecx*4-8]
    m.run('bb 08200000 b9 03000000 8b 44 8b f8');
    expect(m.cpu.lo[0]).toBe(0xcafe);
  });
  it('address-size override in 32-bit code uses 16-bit addressing', () => {
    const m = machine(32);
    m.mem.write8(0x0105, 0xab);
    // mov ebx,0x10100 ; mov al,[bx+5] (67 8a 47 05)
    m.run('bb 00010100 67 8a 47 05');
    expect(m.cpu.lo[0]! & 0xff).toBe(0xab);
  });
  it('RIP-relative addressing and lea in 64-bit mode', () => {
    const m = machine(64);
    m.mem.write32(CODE + 7 + 6 + 0x20, 0x600d);
    // lea rax,[rip+0x10] (7 bytes) ; mov ebx,[rip+0x20] (6 bytes)
    m.run('48 8d 05 10000000 8b 1d 20000000');
    expect(m.cpu.readGpr(0)).toBe(BigInt(CODE + 7 + 0x10));
    expect(m.cpu.readGpr(3)).toBe(0x600dn);
  });
  it('64-bit lea wraps modulo 2^64 exactly', () => {
    const m = machine(64);
    // mov rax,0x7fffffffffffffff ; lea rbx,[rax+rax*1+2] -> 0
    m.run('48 b8 ffffffffffffff7f 48 8d 5c 00 02');
    expect(m.cpu.readGpr(3)).toBe(0n);
  });
  it('segment limit violation raises #GP(0) in protected mode', () => {
    const m = machine(32);
    m.cpu.seg[Seg.DS]!.limit = 0xfff;
    m.cpu.intercepts.exceptionBitmap = 1 << 13;
    m.run('a1 fe0f0000'); // mov eax,[0xffe] crosses the limit
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13, errorCode: 0 });
  });
  it('non-canonical address raises #GP(0) in 64-bit mode', () => {
    const m = machine(64);
    m.cpu.intercepts.exceptionBitmap = 1 << 13;
    m.run('48 b8 0000000000800000 8b 00'); // mov rax,0x0000800000000000 ; mov eax,[rax]
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13 });
  });
});
