/**
 * Test fixtures for the MMU and paging strategies: a small PhysicalBus with guest RAM, the
 * unbacked hole (reads all ones, writes dropped) and a monitor page pool at MONITOR_BASE; and a
 * table builder that maps pages in any paging mode.
 */
import { MONITOR_BASE, type PhysicalBus } from '../../src/runtime/machine/bus.ts';
import {
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  PagingMode,
} from '../../src/runtime/mmu/paging-config.ts';

export class TestBus implements PhysicalBus {
  readonly ram: Uint8Array;
  private readonly view: DataView;
  private readonly monitor = new Map<number, DataView>();
  private nextMonitor = MONITOR_BASE;
  /** Every write below MONITOR_BASE at or beyond ramSize (must be dropped). */
  droppedWrites = 0;

  constructor(readonly ramSize = 4 * 1024 * 1024) {
    this.ram = new Uint8Array(ramSize);
    this.view = new DataView(this.ram.buffer);
  }

  private readonly freed: number[] = [];

  allocMonitorPage(): number {
    const reused = this.freed.pop();
    const pa = reused ?? this.nextMonitor;
    if (reused === undefined) this.nextMonitor += 4096;
    this.monitor.set(pa, new DataView(new ArrayBuffer(4096)));
    return pa;
  }

  freeMonitorPage(pa: number): void {
    if (!this.monitor.delete(pa)) throw new Error(`double free of monitor page 0x${pa.toString(16)}`);
    this.freed.push(pa);
  }

  /** Monitor pages currently allocated. */
  monitorPages(): number {
    return this.monitor.size;
  }

  private mon(pa: number): DataView | undefined {
    return this.monitor.get(pa - (pa % 4096));
  }

  read8(pa: number): number {
    if (pa < this.ramSize) return this.ram[pa];
    const m = this.mon(pa);
    return m ? m.getUint8(pa % 4096) : 0xff;
  }
  read16(pa: number): number {
    return this.read8(pa) | (this.read8(pa + 1) << 8);
  }
  read32(pa: number): number {
    if (pa + 4 <= this.ramSize) return this.view.getUint32(pa, true);
    const m = this.mon(pa);
    if (m && (pa % 4096) + 4 <= 4096) return m.getUint32(pa % 4096, true);
    return (this.read16(pa) | (this.read16(pa + 2) << 16)) >>> 0;
  }
  read64(pa: number): bigint {
    return BigInt(this.read32(pa)) | (BigInt(this.read32(pa + 4)) << 32n);
  }
  write8(pa: number, value: number): void {
    if (pa < this.ramSize) {
      this.ram[pa] = value;
      return;
    }
    const m = this.mon(pa);
    if (m) m.setUint8(pa % 4096, value);
    else this.droppedWrites++;
  }
  write16(pa: number, value: number): void {
    this.write8(pa, value & 0xff);
    this.write8(pa + 1, (value >>> 8) & 0xff);
  }
  write32(pa: number, value: number): void {
    if (pa + 4 <= this.ramSize) {
      this.view.setUint32(pa, value >>> 0, true);
      return;
    }
    const m = this.mon(pa);
    if (m && (pa % 4096) + 4 <= 4096) m.setUint32(pa % 4096, value >>> 0, true);
    else {
      this.write16(pa, value & 0xffff);
      this.write16(pa + 2, (value >>> 16) & 0xffff);
    }
  }
  write64(pa: number, value: bigint): void {
    this.write32(pa, Number(value & 0xffff_ffffn));
    this.write32(pa + 4, Number((value >> 32n) & 0xffff_ffffn));
  }
}

export const P = 1;
export const W = 2;
export const U = 4;
export const A = 0x20;
export const D = 0x40;
export const PS = 0x80;
export const G = 0x100;
export const NX_HI = 0x8000_0000;

/** Write an entry (lo, hi) of 8 bytes, or 4 bytes when `hi` is undefined. */
export function setEntry(bus: PhysicalBus, pa: number, lo: number, hi?: number): void {
  bus.write32(pa, lo >>> 0);
  if (hi !== undefined) bus.write32(pa + 4, hi >>> 0);
}

export function readLo(bus: PhysicalBus, pa: number): number {
  return bus.read32(pa) >>> 0;
}

export interface MapOptions {
  /** Leaf flags (default P|W|U). */
  flags?: number;
  /** Flags of the non-leaf entries (default P|W|U). */
  upper?: number;
  /** High dword of the leaf (e.g. NX_HI). */
  hi?: number;
  /** Page size: 4096, 2 MiB, 4 MiB (32-bit) or 1 GiB. */
  size?: number;
}

/**
 * Builds guest page tables in RAM from a bump allocator. For PAE the root is the PDPT (32 bytes
 * at `root`); its PDPTEs carry only P (bits 2:1 are reserved there).
 */
export class TableBuilder {
  constructor(
    private readonly bus: PhysicalBus,
    readonly mode: PagingMode,
    readonly root: number,
    private next: number,
  ) {}

  alloc(): number {
    const pa = this.next;
    this.next += 4096;
    for (let i = 0; i < 4096; i += 4) this.bus.write32(pa + i, 0);
    return pa;
  }

  /** PAE: create the four page directories now (so PDPTEs can be latched before mapping). */
  preparePdpt(): void {
    for (let j = 0; j < 4; j++) this.child(this.root + j * 8, P, true, true);
  }

  /** Entry address of the table entry for `linear` at `level` (1 = PT), creating tables. */
  private child(entryPa: number, upper: number, wide: boolean, pdpte: boolean): number {
    const lo = this.bus.read32(entryPa) >>> 0;
    if ((lo & P) !== 0) {
      const hi = wide ? this.bus.read32(entryPa + 4) & 0xfffff : 0;
      return ((lo & 0xffff_f000) >>> 0) + hi * 2 ** 32;
    }
    const t = this.alloc();
    setEntry(this.bus, entryPa, (t | (pdpte ? P : upper)) >>> 0, wide ? Math.floor(t / 2 ** 32) : undefined);
    return t;
  }

  map(linear: number, phys: number, opts: MapOptions = {}): void {
    const flags = opts.flags ?? P | W | U;
    const upper = opts.upper ?? P | W | U;
    const size = opts.size ?? 4096;
    const hi = (opts.hi ?? 0) + Math.floor(phys / 2 ** 32);
    if (this.mode === PagingMode.Legacy32) {
      const lin = linear >>> 0;
      const pde = this.root + (lin >>> 22) * 4;
      if (size === 4 * 1024 * 1024) {
        const pse36 = (Math.floor(phys / 2 ** 32) & 0xff) << 13;
        setEntry(this.bus, pde, ((phys % 2 ** 32) | pse36 | flags | PS) >>> 0);
        return;
      }
      const pt = this.child(pde, upper, false, false);
      setEntry(this.bus, pt + ((lin >>> 12) & 0x3ff) * 4, ((phys % 2 ** 32) | flags) >>> 0);
      return;
    }
    let table: number;
    let level: number;
    if (this.mode === PagingMode.Pae) {
      table = this.child(this.root + ((linear >>> 30) & 3) * 8, upper, true, true);
      level = 2;
    } else {
      table = this.root;
      level = this.mode === PagingMode.Level5 ? 5 : 4;
    }
    const leafLevel = size === 2 ** 30 ? 3 : size === 2 ** 21 ? 2 : 1;
    for (;;) {
      const shift = 12 + 9 * (level - 1);
      const idx = Math.floor(linear / 2 ** shift) & 511;
      const e = table + idx * 8;
      if (level === leafLevel) {
        setEntry(this.bus, e, ((phys % 2 ** 32) | flags | (leafLevel > 1 ? PS : 0)) >>> 0, hi);
        return;
      }
      table = this.child(e, upper, true, false);
      level--;
    }
  }

  /** Address of the leaf entry for a 4 KiB mapping of `linear` (after map()). */
  leafOf(linear: number): number {
    if (this.mode === PagingMode.Legacy32) {
      const lin = linear >>> 0;
      const pde = this.root + (lin >>> 22) * 4;
      const lo = this.bus.read32(pde) >>> 0;
      if ((lo & PS) !== 0) return pde;
      return ((lo & 0xffff_f000) >>> 0) + ((lin >>> 12) & 0x3ff) * 4;
    }
    let table: number;
    let level: number;
    if (this.mode === PagingMode.Pae) {
      const lo = this.bus.read32(this.root + ((linear >>> 30) & 3) * 8) >>> 0;
      table = (lo & 0xffff_f000) >>> 0;
      level = 2;
    } else {
      table = this.root;
      level = this.mode === PagingMode.Level5 ? 5 : 4;
    }
    for (;;) {
      const shift = 12 + 9 * (level - 1);
      const e = table + (Math.floor(linear / 2 ** shift) & 511) * 8;
      const lo = this.bus.read32(e) >>> 0;
      if (level === 1 || (lo & PS) !== 0) return e;
      table = ((lo & 0xffff_f000) >>> 0) + (this.bus.read32(e + 4) & 0xfffff) * 2 ** 32;
      level--;
    }
  }
}

// The MMU's own bit constants, re-exported for the tests (plus PE, which the MMU never reads).
export {
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
};
export const CR0_PE = 1;

/** Register values for each paging mode (hardware or guest view). */

export function modeRegs(mode: PagingMode): { cr0: number; cr4: number; efer: number } {
  const cr0 = (CR0_PE | CR0_PG | CR0_WP) >>> 0;
  switch (mode) {
    case PagingMode.Legacy32:
      return { cr0, cr4: CR4_PSE, efer: 0 };
    case PagingMode.Pae:
      return { cr0, cr4: CR4_PAE, efer: 0 };
    case PagingMode.Level4:
      return { cr0, cr4: CR4_PAE, efer: EFER_LME | EFER_LMA };
    case PagingMode.Level5:
      return { cr0, cr4: CR4_PAE | CR4_LA57, efer: EFER_LME | EFER_LMA };
    default:
      return { cr0: CR0_PE, cr4: 0, efer: 0 };
  }
}
