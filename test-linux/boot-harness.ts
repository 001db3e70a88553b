/**
 * Boots a Debian kernel from .cache/linux (fetched by scripts/setup.sh) with the scripted /init
 * of test/linux/fixtures/boot-test-init.sh, in-process, and returns the guest's console output
 * and the run's stats.
 */
import { readFileSync } from 'node:fs';
import { Machine, type PagingModeName, type RunStats } from '../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../src/runtime/machine/output.ts';
import type { StopReason } from '../src/runtime/vmm/monitor.ts';
import { applyV8Flags } from '../src/runtime/v8-flags.ts';
import { DEFAULT_APPEND, initramfsFor, linuxFiles } from '../scripts/linux/files.ts';

export const TEST_INIT = readFileSync(new URL('../test/linux/fixtures/boot-test-init.sh', import.meta.url), 'utf8');

export interface Boot {
  output: string;
  stop: StopReason;
  stats: RunStats;
  initReached: Machine['initReached'];
}

export function bootLinux(kernelPackage: string, paging: PagingModeName, maxInsns: number): Boot {
  applyV8Flags();
  const files = linuxFiles('i386', kernelPackage, false);
  const initrdPath = initramfsFor(files.busybox, TEST_INIT);
  const output = new CapturedOutput();
  const machine = new Machine({ memMiB: 256, paging, output });
  const loaded = machine.load(new Uint8Array(readFileSync(files.kernel)), {
    file: files.kernel,
    cmdline: DEFAULT_APPEND,
    initrd: { file: initrdPath, bytes: new Uint8Array(readFileSync(initrdPath)) },
  });
  if (!loaded.ok) throw new Error(`${loaded.error.location}: ${loaded.error.message}`);
  const { stop } = machine.run(maxInsns);
  return { output: output.text(), stop, stats: machine.stats(), initReached: machine.initReached };
}

/** The lines the scripted /init printed (they start with "test: " or "worker "). */
export function scriptLines(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.startsWith('test: ') || l.startsWith('worker '));
}

/** Kernel log lines that must never appear in a good boot. */
export const BAD_LINE = /\bBUG\b|WARNING:|Oops|Kernel panic|unknown CPU feature|unchecked MSR access|invalid opcode/;
