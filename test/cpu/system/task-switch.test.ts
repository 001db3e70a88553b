/**
 * Hardware task switching (SDM Vol. 3A §7.3, Table 7-1): JMP/CALL to a TSS or a task gate, IRET
 * with NT back through the link, INT n and exceptions through IDT task gates, 16-bit TSSes, busy
 * bits, the faults before the commit (old task) and after it (new task), CR3/CR0.TS through the
 * monitor's task-switch exit.
 */
import { describe, expect, it } from 'vitest';
import { Vec } from '../../../src/runtime/cpu/fault.ts';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import type { TaskSwitchExit } from '../../../src/runtime/vmm/exit.ts';
import { CODE, GDT, gate, HANDLER, segDesc, Sel, SysMachine, TSS } from './harness.ts';

const INT_GATE32 = 0xe;
const TASK_GATE = 0x5;
const TSS_B = 0x4000;
const TSS_16 = 0x4200;
const LDT = 0x4400;
const CODE_B = 0x30000;
const STACK_B = 0x7800;
/** Extra GDT entries (index 16 and up). */
const SEL_TSS_B = 0x80;
const SEL_GATE_B = 0x88;
const SEL_TSS_16 = 0x90;
const SEL_LDT = 0x98;
const SEL_CODE16 = Sel.CODE16;

interface TaskInit {
  eip: number;
  esp?: number;
  eflags?: number;
  cs?: number;
  ss?: number;
  ds?: number;
  cr3?: number;
  ldt?: number;
  eax?: number;
}

/** A machine in flat 32-bit protected mode at CPL 0 with task A's TSS busy in TR and task B's TSS at TSS_B. */
function machine(): SysMachine {
  const m = new SysMachine();
  m.protected32(CODE, 0);
  m.gdtEntry(5, segDesc(TSS, 0x67, 0xb, { s: false })); // task A, busy (as LTR leaves it)
  m.loadTr(Sel.TSS32);
  m.cpu.gdtr.limit = 32 * 8 - 1;
  m.gdtEntry(16, segDesc(TSS_B, 0x67, 0x9, { s: false }));
  m.gdtEntry(17, gate(SEL_TSS_B, 0, TASK_GATE, 0));
  m.gdtEntry(18, segDesc(TSS_16, 0x2b, 0x1, { s: false }));
  m.cpu.setFlags(0x2);
  tss32(m, TSS_B, { eip: CODE_B });
  return m;
}

function tss32(m: SysMachine, at: number, t: TaskInit): void {
  for (let i = 0; i < 0x68; i += 4) m.w32(at + i, 0);
  m.w32(at + 0x1c, t.cr3 ?? 0);
  m.w32(at + 0x20, t.eip);
  m.w32(at + 0x24, t.eflags ?? 0x2);
  m.w32(at + 0x28, t.eax ?? 0xb0b0_0000);
  m.w32(at + 0x38, t.esp ?? STACK_B);
  const ds = t.ds ?? Sel.DATA32;
  for (const [i, v] of [ds, t.cs ?? Sel.CODE32, t.ss ?? Sel.DATA32, ds, ds, ds].entries()) m.w32(at + 0x48 + 4 * i, v);
  m.w32(at + 0x60, t.ldt ?? 0);
}

const gdtType = (m: SysMachine, sel: number): number => (m.r32(GDT + (sel & ~7) + 4) >>> 8) & 0xf;
const taskExits = (m: SysMachine): TaskSwitchExit[] => m.monitor.exits.filter((e): e is TaskSwitchExit => e.reason === 'task-switch');

/** IDT gate for `vector` to a handler that halts. */
function haltOn(m: SysMachine, vector: number, at = HANDLER): void {
  m.idtGate(vector, gate(Sel.CODE32, at, INT_GATE32, 0));
  m.code(at, 'f4');
}

describe('task switch by JMP', () => {
  it('JMP to an available TSS: old state saved, new state loaded, busy bits moved, CR0.TS set, no link, NT clear', () => {
    const m = machine();
    m.code(CODE, 'ea000000008000 f4'); // jmp 0x80:0 ; hlt
    m.code(CODE_B, 'f4');
    m.cpu.lo[0] = 0xaaaa;
    m.cpu.lo[3] = 0xbbbb;
    m.cpu.setFlags(0x2 | 0x1); // CF
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(CODE_B + 1);
    expect(m.cpu.seg[Seg.TR]!.selector).toBe(SEL_TSS_B);
    expect(m.cpu.lo[0]).toBe(0xb0b0_0000);
    expect(m.cpu.lo[4]).toBe(STACK_B);
    // Task A's state in its TSS: EIP after the JMP, EFLAGS, EAX, EBX, selectors.
    expect(m.r32(TSS + 0x20)).toBe(CODE + 7);
    expect(m.r32(TSS + 0x24)).toBe(0x3);
    expect(m.r32(TSS + 0x28)).toBe(0xaaaa);
    expect(m.r32(TSS + 0x34)).toBe(0xbbbb);
    expect(m.r16(TSS + 0x4c)).toBe(Sel.CODE32);
    // Busy: A cleared (JMP), B set; no back link, NT clear.
    expect(gdtType(m, Sel.TSS32)).toBe(0x9);
    expect(gdtType(m, SEL_TSS_B)).toBe(0xb);
    expect(m.r16(TSS_B)).toBe(0);
    expect(m.cpu.getFlags() & 0x4000).toBe(0);
    // CR0.TS through the monitor's task-switch exit, CR3 from the 32-bit TSS.
    expect(taskExits(m)).toEqual([{ reason: 'task-switch', cr3: 0 }]);
    expect(m.cpu.hw.cr0 & 8n).toBe(8n);
  });

  it('JMP to a busy TSS is #GP(selector) in the old task, nothing changed', () => {
    const m = machine();
    m.gdtEntry(16, segDesc(TSS_B, 0x67, 0xb, { s: false }));
    haltOn(m, Vec.GP);
    m.code(CODE, 'ea000000008000');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.seg[Seg.TR]!.selector).toBe(Sel.TSS32);
    expect(m.r32(STACK0_ERR(m))).toBe(SEL_TSS_B);
    expect(taskExits(m)).toEqual([]);
  });

  it('a TSS limit below 67h is #TS(selector); a non-present TSS is #NP(selector); DPL < CPL is #GP(selector)', () => {
    const cases: Array<[string, (m: SysMachine) => void, number]> = [
      ['limit', (m) => m.gdtEntry(16, segDesc(TSS_B, 0x66, 0x9, { s: false })), Vec.TS],
      ['present', (m) => m.gdtEntry(16, segDesc(TSS_B, 0x67, 0x9, { s: false, p: false })), Vec.NP],
      ['rpl', (m) => m.code(CODE, 'ea000000008300'), Vec.GP], // jmp 0x83:0 (RPL 3 > DPL 0)
    ];
    for (const [, setup, vector] of cases) {
      const m = machine();
      haltOn(m, vector);
      m.code(CODE, 'ea000000008000');
      setup(m);
      expect(m.run()).toEqual({ kind: 'halted' });
      expect(m.cpu.seg[Seg.TR]!.selector).toBe(Sel.TSS32);
      expect(m.r32(STACK0_ERR(m)) & ~3).toBe(SEL_TSS_B);
      expect(m.r32(STACK0_ERR(m) + 4)).toBe(CODE); // the JMP, restartable
    }
  });

  it('long mode has no task switching: JMP to a TSS is #GP(selector)', () => {
    const m = new SysMachine();
    m.long64(CODE, 0);
    m.idtGate64(Vec.GP, Sel.CODE64, HANDLER, INT_GATE32, 0);
    m.code(HANDLER, 'f4');
    m.w32(0x5000, 0);
    m.w16(0x5004, Sel.TSS32);
    m.cpu.lo[0] = 0x5000;
    m.code(CODE, 'ff28'); // jmp far [rax] (m16:32)
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(HANDLER + 1);
    expect(m.r32(m.cpu.lo[4]!)).toBe(Sel.TSS32);
  });
});

/** Address of the error code a CPL-0 fault pushed on the current stack. */
function STACK0_ERR(m: SysMachine): number {
  return m.cpu.lo[4]!;
}

describe('task switch by CALL and IRET', () => {
  it('CALL through a task gate nests (link, NT, both busy); IRET returns, clears B busy and NT in its image', () => {
    const m = machine();
    m.code(CODE, '9a000000008800 f4'); // call 0x88:0 ; hlt
    m.code(CODE_B, 'b834120000 cf f4'); // mov eax,0x1234 ; iret ; hlt
    m.cpu.lo[0] = 0x5555;
    // Stop inside task B first (CALL, MOV).
    expect(m.run(2)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.seg[Seg.TR]!.selector).toBe(SEL_TSS_B);
    expect(m.r16(TSS_B)).toBe(Sel.TSS32); // back link
    expect(m.cpu.getFlags() & 0x4000).toBe(0x4000); // NT
    expect(gdtType(m, Sel.TSS32)).toBe(0xb);
    expect(gdtType(m, SEL_TSS_B)).toBe(0xb);
    expect(m.run()).toEqual({ kind: 'halted' });
    // Back in A after the CALL, A's EAX restored from its TSS.
    expect(m.cpu.ip).toBe(CODE + 8);
    expect(m.cpu.seg[Seg.TR]!.selector).toBe(Sel.TSS32);
    expect(m.cpu.lo[0]).toBe(0x5555);
    expect(gdtType(m, SEL_TSS_B)).toBe(0x9);
    expect(gdtType(m, Sel.TSS32)).toBe(0xb);
    // B's saved image: EIP after its IRET, EAX 0x1234, NT cleared.
    expect(m.r32(TSS_B + 0x20)).toBe(CODE_B + 6);
    expect(m.r32(TSS_B + 0x28)).toBe(0x1234);
    expect(m.r32(TSS_B + 0x24) & 0x4000).toBe(0);
    expect(taskExits(m).length).toBe(2);
  });

  it('IRET with NT to a link whose TSS is not busy is #TS(link)', () => {
    const m = machine();
    haltOn(m, Vec.TS);
    m.w16(TSS, SEL_TSS_B); // A's link names B, which is available
    m.cpu.setFlags(0x2 | 0x4000);
    m.code(CODE, 'cf');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(HANDLER + 1);
    expect(m.r32(m.cpu.lo[4]!)).toBe(SEL_TSS_B);
    expect(m.cpu.seg[Seg.TR]!.selector).toBe(Sel.TSS32);
  });

  it('CALL through a task gate to a busy TSS is #GP(TSS selector)', () => {
    const m = machine();
    m.gdtEntry(16, segDesc(TSS_B, 0x67, 0xb, { s: false }));
    haltOn(m, Vec.GP);
    m.code(CODE, '9a000000008800');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.r32(m.cpu.lo[4]!)).toBe(SEL_TSS_B);
  });
});

describe('task switch through the IDT', () => {
  it('INT n through a task gate: nested task, EIP after the INT saved, no error code', () => {
    const m = machine();
    m.idtGate(0x40, gate(SEL_TSS_B, 0, TASK_GATE, 0));
    m.code(CODE, 'cd40 f4');
    m.code(CODE_B, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(CODE_B + 1);
    expect(m.r32(TSS + 0x20)).toBe(CODE + 2);
    expect(m.r16(TSS_B)).toBe(Sel.TSS32);
    expect(m.cpu.getFlags() & 0x4000).toBe(0x4000);
    expect(m.cpu.lo[4]).toBe(STACK_B);
  });

  it('an exception with an error code through a task gate: the faulting EIP saved, the code on the new stack', () => {
    const m = machine();
    m.idtGate(Vec.GP, gate(SEL_TSS_B, 0, TASK_GATE, 0));
    m.code(CODE, '66b83312 8ed8 f4'); // mov ax,0x1233 ; mov ds,ax (#GP(0x1230)) ; hlt
    m.code(CODE_B, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(CODE_B + 1);
    expect(m.r32(TSS + 0x20)).toBe(CODE + 4);
    expect(m.cpu.lo[4]).toBe(STACK_B - 4);
    expect(m.r32(STACK_B - 4)).toBe(0x1230);
  });

  it('#DF through a task gate (a #GP whose gate is not present): the doublefault task runs with error code 0', () => {
    const m = machine();
    m.idtGate(Vec.GP, gate(Sel.CODE32, HANDLER, INT_GATE32, 0, { p: false }));
    m.idtGate(Vec.DF, gate(SEL_TSS_B, 0, TASK_GATE, 0));
    m.code(CODE, '66b83312 8ed8');
    m.code(CODE_B, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(CODE_B + 1);
    expect(m.r32(STACK_B - 4)).toBe(0);
    expect(m.r32(TSS + 0x20)).toBe(CODE + 4);
    expect(m.r16(TSS_B)).toBe(Sel.TSS32);
  });

  it('a task gate DPL below CPL for INT n from ring 3 is #GP(vector*8+2)', () => {
    const m = machine();
    m.protected32(CODE, 3);
    m.cpu.gdtr.limit = 32 * 8 - 1;
    m.idtGate(0x40, gate(SEL_TSS_B, 0, TASK_GATE, 0));
    haltOn(m, Vec.GP);
    m.code(CODE, 'cd40');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(HANDLER + 1);
    expect(m.r32(m.cpu.lo[4]!)).toBe(0x40 * 8 + 2);
  });
});

describe('faults loading the new task (after the commit: raised in the new task)', () => {
  const cases: Array<[string, Partial<TaskInit>, number, number]> = [
    ['CS a data segment', { cs: Sel.DATA32 }, Vec.TS, Sel.DATA32],
    ['SS not writable (code)', { ss: Sel.CODE32 }, Vec.TS, Sel.CODE32],
    ['SS RPL 3 at CPL 0', { ss: Sel.DATA32_U }, Vec.TS, Sel.DATA32_U],
    ['DS a 32-bit TSS (system)', { ds: Sel.TSS32 }, Vec.TS, Sel.TSS32],
    ['LDT selector is a TSS', { ldt: SEL_TSS_16 }, Vec.TS, SEL_TSS_16],
    ['LDT selector in the LDT', { ldt: 0x9c }, Vec.TS, 0x9c],
  ];
  it.each(cases)('%s', (_name, init, vector, sel) => {
    const m = machine();
    tss32(m, TSS_B, { eip: CODE_B, ...init });
    haltOn(m, vector);
    m.code(CODE, 'ea000000008000');
    m.code(CODE_B, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(HANDLER + 1);
    expect(m.cpu.seg[Seg.TR]!.selector).toBe(SEL_TSS_B); // committed
    expect(m.r32(TSS + 0x20)).toBe(CODE + 7); // old task saved
    const sp = m.cpu.lo[4]!;
    expect(m.r32(sp)).toBe(sel & ~3); // selector, EXT = 0
    expect(m.r32(sp + 4)).toBe(CODE_B); // raised at the new task's first instruction
  });

  it('a non-present SS is #SS(selector), a non-present DS #NP(selector)', () => {
    for (const [vector, init] of [
      [Vec.SS, { ss: 0xa0 }],
      [Vec.NP, { ds: 0xa0 }],
    ] as const) {
      const m = machine();
      m.gdtEntry(20, segDesc(0, 0xfffff, 0x3, { g: true, db: true, p: false }));
      tss32(m, TSS_B, { eip: CODE_B, ...init });
      // The fault handler needs a stack: for #SS the new task's SS failed, so SS stays task A's.
      haltOn(m, vector);
      m.code(CODE, 'ea000000008000');
      expect(m.run()).toEqual({ kind: 'halted' });
      expect(m.cpu.ip).toBe(HANDLER + 1);
      expect(m.r32(m.cpu.lo[4]!)).toBe(0xa0);
    }
  });

  it('a new task with an LDT: the LDTR is loaded and CS comes from the LDT', () => {
    const m = machine();
    m.gdtEntry(19, segDesc(LDT, 0xf, 0x2, { s: false }));
    m.w32(LDT + 8, segDesc(0, 0xfffff, 0xa, { g: true, db: true })[0]);
    m.w32(LDT + 12, segDesc(0, 0xfffff, 0xa, { g: true, db: true })[1]);
    tss32(m, TSS_B, { eip: CODE_B, cs: 0x0c, ldt: SEL_LDT });
    m.code(CODE, 'ea000000008000');
    m.code(CODE_B, 'f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(CODE_B + 1);
    expect(m.cpu.seg[Seg.LDTR]!.selector).toBe(SEL_LDT);
    expect(m.cpu.seg[Seg.LDTR]!.base).toBe(LDT);
    expect(m.cpu.seg[Seg.CS]!.selector).toBe(0x0c);
  });
});

describe('16-bit TSS', () => {
  it('JMP to a 16-bit TSS loads 16-bit registers (upper halves FFFFh), no CR3; the 32-bit old task is saved in its TSS', () => {
    const m = machine();
    for (let i = 0; i < 0x2c; i += 2) m.w16(TSS_16 + i, 0);
    m.w16(TSS_16 + 0x0e, 0x100); // IP
    m.w16(TSS_16 + 0x10, 0x0002); // FLAGS
    m.w16(TSS_16 + 0x12, 0x1111); // AX
    m.w16(TSS_16 + 0x18, 0x2222); // BX
    m.w16(TSS_16 + 0x1a, 0x7000); // SP
    m.w16(TSS_16 + 0x22, Sel.DATA32); // ES
    m.w16(TSS_16 + 0x24, SEL_CODE16); // CS
    m.w16(TSS_16 + 0x26, Sel.DATA32); // SS
    m.w16(TSS_16 + 0x28, Sel.DATA32); // DS
    m.code(CODE, 'ea000000009000');
    m.code(0x100, '89d8 f4'); // (16-bit) mov ax,bx ; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(0x103);
    expect(m.cpu.lo[0]).toBe(0xffff_2222);
    expect(m.cpu.lo[3]).toBe(0xffff_2222);
    expect(m.cpu.lo[4]).toBe(0xffff_7000);
    expect(m.cpu.bitness).toBe(16);
    expect(gdtType(m, SEL_TSS_16)).toBe(0x3); // 16-bit busy
    expect(m.r32(TSS + 0x20)).toBe(CODE + 7);
    expect(taskExits(m)).toEqual([{ reason: 'task-switch', cr3: null }]);
    // The 16-bit task's FS/GS are null.
    expect(m.cpu.seg[Seg.FS]!.usable).toBe(false);
  });
});
