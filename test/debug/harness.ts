/**
 * Test helpers for the debugging features: `trapspec run` in this process (runCommand) with its
 * output captured, the gdb stub's port read from stderr, and real gdb (Debian's `gdb`) driven in
 * batch mode as a child process. Loopback only; every wait is bounded.
 */
import { execFile } from 'node:child_process';
import { runCommand, type RunOptions } from '../../src/cli/commands/run.ts';

export interface RunningGuest {
  /** Resolves with the exit status when the run ends. */
  done: Promise<number>;
  stdout(): string;
  stderr(): string;
  /** The port the gdb stub bound (read from its "listening on" line). */
  port: Promise<number>;
}

export function startRun(image: string, options: Partial<RunOptions>): RunningGuest {
  let out = '';
  let err = '';
  let gotPort: (p: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (gotPort = resolve));
  const done = runCommand(image, { mem: 128, paging: 'shadow', maxInsns: 50_000_000, ...options }, {
    stdout: (chunk) => {
      out += Buffer.from(chunk).toString('latin1');
    },
    stderr: (text) => {
      err += text;
      const m = /gdb stub listening on [^\s]+:(\d+)/.exec(text);
      if (m) gotPort(Number(m[1]));
    },
  });
  return { done, port, stdout: () => out, stderr: () => err };
}

/** Run gdb -batch with these commands against 127.0.0.1:port; resolves with its stdout+stderr. */
export function gdbBatch(port: number, commands: string[], timeoutMs = 30_000): Promise<string> {
  const args = ['-nx', '-batch', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  return new Promise((resolve, reject) => {
    execFile('gdb', args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error('gdb is not installed (scripts/setup.sh installs it)'));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** A promise that rejects after ms (bounded waits). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}
