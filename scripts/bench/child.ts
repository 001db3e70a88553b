import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..', '..');

export interface ChildOutcome<T> {
  value?: T;
  /** Why there is no value: exit status, signal, stderr's last lines. */
  error?: string;
  stderr: string;
}

/**
 * Run `node [nodeFlags] --import tsx scripts/bench/<script> <JSON request>` and parse the last
 * line of its stdout that is a JSON object (peers may print their own lines before it).
 */
export function runChild<T>(
  script: string,
  request: unknown,
  nodeFlags: readonly string[] = [],
  timeoutSeconds = 600,
): Promise<ChildOutcome<T>> {
  return new Promise((resolve) => {
    const args = [...nodeFlags, '--import', 'tsx', join(BENCH_DIR, script), JSON.stringify(request)];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (line !== undefined) {
        try {
          resolve({ value: JSON.parse(line) as T, stderr });
          return;
        } catch {
          // fall through: report the raw failure
        }
      }
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      const how = signal !== null ? `killed by ${signal}` : `exit status ${code}`;
      resolve({ error: `${script}: ${how}${tail !== '' ? `: ${tail}` : ''}`, stderr });
    });
  });
}
