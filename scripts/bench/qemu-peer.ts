import { spawn, spawnSync } from 'node:child_process';
import { PhaseClock } from './phase-clock.ts';
import { phaseResults, unavailable, type PeerResult } from './result.ts';

export const QEMU_BINARY = 'qemu-system-x86_64';

/** "QEMU emulator version 7.2.x (...)" or undefined when QEMU is not installed. */
export function qemuVersion(): string | undefined {
  const r = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0]?.trim();
}

/** The guest contract's QEMU command line (peers.md), with the multiboot command line. */
export function qemuArgs(imagePath: string, cmdline: string, memMiB: number): string[] {
  return [
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-m',
    String(memMiB),
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-kernel',
    imagePath,
    '-append',
    cmdline,
  ];
}

/**
 * Run the bench guest under QEMU TCG. Serial output arrives through a pipe; each chunk is
 * timestamped when Node receives it (QEMU writes each byte as the guest sends it, so the
 * resolution is the event loop's, well under a millisecond when idle).
 */
export function runQemu(
  imagePath: string,
  cmdline: string,
  memMiB: number,
  timeoutSeconds: number,
): Promise<PeerResult> {
  const version = qemuVersion();
  if (version === undefined)
    return Promise.resolve(unavailable('qemu', `${QEMU_BINARY} not found (apt-get install -y qemu-system-x86)`));
  return new Promise((resolve) => {
    const clock = new PhaseClock();
    const t0 = performance.now();
    const child = spawn(QEMU_BINARY, qemuArgs(imagePath, cmdline, memMiB), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.stdout.on('data', (chunk: Buffer) => clock.chunk(chunk, performance.now()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ok = clock.done && clock.exception === undefined;
      const why = signal !== null ? `killed by ${signal} (timeout ${timeoutSeconds} s?)` : `exit status ${code}`;
      resolve({
        peer: 'qemu',
        status: ok ? 'ok' : 'failed',
        reason: ok ? undefined : (clock.exception ?? `the guest did not finish (${why}) ${stderr.trim()}`.trim()),
        version,
        phases: phaseResults(clock.phases),
        wallSeconds: (performance.now() - t0) / 1000,
        output: clock.output,
      });
    });
  });
}
