/**
 * Memory-mapped I/O regions on the physical bus (bus.ts): page-granular windows of the
 * host-physical address space that a device answers instead of RAM (the local APIC at
 * IA32_APIC_BASE, the IO-APIC at 0xFEC00000).
 *
 * MMIO pages are never cached as RAM: every fast path (cpu/memory.ts, the block compiler's
 * inline accesses, the hardware TLB's frame use) treats only [0, ramSize) as RAM, so an access
 * anywhere else reaches PhysicalMemory, which asks this table first. A region therefore must
 * lie outside RAM; mapping one over RAM is refused (the guest would see RAM there; an APIC base
 * moved into RAM is documented as not modelled in docs/platform.md).
 *
 * Accesses reach the device with their size (1, 2 or 4 bytes; an 8-byte access is two 4-byte
 * halves, low first) and the offset from the region's base; an access that straddles the end
 * of a region is split into bytes.
 */

/** A device answering MMIO accesses. */
export interface MmioDevice {
  readonly name: string;
  /** `offset` from the region's base; size 1, 2 or 4. */
  mmioRead(offset: number, size: 1 | 2 | 4): number;
  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void;
}

interface Region {
  base: number;
  end: number;
  device: MmioDevice;
}

/** The MMIO regions of one physical address space (few: a linear search past RAM). */
export class MmioMap {
  private regions: Region[] = [];
  private readonly ramSize: number;
  /** Accesses that reached a device, for --stats. */
  reads = 0;
  writes = 0;

  constructor(ramSize: number) {
    this.ramSize = ramSize;
  }

  /**
   * Map `device` at [base, base + size) (page-aligned, whole pages); replaces any mapping the
   * device had. False if the range overlaps RAM or another device's region (nothing mapped).
   */
  map(device: MmioDevice, base: number, size: number): boolean {
    if (base % 4096 !== 0 || size % 4096 !== 0 || size <= 0) throw new RangeError(`MMIO region of ${device.name} not page-granular`);
    this.unmap(device);
    const end = base + size;
    if (base < this.ramSize) return false;
    for (const r of this.regions) if (base < r.end && r.base < end) return false;
    this.regions.push({ base, end, device });
    return true;
  }

  unmap(device: MmioDevice): void {
    this.regions = this.regions.filter((r) => r.device !== device);
  }

  /** The region holding all of [pa, pa + size), or undefined. */
  private find(pa: number, size: number): Region | undefined {
    const rs = this.regions;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (pa >= r.base && pa + size <= r.end) return r;
    }
    return undefined;
  }

  /** Is any byte of [pa, pa + size) in a region? */
  touches(pa: number, size: number): boolean {
    const rs = this.regions;
    for (let i = 0; i < rs.length; i++) if (pa < rs[i]!.end && rs[i]!.base < pa + size) return true;
    return false;
  }

  /** Read, or -1 if no region holds the access whole (the caller splits or treats it as unbacked). */
  read(pa: number, size: 1 | 2 | 4): number {
    const r = this.find(pa, size);
    if (r === undefined) return -1;
    this.reads++;
    return r.device.mmioRead(pa - r.base, size) >>> 0;
  }

  /** Write; false if no region holds the access whole. */
  write(pa: number, size: 1 | 2 | 4, value: number): boolean {
    const r = this.find(pa, size);
    if (r === undefined) return false;
    this.writes++;
    r.device.mmioWrite(pa - r.base, size, value >>> 0);
    return true;
  }

  get empty(): boolean {
    return this.regions.length === 0;
  }
}
