import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatLoadError } from '../../runtime/machine/loaders/load-error.ts';
import { CR_POLICY_NAMES, PAGING_MODES, type PagingModeName } from '../../runtime/machine/monitor-factory.ts';
import { BufferedOutput } from '../../runtime/machine/output.ts';
import { formatStats, formatStop, exitStatusFor } from '../../runtime/machine/run-report.ts';
import type { TraceSink } from '../../runtime/machine/cpu-port.ts';
import { parseExitFilter, type ExitFilter } from '../../runtime/debug/exit-trace/filter.ts';
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
  /** QEMU's -append: the kernel command line (the same as --cmdline). */
  append?: string;
  /** QEMU's -initrd: an initial ramdisk for a Linux bzImage. */
  initrd?: string;
  trace?: boolean;
  traceFile?: string;
  /** --trace-exits[=FILTER]: true (every exit) or the parsed filter. */
  traceExits?: true | ExitFilter;
  stats?: boolean;
  /** Exit with the value v the guest wrote to 0xF4 instead of QEMU's (v << 1) | 1. */
  guestStatus?: boolean;
  /** Where COM1's input comes from (host-console.ts). */
  console?: ConsoleMode;
  /** Virtual time: deterministic (default) or realtime. */
  clock?: ClockMode;
  /** RTC start: a fixed date (default, reproducible) or the host's time. */
  rtc?: 'fixed' | 'host';
  /** --gdb [HOST:]PORT (or -s: port 1234). */
  gdb?: GdbAddress;
  s?: boolean;
  gdbWait?: boolean;
  gdbArch?: 'auto' | 'i386' | 'amd64';
}

export interface GdbAddress {
  host: string;
  port: number;
}

/** Where `trapspec run` writes: guest output, the report, the trace. Replaceable in tests. */
export interface RunIo {
  stdout: (chunk: Uint8Array) => void;
  stderr: (text: string) => void;
  /** COM1's input for --console (the process's stdin); none: nothing is received. */
  openConsole?: (mode: ConsoleMode) => HostConsole | null | string;
}

const processIo: RunIo = {
  stdout: (chunk) => writeAll(1, chunk),
  stderr: (text) => writeAll(2, Buffer.from(text)),
  openConsole: (mode) => HostConsole.open(mode),
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
  const image = readInput(imagePath, io);
  if (image === undefined) return EXIT_USAGE;
  let initrd: { file: string; bytes: Uint8Array } | undefined;
  if (options.initrd !== undefined) {
    const bytes = readInput(options.initrd, io, '--initrd ');
    if (bytes === undefined) return EXIT_USAGE;
    initrd = { file: options.initrd, bytes };
  }
  if (options.append !== undefined && options.cmdline !== undefined) {
    io.stderr('trapspec run: --append and --cmdline are the same option; give one\n');
    return EXIT_USAGE;
  }
  const cmdline = options.append ?? options.cmdline;

  const output = new BufferedOutput(io.stdout);
  let traceFd: number | undefined;
  let trace: TraceSink | undefined;
  let sink: TraceSink | undefined;
  const instructionTrace = options.trace === true || (options.traceFile !== undefined && options.traceExits === undefined);
  if (instructionTrace || options.traceExits !== undefined) {
    if (options.traceFile !== undefined) {
      try {
        traceFd = openSync(options.traceFile, 'w');
      } catch (error) {
        io.stderr(`trapspec run: --trace-file ${options.traceFile}: ${(error as Error).message}\n`);
        return EXIT_USAGE;
      }
    }
    const fd = traceFd;
    sink = fd === undefined ? (line) => io.stderr(`${line}\n`) : (line) => writeAll(fd, Buffer.from(`${line}\n`));
    if (instructionTrace) trace = sink;
  }

  const hostConsole = io.openConsole?.(options.console ?? 'auto') ?? null;
  if (typeof hostConsole === 'string') {
    io.stderr(`trapspec run: ${hostConsole}\n`);
    if (traceFd !== undefined) closeSync(traceFd);
    return EXIT_USAGE;
  }

  // Loaded on use, so the other commands never load the interpreter.
  const { Machine } = await import('../../runtime/machine/machine.ts');
  const monitorFactory = options.traceExits !== undefined && sink !== undefined ? await exitTraceFactory(options.traceExits, sink) : undefined;
  try {
    const machine = new Machine({
      memMiB: options.mem,
      paging: options.paging,
      crPolicy: options.crPolicy,
      output,
      trace,
      monitorFactory,
      clock: options.clock,
      serialInput: hostConsole ?? undefined,
      rtcStartSec: options.rtc === 'host' ? Math.floor(Date.now() / 1000) : undefined,
    });
    // Exact instruction counts in the exit trace: compiled blocks count theirs only when they end.
    if (monitorFactory !== undefined) machine.cpu.decoded.jit.enabled = false;
    const loaded = machine.load(image, { file: imagePath, format: options.flat === true ? 'flat' : 'auto', cmdline, initrd });
    if (!loaded.ok) {
      io.stderr(`trapspec run: ${formatLoadError(loaded.error)}\n`);
      return EXIT_USAGE;
    }
    const gdb = options.gdb ?? (options.s === true ? { host: '127.0.0.1', port: 1234 } : undefined);
    if (gdb === undefined && options.gdbWait === true) {
      io.stderr('trapspec run: --gdb-wait needs --gdb [HOST:]PORT (or -s)\n');
      return EXIT_USAGE;
    }
    let result: { stop: import('../../runtime/vmm/monitor.ts').StopReason; instructions: number };
    if (gdb !== undefined) {
      const { GdbSession } = await import('../../runtime/debug/gdb/session.ts');
      const session = new GdbSession(machine, {
        ...gdb,
        wait: options.gdbWait === true,
        arch: options.gdbArch,
        maxInsns: options.maxInsns,
        log: (line) => io.stderr(`${line}\n`),
        exitStatus: (stop) => (options.guestStatus === true && stop.kind === 'debug-exit' ? (stop.status >>> 1) & 0xff : exitStatusFor(stop)),
      });
      let r: Awaited<ReturnType<typeof session.run>>;
      try {
        r = await session.run();
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
          io.stderr(`trapspec run: --gdb ${gdb.host}:${gdb.port}: ${e.message}\n`);
          return EXIT_USAGE;
        }
        throw error;
      }
      if (r.kind === 'killed') {
        output.flush();
        io.stderr(`trapspec: run ended by gdb (kill) after ${r.instructions} instructions\n`);
        return 0;
      }
      result = r;
    } else {
      result = machine.run(options.maxInsns ?? Infinity);
    }
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
    hostConsole?.close();
    output.flush();
    if (traceFd !== undefined) closeSync(traceFd);
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('boot a guest image (Linux bzImage, multiboot v1 kernel or flat real-mode binary) on the trapspec machine')
    .argument('<image>', 'guest image: Linux bzImage, multiboot ELF32, multiboot a.out-kludge binary, or flat binary')
    .option('--mem <MiB>', 'guest RAM in MiB', parseMem, 128)
    .option('--max-insns <N>', 'stop after N instructions', parseCount)
    .addOption(new Option('--paging <mode>', 'how the monitor virtualizes paging').choices([...PAGING_MODES]).default('shadow'))
    .addOption(
      new Option('--cr-policy <policy>', 'which CR0/CR4 bits the guest owns (VMX-style masks; spec/rules/ownership.rules)')
        .choices([...CR_POLICY_NAMES])
        .default('trap-all'),
    )
    .option('--flat', 'load as a flat binary at 0x7C00 and start in real mode (default when there is no multiboot header)')
    .option('--cmdline <string>', 'kernel command line (multiboot or Linux)')
    .option('--append <string>', "kernel command line, QEMU's name for --cmdline")
    .option('--initrd <file>', 'initial ramdisk for a Linux bzImage')
    .option('--trace', 'print one line per executed instruction to stderr')
    .option('--trace-file <path>', 'write the instruction trace (or, without --trace, the exit trace) to a file instead')
    .option(
      '--trace-exits [filter]',
      'print one line per VM exit to stderr: instruction, access, guest/hardware values, outcome, the spec rule line that decided it; FILTER = comma-separated cr0,cr3,cr4,cr8,efer,xcr0, rules,msr,cpuid,io,hlt,invlpg,pf,exception,interrupt, fault,applied, all (write --trace-exits=FILTER)',
      parseTraceExits,
    )
    .option('--stats', 'print run statistics to stderr')
    .addOption(new Option('--console <mode>', "COM1 input: auto (stdin when it is a pipe or file), raw (the terminal, Ctrl-A X quits), none").choices([...CONSOLE_MODES]).default('auto'))
    .addOption(new Option('--clock <mode>', 'virtual time: deterministic (1 ns per instruction, HLT skips ahead) or realtime (wall clock)').choices(['deterministic', 'realtime']).default('deterministic'))
    .addOption(new Option('--rtc <start>', 'RTC time at power-on: fixed (2025-01-01, reproducible) or host').choices(['fixed', 'host']).default('fixed'))
    .option('--gdb <[host:]port>', 'serve the GDB remote protocol on HOST:PORT (default host 127.0.0.1; port 0 picks a free one, printed on stderr)', parseGdbAddress)
    .option('-s', 'shorthand for --gdb 1234 (as QEMU)')
    .option('--gdb-wait', 'with --gdb: wait for gdb to continue before the first instruction (as QEMU -S)')
    .addOption(
      new Option('--gdb-arch <arch>', "with --gdb: the register set gdb gets (auto: the CPU's mode when gdb connects; amd64 always, as QEMU)").choices(['auto', 'i386', 'amd64']).default('auto'),
    )
    .option('--guest-status', "on a debug-exit write of v, exit with v itself (0 = success) instead of QEMU's (v << 1) | 1")
    // Usage errors (unknown option, bad value, missing image) exit with 2, not commander's 1.
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
    })
    .action(async (imagePath: string, options: RunOptions) => {
      process.exitCode = await runCommand(imagePath, options);
    });
}

/** A file the user named, or undefined after one error line. */
function readInput(path: string, io: RunIo, what = ''): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((error as Error).message);
    io.stderr(`trapspec run: ${what}${path}: ${why}\n`);
    return undefined;
  }
}

/** The trap monitor behind an exit tracer (src/runtime/debug/exit-trace/). */
async function exitTraceFactory(filter: true | ExitFilter, sink: TraceSink): Promise<import('../../runtime/machine/machine.ts').MonitorFactory> {
  const { ExitTracer } = await import('../../runtime/debug/exit-trace/exit-tracer.ts');
  const { cpuExitProbe } = await import('../../runtime/debug/exit-trace/cpu-probe.ts');
  const { trapMonitorFactory } = await import('../../runtime/machine/monitor-factory.ts');
  // The tracer sits right in front of the trap monitor (inside a --cr-policy's ownership monitor).
  return (ctx) => trapMonitorFactory(ctx, (m) => new ExitTracer(m, { sink, probe: cpuExitProbe, filter: filter === true ? undefined : filter }));
}

/** `PORT`, `:PORT`, `HOST:PORT`, or QEMU's `tcp::PORT` / `tcp:HOST:PORT`. */
function parseGdbAddress(value: string): GdbAddress {
  const m = /^(?:tcp:)?(?:([^:]*):)?(\d+)$/.exec(value);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new InvalidArgumentError('expected [HOST:]PORT, e.g. 1234 or 127.0.0.1:1234 (port 0: any free port)');
  return { host: m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1], port };
}

function parseTraceExits(value: string): ExitFilter {
  const r = parseExitFilter(value);
  if (!r.ok) throw new InvalidArgumentError(r.error);
  return r.filter;
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
