/**
 * FNSAVE/FRSTOR, FNSTENV/FLDENV in their four layouts (16/32-bit operand size × real/protected
 * mode, SDM Vol. 1 Figures 8-9..8-12) and 64-bit mode; the last instruction/operand pointers and
 * opcode (FIP/FCS, FDP/FDS, FOP) they carry; the FXSAVE legacy-region helpers of fpu/state.ts.
 */
import { describe, expect, it } from 'vitest';
import { machine, type Bits, type Machine, CODE } from '../core/harness.ts';
import { FpuState } from '../../../src/runtime/cpu/fpu/state.ts';

const BUF = 0x4000;

function rd(m: Machine, a: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + m.mem.ram[a + i]!;
  return v;
}

/** Code that leaves a varied state: FLDCW 0x0B7F (RC up), FLD1, FLDPI, FLDZ, FDIVR ST(0), ST(1) (π/0 masked: ZE), FLD [BUF+0x200] (m64). */
function setupCode(bits: Bits): string {
  const mem = bits === 16 ? '060042' : bits === 64 ? '042500420000' : '0500420000';
  const mem2 = bits === 16 ? '060044' : bits === 64 ? '042500440000' : '0500440000';
  const modrm = (reg: number, m: string): string => ((parseInt(m.slice(0, 2), 16) & 0xc7) | (reg << 3)).toString(16).padStart(2, '0') + m.slice(2);
  return `d9${modrm(5, mem)} d9e8 d9eb d9ee d8f9 dd${modrm(0, mem2)}`.replace(/ /g, '');
}

function prime(m: Machine): void {
  m.mem.ram[0x4200] = 0x7f;
  m.mem.ram[0x4201] = 0x0b;
  new DataView(m.mem.ram.buffer).setFloat64(0x4400, -2.5, true);
}

/** FNSAVE/FRSTOR [BUF] with an optional 0x66 prefix. */
function saveRestore(bits: Bits, o16: boolean, save: boolean): string {
  const p = o16 !== (bits === 16) ? '66' : '';
  const reg = save ? 6 : 4;
  const ea = bits === 16 ? ((reg << 3) | 6).toString(16) + '0040' : ((reg << 3) | 5).toString(16).padStart(2, '0') + '00400000';
  const ea64 = ((reg << 3) | 4).toString(16).padStart(2, '0') + '2500400000';
  return p + 'dd' + (bits === 64 ? ea64 : ea);
}

function snapshot(f: FpuState): unknown {
  return { fcw: f.fcw, fsw: f.fsw, ftw: f.ftw, fip: f.fip, fcs: f.fcs, fop: f.fop, fdp: f.fdp, fds: f.fds, se: [...f.se], hi: [...f.sigHi], lo: [...f.sigLo] };
}

describe.each([
  [16, false, 'real, 16-bit', 94],
  [16, true, 'real, 32-bit', 108],
  [32, true, 'protected, 16-bit', 94],
  [32, false, 'protected, 32-bit', 108],
  [64, false, '64-bit', 108],
] as const)('FNSAVE/FRSTOR %s', (bits, flip, _name, size) => {
  const o16 = bits === 16 ? !flip : flip;
  it(`round trip (${size} bytes), FNSAVE reinitialises`, () => {
    const m = machine(bits);
    prime(m);
    expect(m.run(setupCode(bits))).toBeNull();
    const before = snapshot(m.cpu.fpu);
    expect(m.cpu.fpu.fsw & 0x4).toBe(4); // ZE from π/0
    m.mem.ram.fill(0xcc, BUF, BUF + 200);
    expect(m.run(saveRestore(bits, o16, true))).toBeNull();
    // bytes written: exactly `size`
    expect(m.mem.ram[BUF + size - 1]).not.toBe(0xcc);
    expect(m.mem.ram[BUF + size]).toBe(0xcc);
    const f = m.cpu.fpu;
    expect([f.fcw, f.fsw, f.ftw]).toEqual([0x037f, 0, 0xffff]);
    expect(m.run(saveRestore(bits, o16, false))).toBeNull();
    // Real-mode layouts hold 20/32-bit linear pointers (selector folded in): compare those there.
    const after = snapshot(m.cpu.fpu) as Record<string, unknown>;
    if (bits === 16) {
      const b = before as Record<string, number>;
      const a = after as Record<string, number>;
      expect([a.fcs! * 16 + a.fip!, a.fds! * 16 + a.fdp!]).toEqual([b.fcs! * 16 + b.fip!, b.fds! * 16 + b.fdp!]);
      for (const k of ['fcs', 'fip', 'fds', 'fdp']) delete after[k], delete (before as Record<string, unknown>)[k];
    }
    // The 16-bit protected layout has no FOP field.
    if (bits === 32 && o16) delete after.fop, delete (before as Record<string, unknown>).fop;
    expect(after).toEqual(before);
  });

  it('layout: control, status and tag words, pointers, ST(0) first', () => {
    const m = machine(bits);
    prime(m);
    m.run(setupCode(bits));
    m.run(saveRestore(bits, o16, true));
    const env = size === 94 ? 14 : 28;
    const w = env === 14 ? 2 : 4;
    const hi = w === 4 ? 0xffff0000 : 0; // reserved halves read as ones (host)
    // FCW (RC up), FSW (TOP = 4, ZE), tags: phys 4 (−2.5) valid, 5 (∞) special, 6 (π) and 7 (1) valid, 0–3 empty.
    expect([rd(m, BUF, w), rd(m, BUF + w, w), rd(m, BUF + 2 * w, w)]).toEqual([hi + 0x0b7f, hi + 0x2004, hi + 0x08ff]);
    const fldAt = CODE + setupCode(bits).length / 2 - (bits === 16 ? 4 : bits === 64 ? 7 : 6);
    const modrm = bits === 16 ? 0x06 : bits === 64 ? 0x04 : 0x05;
    const real = bits === 16;
    if (w === 4 && !real) {
      expect([rd(m, BUF + 12, 4), rd(m, BUF + 16, 4), rd(m, BUF + 20, 4)]).toEqual([fldAt, ((0x500 | modrm) << 16) | m.cpu.seg[1]!.selector, 0x4400]);
    } else if (w === 2 && !real) {
      expect([rd(m, BUF + 6, 2), rd(m, BUF + 8, 2), rd(m, BUF + 10, 2)]).toEqual([fldAt, m.cpu.seg[1]!.selector, 0x4400]);
    } else if (w === 4) {
      expect([rd(m, BUF + 12, 4), rd(m, BUF + 16, 4), rd(m, BUF + 20, 4)]).toEqual([hi + fldAt, 0x500 | modrm, hi + 0x4400]);
    } else {
      expect([rd(m, BUF + 6, 2), rd(m, BUF + 8, 2), rd(m, BUF + 10, 2)]).toEqual([fldAt, 0x500 | modrm, 0x4400]);
    }
    // ST(0) = −2.5 right after the environment, then ST(1) = ∞.
    expect([rd(m, BUF + env + 4, 4), rd(m, BUF + env + 8, 2)]).toEqual([0xa0000000, 0xc000]);
    expect([rd(m, BUF + env + 14, 4), rd(m, BUF + env + 18, 2)]).toEqual([0x80000000, 0x7fff]);
  });
});

describe('FNSTENV/FLDENV layouts against the host', () => {
  it('32-bit protected layout matches the host’s FNSTENV after FNINIT; FLD1; FLDPI; FDIV ST(0),ST(1)', () => {
    // Host (x86-64, 64-bit mode, no REX.W = the 32-bit protected layout):
    //   7f03ffff 0030ffff ff0fffff <fip> 3300f100 00000000 0000ffff
    const m = machine(64);
    m.cpu.seg[1]!.selector = 0x33;
    expect(m.run('dbe3 d9e8 d9eb d8f1 d9342500400000'.replace(/ /g, ''))).toBeNull();
    const words = [0, 4, 8, 12, 16, 20, 24].map((o) => rd(m, BUF + o, 4));
    expect(words).toEqual([0xffff037f, 0xffff3000, 0xffff0fff, CODE + 6, 0x00f10033, 0, 0xffff0000]);
    // FNSTENV masks all exceptions afterwards.
    expect(m.cpu.fpu.fcw & 0x3f).toBe(0x3f);
  });

  it('real-mode 16-bit layout: 20-bit linear FIP/FDP split around FOP', () => {
    const m = machine(16);
    m.cpu.seg[1]!.selector = 0x0100; // CS base shown through the stored linear address
    m.cpu.seg[3]!.selector = 0x0200;
    // FLD QWORD [0x4400] at CODE; FNSTENV [0x4000]
    new DataView(m.mem.ram.buffer).setFloat64(0x4400, 1.5, true);
    expect(m.run('dd060044 d9360040'.replace(/ /g, ''))).toBeNull();
    const ip = 0x1000 + CODE;
    const dp = 0x2000 + 0x4400;
    expect(rd(m, BUF + 6, 2)).toBe(ip & 0xffff);
    expect(rd(m, BUF + 8, 2)).toBe(((ip >>> 16) << 12) | 0x506); // FOP: DD /0 with ModR/M 06
    expect(rd(m, BUF + 10, 2)).toBe(dp & 0xffff);
    expect(rd(m, BUF + 12, 2)).toBe((dp >>> 16) << 12);
  });

  it('FLDENV of a status word with an unmasked exception makes it pending (#MF at the next waiting instruction)', () => {
    const m = machine(32);
    m.cpu.setControl({ cr0: m.cpu.control.cr0 | 0x20n });
    // env: FCW 0x037B (ZM clear), FSW ZE
    const v = new DataView(m.mem.ram.buffer);
    v.setUint32(BUF, 0x037b, true);
    v.setUint32(BUF + 4, 0x0004, true);
    v.setUint32(BUF + 8, 0xffff, true);
    expect(m.run('d92500400000')).toBeNull();
    expect(m.cpu.fpu.fsw & 0x8080).toBe(0x8080);
    m.run('d9d0'); // FNOP → #MF (no IDT: real delivery is not the point; the fault is)
    expect(m.cpu.recentFaults).toContain(16);
  });
});

describe('FIP/FCS, FDP/FDS, FOP', () => {
  it('recorded by numeric instructions, left alone by control instructions', () => {
    const m = machine(32);
    m.cpu.seg[3]!.selector = 0x2b;
    m.cpu.lo[3] = 0x4400; // EBX
    new DataView(m.mem.ram.buffer).setFloat32(0x4404, 2, true);
    // FLD1; FADD DWORD [EBX+4]; FNSTCW [0x4000]; FNOP
    expect(m.run('d9e8 d84304 d93d00400000'.replace(/ /g, ''))).toBeNull();
    const f = m.cpu.fpu;
    expect([f.fip, f.fop, f.fdp, f.fds]).toEqual([CODE + 2, 0x043, 0x4404, 0x2b]);
    m.run('d9d0');
    expect([f.fip, f.fop, f.fdp]).toEqual([CODE, 0x1d0, 0x4404]); // FNOP: a register instruction keeps FDP
  });
});

describe('FXSAVE legacy region helpers (fpu/state.ts, for the SIMD code)', () => {
  it('save then load restores FCW, FSW, tags, FOP, pointers and ST(0..7) in 32- and 64-bit layouts', () => {
    for (const rexW of [false, true]) {
      const a = new FpuState();
      a.fcw = 0x0a7f;
      a.fsw = 0x2a21; // TOP = 5
      for (let p = 0; p < 8; p++) a.setPhys(p, 0x3fff + p, 0x80000000 | p, p * 7);
      a.setEmptyPhys(2);
      a.fop = 0x5e1;
      a.fip = rexW ? 0x1_2345_6789 : 0x12345678;
      a.fcs = rexW ? 0 : 0x23;
      a.fdp = 0x9abc;
      a.fds = rexW ? 0 : 0x2b;
      const buf = new Uint8Array(512).fill(0xee);
      a.saveFxLegacy(buf, 0, rexW);
      expect(buf[4]).toBe(0xfb); // abridged: all but physical 2
      expect(buf[24]).toBe(0xee); // MXCSR untouched
      // ST(0) = physical 5 at byte 32
      expect(buf[32 + 4]).toBe(5);
      expect(buf[32 + 8] | (buf[32 + 9]! << 8)).toBe(0x3fff + 5);
      const b = new FpuState();
      b.loadFxLegacy(buf, 0, rexW);
      expect([b.fcw, b.fsw, b.ftw, b.fop, b.fip, b.fcs, b.fdp, b.fds]).toEqual([a.fcw, a.fsw, a.ftw, a.fop, a.fip, a.fcs, a.fdp, a.fds]);
      expect([...b.se, ...b.sigHi, ...b.sigLo]).toEqual([...a.se, ...a.sigHi, ...a.sigLo]);
    }
  });

  it('MMX writes set bits 79:64, TOP = 0 and all tags valid; EMMS empties the tags', () => {
    const f = new FpuState();
    f.top = 3;
    f.writeMmx(6, 0xdeadbeef, 0x01234567);
    expect([f.readMmxLo(6), f.readMmxHi(6), f.se[6], f.top, f.ftw]).toEqual([0xdeadbeef, 0x01234567, 0xffff, 0, 0]);
    f.emms();
    expect(f.ftw).toBe(0xffff);
  });
});
