import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The recorded reference output of the default guest is what QEMU prints. When QEMU is
 * installed the test runs it again and compares (guest contract: same image, same bytes); when
 * it is not, it checks the recording is the one the other tests compare trapspec against.
 */
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const QEMU = ['-accel', 'tcg', '-cpu', 'max', '-m', '128', '-display', 'none', '-no-reboot', '-serial', 'stdio',
  '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'];

describe('QEMU reference output', () => {
  it('guests/default/expected-output.txt is what QEMU prints for the default guest (status 1)', () => {
    const expected = readFileSync('guests/default/expected-output.txt', 'latin1');
    expect(expected.startsWith('trapspec default guest\n')).toBe(true);
    expect(expected.endsWith('done\n')).toBe(true);
    if (hasQemu) {
      const r = spawnSync('qemu-system-x86_64', [...QEMU, '-kernel', 'guests/default/default.img'], { encoding: 'latin1', timeout: 30_000 });
      expect(r.stdout).toBe(expected);
      expect(r.status).toBe(1);
    }
  });
});

describe('same image, same bytes as QEMU (when QEMU is installed)', () => {
  it('elf-hello with a command line', async () => {
    const { runCommand } = await import('../../src/cli/commands/run.ts');
    const chunks: Buffer[] = [];
    const status = await runCommand(
      'guests/elf-hello/elf-hello.img',
      { mem: 128, paging: 'nested', cmdline: 'a b  c', maxInsns: 1_000_000 },
      { stdout: (c) => chunks.push(Buffer.from(c)), stderr: () => undefined },
    );
    const ours = Buffer.concat(chunks).toString('latin1');
    expect(ours).toBe('elf-hello: cmdline=guests/elf-hello/elf-hello.img a b  c\nelf-hello: zeroed segment ok\n');
    expect(status).toBe(0x21);
    if (hasQemu) {
      const r = spawnSync('qemu-system-x86_64', [...QEMU, '-kernel', 'guests/elf-hello/elf-hello.img', '-append', 'a b  c'], {
        encoding: 'latin1',
        timeout: 30_000,
      });
      expect(r.stdout).toBe(ours);
      expect(r.status).toBe(status);
    }
  });
});
