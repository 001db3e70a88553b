/**
 * End to end: guests/lazyfpu.asm through the loader, the CPU and the trap monitor in every paging
 * mode. The guest takes #NM with CR0.EM in real mode, does lazy FPU switching with CR0.TS and a
 * CLTS in its #NM handler (the CLTS and MOV CR0 exits are decided by spec/rules/cr0.rules; the
 * CPU sees the hardware CR0 the monitor programs), saves/restores with FNSAVE/FRSTOR, and takes
 * #MF with CR0.NE. The expected output is what the guest prints by construction (see its source).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';

const DIR = join('test', 'cpu', 'fpu', 'guests');

describe('lazy FPU guest', () => {
  it.each(['direct', 'shadow', 'nested'] as const)('prints R1N4N3M under %s paging', (paging) => {
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 16, paging, output: out });
    const loaded = m.load(new Uint8Array(readFileSync(join(DIR, 'lazyfpu.img'))), { file: 'lazyfpu.img' });
    expect(loaded.ok).toBe(true);
    const r = m.run(100_000);
    expect(out.text()).toBe('R1N4N3M\n');
    expect(r.stop).toEqual({ kind: 'debug-exit', status: 0x55 });
    // Both CLTS of the #NM handler reached the monitor as exits.
    expect(m.stats().exits.get('clts')).toBe(2);
  });

  it.each(['lazyfpu', 'ferr'])('the checked-in %s image is what its source assembles to (when nasm is installed)', (name) => {
    if (spawnSync('nasm', ['-v']).status !== 0) return;
    const out = join(mkdtempSync(join(tmpdir(), 'trapspec-fpu-')), `${name}.img`);
    execFileSync('nasm', ['-f', 'bin', '-o', out, join(DIR, `${name}.asm`)]);
    expect(readFileSync(out).equals(readFileSync(join(DIR, `${name}.img`)))).toBe(true);
  });
});

describe('FERR# guest (CR0.NE = 0)', () => {
  it.each(['direct', 'shadow'] as const)('an unmasked x87 error arrives as IRQ13 through the 8259, never as #MF (%s paging)', (paging) => {
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 16, paging, output: out });
    const loaded = m.load(new Uint8Array(readFileSync(join(DIR, 'ferr.img'))), { file: 'ferr.img' });
    expect(loaded.ok).toBe(true);
    const r = m.run(100_000);
    expect(out.text()).toBe('FD\n');
    expect(r.stop).toEqual({ kind: 'debug-exit', status: 0x55 });
  });
});
