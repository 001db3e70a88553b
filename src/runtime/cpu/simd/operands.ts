/**
 * SIMD operand access. Every XMM operand is a *slot* of cpu.sse (state.ts): a register operand is
 * its register number, a memory source is loaded into SLOT_MEM first. Memory goes through the
 * CPU's segmentation (#GP(0)/#SS(0), canonical checks in 64-bit mode) and the MMU (#PF), with
 * the alignment rule of the form: `aligned` m128 operands (MOVAPS, MOVDQA, legacy-SSE
 * arithmetic on m128) raise #GP(0) unless the linear address is a multiple of 16 (SDM Vol. 1
 * §13.1.1, "Exception Type 1/4"); the unaligned forms (MOVUPS, MOVDQU, LDDQU, scalar m32/m64,
 * MOVHPS...) pass `aligned` false. A store translates every page it touches before the first
 * byte is written, so a fault leaves memory unchanged.
 *
 * Handlers follow the core's convention: read (and fault) everything first, write last.
 */
import { OpK, type DecodedInsn } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Access } from '../../mmu/types.ts';
import { ea } from '../core/operands.ts';
import { SLOT_MEM } from './state.ts';

/** Linear address of the instruction's memory operand for an access of `size` bytes. */
export function simdLinear(cpu: Cpu, d: DecodedInsn, size: number, write: boolean, aligned: boolean): number {
  const lin = cpu.mem.linear(d.seg, ea(cpu, d), size, write);
  // ToInt32 keeps the low bits of a signed-canonical address, so `& 15` is exact.
  if (aligned && (lin & 15) !== 0) throw new GuestFault(Vec.GP, 0);
  return lin;
}

/** Read 16 bytes at `lin` into slot `slot`. */
export function readLin128(cpu: Cpu, lin: number, slot: number): void {
  const mem = cpu.mem;
  const u = cpu.sse.u32;
  const i = slot * 4;
  const user = cpu.cpl === 3;
  if ((lin & 0xfff) <= 0xff0) {
    const pa = mem.translate(lin, Access.Read, user);
    if (pa >= 0 && pa + 16 <= mem.ramSize) {
      const v = mem.view;
      u[i] = v.getUint32(pa, true);
      u[i + 1] = v.getUint32(pa + 4, true);
      u[i + 2] = v.getUint32(pa + 8, true);
      u[i + 3] = v.getUint32(pa + 12, true);
      return;
    }
    for (let j = 0; j < 4; j++) u[i + j] = mem.readPa(pa + 4 * j, 4);
    return;
  }
  // Crosses a page: both pages translated (in address order) before any byte is used.
  if (mem.translating) {
    mem.translate(lin, Access.Read, user);
    mem.translate(lin - (lin & 0xfff) + 0x1000, Access.Read, user);
  }
  for (let j = 0; j < 4; j++) u[i + j] = mem.readLin(lin + 4 * j, 4, user);
}

/** Write slot `slot` (16 bytes) at `lin`. */
export function writeLin128(cpu: Cpu, lin: number, slot: number): void {
  const mem = cpu.mem;
  const u = cpu.sse.u32;
  const i = slot * 4;
  const user = cpu.cpl === 3;
  if ((lin & 0xfff) <= 0xff0) {
    const pa = mem.translate(lin, Access.Write, user);
    for (let j = 0; j < 4; j++) mem.writePhys(pa + 4 * j, 4, u[i + j]!);
    return;
  }
  if (mem.translating) {
    mem.translate(lin, Access.Write, user);
    mem.translate(lin - (lin & 0xfff) + 0x1000, Access.Write, user);
  }
  for (let j = 0; j < 4; j++) mem.writeLin(lin + 4 * j, 4, u[i + j]!, user);
}

/** Read 8 bytes at `lin` into dwords `dw`, `dw + 1` of the u32 view. */
export function readLin64To(cpu: Cpu, lin: number, dw: number): void {
  const u = cpu.sse.u32;
  const lo = cpu.mem.readLinPair(lin, cpu.cpl === 3);
  u[dw] = lo;
  u[dw + 1] = cpu.mem.pairHi;
}

/** Write dwords `dw`, `dw + 1` of the u32 view as 8 bytes at `lin`. */
export function writeLin64From(cpu: Cpu, lin: number, dw: number): void {
  const u = cpu.sse.u32;
  cpu.mem.writeLinPair(lin, u[dw]!, u[dw + 1]!, cpu.cpl === 3);
}

// ---- source operands as slots -----------------------------------------------------------------

/** xmm/m128 source operand (kind `k`, register `r`): its slot; memory is loaded into SLOT_MEM. */
export function xmmSrc128(cpu: Cpu, d: DecodedInsn, k: OpK, r: number, aligned: boolean): number {
  if (k === OpK.Xmm) return r;
  readLin128(cpu, simdLinear(cpu, d, 16, false, aligned), SLOT_MEM);
  return SLOT_MEM;
}

/**
 * xmm/m64 source: a register's slot, or SLOT_MEM with the 8 bytes in its low qword (the upper
 * qword is zeroed, so whole-slot code sees the zero-extended value).
 */
export function xmmSrc64(cpu: Cpu, d: DecodedInsn, k: OpK, r: number): number {
  if (k === OpK.Xmm) return r;
  readLin64To(cpu, simdLinear(cpu, d, 8, false, false), SLOT_MEM * 4);
  const u = cpu.sse.u32;
  u[SLOT_MEM * 4 + 2] = 0;
  u[SLOT_MEM * 4 + 3] = 0;
  return SLOT_MEM;
}

/** xmm/m32 source: a register's slot, or SLOT_MEM with the dword in lane 0 (others zero). */
export function xmmSrc32(cpu: Cpu, d: DecodedInsn, k: OpK, r: number): number {
  return k === OpK.Xmm ? r : loadLane0(cpu, d, 4);
}

/** xmm/m16 source: SLOT_MEM with the word in lane 0 (others zero) for memory. */
export function xmmSrc16(cpu: Cpu, d: DecodedInsn, k: OpK, r: number): number {
  return k === OpK.Xmm ? r : loadLane0(cpu, d, 2);
}

/** A 2- or 4-byte memory operand into lane 0 of SLOT_MEM, the other lanes zero. */
function loadLane0(cpu: Cpu, d: DecodedInsn, size: 2 | 4): number {
  const v = cpu.read(d.seg, ea(cpu, d), size);
  const u = cpu.sse.u32;
  const i = SLOT_MEM * 4;
  u[i] = v;
  u[i + 1] = 0;
  u[i + 2] = 0;
  u[i + 3] = 0;
  return SLOT_MEM;
}

/** Source operand of the size the decoder gave it (s = 16, 8, 4 or 2 bytes for memory). */
export function xmmSrc(cpu: Cpu, d: DecodedInsn, k: OpK, r: number, s: number, aligned: boolean): number {
  if (k === OpK.Xmm) return r;
  if (s === 16) return xmmSrc128(cpu, d, k, r, aligned);
  if (s === 8) return xmmSrc64(cpu, d, k, r);
  if (s === 4) return xmmSrc32(cpu, d, k, r);
  return xmmSrc16(cpu, d, k, r);
}

// ---- destination operands -------------------------------------------------------------------

/** Store slot `slot` to the m128 destination. */
export function storeM128(cpu: Cpu, d: DecodedInsn, slot: number, aligned: boolean): void {
  writeLin128(cpu, simdLinear(cpu, d, 16, true, aligned), slot);
}

/** Store the low qword of slot `slot` (or the qword at dword index `dw`) to the m64 destination. */
export function storeM64(cpu: Cpu, d: DecodedInsn, dw: number): void {
  writeLin64From(cpu, simdLinear(cpu, d, 8, true, false), dw);
}

/** Store a dword to the m32 destination. */
export function storeM32(cpu: Cpu, d: DecodedInsn, v: number): void {
  cpu.write(d.seg, ea(cpu, d), 4, v);
}
