/**
 * A SIMD-heavy C program as a guest (guest/simd.c: vectorized checksum loops and SSE2/SSSE3/
 * SSE4.1/SSE4.2/MMX string routines, gcc -O2 -msse4.2 -m32, linked as a multiboot ELF by
 * guest/build.sh) boots through the loader, enables SSE with MOV CR4 (through the trap monitor's
 * rules) and prints what the same program printed on the host (guest/expected.txt), in every
 * paging mode. The same program built for x86-64 (flat image, XMM8-15 in use) runs in 64-bit
 * mode under the test harness and prints the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';
import { machine } from '../core/harness.ts';

const DIR = join('test', 'cpu', 'simd', 'guest');

describe('SIMD guest (gcc -O2 -msse4.2)', () => {
  const expected = readFileSync(join(DIR, 'expected.txt'), 'latin1');
  it.each(['direct', 'shadow', 'nested'] as const)('prints what the host printed under %s paging', (paging) => {
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 16, paging, output: out });
    const loaded = m.load(new Uint8Array(readFileSync(join(DIR, 'simd32.elf'))), { file: 'simd32.elf' });
    expect(loaded.ok).toBe(true);
    const r = m.run(5_000_000);
    expect(out.text()).toBe(expected);
    expect(r.stop).toMatchObject({ kind: 'debug-exit', status: 1 });
    expect(expected.split('\n').length).toBeGreaterThan(15);
  });
});

describe('SIMD program in 64-bit mode (gcc -O2 -msse4.2 -m64)', () => {
  it('prints what the host printed, without a #UD', () => {
    const m = machine(64);
    m.cpu.setControl({ cr4: 0x620n });
    m.mem.loadBytes(0x10000, new Uint8Array(readFileSync(join(DIR, 'simd64.img'))));
    m.cpu.decoded.clear();
    m.cpu.ip = 0x10000;
    m.cpu.setReg(4, 4, 0x80000);
    const stop = m.cpu.run(5_000_000);
    expect(stop?.kind).toBe('halted');
    expect(m.cpu.stats.udByMnemonic.size).toBe(0);
    const n = m.mem.read32(0x6fffc);
    const text = Buffer.from(m.mem.ram.subarray(0x70000, 0x70000 + n)).toString('latin1');
    expect(text).toBe(readFileSync(join(DIR, 'expected.txt'), 'latin1'));
  });
});
