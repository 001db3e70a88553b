/**
 * The multiboot v1 information structure (Multiboot §3.3), written into low RAM where a boot
 * loader would leave it: the structure, a memory map, the boot loader's name and the command
 * line, all inside [MULTIBOOT_INFO_ADDRESS, MULTIBOOT_INFO_END).
 */
export const MULTIBOOT_INFO_ADDRESS = 0x9000;
export const MULTIBOOT_INFO_END = 0xa000;
const MMAP_ADDRESS = 0x9080;
const NAME_ADDRESS = 0x90e0;
const CMDLINE_ADDRESS = 0x9100;
/** Longest command line that fits (with its NUL) below MULTIBOOT_INFO_END. */
export const MULTIBOOT_CMDLINE_MAX = MULTIBOOT_INFO_END - CMDLINE_ADDRESS - 1;

export const MbInfoFlag = {
  MEMORY: 1 << 0,
  CMDLINE: 1 << 2,
  MMAP: 1 << 6,
  LOADER_NAME: 1 << 9,
} as const;

/** Conventional memory in KiB (below the EBDA at 0x9FC00), as QEMU reports it. */
const LOWER_KIB = 639;
const MMAP_AVAILABLE = 1;
const MMAP_RESERVED = 2;

export interface MultibootInfoOptions {
  ramSize: number;
  cmdline?: string;
  loaderName?: string;
}

/** Write the structure into `ram`; returns its physical address (the entry EBX). */
export function writeMultibootInfo(ram: Uint8Array, options: MultibootInfoOptions): number {
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  ram.fill(0, MULTIBOOT_INFO_ADDRESS, MULTIBOOT_INFO_END);
  const base = MULTIBOOT_INFO_ADDRESS;
  const { ramSize } = options;
  let flags = MbInfoFlag.MEMORY | MbInfoFlag.MMAP | MbInfoFlag.LOADER_NAME;
  const lowerKiB = Math.min(LOWER_KIB, Math.floor(ramSize / 1024));
  const upperKiB = Math.max(0, Math.floor((ramSize - 0x10_0000) / 1024));
  view.setUint32(base + 4, lowerKiB, true); // mem_lower
  view.setUint32(base + 8, upperKiB, true); // mem_upper

  // Memory map: low memory, the EBDA/ROM hole (reserved), extended memory.
  const entries: [number, number, number][] = [
    [0, lowerKiB * 1024, MMAP_AVAILABLE],
    [lowerKiB * 1024, 0x10_0000 - lowerKiB * 1024, MMAP_RESERVED],
  ];
  if (ramSize > 0x10_0000) entries.push([0x10_0000, ramSize - 0x10_0000, MMAP_AVAILABLE]);
  let p = MMAP_ADDRESS;
  for (const [start, length, type] of entries) {
    view.setUint32(p, 20, true); // size of the entry, not counting this field
    view.setBigUint64(p + 4, BigInt(start), true);
    view.setBigUint64(p + 12, BigInt(length), true);
    view.setUint32(p + 20, type, true);
    p += 24;
  }
  view.setUint32(base + 44, p - MMAP_ADDRESS, true); // mmap_length
  view.setUint32(base + 48, MMAP_ADDRESS, true); // mmap_addr

  writeCString(ram, NAME_ADDRESS, options.loaderName ?? 'trapspec');
  view.setUint32(base + 64, NAME_ADDRESS, true); // boot_loader_name

  if (options.cmdline !== undefined) {
    writeCString(ram, CMDLINE_ADDRESS, options.cmdline);
    view.setUint32(base + 16, CMDLINE_ADDRESS, true);
    flags |= MbInfoFlag.CMDLINE;
  }
  view.setUint32(base, flags, true);
  return base;
}

function writeCString(ram: Uint8Array, address: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  ram.set(bytes, address);
  ram[address + bytes.length] = 0;
}
