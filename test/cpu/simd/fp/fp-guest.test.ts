/**
 * An SSE floating-point C program as a guest (guest/fp.c: float/double kernels compiled by
 * gcc -O2 -msse4.1 -mfpmath=sse -m32, plus intrinsics for HADD/ADDSUB/DPPS/ROUND/CVT…, run
 * under every MXCSR rounding mode and with DAZ/FTZ; linked as a multiboot ELF by
 * guest/build.sh, which checks it has no x87 instruction) prints what the same program printed
 * on the host (guest/expected.txt): result bits and MXCSR flags, in every paging mode.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../../../src/runtime/machine/output.ts';

const DIR = join('test', 'cpu', 'simd', 'fp', 'guest');

describe('SSE floating-point guest (gcc -O2 -msse4.1 -mfpmath=sse)', () => {
  const expected = readFileSync(join(DIR, 'expected.txt'), 'latin1');
  it.each(['direct', 'shadow', 'nested'] as const)('prints what the host printed under %s paging', (paging) => {
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 16, paging, output: out });
    const loaded = m.load(new Uint8Array(readFileSync(join(DIR, 'fp32.elf'))), { file: 'fp32.elf' });
    expect(loaded.ok).toBe(true);
    const r = m.run(5_000_000);
    expect(out.text()).toBe(expected);
    expect(r.stop).toMatchObject({ kind: 'debug-exit', status: 1 });
    expect(expected.split('\n').length).toBeGreaterThan(200);
  });
});
