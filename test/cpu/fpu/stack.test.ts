/**
 * Register-stack faults (SDM Vol. 1 §8.5.1.1): overflow (push onto a full stack) and underflow
 * (reading an empty register) raise IE with SF, C1 = 1 / 0. Masked: the QNaN indefinite is
 * used; unmasked: nothing changes but ES/B. Also FINCSTP/FDECSTP, FFREE, FXAM of an empty register.
 */
import { describe, expect, it } from 'vitest';
import { machine } from '../core/harness.ts';

const IE = 1;
const SF = 0x40;
const C1 = 0x200;
const ES = 0x80;

function st(m: ReturnType<typeof machine>, i: number): [number, bigint] {
  const f = m.cpu.fpu;
  const p = f.phys(i);
  return [f.se[p]!, (BigInt(f.sigHi[p]!) << 32n) | BigInt(f.sigLo[p]!)];
}

describe('x87 stack faults', () => {
  it('overflow, masked: IE, SF, C1 = 1 and the indefinite pushed', () => {
    const m = machine(32);
    expect(m.run('dbe3' + 'd9e8'.repeat(8) + 'd9ee')).toBeNull(); // FNINIT; 8 × FLD1; FLDZ
    const f = m.cpu.fpu;
    expect(f.fsw & (IE | SF | C1 | ES)).toBe(IE | SF | C1);
    expect(st(m, 0)).toEqual([0xffff, 0xc000000000000000n]);
    expect(f.top).toBe(7);
  });

  it('overflow, unmasked: nothing pushed, ES and B set', () => {
    const m = machine(32);
    m.mem.write32(0x4000, 0x037e); // IM clear
    expect(m.run('dbe3 d92d00400000'.replace(/ /g, '') + 'd9e8'.repeat(8) + 'd9ee')).toBeNull();
    const f = m.cpu.fpu;
    expect(f.fsw & (IE | SF | C1 | ES | 0x8000)).toBe(IE | SF | C1 | ES | 0x8000);
    expect(f.top).toBe(0);
    expect(st(m, 0)).toEqual([0x3fff, 0x8000000000000000n]);
  });

  it('underflow, masked: FADD of empty registers writes the indefinite, C1 = 0', () => {
    const m = machine(32);
    expect(m.run('dbe3 d9e8 d9e8 dec1 d9f7 d8c1'.replace(/ /g, ''))).toBeNull(); // 1+1 then FINCSTP, FADD ST0,ST1 (ST1 empty)
    const f = m.cpu.fpu;
    expect(f.fsw & (IE | SF | C1)).toBe(IE | SF);
    expect(st(m, 0)).toEqual([0xffff, 0xc000000000000000n]);
  });

  it('underflow, unmasked: FSTP m64 of an empty ST(0) stores nothing and does not pop', () => {
    const m = machine(32);
    m.mem.write32(0x4000, 0x037e);
    m.mem.write32(0x4010, 0x11111111);
    expect(m.run('dbe3 d92d00400000 dd1d10400000'.replace(/ /g, ''))).toBeNull();
    expect(m.mem.read32(0x4010)).toBe(0x11111111);
    expect(m.cpu.fpu.top).toBe(0);
    expect(m.cpu.fpu.fsw & (IE | SF | ES)).toBe(IE | SF | ES);
  });

  it('FXAM of an empty register: C3 C2 C0 = 1 0 1; FFREE empties; FDECSTP/FINCSTP move TOP only', () => {
    const m = machine(32);
    expect(m.run('dbe3 d9e8 ddc0 d9e5'.replace(/ /g, ''))).toBeNull(); // FLD1; FFREE ST0; FXAM
    expect(m.cpu.fpu.fsw & 0x4500).toBe(0x4100);
    expect(m.run('d9f6 d9f6 d9f7'.replace(/ /g, ''))).toBeNull(); // FDECSTP ×2, FINCSTP
    expect(m.cpu.fpu.top).toBe(6);
    expect(m.cpu.fpu.ftw).toBe(0xffff);
  });
});
