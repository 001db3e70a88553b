import { MONITOR_BASE, type PhysicalBus } from './bus.ts';
import { MmioMap } from './mmio.ts';

/** Size of one monitor page (and of the pool's allocation unit). */
export const MONITOR_PAGE_SIZE = 4096;

/** Bits 52+ never name memory; addresses are kept below 2^52 by the contract. */
const MONITOR_LIMIT = 2 ** 52;

export interface PhysicalMemoryOptions {
  /** Guest RAM size in MiB (guest contract default: 128). */
  memMiB: number;
}

/**
 * The host-physical address space (see bus.ts for the map):
 * - guest RAM [0, ramSize): one Uint8Array with a DataView for 16/32/64-bit accesses;
 * - unbacked [ramSize, MONITOR_BASE): reads all ones, writes dropped (guest contract, "Memory");
 * - monitor memory [MONITOR_BASE, ...): a growable pool of zeroed 4 KiB pages that the monitor
 *   allocates for shadow, passthrough and nested tables.
 *
 * Accesses are little-endian. An access that straddles the end of RAM or a monitor page
 * boundary is split into bytes, so each byte follows the rule of the range it falls in.
 */
export class PhysicalMemory implements PhysicalBus {
  readonly ramSize: number;
  readonly ram: Uint8Array;
  private readonly view: DataView;
  /** Monitor pages, indexed by (pa - MONITOR_BASE) / 4096. */
  private readonly pages: DataView[] = [];
  private readonly freePages: number[] = [];
  /** isFree[i]: page i is on the free list (double-free check without a search). */
  private readonly isFree: boolean[] = [];
  /** Counters for --stats. */
  readonly counters = { unbackedReads: 0, unbackedWrites: 0 };
  /** Device regions past RAM (mmio.ts): asked before the monitor pool and the unbacked range. */
  readonly mmio: MmioMap;

  constructor(options: PhysicalMemoryOptions) {
    const bytes = options.memMiB * 1024 * 1024;
    if (!Number.isInteger(bytes) || bytes <= 0) {
      throw new RangeError(`RAM size must be a positive whole number of bytes, got ${options.memMiB} MiB`);
    }
    this.ramSize = bytes;
    this.ram = new Uint8Array(bytes);
    this.view = new DataView(this.ram.buffer, this.ram.byteOffset, this.ram.byteLength);
    this.mmio = new MmioMap(bytes);
  }

  // ---- monitor pool -----------------------------------------------------------------------

  /** Allocate a zeroed 4 KiB monitor page; returns its host-physical address (≥ MONITOR_BASE). */
  allocMonitorPage(): number {
    const reused = this.freePages.pop();
    if (reused !== undefined) {
      this.isFree[reused] = false;
      const page = this.pages[reused]!;
      new Uint8Array(page.buffer, page.byteOffset, MONITOR_PAGE_SIZE).fill(0);
      return MONITOR_BASE + reused * MONITOR_PAGE_SIZE;
    }
    const index = this.pages.length;
    if (MONITOR_BASE + (index + 1) * MONITOR_PAGE_SIZE > MONITOR_LIMIT) {
      throw new RangeError('monitor memory exhausted');
    }
    this.pages.push(new DataView(new ArrayBuffer(MONITOR_PAGE_SIZE)));
    this.isFree.push(false);
    return MONITOR_BASE + index * MONITOR_PAGE_SIZE;
  }

  /** Return a page to the pool (it is zeroed again when reallocated). */
  freeMonitorPage(pa: number): void {
    const index = this.monitorIndex(pa);
    if (index < 0 || pa % MONITOR_PAGE_SIZE !== 0 || this.isFree[index] === true) {
      throw new RangeError(`not an allocated monitor page: 0x${pa.toString(16)}`);
    }
    this.isFree[index] = true;
    this.freePages.push(index);
  }

  /** Monitor pages currently allocated (for --stats). */
  get monitorPagesInUse(): number {
    return this.pages.length - this.freePages.length;
  }

  /** Direct view of a monitor page, for table builders that want typed access. */
  monitorPageView(pa: number): DataView {
    const index = this.monitorIndex(pa);
    if (index < 0 || pa % MONITOR_PAGE_SIZE !== 0) {
      throw new RangeError(`not a monitor page: 0x${pa.toString(16)}`);
    }
    return this.pages[index]!;
  }

  private monitorIndex(pa: number): number {
    if (pa < MONITOR_BASE) return -1;
    const index = Math.floor((pa - MONITOR_BASE) / MONITOR_PAGE_SIZE);
    return index < this.pages.length ? index : -1;
  }

  /** Page and in-page offset of a monitor address, or undefined if unbacked. */
  private monitorPage(pa: number): DataView | undefined {
    const index = this.monitorIndex(pa);
    return index < 0 ? undefined : this.pages[index];
  }

  // ---- byte access (the slow, always-correct path) -------------------------------------------

  read8(pa: number): number {
    if (pa < this.ramSize) return this.ram[pa]!;
    if (pa < MONITOR_BASE && !this.mmio.empty) {
      const v = this.mmio.read(pa, 1);
      if (v >= 0) return v;
    }
    const page = this.monitorPage(pa);
    if (page !== undefined) return page.getUint8((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE);
    this.counters.unbackedReads++;
    return 0xff;
  }

  write8(pa: number, value: number): void {
    if (pa < this.ramSize) {
      this.ram[pa] = value;
      return;
    }
    if (pa < MONITOR_BASE && !this.mmio.empty && this.mmio.write(pa, 1, value & 0xff)) return;
    const page = this.monitorPage(pa);
    if (page !== undefined) {
      page.setUint8((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE, value);
      return;
    }
    this.counters.unbackedWrites++;
  }

  // ---- wider accesses ------------------------------------------------------------------------

  read16(pa: number): number {
    if (pa + 2 <= this.ramSize) return this.view.getUint16(pa, true);
    if (pa < MONITOR_BASE && !this.mmio.empty) {
      const v = this.mmio.read(pa, 2);
      if (v >= 0) return v;
    }
    const at = this.monitorSpan(pa, 2);
    if (at !== undefined) return at.getUint16((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE, true);
    return this.read8(pa) | (this.read8(pa + 1) << 8);
  }

  read32(pa: number): number {
    if (pa + 4 <= this.ramSize) return this.view.getUint32(pa, true);
    if (pa < MONITOR_BASE && !this.mmio.empty) {
      const v = this.mmio.read(pa, 4);
      if (v >= 0) return v;
    }
    // Monitor tables (walks of shadow/nested tables): page and offset without a float modulo.
    const off = pa - MONITOR_BASE;
    if (off >= 0) {
      const index = Math.floor(off / MONITOR_PAGE_SIZE);
      const o = off - index * MONITOR_PAGE_SIZE;
      if (o <= MONITOR_PAGE_SIZE - 4 && index < this.pages.length) return this.pages[index]!.getUint32(o, true);
    }
    const at = this.monitorSpan(pa, 4);
    if (at !== undefined) return at.getUint32((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE, true);
    return (this.read16(pa) | (this.read16(pa + 2) << 16)) >>> 0;
  }

  read64(pa: number): bigint {
    if (pa + 8 <= this.ramSize) return this.view.getBigUint64(pa, true);
    if (pa < MONITOR_BASE && !this.mmio.empty && this.mmio.touches(pa, 8)) {
      return BigInt(this.read32(pa)) | (BigInt(this.read32(pa + 4)) << 32n);
    }
    const at = this.monitorSpan(pa, 8);
    if (at !== undefined) return at.getBigUint64((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE, true);
    return BigInt(this.read32(pa)) | (BigInt(this.read32(pa + 4)) << 32n);
  }

  write16(pa: number, value: number): void {
    if (pa + 2 <= this.ramSize) {
      this.view.setUint16(pa, value, true);
      return;
    }
    if (pa < MONITOR_BASE && !this.mmio.empty && this.mmio.write(pa, 2, value & 0xffff)) return;
    const at = this.monitorSpan(pa, 2);
    if (at !== undefined) {
      at.setUint16((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE, value, true);
      return;
    }
    this.write8(pa, value & 0xff);
    this.write8(pa + 1, (value >>> 8) & 0xff);
  }

  write32(pa: number, value: number): void {
    if (pa + 4 <= this.ramSize) {
      this.view.setUint32(pa, value >>> 0, true);
      return;
    }
    if (pa < MONITOR_BASE && !this.mmio.empty && this.mmio.write(pa, 4, value >>> 0)) return;
    const off = pa - MONITOR_BASE;
    if (off >= 0) {
      const index = Math.floor(off / MONITOR_PAGE_SIZE);
      const o = off - index * MONITOR_PAGE_SIZE;
      if (o <= MONITOR_PAGE_SIZE - 4 && index < this.pages.length) {
        this.pages[index]!.setUint32(o, value >>> 0, true);
        return;
      }
    }
    const at = this.monitorSpan(pa, 4);
    if (at !== undefined) {
      at.setUint32((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE, value >>> 0, true);
      return;
    }
    this.write16(pa, value & 0xffff);
    this.write16(pa + 2, (value >>> 16) & 0xffff);
  }

  write64(pa: number, value: bigint): void {
    if (pa + 8 <= this.ramSize) {
      this.view.setBigUint64(pa, BigInt.asUintN(64, value), true);
      return;
    }
    if (pa < MONITOR_BASE && !this.mmio.empty && this.mmio.touches(pa, 8)) {
      this.write32(pa, Number(value & 0xffff_ffffn));
      this.write32(pa + 4, Number((value >> 32n) & 0xffff_ffffn));
      return;
    }
    const at = this.monitorSpan(pa, 8);
    if (at !== undefined) {
      at.setBigUint64((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE, BigInt.asUintN(64, value), true);
      return;
    }
    this.write32(pa, Number(value & 0xffff_ffffn));
    this.write32(pa + 4, Number((value >> 32n) & 0xffff_ffffn));
  }

  /** The monitor page holding all of [pa, pa+size), or undefined (unbacked or straddling). */
  private monitorSpan(pa: number, size: number): DataView | undefined {
    if (pa < MONITOR_BASE) return undefined;
    if (((pa - MONITOR_BASE) % MONITOR_PAGE_SIZE) + size > MONITOR_PAGE_SIZE) return undefined;
    return this.monitorPage(pa);
  }

  // ---- loaders -------------------------------------------------------------------------------

  /** Copy bytes into RAM; the caller has checked the range (see loaders). */
  loadBytes(pa: number, bytes: Uint8Array): void {
    this.ram.set(bytes, pa);
  }
}
