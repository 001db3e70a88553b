import { describe, expect, it } from 'vitest';
import { CODE, Sel, SysMachine } from './harness.ts';

const ZF = 0x40;

describe('LAR, LSL, VERR, VERW, ARPL', () => {
  it('report access rights and limits in ZF without faulting', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    // mov ecx,0x10 ; lar eax,ecx ; lsl ebx,ecx ; verw cx ; mov edx,0x08 ; verw dx ; mov esi,0x1000 ; lar edi,esi
    m.code(CODE, 'b910000000 0f02c1 0f03d9 0f00e9 ba08000000 0f00ea be00100000 0f02fe 90');
    m.run(2);
    expect(m.cpu.getFlags() & ZF).toBe(ZF);
    expect(m.cpu.lo[0]).toBe(0x00c0_9200); // G, D/B, P, DPL 0, S, type 2 (limit 19:16 masked out)
    m.run(1);
    expect(m.cpu.lo[3]).toBe(0xffff_ffff);
    m.run(1);
    expect(m.cpu.getFlags() & ZF).toBe(ZF); // data segment: writable
    m.run(2);
    expect(m.cpu.getFlags() & ZF).toBe(0); // code segment: not writable
    m.cpu.setFlags(m.cpu.getFlags() | ZF);
    m.run(2);
    expect(m.cpu.getFlags() & ZF).toBe(0); // beyond the GDT
  });

  it('a DPL-0 segment is invisible at CPL 3; a conforming one is visible', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.cpu.lo[1] = Sel.DATA32;
    m.cpu.lo[2] = Sel.CODE32_C;
    m.code(CODE, '0f02c1 90'); // lar eax,ecx
    m.run(1);
    expect(m.cpu.getFlags() & ZF).toBe(0);
    m.code(CODE, '0f02c2 90'); // lar eax,edx
    m.cpu.ip = CODE;
    m.run(1);
    expect(m.cpu.getFlags() & ZF).toBe(ZF);
    expect(m.cpu.lo[0]! & 0xff00).toBe(0x9e00);
  });

  it('ARPL raises the destination RPL to the source RPL', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.code(CODE, '66b81000 66b92300 63c8 90'); // mov ax,0x10 ; mov cx,0x23 ; arpl ax,cx
    m.run(3);
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x13);
    expect(m.cpu.getFlags() & ZF).toBe(ZF);
  });
});
