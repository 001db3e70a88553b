/**
 * Guest memory access for the interpreter: segmentation (limit and rights checks, 64-bit
 * canonical checks), translation through the hardware MMU when paging or nested paging is on,
 * and a RAM fast path through a DataView over bus.ram. Writes to pages that hold decoded code
 * invalidate the decode cache (self-modifying code).
 *
 * Linear addresses follow src/runtime/mmu/types.ts: < 2^32 outside long mode, signed canonical
 * in long mode. No allocation on any path except BigInt results of the 64-bit helpers.
 */
import type { PhysicalBus } from '../machine/bus.ts';
import { Access, type FrameWatch } from '../mmu/types.ts';
import { GuestFault, Vec } from './fault.ts';
import { Cr0, Flag, Seg } from './state.ts';
import type { Cpu } from './cpu.ts';

const CANON_LIMIT = 0x800000000000; // 2^47

/** Memory.codePages bits: the decode cache holds instructions from the page. */
export const PAGE_CODE = 1;
/**
 * Memory.codePages bits: the monitor watches the page (Vcpu.watchFrame). A modelled hardware
 * assist: a real VMM write-protects the guest's paging-structure pages in its shadow (or EPT)
 * tables and takes a write fault (an exit, an emulated store) per guest write; here the store
 * costs a callback instead, and nothing at all while the page holds no watch.
 */
export const PAGE_WATCHED = 2;
/**
 * Memory.codePages bits: the hardware MMU watches the page (a guest paging-structure frame
 * cached translations came from; Translator.watchSources). The same modelled assist.
 */
export const PAGE_TLB_SOURCE = 4;

/**
 * Alignment a data access of `size` bytes needs under alignment checking (SDM Vol. 3A §6.15,
 * Table 6-7): words 2, doublewords 4, quadwords 8; a 6- or 10-byte pseudo-descriptor (SGDT/SIDT
 * operand, "GDTR/IDTR contents") 4. Other sizes (bytes; 16-byte SSE operands, whose own rules
 * are the SIMD instructions') are not checked here.
 */
function alignMask(size: number): number {
  switch (size) {
    case 2:
      return 1;
    case 4:
    case 6:
    case 10:
      return 3;
    case 8:
      return 7;
    default:
      return 0;
  }
}

/** #AC(0) when `lin` is misaligned for an access of `size` bytes. */
export function alignCheck(lin: number, size: number): void {
  if ((lin & alignMask(size)) !== 0) throw new GuestFault(Vec.AC, 0);
}

export class Memory {
  private readonly cpu: Cpu;
  private readonly bus: PhysicalBus;
  readonly ram: Uint8Array;
  readonly view: DataView;
  readonly ramSize: number;
  /**
   * Per 4 KiB RAM page: non-zero when a store to it needs the slow path of writePhys
   * (PAGE_CODE: the decode cache holds instructions from it; PAGE_WATCHED: the monitor watches
   * it). Fast store paths elsewhere (block compiler) test `!== 0` and then call writePhys.
   */
  readonly codePages: Uint8Array;
  /** Pages with PAGE_WATCHED set (unwatchAll clears them). */
  private readonly watchedPages: number[] = [];
  /** Pages with PAGE_TLB_SOURCE set. */
  private readonly sourcePages: number[] = [];
  /** The PAGE_TLB_SOURCE watch, as the MMU uses it (Translator.watchSources). */
  readonly sourceWatch: FrameWatch = {
    watch: (pa) => this.watchPage(pa, PAGE_TLB_SOURCE, this.sourcePages),
    unwatchAll: () => this.unwatchPages(PAGE_TLB_SOURCE, this.sourcePages),
    onWrite: null,
  };
  /** Linear addresses go through the MMU (paging on, or nested paging on). */
  translating = false;
  /** High dword of the last readLinPair. */
  pairHi = 0;
  /**
   * Alignment checking is armed: hardware CR0.AM, protected mode and CPL 3 (v86 included). With
   * EFLAGS.AC too, every explicit data access through linear() is checked (alignCheck); updated
   * by refresh() whenever CR0, CPL or the mode change, so the check costs one boolean test while
   * it is off (SDM Vol. 3A §6.15 "Interrupt 17").
   */
  acArmed = false;

  constructor(cpu: Cpu) {
    this.cpu = cpu;
    this.bus = cpu.bus;
    this.ram = cpu.bus.ram;
    this.view = new DataView(this.ram.buffer, this.ram.byteOffset, this.ram.byteLength);
    this.ramSize = Math.min(cpu.bus.ramSize, this.ram.byteLength);
    this.codePages = new Uint8Array((this.ramSize >>> 12) + 1);
  }

  /** Re-read the paging state (called by Cpu.updateMode). */
  refresh(): void {
    const cpu = this.cpu;
    this.translating = cpu.paging || cpu.hw.ncr3 !== null;
    this.acArmed = (cpu.hw.cr0Lo & Cr0.AM) !== 0 && cpu.protectedMode && cpu.cpl === 3;
  }

  /** Alignment checking applies to explicit data accesses now (armed and EFLAGS.AC). */
  get acActive(): boolean {
    return this.acArmed && (this.cpu.flags & Flag.AC) !== 0;
  }

  // ---- segmentation ---------------------------------------------------------------------

  /**
   * seg:offset → linear for an access of `size` bytes, with the segment checks of the current
   * mode: 64-bit mode adds FS/GS base and checks canonicality (#SS(0) for SS, else #GP(0));
   * other modes check usability, rights (protected mode) and the limit, then wrap to 32 bits.
   */
  linear(seg: number, offset: number, size: number, write: boolean): number {
    const cpu = this.cpu;
    const s = cpu.seg[seg]!;
    if (cpu.mode64) {
      const lin = seg >= Seg.FS ? s.base + offset : offset;
      if (lin < -CANON_LIMIT || lin + size - 1 >= CANON_LIMIT) this.segFault(seg);
      if (this.acArmed && (cpu.flags & Flag.AC) !== 0) alignCheck(lin, size);
      return lin;
    }
    if (cpu.protectedMode && (cpu.flags & Flag.VM) === 0) {
      if (!s.usable) this.segFault(seg);
      const t = s.type;
      if (write) {
        if ((t & 0xa) !== 2) this.segFault(seg); // code, or read-only data
      } else if ((t & 0xa) === 8) {
        this.segFault(seg); // execute-only code
      }
    }
    const last = offset + size - 1;
    if ((s.type & 0xc) === 4) {
      // Expand-down data: valid offsets are limit+1 .. (B ? 4G-1 : 64K-1).
      if (offset <= s.limit || last > (s.db ? 0xffffffff : 0xffff)) this.segFault(seg);
    } else if (last > s.limit) {
      this.segFault(seg);
    }
    const lin = (s.base + offset) >>> 0;
    if (this.acArmed && (cpu.flags & Flag.AC) !== 0) alignCheck(lin, size);
    return lin;
  }

  private segFault(seg: number): never {
    throw new GuestFault(seg === Seg.SS ? Vec.SS : Vec.GP, 0);
  }

  // ---- linear accesses --------------------------------------------------------------------

  /**
   * Set while the system side makes an implicit supervisor-mode access (GDT/LDT/IDT/TSS; SDM
   * Vol. 3A §4.6): SMAP then ignores EFLAGS.AC (sysmem.ts sysRead/sysWrite).
   */
  implicit = false;

  private ac(): boolean {
    return (this.cpu.flags & Flag.AC) !== 0 && !this.implicit;
  }

  /** Translate one linear address (no page-crossing logic). */
  translate(lin: number, access: Access, user: boolean): number {
    return this.translating ? this.cpu.mmu.translate(lin, access, user, this.ac()) : lin;
  }

  /** Read 1, 2 or 4 bytes at a linear address. */
  readLin(lin: number, size: number, user: boolean): number {
    let pa = lin;
    if (this.translating) {
      if ((lin & 0xfff) + size > 0x1000) return this.readSplit(lin, size, user);
      pa = this.cpu.mmu.translate(lin, Access.Read, user, this.ac());
    }
    return this.readPa(pa, size);
  }

  /** Read 1, 2 or 4 bytes at a translated (host-physical) address. */
  readPa(pa: number, size: number): number {
    if (pa + size <= this.ramSize) {
      if (size === 4) return this.view.getUint32(pa, true);
      if (size === 2) return this.view.getUint16(pa, true);
      return this.ram[pa]!;
    }
    return this.readBus(pa, size);
  }

  private readBus(pa: number, size: number): number {
    if (size === 4) return this.bus.read32(pa) >>> 0;
    if (size === 2) return this.bus.read16(pa);
    return this.bus.read8(pa);
  }

  /** Read an access that crosses a page: both pages translated (in address order) before any byte is used. */
  private readSplit(lin: number, size: number, user: boolean): number {
    const ac = this.ac();
    const mmu = this.cpu.mmu;
    const split = 0x1000 - (lin & 0xfff);
    const pa1 = mmu.translate(lin, Access.Read, user, ac);
    const pa2 = mmu.translate(lin + split, Access.Read, user, ac);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const pa = i < split ? pa1 + i : pa2 + (i - split);
      v = v * 256 + (pa < this.ramSize ? this.ram[pa]! : this.bus.read8(pa));
    }
    return v >>> 0;
  }

  /** Write 1, 2 or 4 bytes at a linear address. */
  writeLin(lin: number, size: number, value: number, user: boolean): void {
    let pa = lin;
    if (this.translating) {
      if ((lin & 0xfff) + size > 0x1000) {
        this.writeSplit(lin, size, value, user);
        return;
      }
      pa = this.cpu.mmu.translate(lin, Access.Write, user, this.ac());
    }
    this.writePhys(pa, size, value);
  }

  /**
   * A write that did not come through this class (cpu.bus: the monitor's own stores, including
   * the A/D bits its walks set): drop overlapping decoded code. Not a guest store, so it never
   * fires the write watch.
   */
  noteWrite(pa: number, size: number): void {
    const cp = this.codePages;
    const end = Math.min(pa + size, this.ramSize) - 1;
    if (((cp[pa >>> 12]! | cp[end >>> 12]!) & PAGE_CODE) !== 0) this.cpu.decoded.invalidate(pa, end - pa + 1);
  }

  /** Write to a physical address (RAM fast path, code invalidation, write watch, bus otherwise). */
  writePhys(pa: number, size: number, value: number): void {
    if (pa + size <= this.ramSize) {
      const cp = this.codePages;
      const bits = cp[pa >>> 12]! | cp[(pa + size - 1) >>> 12]!;
      if ((bits & PAGE_CODE) !== 0) this.cpu.decoded.invalidate(pa, size);
      if (size === 4) this.view.setUint32(pa, value, true);
      else if (size === 2) this.view.setUint16(pa, value, true);
      else this.ram[pa] = value;
      if ((bits & (PAGE_WATCHED | PAGE_TLB_SOURCE)) !== 0) this.watchHit(pa, size);
      return;
    }
    if (size === 4) this.bus.write32(pa, value >>> 0);
    else if (size === 2) this.bus.write16(pa, value & 0xffff);
    else this.bus.write8(pa, value & 0xff);
  }

  // ---- write watch (Vcpu.watchFrame) ------------------------------------------------------

  /** Watch the RAM frame holding `pa`; false (nothing watched) when it is not RAM. */
  watchFrame(pa: number): boolean {
    return this.watchPage(pa, PAGE_WATCHED, this.watchedPages);
  }

  /** Drop every watch (the code and TLB-source bits stay). */
  unwatchAll(): void {
    this.unwatchPages(PAGE_WATCHED, this.watchedPages);
  }

  private watchPage(pa: number, bit: number, list: number[]): boolean {
    if (!(pa >= 0 && pa < this.ramSize)) return false;
    const p = Math.floor(pa / 4096);
    const cp = this.codePages;
    if ((cp[p]! & bit) === 0) {
      cp[p] = cp[p]! | bit;
      list.push(p);
    }
    return true;
  }

  private unwatchPages(bit: number, list: number[]): void {
    const cp = this.codePages;
    for (let i = 0; i < list.length; i++) cp[list[i]!] = cp[list[i]!]! & ~bit;
    list.length = 0;
  }

  /** Reset the code bits (decode cache cleared); watches stay. */
  clearCodePages(): void {
    const cp = this.codePages;
    for (let i = 0; i < cp.length; i++) cp[i] = cp[i]! & ~PAGE_CODE;
  }

  /** A guest store hit a watched page (one or both of the pages it touches). */
  private watchHit(pa: number, size: number): void {
    this.watchHitPage(pa);
    const last = pa + size - 1;
    if (last >>> 12 !== pa >>> 12) this.watchHitPage(last);
  }

  private watchHitPage(pa: number): void {
    const p = pa >>> 12;
    const frame = p * 4096;
    // Read the bits afresh for each report: a callback may drop watches.
    if ((this.codePages[p]! & PAGE_WATCHED) !== 0) this.cpu.onWatchedWrite?.(frame);
    if ((this.codePages[p]! & PAGE_TLB_SOURCE) !== 0) this.sourceWatch.onWrite?.(frame);
  }

  private writeSplit(lin: number, size: number, value: number, user: boolean): void {
    const ac = this.ac();
    const mmu = this.cpu.mmu;
    // Translate both pages first so a fault on the second leaves memory untouched; the fault
    // address is the first byte on the faulting page.
    const split = 0x1000 - (lin & 0xfff);
    const pa1 = mmu.translate(lin, Access.Write, user, ac);
    const pa2 = mmu.translate(lin + split, Access.Write, user, ac);
    for (let i = 0; i < size; i++) {
      this.writePhys(i < split ? pa1 + i : pa2 + (i - split), 1, (value >>> (8 * i)) & 0xff);
    }
  }

  /** Read 8 bytes: returns the low dword, the high dword in `pairHi`. */
  readLinPair(lin: number, user: boolean): number {
    if (this.translating && (lin & 0xfff) > 0xff8) {
      // Crosses a page: translate both pages (in address order) before using either half.
      this.cpu.mmu.translate(lin, Access.Read, user, this.ac());
      this.cpu.mmu.translate(lin - (lin & 0xfff) + 0x1000, Access.Read, user, this.ac());
    }
    const lo = this.readLin(lin, 4, user);
    this.pairHi = this.readLin(lin + 4, 4, user);
    return lo;
  }

  /** Write 8 bytes given as two dwords. */
  writeLinPair(lin: number, lo: number, hi: number, user: boolean): void {
    if (this.translating && (lin & 0xfff) > 0xff8) {
      const ac = this.ac();
      this.cpu.mmu.translate(lin, Access.Write, user, ac);
      this.cpu.mmu.translate(lin - (lin & 0xfff) + 0x1000, Access.Write, user, ac);
    }
    this.writeLin(lin, 4, lo, user);
    this.writeLin(lin + 4, 4, hi, user);
  }

  readLin64(lin: number, user: boolean): bigint {
    const lo = this.readLinPair(lin, user);
    return (BigInt(this.pairHi) << 32n) | BigInt(lo);
  }

  writeLin64(lin: number, value: bigint, user: boolean): void {
    this.writeLinPair(lin, Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn), user);
  }

  // ---- instruction fetch ------------------------------------------------------------------

  /** Physical address of an instruction byte (fetch access). */
  fetchPa(lin: number): number {
    return this.translating ? this.cpu.mmu.translate(lin, Access.Fetch, this.cpu.cpl === 3, false) : lin;
  }

  /** Is `pa` inside RAM? */
  inRam(pa: number, size: number): boolean {
    return pa >= 0 && pa + size <= this.ramSize;
  }

  /** Physical byte read (fetch slow path). */
  physByte(pa: number): number {
    return pa < this.ramSize ? this.ram[pa]! : this.bus.read8(pa);
  }

  get ramBytes(): Uint8Array {
    return this.ram;
  }
}
