import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand, type RunOptions } from '../../src/cli/commands/run.ts';

const LIMIT = '1000000';
const DEFAULT_OUTPUT = readFileSync('guests/default/expected-output.txt', 'latin1');

async function run(image: string, options: Partial<RunOptions> = {}) {
  const stdout: Buffer[] = [];
  let stderr = '';
  // A generous instruction limit, so a guest that goes wrong fails the test instead of hanging it.
  const status = await runCommand(image, { mem: 128, paging: 'shadow', maxInsns: 1_000_000, ...options }, {
    stdout: (chunk) => stdout.push(Buffer.from(chunk)),
    stderr: (text) => {
      stderr += text;
    },
  });
  return { status, stdout: Buffer.concat(stdout).toString('latin1'), stderr };
}

describe('trapspec run: guests', () => {
  it('the default guest prints exactly what it prints under QEMU and exits with status 1', async () => {
    const r = await run('guests/default/default.img');
    expect(r.stdout).toBe(DEFAULT_OUTPUT);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
  });

  it('the default guest output is recorded as expected (QEMU reference text)', () => {
    expect(DEFAULT_OUTPUT.split('\n')).toEqual([
      'trapspec default guest',
      'multiboot: EAX=2BADB002 mem_lower=0000027F',
      'protected mode:     CR0=00000011 CR3=00000000 CR4=00000000 EFER=00000000',
      'real mode:          CR0=00000010',
      'protected mode:     CR0=00000011',
      '32-bit paging:      CR0=80000011 CR3=00101000 CR4=00000010 EFER=00000000',
      '32-bit paging:      read through a 4 MiB page at 0x400000',
      'PAE paging:         CR0=80000011 CR3=00103000 CR4=00000030 EFER=00000000',
      'long mode (compat): CR0=80000011 CR3=00105000 CR4=000000B0 EFER=00000500',
      '64-bit mode:        CR0=0000000080000011 CR3=0000000000105000 CR4=00000000000000B0 EFER=0000000000000500',
      'done',
      '',
    ]);
  });

  it.each(['shadow', 'nested', 'direct'] as const)('the default guest runs the same with --paging %s', async (paging) => {
    const r = await run('guests/default/default.img', { paging });
    expect(r.stdout).toBe(DEFAULT_OUTPUT);
    expect(r.status).toBe(1);
  });

  it('--stats reports instructions, exits by reason and speed on stderr', async () => {
    const r = await run('guests/default/default.img', { stats: true });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(DEFAULT_OUTPUT);
    const instructions = Number(/instructions\s+(\d+)/.exec(r.stderr)?.[1]);
    expect(instructions).toBeGreaterThan(1000);
    expect(r.stderr).toMatch(/instructions\/s/);
    expect(r.stderr).toMatch(/mov-to-cr0\s+\d+/);
    expect(r.stderr).toMatch(/mov-to-cr3\s+3\n/); // one CR3 load per paging mode
    expect(r.stderr).toMatch(/wrmsr\s+1\n/);
    expect(r.stderr).toMatch(/io-out\s+\d+/);
  });

  it('a triple fault ends the run with status 4 and a report of the exceptions and state', async () => {
    const r = await run('guests/triple-fault/triple-fault.img');
    expect(r.stdout).toBe('about to triple fault\n');
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^trapspec: triple fault after \d+ instructions/);
    expect(r.stderr).toMatch(/CR0 00000011/);
    expect(r.stderr).toMatch(/mode protected32/);
  });

  it('--max-insns stops a spinning guest with status 6 and a report', async () => {
    const r = await run('guests/spin/spin.img', { maxInsns: 5000 });
    expect(r.stdout).toBe('spinning\n');
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/^trapspec: stopped at the instruction limit \(--max-insns 5000\)/);
    expect(r.stderr).toMatch(/EIP|RIP/);
  });

  it('a flat image starts in real mode at 0000:7C00 and exits with (0x2A << 1) | 1', async () => {
    const r = await run('guests/flat-hello/flat-hello.img');
    expect(r.stdout).toBe('hello from real mode, CR0.PE=0\n');
    expect(r.status).toBe(0x55);
  });

  it('--guest-status exits with the value the guest wrote to 0xF4 (npm start: 0 on success)', async () => {
    expect((await run('guests/default/default.img', { guestStatus: true })).status).toBe(0);
    expect((await run('guests/flat-hello/flat-hello.img', { guestStatus: true })).status).toBe(0x2a);
    // Other stops keep their own statuses.
    expect((await run('guests/triple-fault/triple-fault.img', { guestStatus: true })).status).toBe(4);
  });

  it('an ELF32 multiboot kernel gets its command line (after the image path, as under QEMU)', async () => {
    const r = await run('guests/elf-hello/elf-hello.img', { cmdline: 'hello world' });
    expect(r.stdout).toBe('elf-hello: cmdline=guests/elf-hello/elf-hello.img hello world\nelf-hello: zeroed segment ok\n');
    expect(r.status).toBe(0x21);
  });

  it('the bare monitor runs the default guest to the same output', async () => {
    const { Machine } = await import('../../src/runtime/machine/machine.ts');
    const { bareMonitorFactory } = await import('../../src/runtime/machine/monitor-factory.ts');
    const { CapturedOutput } = await import('../../src/runtime/machine/output.ts');
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 128, paging: 'direct', output: out, monitorFactory: bareMonitorFactory });
    const loaded = m.load(new Uint8Array(readFileSync('guests/default/default.img')), { file: 'guests/default/default.img' });
    expect(loaded.ok).toBe(true);
    const result = m.run(1_000_000);
    expect(result.stop).toEqual({ kind: 'debug-exit', status: 1 });
    expect(out.text()).toBe(DEFAULT_OUTPUT);
    expect(result.instructions).toBe(m.stats().instructions);
    expect(m.stats().exits.get('mov-to-cr3')).toBe(3);
  });

  it('--trace-file writes one line per instruction', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'trapspec-trace-')), 'trace.txt');
    const r = await run('guests/spin/spin.img', { maxInsns: 200, traceFile: file });
    expect(r.status).toBe(6);
    const lines = readFileSync(file, 'latin1').trimEnd().split('\n');
    expect(lines.length).toBe(200);
    expect(lines[0]).toMatch(/100020/); // the entry point
  });
});

describe('trapspec run: small flat images', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trapspec-flat-'));
  const image = (name: string, bytes: number[]) => {
    const file = join(dir, name);
    writeFileSync(file, Uint8Array.from(bytes));
    return file;
  };

  it('HLT with IF=0 ends the run as halted, status 0', async () => {
    const r = await run(image('hlt.img', [0xfa, 0xf4])); // cli; hlt
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('trapspec: guest halted (HLT with nothing to wake it: IF = 0, no NMI pending) after 2 instructions\n');
  });

  it('unknown ports read all ones and are counted in --stats', async () => {
    // in al, 0x50; out 0xE9, al; mov dx, 0x300; in eax, dx; out 0x30, al; cli; hlt
    const r = await run(image('ports.img', [0xe4, 0x50, 0xe6, 0xe9, 0xba, 0x00, 0x03, 0xed, 0xe6, 0x30, 0xfa, 0xf4]), { stats: true });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('\xff');
    expect(r.stderr).toMatch(/unknown ports\s+3\n\s+0x0030\s+1\n\s+0x0050\s+1\n\s+0x0300\s+1\n/);
  });
});

describe('trapspec run: bad images (status 2, a message, no stack trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trapspec-bad-'));

  it('a missing file', async () => {
    const r = await run(join(dir, 'nope.img'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`trapspec run: ${join(dir, 'nope.img')}: no such file\n`);
  });

  it('an ELF without a multiboot header', async () => {
    const elf = Buffer.alloc(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    const file = join(dir, 'plain.elf');
    writeFileSync(file, elf);
    const r = await run(file);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`trapspec run: ${file}: no multiboot header in the first 8 KiB (magic 0x1BADB002)\n`);
  });

  it('a kernel that does not fit in --mem', async () => {
    const r = await run('guests/default/default.img', { mem: 1 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/lies outside RAM \(1 MiB\)/);
  });
});

describe('trapspec run: the CLI process', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...args], { encoding: 'latin1', timeout: 60_000 });

  it('exits with the guest status and prints guest output on stdout', async () => {
    const r = cli('--max-insns', LIMIT, 'guests/default/default.img');
    expect(r.stdout).toBe(DEFAULT_OUTPUT);
    expect(r.status).toBe(1);
  });

  it('exits with 2 and a message for bad arguments', async () => {
    for (const args of [['--mem', 'lots', 'guests/default/default.img'], ['--paging', 'magic', 'x.img']]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});
