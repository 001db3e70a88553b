import type { Clock } from '../clock.ts';
import type { IrqRouter } from '../irq-router.ts';
import type { PortDevice } from './port-device.ts';

export const RTC_BASE = 0x70;
export const RTC_IRQ = 8;
/** The deterministic default wall time at power-on: 2025-01-01 00:00:00 UTC. */
export const DEFAULT_RTC_START_SEC = Date.UTC(2025, 0, 1) / 1000;

const NS_PER_S = 1_000_000_000;
/** UIP is set for the 244 µs before each update (MC146818A tBUC; QEMU's UIP_HOLD_LENGTH). */
const UIP_NS = Math.round((8 * NS_PER_S) / 32768);
/** Periodic-interrupt scans of a long idle stretch stop after a day of seconds (alarm repeats). */
const MAX_ALARM_SCAN = 86_400;

/** CMOS/RTC register indices (MC146818A; the PC's CMOS layout as QEMU's pc_cmos_init). */
const enum R {
  Seconds = 0x00,
  SecondsAlarm = 0x01,
  Minutes = 0x02,
  MinutesAlarm = 0x03,
  Hours = 0x04,
  HoursAlarm = 0x05,
  DayOfWeek = 0x06,
  DayOfMonth = 0x07,
  Month = 0x08,
  Year = 0x09,
  A = 0x0a,
  B = 0x0b,
  C = 0x0c,
  D = 0x0d,
  Century = 0x32,
}

const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_DM_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;
const A_UIP = 0x80;
const D_VRT = 0x80;

export interface RtcOptions {
  /** Guest RAM in bytes: the CMOS memory-size bytes describe it. */
  ramBytes: number;
  /** Wall time at power-on, seconds since the Unix epoch (UTC). Default DEFAULT_RTC_START_SEC. */
  startSec?: number;
}

/** The RTC's state a guest can observe (time is derived from these and the clock). */
export interface RtcState {
  /** 128 bytes of CMOS: registers A–D, alarms, NVRAM (time registers are computed). */
  cmos: Uint8Array;
  /** Port 0x70 bits 6:0. */
  index: number;
  /** Port 0x70 bit 7: NMI disabled. */
  nmiMasked: boolean;
  /** Guest wall-clock seconds at baseNs (while running). */
  baseSec: number;
  baseNs: number;
  /**
   * Updates stopped (SET in register B, or the divider held in reset, A bits 6:4 = 11x): the
   * time registers hold these fields as written, unnormalised until the update restarts.
   */
  held: Fields | null;
  /** Flags (register C) have been brought up to this virtual time. */
  scannedNs: number;
}

export interface Fields {
  sec: number;
  min: number;
  hour: number;
  dow: number;
  day: number;
  month: number;
  year: number;
}

function fieldsOf(sec: number): Fields {
  const d = new Date(sec * 1000);
  return {
    sec: d.getUTCSeconds(),
    min: d.getUTCMinutes(),
    hour: d.getUTCHours(),
    dow: d.getUTCDay() + 1, // 1 = Sunday
    day: d.getUTCDate(),
    month: d.getUTCMonth() + 1,
    year: d.getUTCFullYear(),
  };
}

function secondsOf(f: Fields): number {
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.min, f.sec) / 1000;
}

/**
 * The MC146818A-compatible CMOS RTC at 0x70 (index, bit 7 = NMI mask) / 0x71 (data), IRQ 8.
 * Time runs on the machine's clock from a start time (deterministic by default; the host's time
 * for `--rtc host`), in BCD or binary and 12- or 24-hour format per register B; SET stops
 * updates while the guest sets the time. Register A's UIP is set for the last 244 µs of each
 * second, its rate bits select the periodic interrupt (RS 1–15 at 32.768 kHz); register C's
 * PF/AF/UF flags are set at each period, alarm match and update, raise IRQ 8 with IRQF when
 * enabled in B, and clear on read; register D reads "valid RAM and time". CMOS bytes hold the
 * memory sizes (0x15–0x18, 0x30–0x31, 0x34–0x35, 0x5B–0x5D) as QEMU's pc machine sets them.
 * Not modelled: daylight saving (DSE is kept, not applied), the square-wave output, the
 * 500 ms delay of the first update after the divider leaves reset; out-of-range time values
 * are normalised as a calendar would when the update restarts, and a running clock's day of
 * week follows the date.
 */
export class Rtc implements PortDevice {
  readonly name = 'rtc';
  readonly base = RTC_BASE;
  readonly count = 2;
  readonly state: RtcState;
  /** IRQ 8 assertions (--stats). */
  interrupts = 0;
  private timer = 0;

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqRouter,
    private readonly options: RtcOptions,
  ) {
    this.state = {
      cmos: new Uint8Array(128),
      index: 0,
      nmiMasked: false,
      baseSec: options.startSec ?? DEFAULT_RTC_START_SEC,
      baseNs: 0,
      held: null,
      scannedNs: 0,
    };
    this.reset();
  }

  /** NMI disabled by port 0x70 bit 7 (the CPU side asks before delivering an NMI). */
  get nmiMasked(): boolean {
    return this.state.nmiMasked;
  }

  reset(): void {
    const s = this.state;
    const cmos = s.cmos;
    cmos.fill(0);
    cmos[R.A] = 0x26; // 32.768 kHz divider, 1024 Hz rate (as the BIOS leaves it)
    cmos[R.B] = B_24H; // 24-hour BCD, interrupts off
    cmos[R.D] = D_VRT;
    cmos[0x14] = 0x06; // equipment: FPU and PS/2 mouse present (QEMU)
    cmos[R.SecondsAlarm] = 0;
    writeMemorySizes(cmos, this.options.ramBytes);
    s.baseSec = this.options.startSec ?? DEFAULT_RTC_START_SEC;
    s.baseNs = this.clock.nowNs();
    s.held = null;
    s.scannedNs = s.baseNs;
    s.index = 0;
    s.nmiMasked = false;
    this.updateIrq();
    this.rearm();
  }

  in(offset: number): number {
    if (offset === 0) return 0xff; // the index port is write-only
    return this.readRegister(this.state.index);
  }

  out(offset: number, _size: 1 | 2 | 4, value: number): void {
    if (offset === 0) {
      this.state.index = value & 0x7f;
      this.state.nmiMasked = (value & 0x80) !== 0;
      return;
    }
    this.writeRegister(this.state.index, value & 0xff);
  }

  /** Wall-clock seconds the RTC shows now. */
  currentSec(now = this.clock.nowNs()): number {
    const s = this.state;
    return s.held !== null ? secondsOf(s.held) : s.baseSec + Math.floor((now - s.baseNs) / NS_PER_S);
  }

  private fieldsNow(): Fields {
    return this.state.held ?? fieldsOf(this.currentSec());
  }

  private readRegister(index: number): number {
    const cmos = this.state.cmos;
    switch (index) {
      case R.Seconds:
      case R.Minutes:
      case R.Hours:
      case R.DayOfWeek:
      case R.DayOfMonth:
      case R.Month:
      case R.Year:
      case R.Century:
        return this.encodeField(index, this.fieldsNow());
      case R.A:
        return (cmos[R.A]! & ~A_UIP) | (this.updateInProgress() ? A_UIP : 0);
      case R.C: {
        this.scanFlags(this.clock.nowNs());
        const v = cmos[R.C]!;
        cmos[R.C] = 0;
        this.updateIrq();
        return v;
      }
      default:
        return cmos[index]!;
    }
  }

  private writeRegister(index: number, v: number): void {
    const s = this.state;
    const cmos = s.cmos;
    switch (index) {
      case R.Seconds:
      case R.Minutes:
      case R.Hours:
      case R.DayOfMonth:
      case R.Month:
      case R.Year:
      case R.Century:
      case R.DayOfWeek:
        this.setField(index, v);
        return;
      case R.A: {
        this.scanFlags(this.clock.nowNs());
        cmos[R.A] = v & 0x7f;
        this.setStopped((cmos[R.B]! & B_SET) !== 0 || (v & 0x60) === 0x60);
        this.rearm();
        return;
      }
      case R.B: {
        this.scanFlags(this.clock.nowNs());
        // Setting SET stops updates and clears UIE (MC146818A; QEMU).
        const b = (v & B_SET) !== 0 ? v & ~B_UIE : v;
        cmos[R.B] = b;
        this.setStopped((b & B_SET) !== 0 || (cmos[R.A]! & 0x60) === 0x60);
        this.updateIrq();
        this.rearm();
        return;
      }
      case R.C:
      case R.D:
        return; // read-only
      default:
        cmos[index] = v;
    }
  }

  private get binary(): boolean {
    return (this.state.cmos[R.B]! & B_DM_BINARY) !== 0;
  }

  private encode(n: number): number {
    return this.binary ? n : (Math.floor(n / 10) << 4) | n % 10;
  }

  private decode(v: number): number {
    return this.binary ? v : (v >> 4) * 10 + (v & 0xf);
  }

  private encodeField(index: number, f: Fields): number {
    switch (index) {
      case R.Seconds:
        return this.encode(f.sec);
      case R.Minutes:
        return this.encode(f.min);
      case R.Hours:
        return this.encodeHour(f.hour);
      case R.DayOfWeek:
        return this.encode(f.dow);
      case R.DayOfMonth:
        return this.encode(f.day);
      case R.Month:
        return this.encode(f.month);
      case R.Year:
        return this.encode(f.year % 100);
      default:
        return this.encode(Math.floor(f.year / 100));
    }
  }

  private encodeHour(hour: number): number {
    if ((this.state.cmos[R.B]! & B_24H) !== 0) return this.encode(hour);
    const pm = hour >= 12;
    const h12 = hour % 12 === 0 ? 12 : hour % 12;
    return this.encode(h12) | (pm ? 0x80 : 0);
  }

  private decodeHour(v: number): number {
    if ((this.state.cmos[R.B]! & B_24H) !== 0) return this.decode(v);
    const h12 = this.decode(v & 0x7f) % 12;
    return (v & 0x80) !== 0 ? h12 + 12 : h12;
  }

  /**
   * A time register written. Stopped: the held field takes the value. Running: the shown time
   * changes by the difference, keeping the phase (the day of week then follows the date).
   */
  private setField(index: number, v: number): void {
    const s = this.state;
    const now = this.clock.nowNs();
    this.scanFlags(now);
    const cur = this.currentSec(now);
    const f = s.held ?? fieldsOf(cur);
    switch (index) {
      case R.DayOfWeek:
        f.dow = this.decode(v);
        break;
      case R.Seconds:
        f.sec = this.decode(v & 0x7f);
        break;
      case R.Minutes:
        f.min = this.decode(v & 0x7f);
        break;
      case R.Hours:
        f.hour = this.decodeHour(v);
        break;
      case R.DayOfMonth:
        f.day = this.decode(v);
        break;
      case R.Month:
        f.month = this.decode(v);
        break;
      case R.Year:
        f.year = Math.floor(f.year / 100) * 100 + this.decode(v);
        break;
      default:
        f.year = this.decode(v) * 100 + (f.year % 100);
        break;
    }
    if (s.held === null) {
      s.baseSec += secondsOf(f) - cur;
      this.rearm();
    }
  }

  /** Stop or restart updates; on restart the next update comes one second later. */
  private setStopped(stopped: boolean): void {
    const s = this.state;
    if (stopped === (s.held !== null)) return;
    const now = this.clock.nowNs();
    if (stopped) {
      s.held = fieldsOf(this.currentSec(now));
    } else {
      s.baseSec = secondsOf(s.held!);
      s.baseNs = now;
      s.held = null;
    }
    s.scannedNs = now;
  }

  private updateInProgress(): boolean {
    const s = this.state;
    if (s.held !== null) return false;
    const phase = (this.clock.nowNs() - s.baseNs) % NS_PER_S;
    return phase >= NS_PER_S - UIP_NS;
  }

  /** Periodic interrupt period in ns for the rate bits, or 0 (RS = 0: off). */
  private periodNs(): number {
    let rs = this.state.cmos[R.A]! & 0x0f;
    if (rs === 0) return 0;
    if (rs <= 2) rs += 7;
    return ((1 << (rs - 1)) * NS_PER_S) / 32768;
  }

  /** Set PF/UF/AF for every period boundary, update and alarm match in (scannedNs, now]. */
  private scanFlags(now: number): void {
    const s = this.state;
    const cmos = s.cmos;
    const from = s.scannedNs;
    if (now <= from) return;
    s.scannedNs = now;
    const period = this.periodNs();
    if (period > 0 && Math.floor(now / period) > Math.floor(from / period)) cmos[R.C]! |= C_PF;
    if (s.held === null) {
      const first = Math.floor((from - s.baseNs) / NS_PER_S) + 1; // updates at baseNs + k s
      const last = Math.floor((now - s.baseNs) / NS_PER_S);
      if (last >= first) {
        cmos[R.C]! |= C_UF;
        const end = Math.min(last, first + MAX_ALARM_SCAN);
        for (let k = first; k <= end; k++) {
          if (this.alarmMatches(fieldsOf(s.baseSec + k))) {
            cmos[R.C]! |= C_AF;
            break;
          }
        }
      }
    }
    this.updateIrq();
  }

  private alarmMatches(f: Fields): boolean {
    const cmos = this.state.cmos;
    const dontCare = (v: number) => (v & 0xc0) === 0xc0;
    const a = cmos[R.SecondsAlarm]!;
    const m = cmos[R.MinutesAlarm]!;
    const h = cmos[R.HoursAlarm]!;
    return (
      (dontCare(a) || a === this.encode(f.sec)) &&
      (dontCare(m) || m === this.encode(f.min)) &&
      (dontCare(h) || h === this.encodeHour(f.hour))
    );
  }

  /** IRQF = PF·PIE + AF·AIE + UF·UIE (QEMU recomputes it the same way on a B write). */
  private updateIrq(): void {
    const cmos = this.state.cmos;
    const level = (cmos[R.C]! & cmos[R.B]! & (C_PF | C_AF | C_UF)) !== 0;
    cmos[R.C] = level ? cmos[R.C]! | C_IRQF : cmos[R.C]! & ~C_IRQF;
    if (level && !this.irq.level(RTC_IRQ)) this.interrupts++;
    this.irq.setIrq(RTC_IRQ, level);
  }

  /** Arm one timer at the next event an enabled interrupt needs (none when all are off). */
  private rearm(): void {
    if (this.timer !== 0) this.clock.clearTimer(this.timer);
    this.timer = 0;
    const s = this.state;
    const b = s.cmos[R.B]!;
    const now = this.clock.nowNs();
    let next = Infinity;
    const period = this.periodNs();
    if ((b & B_PIE) !== 0 && period > 0) next = (Math.floor(now / period) + 1) * period;
    if ((b & (B_UIE | B_AIE)) !== 0 && s.held === null) {
      next = Math.min(next, s.baseNs + (Math.floor((now - s.baseNs) / NS_PER_S) + 1) * NS_PER_S);
    }
    if (next !== Infinity) this.timer = this.clock.setTimer(Math.ceil(next), this.onTimer);
  }

  private readonly onTimer = (): void => {
    this.timer = 0;
    this.scanFlags(this.clock.nowNs());
    this.rearm();
  };
}

/** The memory-size bytes of the PC CMOS (QEMU pc_cmos_init; all RAM below 4 GiB here). */
function writeMemorySizes(cmos: Uint8Array, ramBytes: number): void {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  const below4g = Math.min(ramBytes, 4096 * MiB);
  const above4g = ramBytes - below4g;
  const base = Math.min(below4g / KiB, 640);
  cmos[0x15] = base & 0xff;
  cmos[0x16] = base >> 8;
  const ext = Math.min(below4g > MiB ? Math.floor((below4g - MiB) / KiB) : 0, 0xffff);
  cmos[0x17] = ext & 0xff;
  cmos[0x18] = ext >> 8;
  cmos[0x30] = ext & 0xff;
  cmos[0x31] = ext >> 8;
  const high = Math.min(below4g > 16 * MiB ? Math.floor((below4g - 16 * MiB) / (64 * KiB)) : 0, 0xffff);
  cmos[0x34] = high & 0xff;
  cmos[0x35] = high >> 8;
  const above = Math.floor(above4g / (64 * KiB));
  cmos[0x5b] = above & 0xff;
  cmos[0x5c] = (above >> 8) & 0xff;
  cmos[0x5d] = (above >> 16) & 0xff;
}
