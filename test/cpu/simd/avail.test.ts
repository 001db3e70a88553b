/**
 * SIMD availability by the hardware CR0/CR4 (simd/avail.ts): CR0.EM / CR4.OSFXSR=0 → #UD,
 * CR0.TS → #NM (after #UD), alignment #GP(0) of aligned m128 forms, unaligned forms accepted,
 * LDMXCSR reserved bits → #GP(0), XMM8-15 through REX.
 */
import { describe, expect, it } from 'vitest';
import { machine, type Bits } from '../core/harness.ts';
import { pagedMachine } from '../jit/jit-harness.ts';

const UD = 6;
const NM = 7;
const GP = 13;

function sse(bits: Bits, cr0: bigint | null, cr4: bigint) {
  const m = machine(bits);
  const base = bits === 64 ? 0x80000011n : 0x11n;
  m.cpu.setControl({ cr0: cr0 ?? base, cr4: cr4 | (bits === 64 ? 0x20n : 0n) });
  m.cpu.intercepts.exceptionBitmap = (1 << UD) | (1 << NM) | (1 << GP);
  return m;
}

function vectorOf(m: ReturnType<typeof machine>): number | undefined {
  const e = m.monitor.exits[0];
  return e?.reason === 'exception' ? e.vector : undefined;
}

describe('SSE availability (CR0.EM, CR0.TS, CR4.OSFXSR)', () => {
  const MOVAPS = '0f 28 c1'; // movaps xmm0, xmm1
  it('runs with OSFXSR=1, EM=0, TS=0', () => {
    const m = sse(32, null, 0x200n);
    m.cpu.sse.setDwords(1, 1, 2, 3, 4);
    expect(m.run(MOVAPS)).toBeNull();
    expect([0, 1, 2, 3].map((i) => m.cpu.sse.dword(0, i))).toEqual([1, 2, 3, 4]);
  });
  it('#UD with CR4.OSFXSR=0', () => {
    const m = sse(32, null, 0n);
    m.run(MOVAPS);
    expect(vectorOf(m)).toBe(UD);
  });
  it('#UD with CR0.EM=1, before #NM for CR0.TS=1', () => {
    const m = sse(32, 0x11n | 4n | 8n, 0x200n);
    m.run(MOVAPS);
    expect(vectorOf(m)).toBe(UD);
  });
  it('#NM with CR0.TS=1', () => {
    const m = sse(64, 0x80000011n | 8n, 0x200n);
    m.run(MOVAPS);
    expect(vectorOf(m)).toBe(NM);
  });
  it('#NM comes before a memory fault (misaligned operand)', () => {
    const m = sse(32, 0x11n | 8n, 0x200n);
    m.run('0f 28 05 01200000'); // movaps xmm0, [0x2001]
    expect(vectorOf(m)).toBe(NM);
  });
});

describe('m128 alignment and memory forms', () => {
  it('MOVAPS/MOVDQA raise #GP(0) on a misaligned operand, MOVUPS/MOVDQU do not', () => {
    for (const [hex, ok] of [
      ['0f 28 05 08200000', false], // movaps xmm0,[0x2008]
      ['66 0f 6f 05 04200000', false], // movdqa xmm0,[0x2004]
      ['0f 10 05 08200000', true], // movups
      ['f3 0f 6f 05 01200000', true], // movdqu
      ['f2 0f f0 05 03200000', true], // lddqu
    ] as const) {
      const m = sse(32, null, 0x200n);
      for (let i = 0; i < 32; i++) m.mem.write8(0x2000 + i, i + 1);
      m.run(hex);
      if (ok) {
        expect(m.monitor.exits).toEqual([]);
        const off = parseInt(hex.slice(-8, -6), 16);
        expect(m.cpu.sse.dword(0, 0)).toBe(((off + 4) << 24) | ((off + 3) << 16) | ((off + 2) << 8) | (off + 1));
      } else {
        expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
      }
    }
  });
  it('stores 16 bytes with REX registers in 64-bit mode and loads them back', () => {
    const m = sse(64, null, 0x200n);
    m.cpu.sse.setDwords(9, 0x11111111, 0x22222222, 0x33333333, 0xdeadbeef);
    // movdqa [0x2000], xmm9 ; movups xmm12, [0x2000]
    expect(m.run('66 44 0f 7f 0c 25 00200000 44 0f 10 24 25 00200000')).toBeNull();
    expect(m.mem.read32(0x200c)).toBe(0xdeadbeef);
    expect([0, 1, 2, 3].map((i) => m.cpu.sse.dword(12, i))).toEqual([0x11111111, 0x22222222, 0x33333333, 0xdeadbeef]);
  });
  it('a store beyond the segment limit raises #GP(0) and writes nothing', () => {
    const m = sse(32, null, 0x200n);
    m.cpu.seg[3]!.limit = 0x2007;
    m.cpu.sse.setDwords(0, 1, 2, 3, 4);
    m.run('0f 11 05 00200000'); // movups [0x2000], xmm0
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP });
    expect(m.mem.read32(0x2000)).toBe(0);
  });
});

describe('MXCSR', () => {
  it('LDMXCSR loads, STMXCSR stores, reserved bits raise #GP(0)', () => {
    const m = sse(32, null, 0x200n);
    m.mem.write32(0x2000, 0x7fc0);
    m.run('0f ae 15 00200000 0f ae 1d 04200000'); // ldmxcsr [0x2000] ; stmxcsr [0x2004]
    expect(m.cpu.sse.mxcsr).toBe(0x7fc0);
    expect(m.mem.read32(0x2004)).toBe(0x7fc0);
    m.mem.write32(0x2000, 0x10000);
    m.run('0f ae 15 00200000');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
    expect(m.cpu.sse.mxcsr).toBe(0x7fc0);
  });
});

describe('page faults and #SS on SIMD memory operands', () => {
  function paged() {
    // 32-bit paging, identity for the first 1 MiB except linear page 0x3000 (not present).
    const m = pagedMachine('off');
    m.cpu.setControl({ cr4: 0x200n });
    m.cpu.intercepts.exceptionBitmap = (1 << 14) | (1 << 12) | (1 << GP);
    return m;
  }
  it('a 16-byte load crossing into a not-present page raises #PF for that page and leaves the register', () => {
    const m = paged();
    m.cpu.sse.setDwords(0, 9, 9, 9, 9);
    m.run('0f 10 05 f82f0000'); // movups xmm0, [0x2ff8]
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 14, faultAddress: 0x3000 });
    expect(m.cpu.sse.dword(0, 0)).toBe(9);
  });
  it('a 16-byte store crossing into a not-present page writes nothing', () => {
    const m = paged();
    m.mem.write32(0x2ff8, 0x11223344);
    m.cpu.sse.setDwords(0, 1, 2, 3, 4);
    m.run('0f 11 05 f82f0000'); // movups [0x2ff8], xmm0
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 14 });
    expect(m.mem.read32(0x2ff8)).toBe(0x11223344);
  });
  it('FXSAVE into a region whose second page is not present faults before writing', () => {
    const m = paged();
    m.mem.write32(0x2f00, 0x55aa55aa);
    m.run('0f ae 05 002f0000'); // fxsave [0x2f00]
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 14 });
    expect(m.mem.read32(0x2f00)).toBe(0x55aa55aa);
  });
  it('an SS-relative operand past the stack segment limit raises #SS(0)', () => {
    const m = sse(32, null, 0x200n);
    m.cpu.intercepts.exceptionBitmap = 1 << 12;
    m.cpu.seg[2]!.limit = 0x7ff8;
    m.cpu.setReg(4, 4, 0x7ff0);
    m.run('0f 10 04 24'); // movups xmm0, [esp]
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 12, errorCode: 0 });
  });
});
