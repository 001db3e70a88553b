/**
 * The local APIC timer (SDM Vol. 3A §10.5.4): a 32-bit down-counter clocked by the APIC bus
 * clock through the divide configuration register, in one-shot or periodic mode, or a
 * comparator against the TSC (TSC-deadline mode, IA32_TSC_DEADLINE).
 *
 * The bus clock runs at APIC_BUS_HZ (1 GHz, the core crystal CPUID 0x15 reports): one count
 * takes `divide` ns of virtual time. The counter is not stepped: its value is computed from the
 * clock when read, and the expiry is one timer on the machine clock.
 */
import type { Clock } from '../clock.ts';
import { TSC_HZ } from '../clock.ts';

/** The APIC timer's input clock (CPUID 0x15 ECX, the core crystal). */
export const APIC_BUS_HZ = 1_000_000_000;
const NS_PER_COUNT = 1e9 / APIC_BUS_HZ;

/** LVT timer mode, bits 18:17. */
export const enum TimerMode {
  OneShot = 0,
  Periodic = 1,
  TscDeadline = 2,
}

/** Divide configuration bits 3,1:0 → divisor (SDM Figure 10-10). */
export function divisorOf(dcr: number): number {
  const code = ((dcr >>> 1) & 4) | (dcr & 3);
  return code === 7 ? 1 : 2 << code;
}

export class ApicTimer {
  private readonly clock: Clock;
  private readonly fire: () => void;
  /** Guest TSC now (with its IA32_TSC offset), for TSC-deadline mode. */
  private readonly tscNow: () => bigint;
  mode: TimerMode = TimerMode.OneShot;
  initial = 0;
  dcr = 0;
  divisor = 2;
  /** Counting: virtual ns when the current period started. */
  private startNs = 0;
  private running = false;
  private timerId = 0;
  /** TSC-deadline mode: the armed deadline (0 = disarmed). */
  deadline = 0n;
  /** Expirations (for --stats: timer ticks). */
  expirations = 0;

  constructor(clock: Clock, tscNow: () => bigint, fire: () => void) {
    this.clock = clock;
    this.tscNow = tscNow;
    this.fire = fire;
  }

  /** The current-count register. */
  current(): number {
    if (!this.running || this.mode === TimerMode.TscDeadline) return 0;
    const elapsed = Math.floor((this.clock.nowNs() - this.startNs) / (NS_PER_COUNT * this.divisor));
    if (this.mode === TimerMode.Periodic) return this.initial - (elapsed % this.initial);
    return elapsed >= this.initial ? 0 : this.initial - elapsed;
  }

  /** Write of the initial-count register: (re)start counting (0 stops). Ignored in TSC-deadline mode. */
  setInitial(count: number): void {
    if (this.mode === TimerMode.TscDeadline) return;
    this.initial = count >>> 0;
    this.stop();
    if (this.initial !== 0) this.start(this.clock.nowNs());
  }

  setDivide(dcr: number): void {
    this.dcr = dcr & 0xb;
    const remaining = this.current();
    this.divisor = divisorOf(this.dcr);
    if (this.running && this.mode !== TimerMode.TscDeadline) {
      // Keep the count where it is; the rest of this period runs at the new rate.
      const now = this.clock.nowNs();
      this.cancel();
      this.startNs = now - (this.initial - remaining) * NS_PER_COUNT * this.divisor;
      this.arm(this.startNs + this.initial * NS_PER_COUNT * this.divisor);
    }
  }

  /** The LVT timer's mode changed (a write of the LVT timer register). */
  setMode(mode: TimerMode): void {
    if (mode === this.mode) return;
    // Switching between count modes and the TSC deadline disarms the timer (SDM §10.5.4.1).
    this.stop();
    this.deadline = 0n;
    this.mode = mode;
  }

  /** IA32_TSC_DEADLINE write (only takes effect in TSC-deadline mode). */
  setDeadline(value: bigint): void {
    if (this.mode !== TimerMode.TscDeadline) return;
    this.cancel();
    this.deadline = value;
    if (value === 0n) return;
    const ticks = Number(value - this.tscNow());
    const at = this.clock.nowNs() + Math.max(0, ticks) * (1e9 / TSC_HZ);
    this.timerId = this.clock.setTimer(at, () => this.expireDeadline());
  }

  private start(atNs: number): void {
    this.running = true;
    this.startNs = atNs;
    this.arm(atNs + this.initial * NS_PER_COUNT * this.divisor);
  }

  private arm(atNs: number): void {
    this.timerId = this.clock.setTimer(atNs, () => this.expireCount(atNs));
  }

  private cancel(): void {
    if (this.timerId !== 0) this.clock.clearTimer(this.timerId);
    this.timerId = 0;
  }

  stop(): void {
    this.cancel();
    this.running = false;
  }

  private expireCount(atNs: number): void {
    this.timerId = 0;
    this.expirations++;
    if (this.mode === TimerMode.Periodic) this.start(atNs);
    else this.running = false;
    this.fire();
  }

  private expireDeadline(): void {
    this.timerId = 0;
    this.deadline = 0n;
    this.expirations++;
    this.fire();
  }
}
