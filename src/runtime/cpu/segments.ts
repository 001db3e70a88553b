/**
 * Segmentation (SDM Vol. 3A ch. 3 and §5.1-§5.10): descriptor fetch from the GDT/LDT, segment
 * register loads with their architectural checks, descriptor-cache fills, and the limit/type
 * checks the core applies to memory operands.
 *
 * Faults are GuestFaults with the selector error code (selector & 0xFFFC | EXT). Descriptor
 * reads are implicit supervisor accesses (R95). Successful loads set the descriptor's accessed
 * bit as hardware does. Nothing here allocates: descriptors are read into caller-owned
 * `RawDescriptor` scratch objects.
 */
import { GuestFault, Vec } from './fault.ts';
import { Flag, Seg, type SegmentCache } from './state.ts';
import {
  DescHi,
  descBase,
  descDpl,
  descIsSystem,
  descLimit,
  descPresent,
  descType,
  SegType,
  selIsNull,
  selRpl,
  SysType,
} from './system/descriptor.ts';
import type { Cpu } from './cpu.ts';
import { canonicalOf, isCanonicalHiLo, linRead, sysWrite } from './system/sysmem.ts';

/** An 8- or 16-byte descriptor as read from its table. */
export class RawDescriptor {
  lo = 0;
  hi = 0;
  /** Bytes 8-15 of a 16-byte long-mode system descriptor (base 63:32 and the type-0 check). */
  lo2 = 0;
  hi2 = 0;
  /** Linear address of the entry. */
  addr = 0;
}

/** Error code for a selector-related fault (SDM §6.13). */
export function selErr(sel: number, ext: number): number {
  return (sel & 0xfffc) | ext;
}

/**
 * Read the descriptor `sel` names into `out` (8 bytes; 16 when `wide`). Throws
 * GuestFault(`vector`, selErr) when the entry lies outside the table or TI=1 with an unusable
 * LDTR. The caller has ruled out null selectors where they matter.
 */
export function fetchDescriptor(cpu: Cpu, sel: number, out: RawDescriptor, vector: number, ext: number, wide = false): void {
  const ldt = (sel & 4) !== 0;
  const index = sel & 0xfff8;
  let base: number;
  let limit: number;
  if (ldt) {
    const l = cpu.seg[Seg.LDTR]!;
    if (!l.usable || selIsNull(l.selector)) throw new GuestFault(vector, selErr(sel, ext));
    base = l.base;
    limit = l.limit;
  } else {
    base = cpu.gdtr.base;
    limit = cpu.gdtr.limit;
  }
  if (index + (wide ? 15 : 7) > limit) throw new GuestFault(vector, selErr(sel, ext));
  const addr = cpu.longMode ? base + index : (base + index) >>> 0;
  out.addr = addr;
  out.lo = linRead(cpu, addr, 4, false);
  out.hi = linRead(cpu, addr + 4, 4, false);
  if (wide) {
    out.lo2 = linRead(cpu, addr + 8, 4, false);
    out.hi2 = linRead(cpu, addr + 12, 4, false);
  } else {
    out.lo2 = 0;
    out.hi2 = 0;
  }
}

/**
 * Read the descriptor `sel` names if it lies inside its table (LAR/LSL/VERR/VERW, which report
 * failure in ZF instead of faulting). Returns false for a null selector or an entry outside the
 * GDT/LDT; memory faults of the read itself still throw.
 */
export function peekDescriptor(cpu: Cpu, sel: number, out: RawDescriptor, wide = false): boolean {
  if (selIsNull(sel)) return false;
  const ldt = (sel & 4) !== 0;
  const l = cpu.seg[Seg.LDTR]!;
  if (ldt && (!l.usable || selIsNull(l.selector))) return false;
  const limit = ldt ? l.limit : cpu.gdtr.limit;
  if ((sel & 0xfff8) + (wide ? 15 : 7) > limit) return false;
  fetchDescriptor(cpu, sel, out, Vec.GP, 0, wide);
  return true;
}

/** Set the accessed bit of a code/data descriptor in memory if it is clear. */
export function setAccessed(cpu: Cpu, d: RawDescriptor): void {
  if ((d.hi & DescHi.ACCESSED) === 0) {
    d.hi |= DescHi.ACCESSED;
    sysWrite(cpu, d.addr + 4, 4, d.hi);
  }
}

/** Fill a descriptor cache from a fetched code/data descriptor (RPL of `sel` kept in the selector). */
export function fillCache(cache: SegmentCache, sel: number, d: RawDescriptor): void {
  const hi = d.hi;
  cache.selector = sel & 0xffff;
  cache.base = descBase(d.lo, hi);
  cache.limit = descLimit(d.lo, hi);
  cache.type = descType(hi);
  cache.s = (hi & DescHi.S) !== 0;
  cache.dpl = descDpl(hi);
  cache.present = descPresent(hi);
  cache.avl = (hi & DescHi.AVL) !== 0;
  cache.l = (hi & DescHi.L) !== 0;
  cache.db = (hi & DescHi.DB) !== 0;
  cache.g = (hi & DescHi.G) !== 0;
  cache.usable = true;
}

/** Fill an LDTR/TR cache from a system descriptor (16 bytes in long mode: base 63:32 in lo2). */
export function fillSystemCache(cpu: Cpu, cache: SegmentCache, sel: number, d: RawDescriptor): void {
  fillCache(cache, sel, d);
  if (cpu.longMode) cache.base = canonicalOf(cache.base, d.lo2);
}

/** A null selector loaded into DS/ES/FS/GS (or SS in 64-bit mode): the register is unusable. */
export function loadNull(cache: SegmentCache, sel: number): void {
  cache.selector = sel & 0xffff;
  cache.base = 0; // Intel clears the base (FS/GS in 64-bit mode included)
  cache.limit = 0;
  cache.usable = false;
}

/** v86 mode: every segment is a 64 KiB, DPL-3, present, read/write data (or code for CS) segment. */
export function loadV86(cache: SegmentCache, sel: number, code: boolean): void {
  cache.selector = sel & 0xffff;
  cache.base = (sel & 0xffff) << 4;
  cache.limit = 0xffff;
  cache.type = code ? 0xb : 0x3;
  cache.s = true;
  cache.dpl = 3;
  cache.present = true;
  cache.avl = false;
  cache.l = false;
  cache.db = false;
  cache.g = false;
  cache.usable = true;
}

const scratch = new RawDescriptor();

/**
 * MOV Sreg / POP Sreg / LDS-family load of ES, SS, DS, FS or GS (SDM MOV "Operation"). CS is
 * never loaded here (MOV CS is #UD; far transfers use far.ts). After a successful SS load the
 * caller sets the interrupt shadow.
 */
export function loadSegment(cpu: Cpu, seg: Seg, sel: number): void {
  sel &= 0xffff;
  const cache = cpu.seg[seg]!;
  if (!cpu.protectedMode) {
    cache.loadReal(sel);
    if (seg === Seg.SS) cpu.updateMode();
    return;
  }
  if ((cpu.flags & Flag.VM) !== 0) {
    loadV86(cache, sel, false);
    if (seg === Seg.SS) cpu.updateMode();
    return;
  }
  const cpl = cpu.cpl;
  if (seg === Seg.SS) {
    if (selIsNull(sel)) {
      // 64-bit mode allows a null SS at CPL < 3 with RPL = CPL.
      if (cpu.mode64 && cpl !== 3 && selRpl(sel) === cpl) {
        loadNull(cache, sel);
        cache.dpl = cpl;
        cpu.updateMode();
        return;
      }
      throw new GuestFault(Vec.GP, 0);
    }
    const d = scratch;
    fetchDescriptor(cpu, sel, d, Vec.GP, 0);
    const hi = d.hi;
    const t = descType(hi);
    if (selRpl(sel) !== cpl || descIsSystem(hi) || (t & SegType.CODE) !== 0 || (t & SegType.WRITABLE) === 0 || descDpl(hi) !== cpl) {
      throw new GuestFault(Vec.GP, selErr(sel, 0));
    }
    if (!descPresent(hi)) throw new GuestFault(Vec.SS, selErr(sel, 0));
    setAccessed(cpu, d);
    fillCache(cache, sel, d);
    cpu.updateMode();
    return;
  }
  if (selIsNull(sel)) {
    loadNull(cache, sel);
    return;
  }
  const d = scratch;
  fetchDescriptor(cpu, sel, d, Vec.GP, 0);
  const hi = d.hi;
  const t = descType(hi);
  // Data, or readable code; data and non-conforming code also need DPL >= max(CPL, RPL).
  if (descIsSystem(hi) || ((t & SegType.CODE) !== 0 && (t & SegType.READABLE) === 0)) {
    throw new GuestFault(Vec.GP, selErr(sel, 0));
  }
  const conformingCode = (t & (SegType.CODE | SegType.CONFORMING)) === (SegType.CODE | SegType.CONFORMING);
  if (!conformingCode) {
    const dpl = descDpl(hi);
    if (selRpl(sel) > dpl || cpl > dpl) throw new GuestFault(Vec.GP, selErr(sel, 0));
  }
  if (!descPresent(hi)) throw new GuestFault(Vec.NP, selErr(sel, 0));
  setAccessed(cpu, d);
  fillCache(cache, sel, d);
}

/**
 * Load a code segment into CS at privilege `cpl` (far transfers, interrupt delivery, IRET):
 * the caller has checked the descriptor; RPL := cpl; CPL := cpl; the mode is re-derived.
 */
export function loadCs(cpu: Cpu, sel: number, d: RawDescriptor, cpl: number): void {
  setAccessed(cpu, d);
  fillCache(cpu.seg[Seg.CS]!, (sel & 0xfffc) | cpl, d);
  cpu.cpl = cpl;
  cpu.updateMode();
}

/**
 * RETF/IRET to an outer privilege level: check the non-null SS selector popped from the stack
 * against the new privilege level `rpl` and fill `into` from its descriptor (read into `d`).
 * #GP(sel) on an RPL, type or DPL mismatch, #SS(sel) if not present (SDM RET/IRET "Operation").
 */
export function loadOuterSs(cpu: Cpu, sel: number, rpl: number, d: RawDescriptor, into: SegmentCache): void {
  if (selRpl(sel) !== rpl) throw new GuestFault(Vec.GP, selErr(sel, 0));
  fetchDescriptor(cpu, sel, d, Vec.GP, 0);
  const hi = d.hi;
  const t = descType(hi);
  if (descIsSystem(hi) || (t & SegType.CODE) !== 0 || (t & SegType.WRITABLE) === 0 || descDpl(hi) !== rpl) {
    throw new GuestFault(Vec.GP, selErr(sel, 0));
  }
  if (!descPresent(hi)) throw new GuestFault(Vec.SS, selErr(sel, 0));
  setAccessed(cpu, d);
  fillCache(into, sel, d);
}

/**
 * After a return to an outer privilege level (RETF, IRET): data segment registers the new CPL
 * may not use are loaded with null (SDM RET/IRET "Operation", "FOR each SegReg in (ES, FS, GS, DS)").
 */
export function invalidateOuterSegments(cpu: Cpu): void {
  const cpl = cpu.cpl;
  for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS] as const) {
    const c = cpu.seg[seg]!;
    if (!c.usable) continue;
    const conformingCode = c.s && (c.type & 0xc) === 0xc;
    if ((!c.s || !conformingCode) && c.dpl < cpl) {
      // FS/GS in 64-bit mode keep their MSR base as well: a null load (Intel) clears it.
      loadNull(c, 0);
    }
  }
}

/** Is `offset` .. offset+size-1 inside the segment's limit (expand-down aware, SDM §5.3)? */
export function withinLimit(c: SegmentCache, offset: number, size: number): boolean {
  const last = offset + size - 1;
  if (c.s && (c.type & (SegType.CODE | SegType.EXPAND_DOWN)) === SegType.EXPAND_DOWN) {
    const upper = c.db ? 0xffff_ffff : 0xffff;
    return offset > c.limit && last <= upper;
  }
  return last <= c.limit;
}

/** Long-mode 16-byte system descriptors: bytes 8-15 must have type 0 (SDM Figure 7-4). */
export function upperHalfValid(d: RawDescriptor): boolean {
  return ((d.hi2 >>> 8) & 0x1f) === 0;
}

/** Long-mode system descriptor base canonical? */
export function systemBaseCanonical(d: RawDescriptor): boolean {
  return isCanonicalHiLo(descBase(d.lo, d.hi), d.lo2);
}
