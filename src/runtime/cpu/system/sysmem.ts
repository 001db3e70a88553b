/**
 * Linear-memory accesses made by the system side: descriptor-table and TSS reads (implicit
 * supervisor accesses, R95), accessed/busy-bit updates, and the stack frames interrupt delivery
 * and far transfers build (`user` = the frame is written at privilege 3). They go through the
 * core's memory layer (cpu.mem) so page crossing, unbacked memory and decoded-code invalidation
 * are handled in one place.
 *
 * Linear addresses follow src/runtime/mmu/types.ts: below 2^32 outside long mode, signed
 * canonical in long mode.
 */
import type { Cpu } from '../cpu.ts';

/**
 * Read at a linear address. With `user` false this is an implicit supervisor-mode access
 * (descriptor tables, TSS, IVT: every read the system side makes): SMAP applies regardless of
 * EFLAGS.AC (SDM Vol. 3A §4.6).
 */
export function linRead(cpu: Cpu, linear: number, size: 1 | 2 | 4, user: boolean): number {
  if (user) return cpu.mem.readLin(linear, size, true) >>> 0;
  const mem = cpu.mem;
  mem.implicit = true;
  try {
    return mem.readLin(linear, size, false) >>> 0;
  } finally {
    mem.implicit = false;
  }
}

/** An implicit supervisor-mode write (descriptor accessed/busy bits, TSS state and link). */
export function sysWrite(cpu: Cpu, linear: number, size: 1 | 2 | 4, value: number): void {
  const mem = cpu.mem;
  mem.implicit = true;
  try {
    mem.writeLin(linear, size, value, false);
  } finally {
    mem.implicit = false;
  }
}

export function linWrite(cpu: Cpu, linear: number, size: 1 | 2 | 4, value: number, user: boolean): void {
  cpu.mem.writeLin(linear, size, value, user);
}

/** 64-bit value as a signed-canonical number from its two dwords (exact for canonical values). */
export function canonicalOf(lo: number, hi: number): number {
  return (hi | 0) * 0x1_0000_0000 + (lo >>> 0);
}

/** Is the 64-bit value hi:lo canonical for 48-bit linear addresses? */
export function isCanonicalHiLo(lo: number, hi: number): boolean {
  void lo;
  const top = (hi | 0) >> 15; // bits 63:47, sign-extended
  return top === 0 || top === -1;
}

/** Is the signed-canonical-convention number canonical (48-bit)? */
export function isCanonical(linear: number): boolean {
  return linear >= -0x8000_0000_0000 && linear < 0x8000_0000_0000;
}

/** High dword of an integer number (two's complement for negative, signed-canonical values). */
export function hi32(v: number): number {
  return Math.floor(v / 0x1_0000_0000) >>> 0;
}
