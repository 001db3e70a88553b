/**
 * What a debugger (the gdb stub, src/runtime/debug/gdb/) asks of the CPU: stop before
 * instructions at breakpoint addresses, after one instruction (single-step), or after an
 * instruction whose memory access hit a watchpoint. Installed as `cpu.debug`; while it is null
 * the run loop is the normal one (one null test per pass of the outer loop, as for --trace).
 *
 * Addresses are linear, as the CPU forms them (mmu/types.ts): below 2^32 outside long mode,
 * signed canonical numbers in long mode.
 */
import type { Memory } from './memory.ts';

export type DebugStop =
  | { kind: 'breakpoint'; linear: number; hardware: boolean }
  | { kind: 'step' }
  | { kind: 'watch'; type: 'watch' | 'rwatch' | 'awatch'; linear: number };

export type WatchType = 'watch' | 'rwatch' | 'awatch';

interface Watchpoint {
  linear: number;
  length: number;
  type: WatchType;
}

export class CpuDebugHooks {
  /** Breakpoint linear address → hardware (Z1) or software (Z0). */
  readonly breakpoints = new Map<number, boolean>();
  private readonly watchpoints: Watchpoint[] = [];
  /** Stop after the next instruction. */
  step = false;
  /** Run the instruction at this address once even if it has a breakpoint (resuming from it). */
  resumeAt = NaN;
  /** Why the last run stopped for the debugger (set by the run loop), or null. */
  stop: DebugStop | null = null;
  /** A watchpoint the current instruction hit (reported after it completes). */
  watchHit: DebugStop | null = null;
  private patched: Memory | null = null;

  /** Compiled blocks run only without watchpoints or stepping, and only when no breakpoint is in their span. */
  blocksAllowed(): boolean {
    return !this.step && this.watchpoints.length === 0;
  }

  /** Is there a breakpoint in [linear, linear + length)? */
  breakpointIn(linear: number, length: number): boolean {
    for (const b of this.breakpoints.keys()) if (b >= linear && b < linear + length) return true;
    return false;
  }

  addWatch(mem: Memory, linear: number, length: number, type: WatchType): void {
    this.watchpoints.push({ linear, length, type });
    this.patch(mem);
  }

  removeWatch(mem: Memory, linear: number, length: number, type: WatchType): boolean {
    const i = this.watchpoints.findIndex((w) => w.linear === linear && w.length === length && w.type === type);
    if (i < 0) return false;
    this.watchpoints.splice(i, 1);
    if (this.watchpoints.length === 0) this.unpatch();
    return true;
  }

  clearAll(): void {
    this.breakpoints.clear();
    this.watchpoints.length = 0;
    this.unpatch();
    this.step = false;
    this.resumeAt = NaN;
  }

  private check(linear: number, size: number, write: boolean): void {
    if (this.watchHit !== null) return;
    for (const w of this.watchpoints) {
      if (linear < w.linear + w.length && w.linear < linear + size && (write ? w.type !== 'rwatch' : w.type !== 'watch')) {
        this.watchHit = { kind: 'watch', type: w.type, linear: w.linear };
        return;
      }
    }
  }

  /**
   * Watchpoints see the loads and stores instructions make (Memory.readLin/writeLin, which the
   * pair and 64-bit forms use too): the instance gets checking versions while any watchpoint
   * exists, so the normal path has no test. Compiled blocks, which access RAM directly, do not
   * run meanwhile (blocksAllowed).
   */
  private patch(mem: Memory): void {
    if (this.patched !== null) return;
    this.patched = mem;
    const read = mem.readLin.bind(mem);
    const write = mem.writeLin.bind(mem);
    mem.readLin = (lin: number, size: number, user: boolean): number => {
      const v = read(lin, size, user);
      this.check(lin, size, false);
      return v;
    };
    mem.writeLin = (lin: number, size: number, value: number, user: boolean): void => {
      write(lin, size, value, user);
      this.check(lin, size, true);
    };
  }

  private unpatch(): void {
    const mem = this.patched;
    if (mem === null) return;
    this.patched = null;
    // Back to the prototype's methods.
    delete (mem as Partial<Record<'readLin' | 'writeLin', unknown>>).readLin;
    delete (mem as Partial<Record<'readLin' | 'writeLin', unknown>>).writeLin;
  }
}
