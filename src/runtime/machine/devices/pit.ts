import type { Clock } from '../clock.ts';
import type { IrqRouter } from '../irq-router.ts';
import type { PortDevice } from './port-device.ts';

/** The 8254's input clock on a PC: 1.193182 MHz (14.31818 MHz / 12). */
export const PIT_HZ = 1_193_182;
export const PIT_BASE = 0x40;
const NS_PER_S = 1_000_000_000;

/** PIT ticks elapsed at `ns` (floor), exact for any ns below 2^53. */
export function nsToPitTicks(ns: number): number {
  const s = Math.floor(ns / NS_PER_S);
  return s * PIT_HZ + Math.floor(((ns - s * NS_PER_S) * PIT_HZ) / NS_PER_S);
}

/** The first ns at which `ticks` PIT ticks have elapsed (ceil), the inverse of nsToPitTicks. */
export function pitTicksToNs(ticks: number): number {
  const s = Math.floor(ticks / PIT_HZ);
  return s * NS_PER_S + Math.ceil(((ticks - s * PIT_HZ) * NS_PER_S) / PIT_HZ);
}

/** Read/write access selected by the control word (bits 5:4). */
const enum Access {
  Latch = 0,
  Lsb = 1,
  Msb = 2,
  Word = 3,
  /** Internal: the MSB of a word access comes next. */
  WordHigh = 4,
}

/** One counter's state (Intel 8254 data sheet; QEMU hw/timer/i8254_common.c). */
export interface PitChannelState {
  /** Mode 0–5 (6 and 7 alias 2 and 3). */
  mode: number;
  bcd: boolean;
  /** Access mode from the last control word (Lsb, Msb, Word). */
  access: number;
  readState: number;
  writeState: number;
  /** The LSB of a word write, waiting for its MSB. */
  writeLatch: number;
  /** Initial count in ticks (1–65536; 1–10000 in BCD). */
  count: number;
  /** A count has been written since the last control word. */
  loaded: boolean;
  /** The counter is decrementing (loaded, gate allowing, and for modes 1/5 triggered). */
  counting: boolean;
  /** Modes 1 and 5: a gate rising edge has started the count. */
  triggered: boolean;
  /** Absolute PIT tick at which counting (re)started. */
  loadTick: number;
  /** Ticks counted before a pause (gate low in modes 0 and 4). */
  pausedElapsed: number;
  gate: boolean;
  /** Counter latch: 0 = none, else the access state of the latched value's next byte. */
  countLatched: number;
  latchedCount: number;
  statusLatched: boolean;
  status: number;
}

function channelReset(gate: boolean): PitChannelState {
  return {
    mode: 0,
    bcd: false,
    access: Access.Word,
    readState: Access.Word,
    writeState: Access.Word,
    writeLatch: 0,
    count: 0x10000,
    loaded: false,
    counting: false,
    triggered: false,
    loadTick: 0,
    pausedElapsed: 0,
    gate,
    countLatched: 0,
    latchedCount: 0,
    statusLatched: false,
    status: 0,
  };
}

function toBcd(n: number): number {
  return (n % 10) | (Math.floor(n / 10) % 10) << 4 | (Math.floor(n / 100) % 10) << 8 | (Math.floor(n / 1000) % 10) << 12;
}

function fromBcd(v: number): number {
  return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}

/** Counters for --stats. */
export interface PitCounters {
  /** IRQ 0 events (rising edges of OUT0). */
  irq0: number;
}

/**
 * The 8254 programmable interval timer at 0x40–0x43: three counters on the virtual clock.
 * Counter 0's OUT drives ISA IRQ 0; counter 2's gate and OUT are port 0x61's bits 0 and 5
 * (port61.ts); counter 1 (DRAM refresh on old PCs) counts with nothing on its output.
 * Modelled: modes 0–5 with their gate behaviour, LSB/MSB/word access, the counter latch
 * command, read-back (count and status, with OUT and null count), BCD counting.
 * Timing: a count written at tick t is counting from t (the 8254 loads it at the next CLK, a
 * one-tick difference QEMU shares); IRQ 0 is raised at instruction boundaries as the clock
 * reaches each OUT0 rising edge, and a periodic mode that fell several periods behind raises
 * one edge, not a burst (QEMU's lost_tick_policy=discard).
 */
export class Pit8254 implements PortDevice {
  readonly name = 'pit';
  readonly base = PIT_BASE;
  readonly count = 4;
  readonly channels: PitChannelState[] = [channelReset(true), channelReset(true), channelReset(false)];
  readonly counters: PitCounters = { irq0: 0 };
  private timer = 0;

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqRouter,
  ) {}

  reset(): void {
    this.channels.forEach((c, i) => Object.assign(c, channelReset(i !== 2)));
    this.rearm();
  }

  private now(): number {
    return nsToPitTicks(this.clock.nowNs());
  }

  in(offset: number): number {
    if (offset === 3) return 0xff; // the control word register is write-only
    const c = this.channels[offset]!;
    if (c.statusLatched) {
      c.statusLatched = false;
      return c.status;
    }
    if (c.countLatched !== 0) {
      const v = c.latchedCount;
      switch (c.countLatched) {
        case Access.Msb:
          c.countLatched = 0;
          return (v >> 8) & 0xff;
        case Access.Word:
          c.countLatched = Access.Msb;
          return v & 0xff;
        default:
          c.countLatched = 0;
          return v & 0xff;
      }
    }
    const v = this.displayedCount(c, this.now());
    switch (c.readState) {
      case Access.Msb:
        return (v >> 8) & 0xff;
      case Access.Word:
        c.readState = Access.WordHigh;
        return v & 0xff;
      case Access.WordHigh:
        c.readState = Access.Word;
        return (v >> 8) & 0xff;
      default:
        return v & 0xff;
    }
  }

  out(offset: number, _size: 1 | 2 | 4, value: number): void {
    const v = value & 0xff;
    if (offset === 3) {
      this.control(v);
      return;
    }
    const c = this.channels[offset]!;
    switch (c.writeState) {
      case Access.Lsb:
        this.load(c, offset, v);
        break;
      case Access.Msb:
        this.load(c, offset, v << 8);
        break;
      case Access.Word:
        c.writeLatch = v;
        c.writeState = Access.WordHigh;
        break;
      default:
        c.writeState = Access.Word;
        this.load(c, offset, c.writeLatch | (v << 8));
        break;
    }
  }

  /** Counter 2's gate (port 0x61 bit 0); also usable for the others in tests. */
  setGate(index: number, gate: boolean): void {
    const c = this.channels[index]!;
    if (c.gate === gate) return;
    const now = this.now();
    const rising = gate;
    c.gate = gate;
    if (!c.loaded) return;
    switch (c.mode) {
      case 0:
      case 4:
        // The gate enables counting: low pauses, high resumes where it stopped.
        if (rising) {
          c.loadTick = now - c.pausedElapsed;
          c.counting = true;
        } else {
          c.pausedElapsed = now - c.loadTick;
          c.counting = false;
        }
        break;
      case 1:
      case 5:
        // A rising edge (re)triggers the count; the level does not matter after that.
        if (rising) {
          c.triggered = true;
          c.counting = true;
          c.loadTick = now;
        }
        break;
      default:
        // Modes 2 and 3: low stops the count with OUT high; a rising edge reloads it.
        c.counting = rising;
        c.pausedElapsed = 0;
        if (rising) c.loadTick = now;
        break;
    }
    if (index === 0) this.rearm();
  }

  /** OUT of counter `index` now. */
  output(index: number): boolean {
    return this.outAt(this.channels[index]!, this.now());
  }

  private control(v: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back: bit 5 clear latches the count, bit 4 clear latches the status, bits 3:1 pick.
      const now = this.now();
      for (let i = 0; i < 3; i++) {
        if ((v & (2 << i)) === 0) continue;
        const c = this.channels[i]!;
        if ((v & 0x20) === 0) this.latchCount(c, now);
        if ((v & 0x10) === 0 && !c.statusLatched) {
          const nullCount = !c.loaded || (c.counting && now === c.loadTick);
          c.status = (this.outAt(c, now) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | (c.access << 4) | (c.mode << 1) | (c.bcd ? 1 : 0);
          c.statusLatched = true;
        }
      }
      return;
    }
    const c = this.channels[sel]!;
    const access = (v >> 4) & 3;
    if (access === Access.Latch) {
      this.latchCount(c, this.now());
      return;
    }
    // A control word stops the counter until a new count is written; OUT takes its mode's
    // initial level (low in mode 0, high otherwise).
    c.access = access;
    c.readState = access;
    c.writeState = access;
    c.mode = (v >> 1) & 7;
    if (c.mode > 5) c.mode -= 4;
    c.bcd = (v & 1) !== 0;
    c.loaded = false;
    c.counting = false;
    c.triggered = false;
    c.countLatched = 0;
    if (sel === 0) this.rearm();
  }

  private latchCount(c: PitChannelState, now: number): void {
    if (c.countLatched !== 0) return; // a second latch before the first is read is ignored
    c.latchedCount = this.displayedCount(c, now);
    c.countLatched = c.access;
  }

  /**
   * A count written: counting restarts from it now (QEMU's model; the 8254 would let a mode 2/3
   * count finish its current period first).
   */
  private load(c: PitChannelState, index: number, raw: number): void {
    let n = c.bcd ? fromBcd(raw) : raw;
    if (n === 0) n = c.bcd ? 10000 : 0x10000;
    c.count = n;
    c.loadTick = this.now();
    c.loaded = true;
    c.pausedElapsed = 0;
    c.counting = c.mode === 1 || c.mode === 5 ? c.triggered : c.gate;
    if (index === 0) this.rearm();
  }

  /** Ticks counted since the count started (frozen while not counting). */
  private elapsed(c: PitChannelState, now: number): number {
    return c.counting ? now - c.loadTick : c.pausedElapsed;
  }

  /** The counting element as a read shows it (BCD-encoded in BCD mode). */
  private displayedCount(c: PitChannelState, now: number): number {
    const n = c.count;
    const modulus = c.bcd ? 10000 : 0x10000;
    let v: number;
    if (!c.loaded) {
      v = n % modulus;
    } else {
      const d = this.elapsed(c, now);
      switch (c.mode) {
        case 2:
          v = n - (d % n);
          break;
        case 3:
          // Mode 3 decrements by two and reloads twice a period (even counts exact).
          v = n - ((2 * d) % n);
          break;
        default:
          // Modes 0, 1, 4, 5: one pass, then the counter wraps and keeps counting.
          v = (((n - d) % modulus) + modulus) % modulus;
          break;
      }
      v %= modulus;
    }
    return c.bcd ? toBcd(v) : v;
  }

  private outAt(c: PitChannelState, now: number): boolean {
    if (!c.loaded) return c.mode !== 0;
    const n = c.count;
    const d = this.elapsed(c, now);
    switch (c.mode) {
      case 0:
        return d >= n;
      case 1:
        return !c.triggered || d >= n;
      case 2:
        return !c.counting || d % n !== n - 1; // low for the one tick the count is 1
      case 3:
        return !c.counting || d % n < (n + 1) >> 1; // high for the first half (rounded up)
      case 4:
        return d !== n; // a one-tick low strobe when the count reaches 0
      default:
        return !c.triggered || d !== n;
    }
  }

  /** Counter 0's next OUT rising edge after tick `now`, as an absolute tick, or -1. */
  private nextIrqTick(now: number): number {
    const c = this.channels[0]!;
    if (!c.loaded || !c.counting) return -1;
    const n = c.count;
    const d = now - c.loadTick;
    switch (c.mode) {
      case 0:
      case 1:
        return d < n ? c.loadTick + n : -1;
      case 2:
      case 3:
        return c.loadTick + (Math.floor(d / n) + 1) * n;
      default:
        return d < n + 1 ? c.loadTick + n + 1 : -1;
    }
  }

  /** Re-arm counter 0's timer and put IRQ 0 at OUT0's level for the one-shot modes. */
  private rearm(): void {
    if (this.timer !== 0) this.clock.clearTimer(this.timer);
    this.timer = 0;
    const c = this.channels[0]!;
    const now = this.now();
    // In modes 0 and 1 OUT0 is a level that stays high after the terminal count.
    if (c.mode === 0 || c.mode === 1) this.irq.setIrq(0, this.outAt(c, now) && c.loaded);
    else this.irq.setIrq(0, false);
    const next = this.nextIrqTick(now);
    if (next >= 0) this.timer = this.clock.setTimer(pitTicksToNs(next), this.onTimer);
  }

  private readonly onTimer = (): void => {
    this.timer = 0;
    const c = this.channels[0]!;
    this.counters.irq0++;
    if (c.mode === 0 || c.mode === 1) this.irq.setIrq(0, true);
    else this.irq.pulse(0);
    const next = this.nextIrqTick(this.now());
    if (next >= 0) this.timer = this.clock.setTimer(pitTicksToNs(next), this.onTimer);
  };
}
