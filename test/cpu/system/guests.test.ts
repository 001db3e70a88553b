/**
 * End to end: the system-side test guests (test/cpu/system/guests/*.asm) run through the loader,
 * the CPU and the trap monitor. Their expected output was recorded under QEMU
 * (qemu-system-x86_64 -accel tcg -cpu max -kernel NAME.img, COM1 on stdout); trapspec must print
 * the same bytes and end through the debug-exit port, in every paging mode.
 * - rings: CPL 0/3 transitions, a call gate, #GP/#UD/#PF frames, IST, SYSCALL/SYSRET;
 * - segments: faulting segment loads, LAR/LSL/VERR/VERW, SGDT/SIDT/SLDT/STR, an LDT,
 *   DS nulled by IRET to CPL 3, virtual-8086 mode entry, INT from v86 and #GP in v86;
 * - tasks: task switches by JMP, CALL + IRET (NT), INT n through a task gate, a 16-bit TSS, and
 *   a #DF through a task gate into a task with its own CR3 (a shadow-root switch under shadow).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine, type PagingModeName } from '../../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';

const DIR = join('test', 'cpu', 'system', 'guests');
const GUESTS = ['rings', 'segments', 'tasks'] as const;
const hasNasm = spawnSync('nasm', ['-v']).status === 0;

function run(name: string, paging: PagingModeName): { output: string; stop: string } {
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: 16, paging, output: out });
  const loaded = m.load(new Uint8Array(readFileSync(join(DIR, `${name}.img`))), { file: `${name}.img` });
  if (!loaded.ok) throw new Error(`load: ${JSON.stringify(loaded)}`);
  const r = m.run(200_000);
  const stop = r.stop.kind === 'debug-exit' ? `debug-exit ${r.stop.status}` : JSON.stringify(r.stop);
  return { output: out.text(), stop };
}

describe.each(GUESTS)('%s guest', (name) => {
  const expected = readFileSync(join(DIR, `expected-${name}.txt`), 'latin1');

  it.each(['direct', 'shadow', 'nested'] as const)('prints what QEMU printed under %s paging', (paging) => {
    const r = run(name, paging);
    expect(r.output).toBe(expected);
    expect(r.stop).toBe('debug-exit 1');
  });

  it('the checked-in image is what its source assembles to (when nasm is installed)', () => {
    if (!hasNasm) return;
    const out = join(mkdtempSync(join(tmpdir(), 'trapspec-guest-')), `${name}.img`);
    execFileSync('nasm', ['-f', 'bin', '-o', out, join(DIR, `${name}.asm`)]);
    const built = readFileSync(out);
    expect(built.equals(readFileSync(join(DIR, `${name}.img`))), `${name}.img is stale: nasm -f bin -o ${join(DIR, name)}.img ${join(DIR, name)}.asm (from the repository root)`).toBe(true);
  });
});
