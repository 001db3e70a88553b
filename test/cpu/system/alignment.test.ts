/**
 * Alignment checking (SDM Vol. 3A §6.15 "Interrupt 17—Alignment Check Exception", Table 6-7):
 * CR0.AM = 1, EFLAGS.AC = 1 and CPL 3 make every misaligned explicit data access raise #AC(0);
 * never at CPL 0-2, never for implicit supervisor accesses, never for bytes.
 */
import { describe, expect, it } from 'vitest';
import { Vec } from '../../../src/runtime/cpu/fault.ts';
import { CODE, gate, HANDLER, Sel, STACK0, STACK3, SysMachine } from './harness.ts';

const TRAP_GATE32 = 0xf;
const INT_GATE64 = 0xe;
const CR0_AM = 0x40000n;
const AC = 1 << 18;
const DATA = 0x5000;

/** Flat protected mode at `cpl` with CR0.AM and EFLAGS.AC as given; #AC and #GP go to a HLT. */
function machine(cpl: 0 | 3, am = true, ac = true): SysMachine {
  const m = new SysMachine();
  m.protected32(CODE, cpl);
  if (am) m.cpu.setControl({ cr0: m.cpu.hw.cr0 | CR0_AM });
  m.idtGate(Vec.AC, gate(Sel.CODE32, HANDLER, TRAP_GATE32, 0));
  m.idtGate(Vec.GP, gate(Sel.CODE32, HANDLER + 0x10, TRAP_GATE32, 0));
  m.code(HANDLER, 'f4');
  m.code(HANDLER + 0x10, 'f4');
  m.cpu.setFlags(0x202 | (ac ? AC : 0));
  m.cpu.lo[3] = DATA; // EBX
  return m;
}

/** Ran into the #AC handler from CPL 3: error code 0 and the faulting EIP on the ring-0 stack. */
function expectAc(m: SysMachine, eip: number): void {
  expect(m.run()).toEqual({ kind: 'halted' });
  expect(m.cpu.ip).toBe(HANDLER + 1);
  expect(m.cpu.lo[4]).toBe(STACK0 - 24);
  expect(m.r32(STACK0 - 24)).toBe(0); // #AC's error code
  expect(m.r32(STACK0 - 20)).toBe(eip);
}

describe('alignment check (#AC)', () => {
  it('a misaligned dword load at CPL 3 with AM and AC raises #AC(0) before the load', () => {
    const m = machine(3);
    m.cpu.lo[0] = 0x1234;
    m.code(CODE, '8b4301 f4'); // mov eax,[ebx+1] ; hlt
    expectAc(m, CODE);
    expect(m.cpu.lo[0]).toBe(0x1234);
  });

  it('words need 2-byte, dwords 4-byte alignment; bytes are never checked', () => {
    const m = machine(3);
    m.code(CODE, '8a4301 8b4304 668b4302 668b4301 f4'); // mov al,[ebx+1]; mov eax,[ebx+4]; mov ax,[ebx+2]; mov ax,[ebx+1]; hlt
    expectAc(m, CODE + 10);
  });

  it('a misaligned store is checked too and leaves memory unchanged', () => {
    const m = machine(3);
    m.w32(DATA, 0x11111111);
    m.w32(DATA + 4, 0x22222222);
    m.cpu.lo[0] = 0xdeadbeef;
    m.code(CODE, '894302 f4'); // mov [ebx+2],eax ; hlt
    expectAc(m, CODE);
    expect(m.r32(DATA)).toBe(0x11111111);
    expect(m.r32(DATA + 4)).toBe(0x22222222);
  });

  it('no #AC at CPL 0, with CR0.AM = 0, or with EFLAGS.AC = 0', () => {
    for (const [m, cpl] of [[machine(0), 0], [machine(3, false, true), 3], [machine(3, true, false), 3]] as const) {
      m.w32(DATA + 1, 0xcafe_f00d);
      m.code(CODE, '8b4301 f4'); // mov eax,[ebx+1] ; hlt
      expect(m.run()).toEqual({ kind: 'halted' });
      // CPL 0 halts; at CPL 3 the HLT itself is #GP(0), so the load completed.
      expect(m.cpu.ip).toBe(cpl === 0 ? CODE + 4 : HANDLER + 0x11);
      expect(m.cpu.lo[0]).toBe(0xcafe_f00d);
    }
  });

  it('stack pushes through a misaligned ESP fault', () => {
    const m = machine(3);
    m.code(CODE, '50 f4'); // push eax ; hlt
    m.cpu.lo[4] = STACK3 - 2;
    expectAc(m, CODE);
    expect(m.r32(STACK0 - 8)).toBe(STACK3 - 2); // the interrupted ESP, unchanged
  });

  it('string instructions check each element (MOVSD from a misaligned ESI)', () => {
    const m = machine(3);
    m.cpu.lo[6] = DATA + 2; // ESI
    m.cpu.lo[7] = DATA + 0x100; // EDI
    m.code(CODE, 'a5 f4'); // movsd ; hlt
    expectAc(m, CODE);
    expect(m.cpu.lo[6]).toBe(DATA + 2);
  });

  it('a 48-bit far pointer needs 4-byte alignment (CALL FAR [EBX] at EBX ≡ 2 mod 4)', () => {
    const m = machine(3);
    m.cpu.lo[3] = DATA + 2;
    m.code(CODE, 'ff1b f4'); // call far [ebx] ; hlt
    expectAc(m, CODE);
  });

  it('POPF setting AC arms the check for the next instruction', () => {
    const m = machine(3, true, false);
    m.w32(STACK3 - 4, 0x202 | AC);
    m.cpu.lo[4] = STACK3 - 4;
    m.code(CODE, '9d 8b4301 f4'); // popf ; mov eax,[ebx+1] ; hlt
    expectAc(m, CODE + 1);
  });

  it('compiled blocks check too: a hot loop compiled with AC = 0 faults once AC = 1', () => {
    const m = machine(3, true, false);
    m.cpu.decoded.jit.enabled = true;
    m.cpu.lo[3] = DATA + 1;
    // l: mov eax,[ebx] ; dec ecx ; jnz l ; hlt
    m.code(CODE, 'b9c8000000 8b03 49 75fb f4');
    expect(m.run(10_000)).toEqual({ kind: 'halted' }); // the HLT's #GP at CPL 3
    expect(m.cpu.ip).toBe(HANDLER + 0x11);
    expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(0);
    m.protected32(CODE, 3); // back to CPL 3 (the decode cache and its blocks stay)
    m.cpu.setControl({ cr0: m.cpu.hw.cr0 | CR0_AM });
    m.cpu.setFlags(0x202 | AC);
    expectAc(m, CODE + 5);
  });

  it('interrupt delivery from CPL 3 clears nothing it need not and supervisor frame pushes are not checked', () => {
    // A misaligned ring-0 stack (ESP0 ≡ 2 mod 4): the frame pushes are implicit supervisor accesses.
    const m = machine(3);
    m.w32(0x3000 + 4, STACK0 - 2); // TSS.ESP0
    m.code(CODE, '8b4301 f4');
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(HANDLER + 1);
    expect(m.r32(STACK0 - 2 - 24)).toBe(0);
    expect(m.r32(STACK0 - 2 - 20)).toBe(CODE);
  });

  it('64-bit mode: qwords need 8-byte alignment, dwords 4', () => {
    const m = new SysMachine();
    m.long64(CODE, 3);
    m.cpu.setControl({ cr0: m.cpu.hw.cr0 | CR0_AM });
    m.idtGate64(Vec.AC, Sel.CODE64, HANDLER, INT_GATE64, 0);
    m.code(HANDLER, 'f4');
    m.cpu.setFlags(0x202 | AC);
    m.cpu.lo[3] = DATA;
    m.code(CODE, '8b4304 488b4308 488b4304 f4'); // mov eax,[rbx+4]; mov rax,[rbx+8]; mov rax,[rbx+4]; hlt
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.ip).toBe(HANDLER + 1);
    const rsp = m.cpu.lo[4]!;
    expect(m.r32(rsp)).toBe(0); // error code
    expect(m.r32(rsp + 8)).toBe(CODE + 7);
  });
});
