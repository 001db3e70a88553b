import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, HANDLER, IST1, Sel, STACK0, STACK3, SysMachine } from './harness.ts';

const INT_GATE = 0xe;

function q(m: SysMachine, pa: number): number {
  return Number(m.r64(pa));
}

describe('IA-32e mode: 64-bit IDT delivery and IRETQ', () => {
  it('INT 0x80 from CPL 3: RSP0 from the TSS, SS := null, five-qword frame; IRETQ returns', () => {
    const m = new SysMachine();
    m.long64(CODE, 3);
    m.idtGate64(0x80, Sel.CODE64, HANDLER, INT_GATE, 3);
    m.idtGate64(0x81, Sel.CODE64, HANDLER + 0x100, INT_GATE, 3);
    m.code(CODE, 'b801000000 cd80 bb02000000 cd81'); // mov eax,1 ; int 0x80 ; mov ebx,2 ; int 0x81
    m.code(HANDLER, '4889e1 f4 48cf'); // mov rcx,rsp ; hlt ; iretq
    m.code(HANDLER + 0x100, 'f4');
    m.cpu.setFlags(0x202);
    expect(m.cpu.mode).toBe('long64');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(0);
    expect(m.cpu.seg[Seg.CS]!.selector).toBe(Sel.CODE64);
    expect(m.cpu.lo[1]).toBe(STACK0 - 40);
    expect(q(m, STACK0 - 40)).toBe(CODE + 7); // RIP
    expect(q(m, STACK0 - 32)).toBe(Sel.CODE64_U); // CS
    expect(q(m, STACK0 - 24)).toBe(0x202); // RFLAGS
    expect(q(m, STACK0 - 16)).toBe(STACK3); // RSP
    expect(q(m, STACK0 - 8)).toBe(Sel.DATA64_U); // SS
    expect(m.cpu.getFlags() & 0x200).toBe(0);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[3]).toBe(2); // ran at CPL 3 after IRETQ
    expect(q(m, STACK0 - 40)).toBe(CODE + 14);
    expect(q(m, STACK0 - 16)).toBe(STACK3);
  });

  it('IST: the gate selects IST1 from the TSS even without a privilege change', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.idtGate64(6, Sel.CODE64, HANDLER, INT_GATE, 0, 1);
    m.code(CODE, '0f0b'); // ud2
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[4]).toBe(IST1 - 40);
    expect(q(m, IST1 - 40)).toBe(CODE);
    expect(q(m, IST1 - 16)).toBe(STACK0);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(Sel.DATA64); // same CPL: SS unchanged
  });

  it('the frame is aligned down to 16 bytes, and #GP pushes a qword error code', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.cpu.lo[4] = 0x7008;
    m.idtGate64(13, Sel.CODE64, HANDLER, INT_GATE, 0);
    m.code(CODE, '66b8f80f 0f00d0'); // mov ax,0xff8 ; lldt ax -> #GP(0xff8)
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[4]).toBe(0x7000 - 48);
    expect(q(m, 0x7000 - 48)).toBe(0xff8);
    expect(q(m, 0x7000 - 40)).toBe(CODE + 4);
    expect(q(m, 0x7000 - 16)).toBe(0x7008); // old RSP
  });

  it('a 32-bit gate type in the 64-bit IDT is #GP(vector*8+2+EXT)', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.idtGate64(6, Sel.CODE64, HANDLER + 0x100, 0x6, 0); // 16-bit interrupt gate: invalid in IA-32e mode
    m.idtGate64(13, Sel.CODE64, HANDLER, INT_GATE, 0);
    m.code(CODE, '0f0b');
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(q(m, STACK0 - 48)).toBe(6 * 8 + 2 + 1);
  });

  it('compatibility mode: a far JMP to a 64-bit code segment enters 64-bit mode', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.load(Seg.CS, Sel.CODE32);
    expect(m.cpu.mode).toBe('compat32');
    m.code(CODE, 'ea00000200 3000'); // jmp 0x30:0x20000
    m.code(HANDLER, '4889e0 f4'); // mov rax,rsp ; hlt
    m.cpu.hi[4] = 0;
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.mode).toBe('long64');
    expect(m.cpu.lo[0]).toBe(STACK0);
  });

  it('SGDT with RIP- and EIP-relative (addr32) operands: the core effective address, EIP wrapped to 32 bits', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    // sgdt [a32 rel $-0x100] ; sgdt [rel $-0x200] ; hlt
    m.code(CODE, '670f0105f8feffff 0f0105f9fdffff f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.r16(CODE - 0x100)).toBe(m.cpu.gdtr.limit);
    expect(q(m, CODE - 0x100 + 2)).toBe(m.cpu.gdtr.base);
    expect(m.r16(CODE + 8 - 0x200)).toBe(m.cpu.gdtr.limit);
    expect(q(m, CODE + 8 - 0x200 + 2)).toBe(m.cpu.gdtr.base);
  });
});
