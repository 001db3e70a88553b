/**
 * FXSAVE/XSAVE images byte by byte against the host CPU (native/gen_xsave.c → native/xsave.txt):
 * the interpreter runs the same instruction sequences from the same state into memory prefilled
 * with 0xAA and must write the same 576 bytes. One documented difference: MXCSR_MASK (bytes
 * 28-31) is 0x0000FFFF here and 0x0002FFFF on the host, whose bit 17 (misaligned-SSE mode) the
 * model does not report (simd/state.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hexBytes, machine } from '../core/harness.ts';

const images = new Map(
  readFileSync(new URL('./native/xsave.txt', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [name, hex] = l.split(' ');
      return [name!, hexBytes(hex!)] as const;
    }),
);

function host(name: string): number[] {
  const b = [...images.get(name)!];
  if (b[28] === 0xff && b[29] === 0xff && b[30] === 0x02 && b[31] === 0x00) b[30] = 0x00; // MXCSR_MASK
  return b;
}

// fxrstor64 [0x4000]; fxsave64 [0x5000]; fxsave [0x5400]; mov eax,3; xor edx,edx;
// xsave [0x5800]; xsaveopt [0x5c00]; xsavec [0x6000]
const LOADED = '480fae0c2500400000 480fae042500500000 0fae042500540000 b803000000 31d2 0fae242500580000 0fae3425005c0000 0fc7242500600000';
// mov eax,3; xor edx,edx; xrstor [0x7000]; ldmxcsr [0x7800]
const INIT = 'b803000000 31d2 0fae2c2500700000 0fae142500780000';
const XSAVE = '0fae242500800000'; // xsave [0x8000]
const XSAVEOPT = '0fae342500800000';
const XSAVEC = '0fc7242500800000';
const RESTORE = 'b803000000 31d2 0fae2c2500400000 480fae042500800000'; // xrstor [0x4000]; fxsave64 [0x8000]

function setup() {
  const m = machine(64);
  m.cpu.setControl({ cr4: 0x40620n, xcr0: 3n }); // PAE OSFXSR OSXMMEXCPT OSXSAVE
  m.cpu.intercepts.exceptionBitmap = 0xffffffff;
  m.mem.loadBytes(0x4000, images.get('A')!);
  m.mem.write32(0x7800, 0x1f81);
  for (const a of [0x5000, 0x5400, 0x5800, 0x5c00, 0x6000, 0x8000]) for (let i = 0; i < 0x400; i++) m.mem.write8(a + i, 0xaa);
  return m;
}

function bytes(m: ReturnType<typeof machine>, at: number): number[] {
  return Array.from({ length: 576 }, (_, i) => m.mem.read8(at + i));
}

function prefill(m: ReturnType<typeof machine>, at: number): void {
  for (let i = 0; i < 0x400; i++) m.mem.write8(at + i, 0xaa);
}

describe('FXSAVE/XSAVE layouts match the host', () => {
  it('after FXRSTOR64 of a known image: FXSAVE64, FXSAVE, XSAVE, XSAVEOPT, XSAVEC', () => {
    const m = setup();
    expect(m.run(LOADED)).toBeNull();
    expect(m.monitor.exits).toEqual([]);
    expect(bytes(m, 0x5000)).toEqual(host('loaded.fxsave64'));
    expect(bytes(m, 0x5400)).toEqual(host('loaded.fxsave'));
    expect(bytes(m, 0x5800)).toEqual(host('loaded.xsave'));
    expect(bytes(m, 0x5c00)).toEqual(host('loaded.xsaveopt'));
    expect(bytes(m, 0x6000)).toEqual(host('loaded.xsavec'));
  });
  it('from the initial configuration (XRSTOR of an empty header, MXCSR 0x1F81): init optimization', () => {
    for (const [code, name] of [
      [XSAVE, 'init.xsave'],
      [XSAVEOPT, 'init.xsaveopt'],
      [XSAVEC, 'init.xsavec'],
    ] as const) {
      const m = setup();
      m.run(LOADED); // some state in use first
      prefill(m, 0x8000);
      expect(m.run(INIT + code)).toBeNull();
      expect(m.monitor.exits).toEqual([]);
      expect(bytes(m, 0x8000), name).toEqual(host(name));
    }
  });
  it('XRSTOR standard and compacted forms restore what the host restores', () => {
    const m = setup();
    m.mem.write8(0x4000 + 512, 3);
    expect(m.run(RESTORE)).toBeNull();
    expect(bytes(m, 0x8000)).toEqual(host('restore.standard'));
    prefill(m, 0x8000);
    m.mem.write8(0x4000 + 520, 3);
    m.mem.write8(0x4000 + 527, 0x80);
    expect(m.run(RESTORE)).toBeNull();
    expect(bytes(m, 0x8000)).toEqual(host('restore.compacted'));
    prefill(m, 0x8000);
    m.mem.write8(0x4000 + 512, 2);
    expect(m.run(RESTORE)).toBeNull();
    expect(m.monitor.exits).toEqual([]);
    expect(bytes(m, 0x8000)).toEqual(host('restore.compacted-sse-only'));
  });
});
