/**
 * Block transfers between guest memory and a staging image, for FXSAVE/FXRSTOR and the XSAVE
 * family: every page of the region is translated (with the access kind) before the first byte
 * moves, so a #PF leaves memory and registers unchanged; then dwords move through the memory
 * layer (RAM fast path, MMIO, code invalidation, write watches). Offsets and lengths are
 * multiples of 4 and the region is at least 16-byte aligned, so no dword crosses a page.
 */
import type { Cpu } from '../cpu.ts';
import { Access } from '../../mmu/types.ts';

/** Translate every page of [lin, lin + size) for `access` (faults in address order). */
export function probeRegion(cpu: Cpu, lin: number, size: number, access: Access): void {
  const mem = cpu.mem;
  if (!mem.translating) return;
  const user = cpu.cpl === 3;
  const first = lin - (lin & 0xfff);
  for (let p = first; p < lin + size; p += 0x1000) mem.translate(p < lin ? lin : p, access, user);
}

/** Write img[off, off + len) to lin + off. */
export function writeRegion(cpu: Cpu, lin: number, img: DataView, off: number, len: number): void {
  const mem = cpu.mem;
  const user = cpu.cpl === 3;
  for (let o = off; o < off + len; o += 4) mem.writeLin(lin + o, 4, img.getUint32(o, true), user);
}

/** Read lin + off .. into img[off, off + len). */
export function readRegion(cpu: Cpu, lin: number, img: DataView, off: number, len: number): void {
  const mem = cpu.mem;
  const user = cpu.cpl === 3;
  for (let o = off; o < off + len; o += 4) img.setUint32(o, mem.readLin(lin + o, 4, user), true);
}
