/**
 * The machine's one clock: virtual time for the TSC, the PIT, the RTC and the APIC timer.
 *
 * Two modes (`--clock`):
 * - `deterministic` (default): virtual time is derived from the retired-instruction count,
 *   NS_PER_INSN nanoseconds per instruction (1 ns: a 1 GHz machine retiring one instruction a
 *   cycle, QEMU's `-icount shift=0`), plus the time HLT skipped. A halted CPU jumps straight to
 *   the next deadline (skipTo), so idle time costs nothing and the same run twice gives the
 *   same output and the same instruction count.
 * - `realtime`: virtual time is the host's monotonic clock since power-on; HLT waits for real.
 *   For interactive use (the serial console); not reproducible.
 *
 * The TSC runs at TSC_HZ in both modes (TSC = nowNs · TSC_HZ / 10^9 + the guest's offset), and
 * CPUID leaves 0x15/0x16 report that frequency (vmm/cpuid.ts), so what a guest measures against
 * the PIT (1.193182 MHz of the same virtual time) agrees with what CPUID states: Linux's PIT
 * calibration and CPUID 0x15 both find 1 GHz.
 *
 * Timers fire at instruction boundaries: the machine's run loop never runs the CPU past the
 * next deadline (instructionsUntilDeadline), then calls runDue(). Callbacks may arm timers.
 */

export interface Clock {
  /** Virtual time in nanoseconds since power-on (a float64 number; exact to 2^53 ns). */
  nowNs(): number;
  /** Call cb once, at an instruction boundary, when virtual time reaches atNs. Returns an id. */
  setTimer(atNs: number, cb: () => void): number;
  clearTimer(id: number): void;
}

/** The stated TSC frequency (CPUID 0x15/0x16 agree with it): 1 GHz. */
export const TSC_HZ = 1_000_000_000;
/** Deterministic mode: virtual nanoseconds per retired instruction. */
export const NS_PER_INSN = 1;

export type ClockMode = 'deterministic' | 'realtime';

interface Timer {
  id: number;
  atNs: number;
  cb: () => void;
}

/** The machine's clock (see file comment). `retired` reads the CPU's instruction counter. */
export class MachineClock implements Clock {
  readonly mode: ClockMode;
  private readonly retired: () => number;
  /** Deterministic: ns skipped by HLT. */
  private skippedNs = 0;
  /** Realtime: host ms at power-on, and the last value returned (monotonic). */
  private readonly hostStartMs: number;
  private lastNs = 0;
  /** Armed timers, sorted by atNs then id (few: one per device timer). */
  private timers: Timer[] = [];
  private nextId = 1;
  /** Timer callbacks run (--stats "timer ticks"). */
  fired = 0;
  /** HLT sleeps: how many, and the virtual ns they skipped/waited. */
  sleeps = 0;
  sleptNs = 0;

  constructor(retired: () => number, mode: ClockMode = 'deterministic') {
    this.retired = retired;
    this.mode = mode;
    this.hostStartMs = performance.now();
  }

  nowNs(): number {
    if (this.mode === 'deterministic') return this.retired() * NS_PER_INSN + this.skippedNs;
    const ns = Math.floor((performance.now() - this.hostStartMs) * 1e6);
    if (ns > this.lastNs) this.lastNs = ns;
    return this.lastNs;
  }

  setTimer(atNs: number, cb: () => void): number {
    const id = this.nextId++;
    const t: Timer = { id, atNs, cb };
    const ts = this.timers;
    let i = ts.length;
    while (i > 0 && ts[i - 1]!.atNs > atNs) i--;
    ts.splice(i, 0, t);
    return id;
  }

  clearTimer(id: number): void {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** The earliest armed deadline, or Infinity. */
  nextDeadlineNs(): number {
    return this.timers.length === 0 ? Infinity : this.timers[0]!.atNs;
  }

  /** Any timer armed (something can still wake a halted CPU). */
  get armed(): boolean {
    return this.timers.length !== 0;
  }

  /**
   * How many instructions may run before the next deadline (at least 1; Infinity with no timer).
   * Realtime mode: a bound that keeps the host clock checked often (~every 50 µs of work).
   */
  instructionsUntilDeadline(): number {
    const next = this.nextDeadlineNs();
    if (next === Infinity) return Infinity;
    if (this.mode === 'realtime') return 50_000;
    const ns = next - this.nowNs();
    return ns <= 0 ? 1 : Math.ceil(ns / NS_PER_INSN);
  }

  /** Run every timer whose deadline has passed (in deadline order). Returns how many ran. */
  runDue(): number {
    let n = 0;
    const now = this.nowNs();
    while (this.timers.length !== 0 && this.timers[0]!.atNs <= now) {
      const t = this.timers.shift()!;
      n++;
      t.cb();
    }
    this.fired += n;
    return n;
  }

  /**
   * A halted CPU sleeps until the next deadline: deterministic mode jumps virtual time there
   * (returns true); realtime mode waits on the host clock for at most `maxWaitMs` (returns true
   * once the deadline has come). False if no timer is armed.
   */
  sleepUntilDeadline(maxWaitMs = 20): boolean {
    const next = this.nextDeadlineNs();
    if (next === Infinity) return false;
    const now = this.nowNs();
    this.sleeps++;
    if (next <= now) return true;
    if (this.mode === 'deterministic') {
      this.skippedNs += next - now;
      this.sleptNs += next - now;
      return true;
    }
    const waitMs = Math.min(maxWaitMs, (next - now) / 1e6);
    sleepSync(waitMs);
    const after = this.nowNs();
    this.sleptNs += after - now;
    return after >= next;
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Block the thread for `ms` milliseconds (realtime HLT). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}
