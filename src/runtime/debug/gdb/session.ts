/**
 * `trapspec run --gdb [HOST:]PORT [--gdb-wait]`: runs the machine in slices so the event loop
 * can serve gdb between them, and implements the stub's target (StubTarget) on the machine.
 *
 * - Without a gdb attached the CPU runs its normal loop (cpu.debug is null) in slices of 2^20
 *   instructions, only yielding to accept a connection.
 * - When gdb connects the guest stops (as under QEMU) and cpu.debug gets the breakpoints,
 *   watchpoints and single-step (cpu/debug-hooks.ts); while running, slices are short so
 *   Ctrl-C (0x03) stops the guest within milliseconds.
 * - --gdb-wait: nothing runs until gdb says continue (QEMU's -S).
 * - Detach or a dropped connection: breakpoints go, the guest runs on. Kill: the run ends.
 */
import type { Cpu } from '../../cpu/cpu.ts';
import { CpuDebugHooks, type WatchType } from '../../cpu/debug-hooks.ts';
import { deliverPendingEvent } from '../../cpu/run.ts';
import { Seg } from '../../cpu/state.ts';
import type { Machine } from '../../machine/machine.ts';
import type { StopReason } from '../../vmm/monitor.ts';
import { GuestMemory, type ControlView } from './guest-memory.ts';
import { controlRegisterReport } from './monitor-cr.ts';
import type { Arch, RegisterSource } from './registers.ts';
import { GdbServer, type GdbConnection } from './server.ts';
import { GdbStub, type StopInfo, type StubTarget } from './stub.ts';

export interface GdbRunOptions {
  host: string;
  port: number;
  /** Wait for gdb before the first instruction (--gdb-wait). */
  wait: boolean;
  /**
   * The register set to describe (--gdb-arch): 'auto' follows the CPU's mode when gdb asks,
   * 'amd64' is always the 64-bit set (as QEMU's x86_64 stub: `set architecture i386` for 32-bit
   * code, `set architecture i386:x86-64` after the switch), 'i386' always the 32-bit one.
   */
  arch?: 'auto' | Arch;
  /** One-line notices (the bound port, connections). */
  log: (line: string) => void;
  maxInsns?: number;
  /** An exit status for the stop, reported to gdb as W (the process exits with it too). */
  exitStatus: (stop: StopReason) => number;
}

export type GdbRunResult = { kind: 'stopped'; stop: StopReason; instructions: number } | { kind: 'killed'; instructions: number };

const IDLE_SLICE = 1 << 20;
const ATTACHED_SLICE = 1 << 14;

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class GdbSession implements StubTarget {
  readonly hooks = new CpuDebugHooks();
  readonly regs: RegisterSource;
  private readonly memory: GuestMemory;
  private readonly cpu: Cpu;
  private connection: GdbConnection | null = null;
  private stub: GdbStub | null = null;
  private running: boolean;
  private wake: (() => void) | null = null;
  private interruptRequested = false;
  private killed = false;
  /** gdb sent D: the guest runs on when the connection closes. */
  private detaching = false;

  constructor(
    private readonly machine: Machine,
    private readonly options: GdbRunOptions,
  ) {
    this.cpu = machine.cpu as Cpu;
    const guest = (): ControlView => (machine.guestControl() as ControlView | undefined) ?? this.cpu.control;
    this.regs = {
      cpu: this.cpu,
      get guest(): ControlView | undefined {
        return machine.guestControl() as ControlView | undefined;
      },
    };
    this.memory = new GuestMemory(this.cpu, guest);
    this.running = !options.wait;
  }

  // ---- the run loop ------------------------------------------------------------------------

  async run(): Promise<GdbRunResult> {
    const server = new GdbServer((c) => this.attach(c));
    const port = await server.listen(this.options.host, this.options.port);
    this.options.log(`trapspec: gdb stub listening on ${this.options.host}:${port}${this.options.wait ? ' (waiting for gdb before the first instruction)' : ''}`);
    let instructions = 0;
    try {
      for (;;) {
        if (this.killed) return { kind: 'killed', instructions };
        if (!this.running) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        const left = (this.options.maxInsns ?? Infinity) - instructions;
        const r = this.machine.run(Math.min(this.connection !== null ? ATTACHED_SLICE : IDLE_SLICE, left));
        instructions += r.instructions;
        if (r.stop.kind === 'debug') {
          const stop = this.hooks.stop ?? { kind: 'step' };
          this.hooks.stop = null;
          // A step that raised an exception ends in its handler, as on hardware.
          if (stop.kind !== 'breakpoint') deliverPendingEvent(this.cpu);
          this.stopped(stop);
        } else if (r.stop.kind === 'max-insns' && instructions < (this.options.maxInsns ?? Infinity)) {
          if (this.interruptRequested) this.stopped({ kind: 'interrupt' });
        } else {
          // The guest ended the run (or --max-insns): tell gdb, then finish.
          this.send(this.stub?.stopReply({ kind: 'exited', status: this.options.exitStatus(r.stop) }));
          return { kind: 'stopped', stop: r.stop, instructions };
        }
        await yieldToEvents();
      }
    } finally {
      this.cpu.debug = null;
      await server.close();
    }
  }

  private stopped(stop: StopInfo): void {
    this.running = false;
    this.interruptRequested = false;
    this.hooks.step = false;
    this.send(this.stub?.stopReply(stop));
  }

  private send(payload: string | undefined): void {
    if (payload !== undefined) this.connection?.send(payload);
  }

  private resumeLoop(): void {
    this.wake?.();
  }

  // ---- connections -------------------------------------------------------------------------

  private attach(connection: GdbConnection): { onPacket(p: string): void; onInterrupt(): void; onClose(): void } {
    this.connection = connection;
    this.stub = new GdbStub(this);
    this.cpu.debug = this.hooks;
    this.options.log('trapspec: gdb attached');
    // gdb expects a stopped target when it connects (QEMU stops the VM too).
    if (this.running) {
      this.running = false;
      this.stub.stopReply({ kind: 'interrupt' });
    }
    return {
      onPacket: (p) => {
        const reply = this.stub?.handle(p) ?? null;
        if (reply !== null) this.send(reply);
      },
      onInterrupt: () => {
        if (this.running) this.interruptRequested = true;
      },
      onClose: () => this.dropped(),
    };
  }

  /**
   * gdb went away. After D (detach) the guest runs on. A connection that just closed (gdb's
   * `disconnect`, or gdb died) leaves a running guest running and a stopped one stopped, waiting
   * for the next gdb — gdb's documented `disconnect` semantics; either way its breakpoints go.
   */
  private dropped(): void {
    this.connection = null;
    this.stub = null;
    this.hooks.clearAll();
    this.cpu.debug = null;
    if (!this.killed) {
      if (this.detaching) this.running = true;
      this.options.log(this.running ? 'trapspec: gdb detached; the guest runs on' : 'trapspec: gdb disconnected; the guest stays stopped until gdb connects again');
    }
    this.detaching = false;
    this.resumeLoop();
  }

  // ---- StubTarget --------------------------------------------------------------------------

  currentArch(): Arch {
    if (this.options.arch !== undefined && this.options.arch !== 'auto') return this.options.arch;
    return (this.cpu.control.efer & 0x400n) !== 0n || this.cpu.mode64 ? 'amd64' : 'i386';
  }

  readMemory(address: bigint, length: number): Uint8Array {
    return this.memory.read(address, length);
  }

  writeMemory(address: bigint, bytes: Uint8Array): boolean {
    return this.memory.write(address, bytes);
  }

  private linear(address: bigint): number {
    return Number(BigInt.asIntN(64, address));
  }

  insertBreakpoint(address: bigint, hardware: boolean): void {
    this.hooks.breakpoints.set(this.linear(address), hardware);
  }

  removeBreakpoint(address: bigint): boolean {
    return this.hooks.breakpoints.delete(this.linear(address));
  }

  insertWatchpoint(address: bigint, length: number, type: WatchType): boolean {
    this.hooks.addWatch(this.cpu.mem, this.linear(address), length, type);
    return true;
  }

  removeWatchpoint(address: bigint, length: number, type: WatchType): boolean {
    return this.hooks.removeWatch(this.cpu.mem, this.linear(address), length, type);
  }

  resume(step: boolean): void {
    const cpu = this.cpu;
    this.hooks.step = step;
    // The instruction at the current address runs even if a breakpoint is on it (x86's RF).
    this.hooks.resumeAt = cpu.mode64 ? cpu.ip : (cpu.seg[Seg.CS]!.base + cpu.ip) >>> 0;
    this.hooks.stop = null;
    this.running = true;
    this.resumeLoop();
  }

  detach(): void {
    // The OK reply goes out first; then the connection closes and dropped() resumes the guest.
    this.detaching = true;
    setImmediate(() => this.connection?.close());
  }

  kill(): void {
    this.killed = true;
    this.options.log('trapspec: killed by gdb');
    setImmediate(() => this.connection?.close());
    this.resumeLoop();
  }

  monitor(command: string): string {
    const word = command.split(/\s+/)[0] ?? '';
    if (word === 'cr') return controlRegisterReport(this.cpu, this.machine.guestControl() as ControlView | undefined);
    return `unknown monitor command '${command}'; available: cr (guest vs hardware control registers, fields decoded)\n`;
  }
}
