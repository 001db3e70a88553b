import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, machine } from './harness.ts';

describe('16-bit code', () => {
  it('operand-size prefix gives 32-bit registers in real mode', () => {
    const m = machine(16);
    // mov eax,0x12345678 ; add eax,eax ; mov bx,ax
    m.run('66 b8 78563412 66 01 c0 89 c3');
    expect(m.cpu.lo[0]).toBe(0x2468acf0);
    expect(m.cpu.lo[3]! & 0xffff).toBe(0xacf0);
  });
  it('address-size prefix gives 32-bit addressing; offsets above 0xffff fault against a 64 KiB limit', () => {
    const m = machine(16);
    m.mem.write8(0x1234, 0x5a);
    // mov ebx,0x1234 ; mov al,[ebx] (67 8a 03)
    m.run('66 bb 34120000 67 8a 03');
    expect(m.cpu.lo[0]! & 0xff).toBe(0x5a);
    const m2 = machine(16);
    m2.cpu.intercepts.exceptionBitmap = 1 << 13;
    m2.run('66 bb 00000100 67 8a 03'); // ebx=0x10000
    expect(m2.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13 });
  });
  it('"unreal" mode: a cached 4 GiB limit allows 32-bit offsets in real mode', () => {
    const m = machine(16);
    m.cpu.seg[Seg.DS]!.limit = 0xffffffff;
    m.mem.write8(0x20000, 0x77);
    m.run('66 bb 00000200 67 8a 03');
    expect(m.cpu.lo[0]! & 0xff).toBe(0x77);
  });
  it('loop and jcxz count with CX; near jumps wrap IP at 64 KiB', () => {
    const m = machine(16);
    // mov ecx,0x10003 ; L: loop L  -> CX counts 3 -> 0, upper ECX half untouched
    m.run('66 b9 03000100 e2 fe');
    expect(m.cpu.lo[1]).toBe(0x10000);
    // jcxz taken
    m.run('31 c9 e3 01 f4 90');
    expect(m.cpu.ip).toBe(CODE + 6);
    // jmp from 0xfffe forward by 4 wraps to 0x0002
    const w = machine(16);
    w.mem.loadBytes(0xfffe, new Uint8Array([0xeb, 0x02]));
    w.cpu.ip = 0xfffe;
    w.cpu.run(1);
    expect(w.cpu.ip).toBe(0x0002);
  });
  it('segment arithmetic: linear = selector * 16 + offset', () => {
    const m = machine(16);
    m.cpu.seg[Seg.ES]!.loadReal(0xb800);
    // mov di,0x10 ; mov ax,0x0741 ; stosw
    m.run('bf 1000 b8 4107 ab');
    expect(m.mem.read16(0xb8010)).toBe(0x0741);
    expect(m.cpu.lo[7]! & 0xffff).toBe(0x12);
  });
  it('code runs at CS base + IP', () => {
    const m = machine(16);
    m.cpu.seg[Seg.CS]!.loadReal(0x0700);
    m.mem.loadBytes(0x7c00, new Uint8Array([0xb8, 0x34, 0x12])); // 0700:0C00 mov ax,0x1234
    m.cpu.ip = 0x0c00;
    m.cpu.run(1);
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x1234);
    expect(m.cpu.ip).toBe(0x0c03);
  });
  it('16-bit pushf/popf move only the low 16 bits', () => {
    const m = machine(16);
    m.cpu.setFlags(0x00040002); // AC set (bit 18)
    // push 0x0ed5 (all status bits, DF) ; popf ; pushf ; pop ax
    m.run('68 d50e 9d 9c 58');
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x0ed7 & ~0x100);
    expect(m.cpu.getFlags() & 0x40000).toBe(0x40000);
  });
});
