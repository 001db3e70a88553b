import { describe, expect, it } from 'vitest';
import { GuestFault } from '../../../src/runtime/cpu/fault.ts';
import { deliverException } from '../../../src/runtime/cpu/interrupts.ts';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, gate, HANDLER, Sel, STACK0, STACK3, SysMachine, TSS } from './harness.ts';

const INT_GATE32 = 0xe;
const TRAP_GATE32 = 0xf;

describe('protected mode: IDT delivery', () => {
  it('INT 0x80 from CPL 3 switches to the TSS stack, pushes SS/ESP/EFLAGS/CS/EIP; IRET returns to CPL 3', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.idtGate(0x80, gate(Sel.CODE32, HANDLER, INT_GATE32, 3));
    m.idtGate(0x81, gate(Sel.CODE32, HANDLER + 0x100, INT_GATE32, 3));
    m.code(CODE, 'b801000000 cd80 bb02000000 cd81'); // mov eax,1 ; int 0x80 ; mov ebx,2 ; int 0x81
    m.code(HANDLER, '89e1 f4 cf'); // mov ecx,esp ; hlt ; iret
    m.code(HANDLER + 0x100, 'f4'); // hlt
    m.cpu.setFlags(0x202);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.seg[Seg.SS]!.selector).toBe(Sel.DATA32);
    expect(m.cpu.lo[1]).toBe(STACK0 - 20);
    expect(m.r32(STACK0 - 20)).toBe(CODE + 7); // EIP after INT
    expect(m.r32(STACK0 - 16)).toBe(Sel.CODE32_U);
    expect(m.r32(STACK0 - 12)).toBe(0x202);
    expect(m.r32(STACK0 - 8)).toBe(STACK3);
    expect(m.r32(STACK0 - 4)).toBe(Sel.DATA32_U);
    expect(m.cpu.getFlags() & 0x200).toBe(0); // interrupt gate clears IF
    expect(m.run()).toEqual({ kind: 'halted' });
    // Back at CPL 3, then INT 0x81 again to CPL 0.
    expect(m.cpu.lo[3]).toBe(2);
    expect(m.r32(STACK0 - 20)).toBe(CODE + 14);
    expect(m.r32(STACK0 - 16)).toBe(Sel.CODE32_U);
    expect(m.r32(STACK0 - 8)).toBe(STACK3);
  });

  it('a fault at CPL 3 pushes an error code (#GP(0) for HLT) and the faulting EIP', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.idtGate(13, gate(Sel.CODE32, HANDLER, TRAP_GATE32, 0));
    m.code(CODE, '90 f4'); // nop ; hlt (privileged)
    m.code(HANDLER, 'f4');
    m.cpu.setFlags(0x202);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[4]).toBe(STACK0 - 24);
    expect(m.r32(STACK0 - 24)).toBe(0); // error code
    expect(m.r32(STACK0 - 20)).toBe(CODE + 1);
    expect(m.r32(STACK0 - 16)).toBe(Sel.CODE32_U);
    expect(m.cpu.getFlags() & 0x200).toBe(0x200); // trap gate keeps IF
  });

  it('INT n through a DPL-0 gate from CPL 3 raises #GP(vector*8+2)', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.idtGate(0x40, gate(Sel.CODE32, HANDLER + 0x100, INT_GATE32, 0));
    m.idtGate(13, gate(Sel.CODE32, HANDLER, INT_GATE32, 0));
    m.code(CODE, 'cd40');
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.r32(STACK0 - 24)).toBe(0x40 * 8 + 2);
    expect(m.r32(STACK0 - 20)).toBe(CODE); // fault: EIP of the INT
  });

  it('same-privilege delivery uses the current stack', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.cpu.lo[4] = 0x7000;
    m.idtGate(3, gate(Sel.CODE32, HANDLER, INT_GATE32, 3));
    m.code(CODE, 'cc'); // int3
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[4]).toBe(0x7000 - 12);
    expect(m.r32(0x7000 - 12)).toBe(CODE + 1); // INT3 is a trap: next instruction
    expect(m.r32(0x7000 - 8)).toBe(Sel.CODE32);
  });

  it('a not-present gate for a hardware exception gives #NP with IDT and EXT bits', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.idtGate(6, gate(Sel.CODE32, HANDLER + 0x100, INT_GATE32, 0, { p: false }));
    m.idtGate(11, gate(Sel.CODE32, HANDLER, INT_GATE32, 0));
    m.code(CODE, '0f0b'); // ud2
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.r32(STACK0 - 16)).toBe(6 * 8 + 2 + 1); // #NP error code: vector 6, IDT, EXT
    expect(m.r32(STACK0 - 12)).toBe(CODE);
  });

  it('#GP while delivering #GP becomes #DF(0); a fault while delivering #DF is a triple fault', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.idtGate(13, gate(0x0, HANDLER, INT_GATE32, 0)); // null selector -> #GP(EXT)
    m.idtGate(8, gate(Sel.CODE32, HANDLER, INT_GATE32, 0));
    m.code(CODE, '66b8f80f 0f00d0'); // mov ax,0x0ff8 ; lldt ax -> #GP(0xff8): beyond the GDT limit
    m.code(HANDLER, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[4]).toBe(STACK0 - 16);
    expect(m.r32(STACK0 - 16)).toBe(0); // #DF error code
    expect(m.r32(STACK0 - 12)).toBe(CODE + 4); // the faulting MOV DS
    // Now make the #DF gate bad too: triple fault with the chain in the report.
    const t = new SysMachine();
    t.protected32(CODE, 0);
    t.idtGate(13, gate(0x0, HANDLER, INT_GATE32, 0));
    t.idtGate(8, gate(Sel.CODE32, HANDLER, INT_GATE32, 0, { p: false }));
    t.code(CODE, '66b8f80f 0f00d0');
    const stop = t.run();
    expect(stop?.kind).toBe('triple-fault');
    if (stop?.kind === 'triple-fault') {
      expect(stop.detail).toContain('#GP(0xff8) -> #GP(0x1) -> #DF(0x0) -> #NP(0x43)');
      expect(stop.detail).toContain('mode=protected32');
      expect(stop.detail).toContain('CR0=00000011');
      expect(stop.detail).toContain('CR3=00000000');
      expect(stop.detail).toContain('CR4=00000000');
    }
  });

  it('#PF delivery writes CR2 and pushes the page-fault error code', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.idtGate(14, gate(Sel.CODE32, HANDLER, INT_GATE32, 0));
    deliverException(m.cpu, new GuestFault(14, 0x6, 0xdead_b000));
    expect(m.cpu.cr2).toBe(0xdead_b000n);
    expect(m.cpu.ip).toBe(HANDLER);
    expect(m.r32(STACK0 - 16)).toBe(6);
    expect(m.r32(STACK0 - 12)).toBe(CODE);
  });

  it('delivery from virtual-8086 mode pushes GS/FS/DS/ES and nulls them', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.idtGate(13, gate(Sel.CODE32, HANDLER, INT_GATE32, 0));
    m.code(HANDLER, 'f4');
    // Enter v86 with IRETD from CPL 0: frame EIP, CS, EFLAGS(VM), ESP, SS, ES, DS, FS, GS.
    const frame = [0x0100, 0x2000, 0x20002, 0x0ffe, 0x3000, 0x1111, 0x2222, 0x3333, 0x4444];
    frame.forEach((v, i) => m.w32(0x7000 + 4 * i, v));
    m.cpu.lo[4] = 0x7000;
    m.code(CODE, 'cf'); // iretd
    m.code(0x20100, 'fa'); // cli: IOPL 0 in v86 -> #GP(0)
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.r32(STACK0 - 40)).toBe(0); // error code
    expect(m.r32(STACK0 - 36)).toBe(0x0100); // EIP of CLI
    expect(m.r32(STACK0 - 32)).toBe(0x2000); // CS
    expect(m.r32(STACK0 - 28) & 0x20000).toBe(0x20000); // EFLAGS.VM
    expect(m.r32(STACK0 - 24)).toBe(0x0ffe); // ESP
    expect(m.r32(STACK0 - 20)).toBe(0x3000); // SS
    expect([m.r32(STACK0 - 16), m.r32(STACK0 - 12), m.r32(STACK0 - 8), m.r32(STACK0 - 4)]).toEqual([0x1111, 0x2222, 0x3333, 0x4444]);
    expect(m.cpu.seg[Seg.DS]!.usable).toBe(false);
    expect(m.cpu.getFlags() & 0x20000).toBe(0);
    expect(m.cpu.mode).toBe('protected32');
  });

  it('the TSS stack selector is checked: a bad SS0 raises #TS(SS0) with EXT', () => {
    const m = new SysMachine();
    m.protected32(CODE, 3);
    m.w32(TSS + 8, Sel.DATA32_U); // SS0 with RPL 3
    m.idtGate(13, gate(Sel.CODE32, HANDLER + 0x100, INT_GATE32, 0));
    m.idtGate(10, gate(Sel.CODE32, HANDLER, INT_GATE32, 0));
    m.code(CODE, 'f4'); // hlt at CPL 3 -> #GP -> delivery needs SS0 -> #TS
    m.code(HANDLER, 'f4');
    const stop = m.run();
    // #GP then #TS (both contributory) -> #DF; no #DF gate -> #GP -> triple fault.
    expect(stop?.kind).toBe('triple-fault');
    if (stop?.kind === 'triple-fault') expect(stop.detail).toContain(`#GP(0x0) -> #TS(0x${(Sel.DATA32_U & 0xfffc | 1).toString(16)}) -> #DF(0x0)`);
  });
});

describe('16-bit gates and frames', () => {
  it('a 16-bit interrupt gate pushes word-sized FLAGS/CS/IP; IRETW returns', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    m.cpu.lo[4] = 0x7000;
    // 16-bit interrupt gate (type 6) to a 16-bit code segment at base 0 (entry 10, 0x50)
    m.idtGate(0x22, gate(Sel.CODE16, 0x0200, 0x6, 0));
    m.code(CODE, 'cd22 90'); // int 0x22 ; nop
    m.code(0x0200, 'f4 cf'); // (16-bit code) hlt ; iret
    m.cpu.setFlags(0x246);
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.mode).toBe('protected16');
    expect(m.cpu.lo[4]).toBe(0x7000 - 6);
    expect(m.r16(0x7000 - 6)).toBe((CODE + 2) & 0xffff); // IP, truncated to 16 bits
    expect(m.r16(0x7000 - 4)).toBe(Sel.CODE32);
    expect(m.r16(0x7000 - 2)).toBe(0x246);
    expect(m.cpu.getFlags() & 0x200).toBe(0);
  });
});
