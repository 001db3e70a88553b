import { E820_MAX_ENTRIES_ZEROPAGE, writeE820Table, type E820Entry } from './e820.ts';
import { SETUP_HEADER_END, SETUP_HEADER_OFFSET, writeField, type SetupHeader } from './setup-header.ts';

/**
 * struct boot_params, the "zero page" (boot.rst, "The zero page"; bootparam.h): 4 KiB whose
 * offsets 0x1F1..0x26B hold the setup header. The offsets of the other fields this loader fills.
 */
export const ZERO_PAGE_SIZE = 0x1000;
export const BootParamsOffset = {
  /** u64 acpi_rsdp_addr (protocol 2.14): where the RSDP is, when not in the BIOS area. */
  acpi_rsdp_addr: 0x070,
  /** u32 ext_ramdisk_image / ext_ramdisk_size / ext_cmd_line_ptr: high 32 bits (unused below 4 GiB). */
  ext_ramdisk_image: 0x0c0,
  ext_ramdisk_size: 0x0c4,
  ext_cmd_line_ptr: 0x0c8,
  /** u32 alt_mem_k: KiB of memory above 1 MiB (the E801 value), a fallback for e820. */
  alt_mem_k: 0x1e0,
  /** u8 e820_entries. */
  e820_entries: 0x1e8,
  /** u8 sentinel: must stay 0 (a loader that copied more than the header would set it). */
  sentinel: 0x1ef,
  /** struct boot_e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE]. */
  e820_table: 0x2d0,
} as const;

/** type_of_loader 0xFF: "undefined" boot loader (boot.rst, "type_of_loader"). */
export const LOADER_TYPE_UNDEFINED = 0xff;

export interface BootParamsInput {
  /** The kernel's header, as parsed (copied in; the loader's fields overwrite it). */
  header: SetupHeader;
  /** The raw header bytes from the file (0x1F1 up to the header's end). */
  headerBytes: Uint8Array;
  e820: readonly E820Entry[];
  cmdLinePtr: number;
  ramdiskImage: number;
  ramdiskSize: number;
  /** heap_end_ptr value (offset from the real-mode segment start, minus 0x200). */
  heapEndPtr: number;
  /** ACPI RSDP physical address, 0 if the kernel must search for it. */
  acpiRsdp: number;
  /** RAM above 1 MiB in KiB (alt_mem_k). */
  altMemK: number;
}

/** Build the zero page: all zeros, the kernel's setup header, then the loader-written fields. */
export function buildBootParams(input: BootParamsInput): Uint8Array {
  if (input.e820.length > E820_MAX_ENTRIES_ZEROPAGE) throw new RangeError(`${input.e820.length} e820 entries do not fit the zero page`);
  const page = new Uint8Array(ZERO_PAGE_SIZE);
  const view = new DataView(page.buffer);
  page.set(input.headerBytes.subarray(0, SETUP_HEADER_END - SETUP_HEADER_OFFSET), SETUP_HEADER_OFFSET);
  // Fields a boot loader writes (boot.rst, "Details of header fields": obligatory/modify).
  writeField(view, 'type_of_loader', LOADER_TYPE_UNDEFINED);
  writeField(view, 'loadflags', (input.header.loadflags | 0x80) & ~0x20 & 0xff); // CAN_USE_HEAP, not QUIET
  writeField(view, 'heap_end_ptr', input.heapEndPtr);
  writeField(view, 'cmd_line_ptr', input.cmdLinePtr);
  writeField(view, 'ramdisk_image', input.ramdiskImage);
  writeField(view, 'ramdisk_size', input.ramdiskSize);
  // hardware_subarch 0: a normal PC; setup_data: no list.
  writeField(view, 'hardware_subarch', 0);
  writeField(view, 'setup_data', 0);
  view.setUint32(BootParamsOffset.alt_mem_k, input.altMemK, true);
  view.setUint32(BootParamsOffset.acpi_rsdp_addr, input.acpiRsdp, true);
  view.setUint8(BootParamsOffset.e820_entries, input.e820.length);
  writeE820Table(view, BootParamsOffset.e820_table, input.e820);
  return page;
}
