/**
 * The BIOS e820 memory map a Linux kernel reads from boot_params (boot.rst, "zero page":
 * e820_entries at 0x1E8, e820_table at 0x2D0; struct boot_e820_entry in bootparam.h: u64 addr,
 * u64 size, u32 type, packed, 20 bytes). It describes this machine (see machine/bus.ts):
 * RAM [0, ramSize) with the legacy VGA/ROM hole and the firmware/platform ranges reserved.
 */
export const E820Type = {
  RAM: 1,
  RESERVED: 2,
  ACPI: 3,
  NVS: 4,
  UNUSABLE: 5,
} as const;
export type E820TypeValue = (typeof E820Type)[keyof typeof E820Type];

export interface E820Entry {
  /** Physical start. Numbers, not bigints: every range of this machine lies below 2^53. */
  addr: number;
  size: number;
  type: E820TypeValue;
}

/** The legacy hole: VGA memory and option/system ROM space, 640 KiB to 1 MiB. */
export const LEGACY_HOLE_START = 0xa_0000;
export const LEGACY_HOLE_END = 0x10_0000;
/** Fixed platform ranges reserved whatever the RAM size (the IO-APIC, the local APIC, the BIOS ROM alias below 4 GiB). */
export const PLATFORM_RESERVED: readonly E820Entry[] = [
  { addr: 0xfec0_0000, size: 0x1000, type: E820Type.RESERVED }, // IO-APIC
  { addr: 0xfee0_0000, size: 0x1000, type: E820Type.RESERVED }, // local APIC
  { addr: 0xfffc_0000, size: 0x4_0000, type: E820Type.RESERVED }, // BIOS flash alias (as QEMU/SeaBIOS report)
];

/** Most entries the zero page holds (E820_MAX_ENTRIES_ZEROPAGE). */
export const E820_MAX_ENTRIES_ZEROPAGE = 128;
export const E820_ENTRY_BYTES = 20;

/**
 * The map for `ramSize` bytes of RAM, with `extra` ranges (ACPI tables, firmware tables the
 * platform places in RAM) taking precedence over RAM and the fixed reservations. Entries come
 * out sorted, without overlaps, adjacent entries of one type merged.
 */
export function buildE820(ramSize: number, extra: readonly E820Entry[] = []): E820Entry[] {
  // Precedence: later layers win where they overlap earlier ones.
  const layers: E820Entry[][] = [
    [{ addr: 0, size: ramSize, type: E820Type.RAM }],
    [{ addr: LEGACY_HOLE_START, size: LEGACY_HOLE_END - LEGACY_HOLE_START, type: E820Type.RESERVED }, ...PLATFORM_RESERVED],
    [...extra],
  ];
  const bounds = new Set<number>();
  for (const layer of layers) {
    for (const e of layer) {
      if (e.size <= 0) continue;
      bounds.add(e.addr);
      bounds.add(e.addr + e.size);
    }
  }
  const points = [...bounds].sort((a, b) => a - b);
  const out: E820Entry[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    let type: E820TypeValue | undefined;
    for (const layer of layers) {
      for (const e of layer) if (e.size > 0 && e.addr <= start && e.addr + e.size >= end) type = e.type;
    }
    if (type === undefined) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.type === type && last.addr + last.size === start) last.size += end - start;
    else out.push({ addr: start, size: end - start, type });
  }
  return out;
}

/** The end of the usable RAM region that starts at or below `address` (0 if none holds it). */
export function usableEndAt(map: readonly E820Entry[], address: number): number {
  for (const e of map) if (e.type === E820Type.RAM && e.addr <= address && address < e.addr + e.size) return e.addr + e.size;
  return 0;
}

/** Write the entries as boot_e820_entry records at `offset` in `view`. */
export function writeE820Table(view: DataView, offset: number, map: readonly E820Entry[]): void {
  map.forEach((e, i) => {
    const at = offset + i * E820_ENTRY_BYTES;
    view.setUint32(at, e.addr % 2 ** 32, true);
    view.setUint32(at + 4, Math.floor(e.addr / 2 ** 32), true);
    view.setUint32(at + 8, e.size % 2 ** 32, true);
    view.setUint32(at + 12, Math.floor(e.size / 2 ** 32), true);
    view.setUint32(at + 16, e.type, true);
  });
}
