/**
 * Effective addresses and operand access for handlers. Sizes 1/2/4 use unsigned numbers;
 * size 8 uses BigInt (64-bit operations are the slower path by design, see state.ts).
 */
import { BASE_RIP, OpK, type DecodedInsn } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { MASK } from './flags.ts';

const TWO32 = 0x100000000;

/**
 * Offset (within the segment) of the instruction's memory operand, truncated to the address
 * size; in 64-bit addressing a signed-canonical-convention number (non-canonical values stay
 * outside ±2^47 so the segment layer faults on them).
 */
export function ea(cpu: Cpu, d: DecodedInsn): number {
  const lo = cpu.lo;
  const asz = d.addrSize;
  if (asz === 4) {
    let a = d.disp;
    if (d.base >= 0) a += d.base === BASE_RIP ? cpu.nextIp : lo[d.base]!;
    if (d.index >= 0) a += lo[d.index]! * d.scale;
    return a >>> 0;
  }
  if (asz === 2) {
    let a = d.disp;
    if (d.base >= 0) a += lo[d.base]! & 0xffff;
    if (d.index >= 0) a += (lo[d.index]! & 0xffff) * d.scale;
    return a & 0xffff;
  }
  if (d.base === BASE_RIP) return cpu.nextIp + d.disp;
  const hi = cpu.hi;
  const disp = d.disp;
  let sLo = disp >>> 0;
  let sHi = disp < 0 ? Math.floor(disp / TWO32) : Math.floor(disp / TWO32);
  if (d.base >= 0) {
    sLo += lo[d.base]!;
    sHi += hi[d.base]! | 0;
  }
  if (d.index >= 0) {
    sLo += lo[d.index]! * d.scale;
    sHi += (hi[d.index]! | 0) * d.scale;
  }
  const carry = Math.floor(sLo / TWO32);
  return ((sHi + carry) | 0) * TWO32 + (sLo >>> 0);
}

/** ea() when the instruction has a memory operand, else 0. */
export function memAddr(cpu: Cpu, d: DecodedInsn): number {
  return d.k0 === OpK.Mem || d.k1 === OpK.Mem || d.k2 === OpK.Mem ? ea(cpu, d) : 0;
}

/** Read a register-or-memory operand of size 1/2/4. */
export function rd(cpu: Cpu, d: DecodedInsn, k: OpK, r: number, s: number, addr: number): number {
  if (k === OpK.Gpr) return cpu.getReg(r, s);
  if (k === OpK.Mem) return cpu.read(d.seg, addr, s);
  return s === 4 ? d.imm : d.imm & MASK[s]!;
}

/** Write a register-or-memory operand of size 1/2/4. */
export function wr(cpu: Cpu, d: DecodedInsn, k: OpK, r: number, s: number, addr: number, v: number): void {
  if (k === OpK.Gpr) cpu.setReg(r, s, v);
  else cpu.write(d.seg, addr, s, v);
}

/** Read a register/memory/immediate operand of size 8. */
export function rd64(cpu: Cpu, d: DecodedInsn, k: OpK, r: number, addr: number): bigint {
  if (k === OpK.Gpr) return cpu.getReg64(r);
  if (k === OpK.Mem) return cpu.read64(d.seg, addr);
  return (BigInt(d.immHi) << 32n) | BigInt(d.imm);
}

export function wr64(cpu: Cpu, d: DecodedInsn, k: OpK, r: number, addr: number, v: bigint): void {
  if (k === OpK.Gpr) cpu.setReg64(r, v);
  else cpu.write64(d.seg, addr, v);
}

/** Sign-extend an unsigned value of `size` bytes to a JS number. */
export function sext(v: number, size: number): number {
  if (size === 1) return (v << 24) >> 24;
  if (size === 2) return (v << 16) >> 16;
  return v | 0;
}

/** Mask an address-size register value (for string ops, loop, jcxz). */
export function getCounter(cpu: Cpu, r: number, asz: number): number {
  if (asz === 2) return cpu.lo[r]! & 0xffff;
  if (asz === 4) return cpu.lo[r]!;
  return cpu.hi[r]! * TWO32 + cpu.lo[r]!;
}

/** Write an address-size register (zero-extends for 4, keeps upper bits for 2). */
export function setCounter(cpu: Cpu, r: number, asz: number, v: number): void {
  if (asz === 2) cpu.lo[r] = (cpu.lo[r]! & 0xffff0000) | (v & 0xffff);
  else if (asz === 4) {
    cpu.lo[r] = v >>> 0;
    cpu.hi[r] = 0;
  } else {
    cpu.lo[r] = v >>> 0;
    cpu.hi[r] = Math.floor(v / TWO32) >>> 0;
  }
}

/** Add a signed delta to an address-size register (wrapping to the size). */
export function addCounter(cpu: Cpu, r: number, asz: number, delta: number): void {
  if (asz === 2) cpu.lo[r] = (cpu.lo[r]! & 0xffff0000) | ((cpu.lo[r]! + delta) & 0xffff);
  else if (asz === 4) {
    cpu.lo[r] = (cpu.lo[r]! + delta) >>> 0;
    cpu.hi[r] = 0;
  } else {
    const s = cpu.lo[r]! + delta;
    cpu.lo[r] = s >>> 0;
    cpu.hi[r] = (cpu.hi[r]! + Math.floor(s / TWO32)) >>> 0;
  }
}
