/**
 * The host-physical address space the "hardware" CPU sees.
 *
 * - [0, ramSize): guest RAM (guest-physical == host-physical for RAM, in every paging mode).
 * - [ramSize, MONITOR_BASE): unbacked. Reads return all ones, writes are dropped
 *   (guest contract, "Memory").
 * - [MONITOR_BASE, MONITOR_BASE + monitorSize): monitor-owned memory (shadow, passthrough and
 *   nested tables). MONITOR_BASE is 2^40, above the guest CPU model's MAXPHYADDR (40), so no
 *   guest page-table entry can name it: a guest address with bits 63:40 set is a reserved-bit
 *   fault before it is ever used.
 */
export const MONITOR_BASE = 2 ** 40;
/** Physical-address width the guest CPU model reports (CPUID 8000_0008h:EAX[7:0]). */
export const GUEST_MAXPHYADDR = 40;
/** Physical-address width of the emulated host hardware (walks of monitor-owned tables). */
export const HOST_MAXPHYADDR = 52;

/** Byte-addressed physical memory. Addresses are non-negative integers below 2^52. */
export interface PhysicalBus {
  readonly ramSize: number;
  /** Guest RAM, for fast paths: a RAM access at pa is ram[pa]. */
  readonly ram: Uint8Array;
  read8(pa: number): number;
  read16(pa: number): number;
  read32(pa: number): number;
  /** 64-bit read as two halves (little-endian): used by the page walkers. */
  read64(pa: number): bigint;
  write8(pa: number, value: number): void;
  write16(pa: number, value: number): void;
  write32(pa: number, value: number): void;
  write64(pa: number, value: bigint): void;
}

/** Port I/O as the CPU's IN/OUT instructions see it. */
export interface IoBus {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}
