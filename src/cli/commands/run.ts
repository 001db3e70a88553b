import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatLoadError } from '../../runtime/machine/loaders/load-error.ts';
import { CR_POLICY_NAMES, PAGING_MODES, type PagingModeName } from '../../runtime/machine/monitor-factory.ts';
import { BufferedOutput } from '../../runtime/machine/output.ts';
import { formatStats, formatStop, exitStatusFor } from '../../runtime/machine/run-report.ts';
import type { TraceSink } from '../../runtime/machine/cpu-port.ts';
import type { ClockMode } from '../../runtime/machine/clock.ts';
import { CONSOLE_MODES, HostConsole, type ConsoleMode } from '../host-console.ts';

export interface RunOptions {
  mem: number;
  maxInsns?: number;
  paging: PagingModeName;
  /** CR-ownership policy: trap-all (default) or one of spec/rules/ownership.rules. */
  crPolicy?: string;
  flat?: boolean;
  cmdline?: string;
  trace?: boolean;
  traceFile?: string;
  stats?: boolean;
  /** Exit with the value v the guest wrote to 0xF4 instead of QEMU's (v << 1) | 1. */
  guestStatus?: boolean;
  /** Where COM1's input comes from (host-console.ts). */
  console?: ConsoleMode;
  /** Virtual time: deterministic (default) or realtime. */
  clock?: ClockMode;
  /** RTC start: a fixed date (default, reproducible) or the host's time. */
  rtc?: 'fixed' | 'host';
}

/** Where `trapspec run` writes: guest output, the report, the trace. Replaceable in tests. */
export interface RunIo {
  stdout: (chunk: Uint8Array) => void;
  stderr: (text: string) => void;
}

const processIo: RunIo = {
  stdout: (chunk) => writeAll(1, chunk),
  stderr: (text) => writeAll(2, Buffer.from(text)),
};

/** Exit status for bad arguments or a bad image. */
export const EXIT_USAGE = 2;
/** Exit status for an internal error (EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;
const MAX_MEM_MIB = 3072;

/**
 * `trapspec run IMAGE`: boot a guest. Returns the process exit status (guest contract, "Ending a
 * run"): debug-exit → (v << 1) | 1, halted → 0, triple fault / max-insns / monitor error →
 * their own statuses (run-report.ts), bad arguments or image → 2.
 */
export async function runCommand(imagePath: string, options: RunOptions, io: RunIo = processIo): Promise<number> {
  let image: Uint8Array;
  try {
    image = new Uint8Array(readFileSync(imagePath));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((error as Error).message);
    io.stderr(`trapspec run: ${imagePath}: ${why}\n`);
    return EXIT_USAGE;
  }

  const output = new BufferedOutput(io.stdout);
  let traceFd: number | undefined;
  let trace: TraceSink | undefined;
  if (options.trace === true || options.traceFile !== undefined) {
    if (options.traceFile !== undefined) {
      try {
        traceFd = openSync(options.traceFile, 'w');
      } catch (error) {
        io.stderr(`trapspec run: --trace-file ${options.traceFile}: ${(error as Error).message}\n`);
        return EXIT_USAGE;
      }
    }
    const fd = traceFd;
    trace = fd === undefined ? (line) => io.stderr(`${line}\n`) : (line) => writeAll(fd, Buffer.from(`${line}\n`));
  }

  const console = HostConsole.open(options.console ?? 'auto');
  if (typeof console === 'string') {
    io.stderr(`trapspec run: ${console}\n`);
    return EXIT_USAGE;
  }

  // Loaded on use, so the other commands never load the interpreter.
  const { Machine } = await import('../../runtime/machine/machine.ts');
  try {
    const machine = new Machine({
      memMiB: options.mem,
      paging: options.paging,
      crPolicy: options.crPolicy,
      output,
      trace,
      clock: options.clock,
      serialInput: console ?? undefined,
      rtcStartSec: options.rtc === 'host' ? Math.floor(Date.now() / 1000) : undefined,
    });
    const loaded = machine.load(image, { file: imagePath, format: options.flat === true ? 'flat' : 'auto', cmdline: options.cmdline });
    if (!loaded.ok) {
      io.stderr(`trapspec run: ${formatLoadError(loaded.error)}\n`);
      return EXIT_USAGE;
    }
    const result = machine.run(options.maxInsns ?? Infinity);
    output.flush();
    const report = formatStop(result.stop, machine.vcpu, result.instructions, machine.guestControl());
    if (report !== '') io.stderr(report);
    if (options.stats === true) io.stderr(formatStats(machine.stats(), options.paging));
    if (options.guestStatus === true && result.stop.kind === 'debug-exit') return (result.stop.status >>> 1) & 0xff;
    return exitStatusFor(result.stop);
  } catch (error) {
    // Only a bug in trapspec gets here (guest behaviour never throws): say so, with the stack.
    output.flush();
    io.stderr(`trapspec run: internal error (a bug in trapspec, not in the guest):\n${(error as Error).stack ?? String(error)}\n`);
    return EXIT_INTERNAL;
  } finally {
    console?.close();
    output.flush();
    if (traceFd !== undefined) closeSync(traceFd);
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('boot a guest image (multiboot v1 kernel or flat real-mode binary) on the trapspec machine')
    .argument('<image>', 'guest image: multiboot ELF32, multiboot a.out-kludge binary, or flat binary')
    .option('--mem <MiB>', 'guest RAM in MiB', parseMem, 128)
    .option('--max-insns <N>', 'stop after N instructions', parseCount)
    .addOption(new Option('--paging <mode>', 'how the monitor virtualizes paging').choices([...PAGING_MODES]).default('shadow'))
    .addOption(
      new Option('--cr-policy <policy>', 'which CR0/CR4 bits the guest owns (VMX-style masks; spec/rules/ownership.rules)')
        .choices([...CR_POLICY_NAMES])
        .default('trap-all'),
    )
    .option('--flat', 'load as a flat binary at 0x7C00 and start in real mode (default when there is no multiboot header)')
    .option('--cmdline <string>', 'multiboot command line')
    .option('--trace', 'print one line per executed instruction to stderr')
    .option('--trace-file <path>', 'write the instruction trace to a file instead')
    .option('--stats', 'print run statistics to stderr')
    .addOption(new Option('--console <mode>', "COM1 input: auto (stdin when it is a pipe or file), raw (the terminal, Ctrl-A X quits), none").choices([...CONSOLE_MODES]).default('auto'))
    .addOption(new Option('--clock <mode>', 'virtual time: deterministic (from the instruction count) or realtime').choices(['deterministic', 'realtime']).default('deterministic'))
    .addOption(new Option('--rtc <start>', 'RTC time at power-on: fixed (2025-01-01, reproducible) or host').choices(['fixed', 'host']).default('fixed'))
    .option('--guest-status', "on a debug-exit write of v, exit with v itself (0 = success) instead of QEMU's (v << 1) | 1")
    // Usage errors (unknown option, bad value, missing image) exit with 2, not commander's 1.
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
    })
    .action(async (imagePath: string, options: RunOptions) => {
      process.exitCode = await runCommand(imagePath, options);
    });
}

function parseMem(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_MEM_MIB) {
    throw new InvalidArgumentError(`expected a whole number of MiB from 1 to ${MAX_MEM_MIB}`);
  }
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') return;
      throw error;
    }
  }
}
