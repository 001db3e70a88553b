/**
 * MMX, FXSAVE and XSAVE by the hardware CR0/CR4 and the SDM's fault rules: MMX #UD (EM) / #NM
 * (TS) / #MF (pending x87 error with NE), OSFXSR not needed for MMX; the MMX aliasing of the x87
 * registers (TOP = 0, tags valid, exponent all ones; EMMS empties the tags); FXSAVE/FXRSTOR
 * alignment, EM/TS, OSFXSR=0 and 32-bit layouts, the MXCSR #GP; XSAVE family #UD without
 * OSXSAVE, #NM with TS, alignment, XRSTOR header #GP cases, XSAVES #UD (not reported).
 */
import { describe, expect, it } from 'vitest';
import { machine, type Bits } from '../core/harness.ts';

const UD = 6;
const NM = 7;
const GP = 13;
const MF = 16;

function m32(cr0: bigint, cr4: bigint, bits: Bits = 32) {
  const m = machine(bits);
  m.cpu.setControl({ cr0, cr4: cr4 | (bits === 64 ? 0x20n : 0n) });
  m.cpu.intercepts.exceptionBitmap = 0xffffffff;
  return m;
}

function fault(m: ReturnType<typeof machine>): number | undefined {
  const e = m.monitor.exits[0];
  return e?.reason === 'exception' ? e.vector : undefined;
}

const PADDB_MM = '0f fc c1'; // paddb mm0, mm1
const EMMS = '0f 77';
const FXSAVE = '0f ae 05 00200000';
const FXRSTOR = '0f ae 0d 00200000';
const XSAVE = '0f ae 25 00200000';
const XRSTOR = '0f ae 2d 00200000';
const XSAVEC = '0f c7 25 00200000';

describe('MMX availability and aliasing', () => {
  it('runs without CR4.OSFXSR; #UD with CR0.EM; #NM with CR0.TS', () => {
    const ok = m32(0x11n, 0n);
    expect(ok.run(PADDB_MM)).toBeNull();
    expect(ok.monitor.exits).toEqual([]);
    const em = m32(0x11n | 4n | 8n, 0x200n);
    em.run(PADDB_MM);
    expect(fault(em)).toBe(UD);
    const ts = m32(0x11n | 8n, 0n);
    ts.run(EMMS);
    expect(fault(ts)).toBe(NM);
  });
  it('#MF for a pending unmasked x87 exception when CR0.NE=1', () => {
    const m = m32(0x11n | 0x20n, 0n);
    m.cpu.fpu.fsw = 0x81; // IE with ES
    m.run(PADDB_MM);
    expect(fault(m)).toBe(MF);
  });
  it('an MMX write sets TOP = 0, all tags valid and the exponent to all ones; EMMS empties the tags', () => {
    const m = m32(0x11n, 0n);
    const f = m.cpu.fpu;
    f.writeMmx(0, 0, 0);
    f.fsw = 5 << 11; // TOP = 5
    f.ftw = 0xffff;
    f.writeMmx(1, 0x04030201, 0x08070605);
    f.fsw = 5 << 11;
    f.ftw = 0xffff;
    expect(m.run(PADDB_MM)).toBeNull(); // mm0 += mm1
    expect(f.top).toBe(0);
    expect(f.ftw).toBe(0);
    expect(f.se[0]).toBe(0xffff);
    expect([f.readMmxLo(0), f.readMmxHi(0)]).toEqual([0x04030201, 0x08070605]); // 0 + mm1
    m.run(EMMS);
    expect(f.ftw).toBe(0xffff);
  });
  it('MOVD r32, mm leaves TOP = 0 and tags valid without writing an MMX register', () => {
    const m = m32(0x11n, 0n);
    const f = m.cpu.fpu;
    f.writeMmx(1, 0xcafef00d, 0x12345678);
    f.fsw = 3 << 11;
    f.ftw = 0xffff;
    expect(m.run('0f 7e c8')).toBeNull(); // movd eax, mm1
    expect(m.cpu.lo[0]).toBe(0xcafef00d);
    expect(f.top).toBe(0);
    expect(f.ftw).toBe(0);
  });
  it('MOVQ2DQ needs CR4.OSFXSR (an SSE2 form)', () => {
    const m = m32(0x11n, 0n);
    m.run('f3 0f d6 c8');
    expect(fault(m)).toBe(UD);
  });
});

describe('FXSAVE / FXRSTOR', () => {
  it('#GP(0) on an operand not 16-byte aligned; #UD with EM; #NM with TS', () => {
    const a = m32(0x11n, 0x200n);
    a.run('0f ae 05 08200000'); // fxsave [0x2008]
    expect(a.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
    const em = m32(0x15n, 0x200n);
    em.run(FXSAVE);
    expect(fault(em)).toBe(UD);
    const ts = m32(0x19n, 0x200n);
    ts.run(FXRSTOR);
    expect(fault(ts)).toBe(NM);
  });
  it('in 32-bit mode saves XMM0-7 only (bytes 288-511 untouched)', () => {
    const m = m32(0x11n, 0x200n);
    for (let i = 0; i < 16; i++) m.cpu.sse.setDwords(i, i + 1, i + 1, i + 1, i + 1);
    for (let i = 0; i < 512; i++) m.mem.write8(0x2000 + i, 0xaa);
    expect(m.run(FXSAVE)).toBeNull();
    expect(m.mem.read32(0x2000 + 160 + 7 * 16)).toBe(8);
    expect(m.mem.read32(0x2000 + 288)).toBe(0xaaaaaaaa);
    expect(m.mem.read32(0x2000 + 24)).toBe(0x1f80);
    expect(m.mem.read32(0x2000 + 28)).toBe(0xffff);
  });
  it('with CR4.OSFXSR=0 neither saves nor restores MXCSR and XMM', () => {
    const m = m32(0x11n, 0n);
    m.cpu.sse.setDwords(0, 0x11111111, 0, 0, 0);
    for (let i = 0; i < 512; i++) m.mem.write8(0x2000 + i, 0xaa);
    expect(m.run(FXSAVE)).toBeNull();
    expect(m.mem.read32(0x2000 + 24)).toBe(0xaaaaaaaa);
    expect(m.mem.read32(0x2000 + 160)).toBe(0xaaaaaaaa);
    expect(m.mem.read16(0x2000)).toBe(m.cpu.fpu.fcw);
    expect(m.run(FXRSTOR)).toBeNull(); // MXCSR image 0xaaaaaaaa would #GP if it were loaded
    expect(m.cpu.sse.dword(0, 0)).toBe(0x11111111);
  });
  it('FXRSTOR raises #GP(0) for MXCSR bits outside MXCSR_MASK and changes nothing', () => {
    const m = m32(0x11n, 0x200n);
    m.run(FXSAVE);
    m.mem.write32(0x2000 + 24, 0x10000);
    m.mem.write32(0x2000 + 160, 0x12345678);
    m.run(FXRSTOR);
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
    expect(m.cpu.sse.dword(0, 0)).toBe(0);
  });
  it('a store across a segment limit faults before writing', () => {
    const m = m32(0x11n, 0x200n);
    m.cpu.seg[3]!.limit = 0x2100;
    m.mem.write32(0x2000, 0x55555555);
    m.run(FXSAVE);
    expect(fault(m)).toBe(GP);
    expect(m.mem.read32(0x2000)).toBe(0x55555555);
  });
});

describe('XSAVE family', () => {
  function xm(cr4 = 0x40600n, xcr0 = 3n) {
    const m = m32(0x11n, cr4);
    m.cpu.setControl({ xcr0 });
    m.cpu.lo[0] = 0xffffffff; // RFBM = XCR0
    m.cpu.lo[2] = 0xffffffff;
    return m;
  }
  it('#UD without CR4.OSXSAVE, #NM with CR0.TS, #GP(0) unless 64-byte aligned', () => {
    const a = xm(0x600n);
    a.run(XSAVE);
    expect(fault(a)).toBe(UD);
    const b = xm();
    b.cpu.setControl({ cr0: 0x19n });
    b.run(XRSTOR);
    expect(fault(b)).toBe(NM);
    const c = xm();
    c.run('0f ae 25 20200000'); // xsave [0x2020]
    expect(c.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
  });
  it('XSAVES (not reported) raises #UD', () => {
    const m = xm();
    m.run('0f c7 2d 00200000');
    expect(fault(m)).toBe(UD);
  });
  it('XRSTOR standard form: #GP(0) for XSTATE_BV outside XCR0 or a non-zero XCOMP_BV/reserved header', () => {
    for (const [off, v] of [
      [512, 4], // AVX bit, not in XCR0
      [512, 0x200], // PKRU, not in this XCR0
      [520, 1], // XCOMP_BV[0] without bit 63: reserved in the standard form
      [528, 1], // header bytes 16-23
    ] as const) {
      const m = xm();
      m.run(XSAVE);
      m.mem.write32(0x2000 + off, m.mem.read32(0x2000 + off) | v);
      m.cpu.sse.setDwords(0, 7, 7, 7, 7);
      m.run(XRSTOR);
      expect(m.monitor.exits[0], `offset ${off}`).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
      expect(m.cpu.sse.dword(0, 0)).toBe(7);
    }
  });
  it('XRSTOR compacted form: #GP(0) for XSTATE_BV outside XCOMP_BV and for header bytes 16-63', () => {
    for (const [off, v] of [
      [512, 2], // XSTATE_BV[1] with XCOMP_BV = 2^63 | 1
      [560, 1], // header byte 48
      [524, 0x40000000], // XCOMP_BV[62]
    ] as const) {
      const m = xm();
      m.cpu.lo[0] = 1; // RFBM = x87
      m.run(XSAVEC);
      m.mem.write32(0x2000 + off, m.mem.read32(0x2000 + off) | v);
      m.run(XRSTOR);
      expect(m.monitor.exits[0], `offset ${off}`).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
    }
  });
  it('XRSTOR with XSTATE_BV = 0 initialises the components (XMM zero, x87 empty)', () => {
    const m = xm();
    for (let i = 0; i < 0x300; i++) m.mem.write8(0x2000 + i, 0);
    m.mem.write32(0x2000 + 24, 0x1f80);
    m.cpu.sse.setDwords(3, 1, 2, 3, 4);
    m.cpu.fpu.writeMmx(2, 5, 6);
    expect(m.run(XRSTOR)).toBeNull();
    expect(m.cpu.sse.dword(3, 3)).toBe(0);
    expect(m.cpu.fpu.ftw).toBe(0xffff);
    expect(m.cpu.fpu.fcw).toBe(0x37f);
    expect(m.cpu.fpu.readMmxLo(2)).toBe(0);
  });
  it('PKRU is saved at 2688 (standard) and 576 (compacted) when XCR0.PKRU is set', () => {
    const m = xm(0x40600n, 0x203n);
    m.cpu.pkru = 0x55555554;
    expect(m.run(XSAVE)).toBeNull();
    expect(m.mem.read32(0x2000 + 2688)).toBe(0x55555554);
    expect(m.mem.read32(0x2000 + 512) & 0x200).toBe(0x200);
    m.cpu.pkru = 0;
    expect(m.run(XRSTOR)).toBeNull();
    expect(m.cpu.pkru).toBe(0x55555554);
    m.mem.write32(0x2000 + 576, 0);
    expect(m.run(XSAVEC)).toBeNull();
    expect(m.mem.read32(0x2000 + 576)).toBe(0x55555554);
    expect(m.mem.read32(0x2000 + 520)).toBe(0x203);
  });
});

describe('CLFLUSH', () => {
  it('checks its operand like a read: #GP(0) past the segment limit, nothing otherwise', () => {
    const m = m32(0x11n, 0n);
    expect(m.run('0f ae 3d 00200000')).toBeNull(); // clflush [0x2000]
    m.cpu.seg[3]!.limit = 0x1fff;
    m.run('0f ae 3d 00200000');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
  });
});
