/**
 * The shadow page-table tree in monitor memory (shadow strategy). Two hardware formats:
 * - 'pae': for guests in 32-bit or PAE paging (32-bit linear addresses). A PDPT whose four
 *   directories are allocated up front (so the hardware's latched PDPTEs never change while the
 *   tree lives), then page tables on demand;
 * - 'long': 4-level, for guests in long mode; 'long5': 5-level, for guests with CR4.LA57.
 * Leaves are always 4 KiB (guest large pages are split). Non-leaf entries are P|W|U with A preset
 * (rights are enforced at the leaf only, so the combined rights are the leaf's). Every table
 * page is tracked, so dropping the tree returns all of them to the pool and the live count is
 * exact.
 */
import type { PhysicalBus } from '../../machine/bus.ts';
import type { MonitorMemory } from './monitor-memory.ts';

export type ShadowFormat = 'pae' | 'long' | 'long5';

const P = 1;
const W = 2;
const U = 4;
const A = 0x20;
const UPPER = P | W | U | A;
const TWO32 = 2 ** 32;

export class ShadowTables {
  root = 0;
  /** The root as the hardware CR3 value. */
  readonly rootBig: bigint;
  /** Table pages other than the fixed ones. */
  private readonly pages = new Set<number>();
  /** Pages that live as long as the tree: the root and, for 'pae', its four directories. */
  private readonly fixed: number[] = [];
  /** PAE: the four directories (no PDPTE read per walk). */
  private readonly pds: number[] = [];
  /** Entries written in fixed pages since the last reset (what reset() clears). */
  private readonly fixedEntries: number[] = [];
  /** Pages ever allocated by this tree (stats). */
  allocated = 0;

  constructor(
    private readonly memory: PhysicalBus & MonitorMemory,
    readonly format: ShadowFormat,
  ) {
    this.root = this.allocFixed();
    this.rootBig = BigInt(this.root);
    if (format === 'pae') {
      for (let j = 0; j < 4; j++) {
        const pd = this.allocFixed();
        this.pds.push(pd);
        this.writeEntry(this.root + j * 8, pd, P); // PDPTE: P and address only (R41)
      }
    }
  }

  /**
   * Drop every mapping but keep the root (and PAE directories), so the hardware CR3 and latched
   * PDPTEs stay valid: the other table pages return to the pool, the entries written in the
   * kept pages are cleared. Cheaper than destroy() + a new tree on every guest flush.
   */
  reset(): void {
    for (const pa of this.pages) this.memory.freeMonitorPage(pa);
    this.pages.clear();
    const entries = this.fixedEntries;
    for (let i = 0; i < entries.length; i++) this.writeEntry(entries[i]!, 0, 0);
    entries.length = 0;
  }

  get livePages(): number {
    return this.pages.size + this.fixed.length;
  }

  private allocFixed(): number {
    const pa = this.memory.allocMonitorPage();
    this.fixed.push(pa);
    this.allocated++;
    return pa;
  }

  private alloc(): number {
    const pa = this.memory.allocMonitorPage();
    this.pages.add(pa);
    this.allocated++;
    return pa;
  }

  private writeEntry(at: number, addr: number, flags: number, hi = 0): void {
    if (addr < TWO32) {
      // Guest frames (below 4 GiB): no float division.
      this.memory.write32(at, (addr | flags) >>> 0);
      this.memory.write32(at + 4, hi >>> 0);
      return;
    }
    this.memory.write32(at, ((addr % TWO32) | flags) >>> 0);
    this.memory.write32(at + 4, (Math.floor(addr / TWO32) | hi) >>> 0);
  }

  private entryAddr(at: number): number {
    const lo = this.memory.read32(at) >>> 0;
    return ((lo & 0xffff_f000) >>> 0) + (this.memory.read32(at + 4) & 0xfffff) * TWO32;
  }

  private present(at: number): boolean {
    return (this.memory.read32(at) & P) !== 0;
  }

  /** Levels of the format's tables: long5 5, long 4 (PML4 … PT), pae 2 below the PDPT. */
  private static index(linear: number, level: number): number {
    const shift = 12 + 9 * (level - 1);
    return shift < 24 ? (linear >>> shift) & 511 : Math.floor(linear / 2 ** shift) & 511;
  }

  /** Address of the PTE for `linear`, creating page tables; -1 when `create` is false and absent. */
  leafSlot(linear: number, create: boolean): number {
    let table: number;
    let level: number;
    if (this.format === 'pae') {
      table = this.pds[(linear >>> 30) & 3]!;
      level = 2;
    } else {
      table = this.root;
      level = this.format === 'long5' ? 5 : 4;
    }
    let top = true;
    while (level > 1) {
      const e = table + ShadowTables.index(linear, level) * 8;
      if (!this.present(e)) {
        if (!create) return -1;
        const t = this.alloc();
        this.writeEntry(e, t, UPPER);
        if (top) this.fixedEntries.push(e);
        table = t;
      } else {
        table = this.entryAddr(e);
      }
      top = false;
      level--;
    }
    return table + ShadowTables.index(linear, 1) * 8;
  }

  /** Install a 4 KiB leaf at a slot from leafSlot(…, true). */
  setLeafAt(slot: number, frame: number, flags: number, nx: boolean): void {
    this.writeEntry(slot, frame, flags, nx ? 0x8000_0000 : 0);
  }

  /** Install a 4 KiB leaf: `flags` in the low dword (P, W, U, A, D), `nx` sets bit 63. */
  setLeaf(linear: number, frame: number, flags: number, nx: boolean): void {
    const slot = this.leafSlot(linear, true);
    this.writeEntry(slot, frame, flags, nx ? 0x8000_0000 : 0);
  }

  /** Low dword of the leaf for `linear` (0 when absent). */
  leafLo(linear: number): number {
    const slot = this.leafSlot(linear, false);
    return slot < 0 ? 0 : this.memory.read32(slot) >>> 0;
  }

  /** Host frame of the leaf for `linear` (-1 when absent). */
  leafFrame(linear: number): number {
    const slot = this.leafSlot(linear, false);
    return slot < 0 || !this.present(slot) ? -1 : this.entryAddr(slot);
  }

  /** Drop the mapping of one 4 KiB page. */
  zapPage(linear: number): void {
    const slot = this.leafSlot(linear, false);
    if (slot >= 0) this.writeEntry(slot, 0, 0);
  }

  /**
   * Drop every mapping in [start, start + size), `size` a power of two ≥ 4 KiB and `start`
   * aligned to it; page tables wholly inside the range are freed.
   */
  zapRange(start: number, size: number): void {
    if (size <= 4096) {
      this.zapPage(start);
      return;
    }
    // Work on the 48/57-bit unsigned form of a (signed, canonical) long-mode address.
    if (start < 0) start += this.format === 'long5' ? 2 ** 57 : 2 ** 48;
    if (this.format === 'pae') {
      for (let j = 0; j < 4; j++) {
        const lo = j * 2 ** 30;
        if (lo + 2 ** 30 <= start || lo >= start + size) continue;
        this.zapIn(this.entryAddr(this.root + j * 8), 2, lo, start, size);
      }
    } else {
      this.zapIn(this.root, this.format === 'long5' ? 5 : 4, 0, start, size);
    }
  }

  /** Zap within `table` (at `level`, covering linear from `base`) the range [start, start+size). */
  private zapIn(table: number, level: number, base: number, start: number, size: number): void {
    const span = 2 ** (12 + 9 * (level - 1));
    const first = Math.max(0, Math.floor((start - base) / span));
    const last = Math.min(511, Math.floor((start + size - 1 - base) / span));
    for (let i = first; i <= last; i++) {
      const e = table + i * 8;
      if (!this.present(e)) continue;
      const lo = base + i * span;
      if (level === 1 || (lo >= start && lo + span <= start + size)) {
        if (level > 1) this.freeSubtree(this.entryAddr(e), level - 1);
        this.writeEntry(e, 0, 0);
      } else {
        this.zapIn(this.entryAddr(e), level - 1, lo, start, size);
      }
    }
  }

  private freeSubtree(table: number, level: number): void {
    if (level > 1) {
      for (let i = 0; i < 512; i++) {
        const e = table + i * 8;
        if (this.present(e)) this.freeSubtree(this.entryAddr(e), level - 1);
      }
    }
    this.pages.delete(table);
    this.memory.freeMonitorPage(table);
  }

  /** Return every page to the pool. The tree is unusable afterwards. */
  destroy(): void {
    for (const pa of this.pages) this.memory.freeMonitorPage(pa);
    this.pages.clear();
    for (const pa of this.fixed) this.memory.freeMonitorPage(pa);
    this.fixed.length = 0;
  }
}
