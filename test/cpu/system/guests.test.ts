/**
 * End to end: the rings guest (test/cpu/system/guests/rings.asm) exercises privilege changes,
 * gates, exception frames and SYSCALL/SYSRET through the loader, the CPU and the trap monitor.
 * Its expected output was recorded under QEMU (qemu-system-x86_64 -cpu max -kernel rings.img);
 * trapspec must print the same bytes and end through the debug-exit port, in every paging mode.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine, type PagingModeName } from '../../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';

const DIR = join('test', 'cpu', 'system', 'guests');
const image = new Uint8Array(readFileSync(join(DIR, 'rings.img')));
const expected = readFileSync(join(DIR, 'expected-output.txt'), 'latin1');

function run(paging: PagingModeName): { output: string; stop: string } {
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: 16, paging, output: out });
  const loaded = m.load(image, { file: 'rings.img' });
  if (!loaded.ok) throw new Error(`load: ${JSON.stringify(loaded)}`);
  const r = m.run(200_000);
  const stop = r.stop.kind === 'debug-exit' ? `debug-exit ${r.stop.status}` : JSON.stringify(r.stop);
  return { output: out.text(), stop };
}

describe('rings guest', () => {
  it.each(['direct', 'shadow', 'nested'] as const)('prints what QEMU printed under %s paging', (paging) => {
    const r = run(paging);
    expect(r.output).toBe(expected);
    expect(r.stop).toBe('debug-exit 1');
  });

  it('the checked-in image is what its source assembles to (when nasm is installed)', () => {
    if (spawnSync('nasm', ['-v']).status !== 0) return;
    const out = join(mkdtempSync(join(tmpdir(), 'trapspec-rings-')), 'rings.img');
    execFileSync('nasm', ['-f', 'bin', '-o', out, join(DIR, 'rings.asm')]);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(image)), 'rings.img is stale: nasm -f bin -o rings.img rings.asm').toBe(true);
  });
});
