/**
 * Run one kvm-unit-tests kernel on trapspec, as QEMU's command line says (-append as the
 * multiboot command line, -m as RAM), and report it in QEMU's terms: the exit code is
 * (code << 1) | 1 for a debug-exit write of `code`, 0 for a shutdown (triple fault) or a halt
 * nothing can wake, 124 for the time limit (as `timeout` gives QEMU).
 */
import { readFileSync } from 'node:fs';
import { Machine, type PagingModeName } from '../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';
import type { KutTest } from './suite.ts';

export interface KutRun {
  rc: number;
  seconds: number;
  instructions: number;
  output: string;
  /** How the run ended, in a few words (debug-exit N, triple fault, halted, timeout, error). */
  end: string;
  pass: number;
  fail: number;
  skip: number;
  summary: string;
}

/** Instructions per slice between wall-clock checks. */
const SLICE = 20_000_000;

export function runKut(test: KutTest, options: { timeoutSeconds: number; paging?: PagingModeName; maxInsns?: number }): KutRun {
  const out = new CapturedOutput();
  const start = performance.now();
  let rc = 0;
  let end = '';
  let instructions = 0;
  try {
    const m = new Machine({ memMiB: test.memMiB ?? 128, paging: options.paging ?? 'shadow', output: out });
    const loaded = m.load(new Uint8Array(readFileSync(test.kernel)), { file: test.kernel, cmdline: test.append === '' ? undefined : test.append });
    if (!loaded.ok) throw new Error(`load: ${JSON.stringify(loaded)}`);
    const limit = options.maxInsns ?? Infinity;
    for (;;) {
      const r = m.run(Math.min(SLICE, limit - instructions));
      instructions += r.instructions;
      const s = r.stop;
      if (s.kind === 'max-insns') {
        if (instructions >= limit || (performance.now() - start) / 1000 > options.timeoutSeconds) {
          rc = 124;
          end = 'timeout';
          break;
        }
        continue;
      }
      if (s.kind === 'debug-exit') {
        rc = s.status;
        end = `debug-exit ${(s.status >>> 1) & 0xff}`;
      } else if (s.kind === 'triple-fault') {
        end = `triple fault (${s.detail.split(';')[0]})`;
      } else if (s.kind === 'halted') {
        end = `halted${s.why !== undefined ? ` (${s.why})` : ''}`;
      } else {
        end = s.kind === 'monitor-error' ? `monitor error: ${s.detail.split('\n')[0]}` : s.kind;
        rc = 0;
      }
      break;
    }
  } catch (e) {
    rc = 0;
    end = `error: ${(e as Error).message}`;
  }
  const output = out.text();
  const lines = output.split(/\r?\n/);
  const count = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
  return {
    rc,
    seconds: (performance.now() - start) / 1000,
    instructions,
    output,
    end,
    pass: count(/PASS: /),
    fail: count(/FAIL: /),
    skip: count(/^SKIP: /),
    summary: lines.find((l) => l.startsWith('SUMMARY: ')) ?? '',
  };
}
