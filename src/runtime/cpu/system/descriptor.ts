/**
 * Segment and gate descriptors as 8-byte table entries (SDM Vol. 3A §3.4.5, §5.8.3, §6.11,
 * §6.14.1), decoded from their two little-endian dwords `lo` (bytes 0-3) and `hi` (bytes 4-7).
 * Pure functions on numbers: no allocation, usable on the hot path of segment loads.
 */

/** Access byte and flags, as the `hi` dword holds them. */
export const DescHi = {
  /** Type field, bits 11:8. */
  TYPE_SHIFT: 8,
  /** Accessed bit of a code/data type. */
  ACCESSED: 1 << 8,
  /** S: 1 = code/data, 0 = system. */
  S: 1 << 12,
  DPL_SHIFT: 13,
  P: 1 << 15,
  AVL: 1 << 20,
  /** L: 64-bit code segment. */
  L: 1 << 21,
  /** D/B: default operand size / big stack / expand-down upper bound. */
  DB: 1 << 22,
  /** G: limit in 4 KiB units. */
  G: 1 << 23,
} as const;

/** Code/data type bits (low nibble of the type field, S = 1). */
export const SegType = {
  ACCESSED: 1,
  /** Data: writable. Code: readable. */
  WRITABLE: 2,
  READABLE: 2,
  /** Data: expand-down. Code: conforming. */
  EXPAND_DOWN: 4,
  CONFORMING: 4,
  CODE: 8,
} as const;

/** System descriptor types (S = 0). Values are the same in legacy and IA-32e mode where both exist. */
export const SysType = {
  TSS16_AVAIL: 1,
  LDT: 2,
  TSS16_BUSY: 3,
  CALL_GATE16: 4,
  TASK_GATE: 5,
  INT_GATE16: 6,
  TRAP_GATE16: 7,
  TSS_AVAIL: 9, // 32-bit TSS, or 64-bit TSS in IA-32e mode
  TSS_BUSY: 11,
  CALL_GATE: 12, // 32-bit, or 64-bit in IA-32e mode
  INT_GATE: 14,
  TRAP_GATE: 15,
} as const;

export function descType(hi: number): number {
  return (hi >>> 8) & 0xf;
}

export function descIsSystem(hi: number): boolean {
  return (hi & DescHi.S) === 0;
}

export function descDpl(hi: number): number {
  return (hi >>> 13) & 3;
}

export function descPresent(hi: number): boolean {
  return (hi & DescHi.P) !== 0;
}

/** Base address bits 31:0. */
export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff00_0000)) >>> 0;
}

/** Effective limit in bytes (G applied: (limit << 12) | 0xFFF). */
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0x000f_0000);
  return (hi & DescHi.G) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
}

/** Gate target offset bits 31:0 (bits 15:0 in lo, 31:16 in hi). */
export function gateOffset(lo: number, hi: number): number {
  return ((lo & 0xffff) | (hi & 0xffff_0000)) >>> 0;
}

/** Gate target selector. */
export function gateSelector(lo: number): number {
  return lo >>> 16;
}

/** 64-bit IDT gate: interrupt-stack-table index (0 = none). */
export function gateIst(hi: number): number {
  return hi & 7;
}

/** Call gate: parameter count (dwords/words copied on a privilege change). */
export function gateParamCount(hi: number): number {
  return hi & 0x1f;
}

export function selRpl(sel: number): number {
  return sel & 3;
}

/** Null selector: index 0 of the GDT (RPL ignored). */
export function selIsNull(sel: number): boolean {
  return (sel & 0xfffc) === 0;
}
