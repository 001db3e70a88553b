/**
 * SIMD instructions inside hot code with the block compiler eager: the compiler has no plan for
 * them, so a block ends before one and the interpreter runs it; the results, the retired count and
 * a precise #GP from a misaligned MOVDQA after the loop are those of the interpreter alone. The
 * 64-bit SIMD program (guest/simd64.img) gives the host's output with the compiler on too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODE } from '../core/harness.ts';
import { jitMachine, snapshot, type JitMode } from '../jit/jit-harness.ts';

// mov ecx,1000; L: paddd xmm0,xmm1; add eax,ecx; pshufd xmm1,xmm0,0x39; movdqa [0x2000],xmm0;
// pxor xmm2,[0x2000]; add ebx,[0x2004]; dec ecx; jnz L; movdqa xmm3,[0x2001] (#GP); hlt
const LOOP = 'b9e8030000660ffec101c8660f70c839660f7f0500200000660fef1500200000031d042000004975dc660f6f1d01200000f4';

function run(mode: JitMode) {
  const m = jitMachine(32, mode);
  m.cpu.setControl({ cr4: 0x600n });
  m.cpu.intercepts.exceptionBitmap = 1 << 13;
  m.cpu.sse.setDwords(0, 1, 2, 3, 4);
  m.cpu.sse.setDwords(1, 0x10001, 0x20002, 0x30003, 0x40004);
  m.mem.loadBytes(CODE, Uint8Array.from(Buffer.from(LOOP, 'hex')));
  m.cpu.decoded.clear();
  m.cpu.ip = CODE;
  m.cpu.run(100_000);
  const xmm = Array.from({ length: 12 }, (_, i) => m.cpu.sse.u32[i]!);
  return { snap: snapshot(m), xmm, jit: m.cpu.decoded.jit };
}

describe('SIMD with the block compiler', () => {
  it('a loop mixing SIMD and integer instructions gives the interpreter results and a precise #GP', () => {
    const off = run('off');
    const eager = run('eager');
    expect(eager.snap).toEqual(off.snap);
    expect(eager.xmm).toEqual(off.xmm);
    expect(off.snap.exits).toContain('"vector":13');
    expect(off.snap.instructions).toBeGreaterThan(8000);
  });
  it('the 64-bit SIMD program prints the host output with the compiler eager', () => {
    const m = jitMachine(64, 'eager');
    m.cpu.setControl({ cr4: 0x620n });
    const dir = join('test', 'cpu', 'simd', 'guest');
    m.mem.loadBytes(0x10000, new Uint8Array(readFileSync(join(dir, 'simd64.img'))));
    m.cpu.decoded.clear();
    m.cpu.ip = 0x10000;
    m.cpu.setReg(4, 4, 0x80000);
    expect(m.cpu.run(5_000_000)?.kind).toBe('halted');
    const n = m.mem.read32(0x6fffc);
    expect(Buffer.from(m.mem.ram.subarray(0x70000, 0x70000 + n)).toString('latin1')).toBe(readFileSync(join(dir, 'expected.txt'), 'latin1'));
  });
});
