import { describe, expect, it } from 'vitest';
import { withinLimit } from '../../../src/runtime/cpu/segments.ts';
import { Seg, SegmentCache } from '../../../src/runtime/cpu/state.ts';
import { CODE, gate, GDT, HANDLER, Sel, segDesc, SysMachine } from './harness.ts';

const le16 = (v: number): string => (v & 0xff).toString(16).padStart(2, '0') + ((v >> 8) & 0xff).toString(16).padStart(2, '0');
/** mov ax,sel ; mov <sreg>,ax  (sreg encoding: ds d8, ss d0, es c0, fs e0, gs e8) */
const movSreg = (sel: number, modrm = 'd8'): string => `66b8${le16(sel)} 8e${modrm}`;

/** Protected mode, CPL `cpl`, with handlers for #GP/#NP/#SS that halt with the vector in EAX. */
function machine(cpl: 0 | 3 = 0): SysMachine {
  const m = new SysMachine();
  m.protected32(CODE, cpl);
  for (const v of [11, 12, 13]) {
    m.idtGate(v, gate(Sel.CODE32, HANDLER + v * 16, 0xe, 0));
    m.code(HANDLER + v * 16, `b8${le16(v)}0000 f4`);
  }
  return m;
}

/** Run until the handler halts; returns [vector, error code]. */
function fault(m: SysMachine): [number, number] {
  expect(m.run()).toEqual({ kind: 'halted' });
  const errAt = m.cpu.lo[4]!;
  return [m.cpu.lo[0]!, m.r32(errAt)];
}

describe('segment register loads (protected mode)', () => {
  it('a data segment load fills the cache and sets the accessed bit', () => {
    const m = machine();
    m.gdtEntry(15, segDesc(0x12000, 0x0fff, 0x2, { db: true })); // RW data, not accessed
    m.code(CODE, movSreg(0x78) + ' f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    const ds = m.cpu.seg[Seg.DS]!;
    expect([ds.selector, ds.base, ds.limit, ds.type]).toEqual([0x78, 0x12000, 0xfff, 0x3]);
    expect((m.r32(GDT + 15 * 8 + 4) >>> 8) & 1).toBe(1);
  });

  it('a null selector makes DS unusable: loading is fine, using it is #GP(0)', () => {
    const m = machine();
    m.code(CODE, movSreg(0) + ' a100000000'); // mov ds,0 ; mov eax,[0]
    expect(fault(m)).toEqual([13, 0]);
    expect(m.cpu.seg[Seg.DS]!.usable).toBe(false);
  });

  it('SS: null is #GP(0), RPL/DPL mismatch is #GP(sel), not present is #SS(sel)', () => {
    const a = machine();
    a.code(CODE, movSreg(0, 'd0'));
    expect(fault(a)).toEqual([13, 0]);
    const b = machine();
    b.code(CODE, movSreg(Sel.DATA32_U, 'd0'));
    expect(fault(b)).toEqual([13, Sel.DATA32_U & 0xfffc]);
    const c = machine();
    c.gdtEntry(15, segDesc(0, 0xfffff, 0x2, { db: true, g: true, p: false }));
    c.code(CODE, movSreg(0x78, 'd0'));
    expect(fault(c)).toEqual([12, 0x78]);
  });

  it('DS: DPL-0 data at CPL 3 and execute-only code are #GP(sel), not present is #NP(sel)', () => {
    const a = machine(3);
    a.code(CODE, movSreg(Sel.DATA32 | 3));
    expect(fault(a)).toEqual([13, Sel.DATA32]);
    const b = machine();
    b.gdtEntry(15, segDesc(0, 0xfffff, 0x8, { db: true, g: true })); // execute-only code
    b.code(CODE, movSreg(0x78));
    expect(fault(b)).toEqual([13, 0x78]);
    const c = machine();
    c.gdtEntry(15, segDesc(0, 0xfffff, 0x2, { db: true, g: true, p: false }));
    c.code(CODE, movSreg(0x78));
    expect(fault(c)).toEqual([11, 0x78]);
    const d = machine();
    d.code(CODE, movSreg(0x1000)); // beyond the GDT limit
    expect(fault(d)).toEqual([13, 0x1000]);
  });

  it('readable conforming code can be loaded into DS at any CPL', () => {
    const m = machine(3);
    m.code(CODE, movSreg(Sel.CODE32_C | 3) + ' 90');
    expect(m.run(3)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.seg[Seg.DS]!.selector).toBe(Sel.CODE32_C | 3);
  });

  it('limit checks: a read beyond a byte-granular limit is #GP(0), through SS it is #SS(0)', () => {
    const m = machine();
    m.gdtEntry(15, segDesc(0x12000, 0x0fff, 0x2, { db: true }));
    m.code(CODE, movSreg(0x78) + ' a1fe0f0000'); // mov eax,[0xffe] (4 bytes cross the limit)
    expect(fault(m)).toEqual([13, 0]);
  });

  it('expand-down limits: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF', () => {
    const c = new SegmentCache();
    c.type = 0x6; // RW expand-down
    c.limit = 0x0fff;
    c.db = false;
    expect(withinLimit(c, 0x0fff, 1)).toBe(false);
    expect(withinLimit(c, 0x1000, 4)).toBe(true);
    expect(withinLimit(c, 0xfffe, 2)).toBe(true);
    expect(withinLimit(c, 0xffff, 2)).toBe(false);
    c.db = true;
    expect(withinLimit(c, 0xffff, 2)).toBe(true);
    c.type = 0x2;
    expect(withinLimit(c, 0x0ffe, 2)).toBe(true);
    expect(withinLimit(c, 0x0fff, 2)).toBe(false);
  });

  it('64-bit mode: a null SS is allowed at CPL 0', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.code(CODE, '31c0 8ed0 90'); // xor eax,eax ; mov ss,ax ; nop
    expect(m.run(3)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(0);
    expect(m.cpu.seg[Seg.SS]!.usable).toBe(false);
  });
});

describe('descriptor-table instructions', () => {
  it('LGDT/LIDT load and SGDT/SIDT store the pseudo-descriptors (32-bit)', () => {
    const m = machine();
    m.w16(0x5000, 0x1234);
    m.w32(0x5002, 0x00abcdef);
    // lgdt [0x5000] ; sgdt [0x5010] ; sidt [0x5020] ; hlt
    m.code(CODE, '0f011500500000 0f010510500000 0f010d20500000 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.gdtr).toEqual({ base: 0xabcdef, limit: 0x1234 });
    expect(m.r16(0x5010)).toBe(0x1234);
    expect(m.r32(0x5012)).toBe(0xabcdef);
    expect(m.r16(0x5020)).toBe(0x7ff);
    expect(m.r32(0x5022)).toBe(0x2000);
  });

  it('LGDT at CPL 3 is #GP(0); SGDT at CPL 3 is allowed unless CR4.UMIP', () => {
    const a = machine(3);
    a.code(CODE, '0f011500500000');
    expect(fault(a)).toEqual([13, 0]);
    const b = machine(3);
    b.code(CODE, '0f010510500000 90');
    expect(b.run(2)).toEqual({ kind: 'max-insns' });
    expect(b.r32(0x5012)).toBe(GDT);
    const c = machine(3);
    c.cpu.setControl({ cr4: 1n << 11n });
    c.code(CODE, '0f010510500000');
    expect(fault(c)).toEqual([13, 0]);
  });

  it('LTR loads TR and marks the TSS busy; LTR of a busy TSS is #GP(sel); STR stores the selector', () => {
    const m = machine();
    m.gdtEntry(15, segDesc(0x4000, 0x67, 0x9, { s: false }));
    // mov ax,0x78 ; ltr ax ; str ebx ; ltr ax
    m.code(CODE, '66b87800 0f00d8 0f00cb 0f00d8');
    expect(fault(m)).toEqual([13, 0x78]);
    expect(m.cpu.seg[Seg.TR]!.selector).toBe(0x78);
    expect(m.cpu.seg[Seg.TR]!.base).toBe(0x4000);
    expect((m.r32(GDT + 15 * 8 + 4) >>> 8) & 0xf).toBe(0xb);
    expect(m.cpu.lo[3]).toBe(0x78);
  });

  it('LLDT loads a 16-byte LDT descriptor in IA-32e mode; LDT selectors then resolve through it', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.gdtEntry(13, segDesc(0x4000, 0xff, 0x2, { s: false })); // LDT at 0x4000
    m.gdtEntry(14, [0, 0]); // upper half: base 63:32 = 0, type 0
    m.cpu.gdtr.limit = 16 * 8 - 1;
    m.w32(0x4008, segDesc(0x3000, 0xfffff, 0x3, { g: true, db: true })[0]);
    m.w32(0x400c, segDesc(0x3000, 0xfffff, 0x3, { g: true, db: true })[1]);
    // mov ax,0x68 ; lldt ax ; mov ax,0x0c (LDT entry 1) ; mov fs,ax ; nop
    m.code(CODE, '66b86800 0f00d0 66b80c00 8ee0 90');
    expect(m.run(5)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.seg[Seg.LDTR]!.base).toBe(0x4000);
    expect(m.cpu.seg[Seg.FS]!.base).toBe(0x3000);
  });

  it('LLDT in real mode is #UD', () => {
    const m = new SysMachine();
    m.real(0x7c00);
    m.w16(6 * 4, 0x0200);
    m.code(0x0200, 'f4');
    m.code(0x7c00, '0f00d0');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.r16(0x7000 - 6)).toBe(0x7c00);
  });
});

describe('port I/O', () => {
  it('OUT, REP OUTSB and IN exit once per element; string output reaches the device', () => {
    const m = machine();
    m.w8(0x5000, 0x42);
    m.w8(0x5001, 0x43);
    m.w8(0x5002, 0x44);
    m.cpu.lo[0] = 0x1234_5600;
    // mov dx,0xe9 ; mov al,0x41 ; out dx,al ; mov esi,0x5000 ; mov ecx,3 ; rep outsb ; in al,0x80 ; hlt
    m.code(CODE, '66bae900 b041 ee be00500000 b903000000 f36e e480 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.monitor.output.text()).toBe('ABCD');
    const io = m.monitor.exits.filter((e) => e.reason === 'io');
    expect(io.map((e) => e.reason === 'io' && [e.port, e.size, e.direction])).toEqual([
      [0xe9, 1, 'out'],
      [0xe9, 1, 'out'],
      [0xe9, 1, 'out'],
      [0xe9, 1, 'out'],
      [0x80, 1, 'in'],
    ]);
    expect(m.cpu.lo[1]).toBe(0);
    expect(m.cpu.lo[6]).toBe(0x5003);
    expect(m.cpu.lo[0]).toBe(0x1234_56ff); // unclaimed port reads all ones into AL only
  });

  it('REP INSB stores each element at ES:EDI', () => {
    const m = machine();
    // mov dx,0x3fd ; mov edi,0x6000 ; mov ecx,2 ; cld ; rep insb ; hlt
    m.code(CODE, '66bafd03 bf00600000 b902000000 fc f36c f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect([m.r16(0x6000) & 0xff, m.r16(0x6001) & 0xff]).toEqual([0x60, 0x60]); // 16550 LSR: idle
    expect(m.cpu.lo[7]).toBe(0x6002);
  });

  it('IN/OUT at CPL 3 with IOPL 0 are #GP(0); with IOPL 3 they exit', () => {
    const a = machine(3);
    a.code(CODE, 'e6e9'); // out 0xe9,al
    expect(fault(a)).toEqual([13, 0]);
    const b = machine(3);
    b.cpu.setFlags(0x3002);
    b.cpu.lo[0] = 0x5a;
    b.code(CODE, 'e6e9 90');
    expect(b.run(2)).toEqual({ kind: 'max-insns' });
    expect(b.monitor.output.text()).toBe('Z');
  });
});


