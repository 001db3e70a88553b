/**
 * RDPMC, RDTSCP + IA32_TSC_AUX, STAC/CLAC and RD/WR{FS,GS}BASE: their privilege, mode and
 * CR4 checks and what they return (SDM Vol. 2 for each instruction; AMD APM Vol. 3 RDPMC).
 */
import { describe, expect, it } from 'vitest';
import { Vec } from '../../../src/runtime/cpu/fault.ts';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, gate, HANDLER, Sel, SysMachine } from './harness.ts';

const INT_GATE = 0xe;
const CR4_TSD = 1n << 2n;
const CR4_PCE = 1n << 8n;
const CR4_FSGSBASE = 1n << 16n;

/** Protected (or 64-bit) mode at `cpl`; every exception 0-31 halts at HANDLER + 16·vector. */
function machine(cpl: 0 | 3, long = false): SysMachine {
  const m = new SysMachine();
  if (long) m.long64(CODE, cpl);
  else m.protected32(CODE, cpl);
  for (let v = 0; v < 32; v++) {
    if (long) m.idtGate64(v, Sel.CODE64, HANDLER + 16 * v, INT_GATE, 0);
    else m.idtGate(v, gate(Sel.CODE32, HANDLER + 16 * v, INT_GATE, 0));
    m.code(HANDLER + 16 * v, 'f4');
  }
  return m;
}

/** Run `hex` then HLT from CODE: 'ok' if it reached the HLT (at CPL 3: its #GP), else the vector taken. */
function run(m: SysMachine, hex: string): 'ok' | number {
  const len = hex.replace(/\s+/g, '').length / 2;
  m.code(CODE, `${hex} f4`);
  m.cpu.ip = CODE;
  m.run(100);
  const ip = m.cpu.ip;
  if (ip === CODE + len + 1 || (ip === HANDLER + 16 * Vec.GP + 1 && m.r32(m.cpu.lo[4]! + (m.cpu.mode64 ? 8 : 4)) === CODE + len)) return 'ok';
  return (ip - HANDLER - 1) / 16;
}

describe('RDPMC', () => {
  it('#GP(0) at CPL 3 unless CR4.PCE; at CPL 0 always allowed', () => {
    expect(run(machine(3), '31c9 0f33')).toBe(Vec.GP); // xor ecx,ecx ; rdpmc
    const m = machine(3);
    m.cpu.setControl({ cr4: m.cpu.hw.cr4 | CR4_PCE });
    expect(run(m, '31c9 0f33')).toBe('ok');
    expect(run(machine(0), '31c9 0f33')).toBe('ok');
  });

  it('counter index 4 and up is #GP(0); a counter reads what WRMSR put in PerfCtrN (nothing counts)', () => {
    expect(run(machine(0), 'b904000000 0f33')).toBe(Vec.GP); // mov ecx,4 ; rdpmc
    const m = machine(0);
    // mov ecx,0xC0010006 ; mov eax,0x89abcdef ; mov edx,0x1234567 ; wrmsr ; mov ecx,2 ; rdpmc
    expect(run(m, 'b9060001c0 b8efcdab89 ba67452301 0f30 b902000000 0f33')).toBe('ok');
    expect(m.cpu.lo[0]).toBe(0x89ab_cdef);
    expect(m.cpu.lo[2]).toBe(0x4567); // 48-bit counter: bits 47:32
  });
});

describe('RDTSCP and IA32_TSC_AUX', () => {
  it('ECX := TSC_AUX[31:0], EDX:EAX the TSC; TSC_AUX bits 63:32 are reserved (#GP)', () => {
    const m = machine(0);
    // mov ecx,0xC0000103 ; mov eax,0x77 ; xor edx,edx ; wrmsr ; rdtscp
    expect(run(m, 'b9030100c0 b877000000 31d2 0f30 0f01f9')).toBe('ok');
    expect(m.cpu.lo[1]).toBe(0x77);
    expect(run(machine(0), 'b9030100c0 b877000000 ba01000000 0f30')).toBe(Vec.GP);
  });

  it('#GP(0) at CPL 3 with CR4.TSD', () => {
    const m = machine(3);
    m.cpu.setControl({ cr4: m.cpu.hw.cr4 | CR4_TSD });
    expect(run(m, '0f01f9')).toBe(Vec.GP);
  });
});

describe('STAC / CLAC', () => {
  it('set and clear EFLAGS.AC at CPL 0; #UD at CPL 3', () => {
    const m = machine(0);
    expect(run(m, '0f01cb')).toBe('ok');
    expect(m.cpu.getFlags() & (1 << 18)).toBe(1 << 18);
    expect(run(m, '0f01ca')).toBe('ok');
    expect(m.cpu.getFlags() & (1 << 18)).toBe(0);
    expect(run(machine(3), '0f01cb')).toBe(Vec.UD);
  });
});

describe('RD/WR{FS,GS}BASE', () => {
  it('#UD without CR4.FSGSBASE and outside 64-bit mode', () => {
    expect(run(machine(0, true), 'f3480faec3')).toBe(Vec.UD); // rdfsbase rbx
    const p = machine(0);
    p.cpu.setControl({ cr4: p.cpu.hw.cr4 | CR4_FSGSBASE });
    expect(run(p, 'f30faec3')).toBe(Vec.UD); // rdfsbase ebx (no such form outside 64-bit mode)
  });

  it('work at CPL 3 too; WR r64 must be canonical (#GP(0)); the r32 forms zero-extend', () => {
    const m = machine(3, true);
    m.cpu.setControl({ cr4: m.cpu.hw.cr4 | CR4_FSGSBASE });
    // mov rax,0xffff8000_12345678 ; wrgsbase rax ; rdgsbase rbx
    expect(run(m, '48b8785634120080ffff f3480faed8 f3480faecb')).toBe('ok');
    expect(m.cpu.seg[Seg.GS]!.base).toBe(-0x7fff_edcb_a988);
    expect([m.cpu.lo[3], m.cpu.hi[3]]).toEqual([0x1234_5678, 0xffff_8000]);
    // mov rax,0x00008000_00000000 (non-canonical) ; wrfsbase rax
    expect(run(m, '48b80000000000800000 f3480faed0')).toBe(Vec.GP);
    const z = machine(0, true);
    z.cpu.setControl({ cr4: z.cpu.hw.cr4 | CR4_FSGSBASE });
    z.cpu.lo[0] = 0xdead_beef;
    z.cpu.hi[0] = 0x1;
    expect(run(z, 'f30faed0')).toBe('ok'); // wrfsbase eax
    expect(z.cpu.seg[Seg.FS]!.base).toBe(0xdead_beef);
  });
});
