import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine, type PagingModeName } from '../runtime/machine/machine.ts';
import { CapturedOutput } from '../runtime/machine/output.ts';
import { GUEST_MEM_MIB } from './layout.ts';

/**
 * Where a conformance image runs. Every runner returns the guest's output and how the run ended;
 * a hang (time or instruction limit) is reported as such, never thrown.
 */

export type RunEnd = 'exit' | 'crash' | 'hang' | 'error';

export interface ImageRun {
  output: string;
  end: RunEnd;
  /** Human-readable stop reason (triple fault detail, QEMU's stderr, the limit reached). */
  detail: string;
}

export interface Runner {
  /** Column name in tables and JSON: `trapspec-shadow`, `trapspec-nested`, `qemu`. */
  name: string;
  /** How many images may run at once (child processes); 1 for in-process runners. */
  parallel: number;
  /** `vectors`: how many vectors the image holds (sizes time limits). */
  run(image: Uint8Array, vectors: number): Promise<ImageRun>;
}

/**
 * Instruction budget per image under trapspec: a vector takes 2,000-4,000 instructions (set-up,
 * read-back, reset, printing), start-up about 20,000; the budget leaves ten times that.
 */
export function insnBudget(vectors: number): number {
  return 200_000 + 40_000 * vectors;
}

export function trapspecRunner(paging: PagingModeName, crPolicy = 'trap-all'): Runner {
  return {
    name: crPolicy === 'trap-all' ? `trapspec-${paging}` : `trapspec-${paging}-${crPolicy}`,
    parallel: 1,
    run(image, vectors) {
      const budget = insnBudget(vectors);
      const out = new CapturedOutput();
      const m = new Machine({ memMiB: GUEST_MEM_MIB, paging, crPolicy, output: out });
      const loaded = m.load(image, { file: 'conform.img' });
      if (!loaded.ok) return Promise.resolve({ output: '', end: 'error', detail: JSON.stringify(loaded) });
      let end: RunEnd;
      let detail: string;
      try {
        const r = m.run(budget);
        switch (r.stop.kind) {
          case 'debug-exit':
            end = 'exit';
            detail = `debug-exit ${r.stop.status}`;
            break;
          case 'max-insns':
            end = 'hang';
            detail = `no exit after ${budget} instructions`;
            break;
          case 'triple-fault':
            end = 'crash';
            detail = `triple fault: ${r.stop.detail}`;
            break;
          case 'halted':
          case 'idle':
            end = 'crash';
            detail = 'halted';
            break;
          case 'monitor-error':
            end = 'crash';
            detail = `monitor error: ${r.stop.detail}`;
            break;
          case 'debug':
            end = 'error';
            detail = 'stopped by a debugger (none is attached to conformance runs)';
            break;
          case 'reset':
            end = 'crash';
            detail = `reset: ${r.stop.source}`;
            break;
          case 'console-quit':
            end = 'error';
            detail = 'console quit';
            break;
        }
      } catch (e) {
        end = 'error';
        detail = `trapspec threw: ${(e as Error).stack ?? String(e)}`;
      }
      return Promise.resolve({ output: out.text(), end, detail });
    },
  };
}

export const QEMU_BINARY = 'qemu-system-x86_64';

export function qemuAvailable(binary = QEMU_BINARY): boolean {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

export function qemuVersion(binary = QEMU_BINARY): string {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'not installed';
}

/**
 * QEMU TCG with the guest contract's command line. Time limit per image: `baseMs` plus
 * `perVectorMs` per vector (a whole image of ~500 vectors runs in well under a second).
 */
export function qemuRunner(baseMs = 2500, perVectorMs = 10, binary = QEMU_BINARY): Runner {
  return {
    name: 'qemu',
    parallel: 4,
    run(image, vectors) {
      const timeoutMs = baseMs + perVectorMs * vectors;
      const dir = mkdtempSync(join(tmpdir(), 'trapspec-conform-'));
      const file = join(dir, 'guest.img');
      writeFileSync(file, image);
      // Serial output goes to a file, not a pipe: QEMU's stdio chardev is non-blocking and drops
      // bytes when the reader falls behind (seen under load: parts of lines missing).
      const serial = join(dir, 'serial.out');
      const args = [
        '-accel',
        'tcg',
        '-cpu',
        'max',
        '-m',
        String(GUEST_MEM_MIB),
        '-display',
        'none',
        '-no-reboot',
        '-serial',
        `file:${serial}`,
        '-device',
        'isa-debug-exit,iobase=0xf4,iosize=0x04',
        '-kernel',
        file,
      ];
      return new Promise((resolve) => {
        const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        let stderr = '';
        const readSerial = (): void => {
          try {
            output = readFileSync(serial, 'latin1');
          } catch {
            output = '';
          }
        };
        let timedOut = false;
        child.stdout.resume();
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs);
        const finish = (end: RunEnd, detail: string): void => {
          clearTimeout(timer);
          readSerial();
          rmSync(dir, { recursive: true, force: true });
          resolve({ output, end, detail });
        };
        child.on('error', (e) => finish('error', `${binary}: ${e.message}`));
        child.on('close', (code) => {
          if (timedOut) return finish('hang', `no exit within ${timeoutMs} ms`);
          // isa-debug-exit: status (v << 1) | 1; the guest writes 0. -no-reboot: a triple fault exits 0.
          if (code === 1) return finish('exit', 'debug-exit 0');
          finish('crash', `exit status ${code}${stderr ? `: ${stderr.trim()}` : ''} (triple fault or reset)`);
        });
      });
    },
  };
}
