/**
 * Arithmetic flag computation (eager) and condition-code evaluation.
 *
 * ALU helpers return the result and leave the new status flags in `fl.v`; the caller writes the
 * destination first and then commits with `commitFlags`, so a faulting write changes nothing.
 */
import { Flag, STATUS_FLAGS } from '../state.ts';
import type { Cpu } from '../cpu.ts';

/** PF for each low byte value. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = 0; b < 8; b++) bits += (i >> b) & 1;
  PARITY[i] = bits % 2 === 0 ? Flag.PF : 0;
}

/** Operand-size masks and sign bits by size in bytes (index 1, 2, 4). */
export const MASK = [0, 0xff, 0xffff, 0, 0xffffffff];
export const SIGN = [0, 0x80, 0x8000, 0, 0x80000000];

/** Scratch: status flags computed by the last ALU helper. */
export const fl = { v: 0 };

export function commitFlags(cpu: Cpu, mask = STATUS_FLAGS): void {
  cpu.flags = (cpu.flags & ~mask) | (fl.v & mask);
}

/** ZF, SF, PF of a result of `size` bytes. */
export function szp(res: number, size: number): number {
  return (res === 0 ? Flag.ZF : 0) | ((res & SIGN[size]!) !== 0 ? Flag.SF : 0) | PARITY[res & 0xff]!;
}

export function addFlags(a: number, b: number, cin: number, size: number): number {
  const mask = MASK[size]!;
  const r = a + b + cin;
  const res = size === 4 ? r >>> 0 : r & mask;
  fl.v =
    szp(res, size) |
    (r > mask ? Flag.CF : 0) |
    (((a ^ res) & (b ^ res) & SIGN[size]!) !== 0 ? Flag.OF : 0) |
    ((a ^ b ^ res) & Flag.AF);
  return res;
}

export function subFlags(a: number, b: number, cin: number, size: number): number {
  const r = a - b - cin;
  const res = size === 4 ? r >>> 0 : r & MASK[size]!;
  fl.v =
    szp(res, size) |
    (r < 0 ? Flag.CF : 0) |
    (((a ^ b) & (a ^ res) & SIGN[size]!) !== 0 ? Flag.OF : 0) |
    ((a ^ b ^ res) & Flag.AF);
  return res;
}

export function logicFlags(res: number, size: number): number {
  fl.v = szp(res, size);
  return res;
}

// ---- 64-bit (BigInt) -------------------------------------------------------------------------

export const M64 = 0xffffffffffffffffn;
export const S64 = 0x8000000000000000n;

export function szp64(res: bigint): number {
  return (res === 0n ? Flag.ZF : 0) | ((res & S64) !== 0n ? Flag.SF : 0) | PARITY[Number(res & 0xffn)]!;
}

export function addFlags64(a: bigint, b: bigint, cin: number): bigint {
  const r = a + b + BigInt(cin);
  const res = r & M64;
  fl.v =
    szp64(res) |
    (r > M64 ? Flag.CF : 0) |
    (((a ^ res) & (b ^ res) & S64) !== 0n ? Flag.OF : 0) |
    (Number((a ^ b ^ res) & 0x10n) & Flag.AF);
  return res;
}

export function subFlags64(a: bigint, b: bigint, cin: number): bigint {
  const r = a - b - BigInt(cin);
  const res = r & M64;
  fl.v =
    szp64(res) |
    (r < 0n ? Flag.CF : 0) |
    (((a ^ b) & (a ^ res) & S64) !== 0n ? Flag.OF : 0) |
    (Number((a ^ b ^ res) & 0x10n) & Flag.AF);
  return res;
}

export function logicFlags64(res: bigint): bigint {
  fl.v = szp64(res);
  return res;
}

// ---- conditions ------------------------------------------------------------------------------

/** Evaluate an iced ConditionCode (1 o … 16 g) against EFLAGS. */
export function cond(flags: number, cc: number): boolean {
  switch (cc) {
    case 1:
      return (flags & Flag.OF) !== 0;
    case 2:
      return (flags & Flag.OF) === 0;
    case 3:
      return (flags & Flag.CF) !== 0;
    case 4:
      return (flags & Flag.CF) === 0;
    case 5:
      return (flags & Flag.ZF) !== 0;
    case 6:
      return (flags & Flag.ZF) === 0;
    case 7:
      return (flags & (Flag.CF | Flag.ZF)) !== 0;
    case 8:
      return (flags & (Flag.CF | Flag.ZF)) === 0;
    case 9:
      return (flags & Flag.SF) !== 0;
    case 10:
      return (flags & Flag.SF) === 0;
    case 11:
      return (flags & Flag.PF) !== 0;
    case 12:
      return (flags & Flag.PF) === 0;
    case 13:
      return ((flags & Flag.SF) !== 0) !== ((flags & Flag.OF) !== 0);
    case 14:
      return ((flags & Flag.SF) !== 0) === ((flags & Flag.OF) !== 0);
    case 15:
      return (flags & Flag.ZF) !== 0 || ((flags & Flag.SF) !== 0) !== ((flags & Flag.OF) !== 0);
    case 16:
      return (flags & Flag.ZF) === 0 && ((flags & Flag.SF) !== 0) === ((flags & Flag.OF) !== 0);
    default:
      return true;
  }
}
