import type { ControlRegName, HardwareControl } from '../../src/runtime/vmm/vcpu.ts';

/**
 * The Vcpu's halves methods (gprLo/gprHi/writeGprHalves/programControl) for test fakes that
 * keep BigInt registers: the same results as Cpu's number code, computed the plain way.
 */
const MASK64 = (1n << 64n) - 1n;

export function join(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function lowHalf(v: bigint): number {
  return Number(v & 0xffff_ffffn);
}

export function highHalf(v: bigint): number {
  return Number((v >> 32n) & 0xffff_ffffn);
}

/** The value programControl gives `reg`, or undefined when it leaves it unchanged. */
export function programmed(control: Readonly<HardwareControl>, reg: ControlRegName, lo: number, hi: number, keepLo: number, keepHi: number): bigint | undefined {
  const keep = join(keepLo, keepHi);
  const cur = control[reg];
  const next = (join(lo, hi) & ~keep & MASK64) | (cur & keep);
  return next === cur ? undefined : next;
}
