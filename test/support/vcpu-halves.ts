import type { ControlRegName, HardwareControl } from '../../src/runtime/vmm/vcpu.ts';

/**
 * The Vcpu's halves methods (gprLo/gprHi/writeGprHalves/programControl) for test fakes that
 * keep BigInt registers: the same results as Cpu's number code, computed the plain way.
 */
const MASK64 = (1n << 64n) - 1n;

function join(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function lowHalf(v: bigint): number {
  return Number(v & 0xffff_ffffn);
}

function highHalf(v: bigint): number {
  return Number((v >> 32n) & 0xffff_ffffn);
}

/** The value programControl gives `reg`, or undefined when it leaves it unchanged. */
function programmed(control: Readonly<HardwareControl>, reg: ControlRegName, lo: number, hi: number, keepLo: number, keepHi: number): bigint | undefined {
  const keep = join(keepLo, keepHi);
  const cur = control[reg];
  const next = (join(lo, hi) & ~keep & MASK64) | (cur & keep);
  return next === cur ? undefined : next;
}

/**
 * Base of the test fakes: the halves methods on top of their BigInt readGpr/writeGpr/setControl,
 * and the event injection and window requests recorded as the monitor made them.
 */
export abstract class BigIntRegsVcpu {
  abstract control: Readonly<HardwareControl>;
  abstract readGpr(n: number): bigint;
  abstract writeGpr(n: number, value: bigint, size: 2 | 4 | 8): void;
  abstract setControl(update: Partial<HardwareControl>): void;
  abstract injectException(vector: number, errorCode?: number): void;

  /** Events of other types (external, nmi) and the window requests, as the monitor made them. */
  readonly events: { type: string; vector: number }[] = [];
  intrWindow = false;
  nmiWindow = false;
  halted = false;
  interruptible = true;
  injectEvent(type: 'external' | 'nmi' | 'exception', vector: number, errorCode?: number): void {
    if (type === 'exception') this.injectException(vector, errorCode);
    else this.events.push({ type, vector });
    this.halted = false;
  }
  setInterruptWindowExiting(on: boolean): void {
    this.intrWindow = on;
  }
  setNmiWindowExiting(on: boolean): void {
    this.nmiWindow = on;
  }
  enterHalt(): void {
    this.halted = true;
  }

  gprLo(n: number): number {
    return lowHalf(this.readGpr(n));
  }
  gprHi(n: number): number {
    return highHalf(this.readGpr(n));
  }
  writeGprHalves(n: number, lo: number, hi: number, size: 2 | 4 | 8): void {
    this.writeGpr(n, join(lo, hi), size);
  }
  controlLow(reg: 'cr0' | 'cr4'): number {
    return Number(this.control[reg] & 0xffff_ffffn);
  }
  programControl(reg: ControlRegName, lo: number, hi: number, keepLo: number, keepHi: number): void {
    const v = programmed(this.control, reg, lo, hi, keepLo, keepHi);
    if (v !== undefined) this.setControl({ [reg]: v });
  }
}
