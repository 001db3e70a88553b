/**
 * A SIMD-heavy C program as a guest (guest/simd.c: vectorized checksum loops and SSE2/SSSE3/
 * SSE4.1/SSE4.2/MMX string routines, gcc -O2 -msse4.2 -m32, linked as a multiboot ELF by
 * guest/build.sh) boots through the loader, enables SSE with MOV CR4 (through the trap monitor's
 * rules) and prints what the same program printed on the host (guest/expected.txt), in every
 * paging mode, without a single #UD.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';

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
