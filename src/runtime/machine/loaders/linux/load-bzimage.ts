import type { BootState } from '../boot-state.ts';
import { hex, loadFailure, type LoadOutcome } from '../load-error.ts';
import type { LoadSegment } from '../segments.ts';
import { buildBootParams } from './boot-params.ts';
import { buildE820, usableEndAt, type E820Entry } from './e820.ts';
import { parseSetupHeader, SETUP_HEADER_END, SETUP_HEADER_OFFSET, setupBytes, type SetupHeader } from './setup-header.ts';

/**
 * Where this loader puts things in low memory, as QEMU's -kernel does for protocol ≥ 2.02 (the
 * real-mode segment at 0x10000, the command line at 0x20000), plus a GDT for the 32-bit entry.
 */
export const ZERO_PAGE_ADDRESS = 0x1_0000;
export const GDT_ADDRESS = 0x1_1000;
export const CMDLINE_ADDRESS = 0x2_0000;
/** The protected-mode kernel of a bzImage is loaded at 1 MiB (boot.rst, "Loading the rest of the kernel"). */
export const KERNEL_LOAD_ADDRESS = 0x10_0000;
/** heap_end_ptr: the heap ends where the command line starts (offset from 0x10000, minus 0x200). */
const HEAP_END_PTR = CMDLINE_ADDRESS - ZERO_PAGE_ADDRESS - 0x200;
/** __BOOT_CS and __BOOT_DS (boot.rst, "32-bit Boot Protocol"). */
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
/** Initrds are page-aligned. */
const PAGE = 0x1000;

export interface LinuxLoadOptions {
  file: string;
  /** The kernel command line (QEMU's -append). */
  cmdline: string;
  initrd?: { file: string; bytes: Uint8Array };
  /** Ranges the platform places in RAM (ACPI tables, ...), reserved in the e820 map. */
  reserved?: readonly E820Entry[];
  /** RSDP address to pass in boot_params.acpi_rsdp_addr (0: the kernel scans the BIOS area). */
  acpiRsdp?: number;
}

export interface LoadedLinux {
  kind: 'linux-bzimage';
  boot: BootState;
  segments: LoadSegment[];
  header: SetupHeader;
  e820: E820Entry[];
  initrd?: { address: number; size: number };
  /** The address of boot_params (ESI at entry). */
  zeroPage: number;
  /** No multiboot information structure (the field of the other image kinds). */
  infoAddress?: undefined;
}

/**
 * Load a bzImage per the 32-bit boot protocol (boot.rst, "32-bit Boot Protocol"): the
 * protected-mode kernel at 1 MiB, a zero page with the header, e820 map, command line and
 * initrd, and the CPU in flat 32-bit protected mode at code32_start with ESI = boot_params,
 * paging and interrupts off, CS = __BOOT_CS and the data segments = __BOOT_DS from a GDT the
 * loader provides. A 64-bit bzImage is entered the same way, at its 32-bit entry (startup_32),
 * as QEMU's loader does.
 */
export function loadBzImage(ram: Uint8Array, image: Uint8Array, options: LinuxLoadOptions): LoadOutcome<LoadedLinux> {
  const { file } = options;
  const parsed = parseSetupHeader(image, file);
  if (!parsed.ok) return parsed;
  const header = parsed.value;
  const version = header.version;
  const e820 = buildE820(ram.length, options.reserved ?? []);
  const lowRamEnd = usableEndAt(e820, KERNEL_LOAD_ADDRESS);

  // The kernel: file bytes past the setup at 1 MiB; it decompresses to max(1 MiB,
  // pref_address) and needs init_size bytes there (boot.rst, "init_size").
  const setup = setupBytes(header);
  const kernelBytes = image.length - setup;
  const runAddress = Math.max(KERNEL_LOAD_ADDRESS, header.pref_address);
  const kernelEnd = Math.max(KERNEL_LOAD_ADDRESS + kernelBytes, runAddress + header.init_size);
  if (kernelEnd > lowRamEnd) {
    const need = Math.ceil(kernelEnd / 0x10_0000);
    return loadFailure(file, `kernel needs RAM up to ${hex(kernelEnd)} (init_size ${hex(header.init_size)} at ${hex(runAddress)}), more than --mem ${ram.length / 0x10_0000} MiB gives; use --mem ${need + 16} or more`);
  }

  const cmdlineBytes = Buffer.from(options.cmdline, 'utf8');
  if (cmdlineBytes.includes(0)) return loadFailure('--append', 'the command line contains a NUL byte');
  if (cmdlineBytes.length > header.cmdline_size) {
    return loadFailure('--append', `command line of ${cmdlineBytes.length} bytes is longer than the kernel's cmdline_size (${header.cmdline_size})`);
  }

  // The initrd: as high as possible below initrd_addr_max and the end of low RAM, page-aligned
  // (what boot loaders do), and above the kernel.
  let initrd: LoadedLinux['initrd'];
  if (options.initrd !== undefined) {
    const size = options.initrd.bytes.length;
    const limit = Math.min(header.initrd_addr_max + 1, lowRamEnd);
    const address = Math.floor((limit - size) / PAGE) * PAGE;
    if (size === 0) return loadFailure(options.initrd.file, 'initrd is empty');
    if (address < kernelEnd) {
      return loadFailure(options.initrd.file, `initrd of ${size} bytes does not fit between the kernel's end ${hex(kernelEnd)} and ${hex(limit)} (min of initrd_addr_max ${hex(header.initrd_addr_max)} and the end of RAM); use a larger --mem`);
    }
    initrd = { address, size };
  }

  const segments: LoadSegment[] = [{ address: KERNEL_LOAD_ADDRESS, fileOffset: setup, fileSize: kernelBytes, memSize: kernelBytes }];
  ram.set(image.subarray(setup), KERNEL_LOAD_ADDRESS);
  if (initrd !== undefined && options.initrd !== undefined) ram.set(options.initrd.bytes, initrd.address);
  ram.set(cmdlineBytes, CMDLINE_ADDRESS);
  ram[CMDLINE_ADDRESS + cmdlineBytes.length] = 0;
  const zeroPage = buildBootParams({
    header,
    headerBytes: image.subarray(SETUP_HEADER_OFFSET, SETUP_HEADER_END),
    e820,
    cmdLinePtr: CMDLINE_ADDRESS,
    ramdiskImage: initrd?.address ?? 0,
    ramdiskSize: initrd?.size ?? 0,
    heapEndPtr: HEAP_END_PTR,
    acpiRsdp: version >= 0x020e ? (options.acpiRsdp ?? 0) : 0,
    altMemK: Math.max(0, (lowRamEnd - KERNEL_LOAD_ADDRESS) / 1024),
  });
  ram.set(zeroPage, ZERO_PAGE_ADDRESS);
  writeBootGdt(ram, GDT_ADDRESS);
  return {
    ok: true,
    value: { kind: 'linux-bzimage', boot: linuxEntryState(header.code32_start), segments, header, e820, initrd, zeroPage: ZERO_PAGE_ADDRESS },
  };
}

/** GDT entries 2 and 3: flat 4 GiB code (execute/read) and data (read/write), as the protocol asks. */
function writeBootGdt(ram: Uint8Array, address: number): void {
  const view = new DataView(ram.buffer, ram.byteOffset + address, 32);
  view.setBigUint64(0, 0n, true);
  view.setBigUint64(8, 0n, true);
  view.setBigUint64(BOOT_CS, 0x00cf_9b00_0000_ffffn, true); // base 0, limit 0xFFFFF pages, G, D, P, DPL 0, code XR accessed
  view.setBigUint64(BOOT_DS, 0x00cf_9300_0000_ffffn, true); // same, data RW accessed
}

/** Entry state of the 32-bit boot protocol: ESI = boot_params, EBP = EDI = EBX = 0, IF = 0. */
export function linuxEntryState(entry: number): BootState {
  const flat = { base: 0, limit: 0xffff_ffff, db: true, g: true };
  return {
    mode: 'protected32',
    rip: entry,
    gprs: { 6: ZERO_PAGE_ADDRESS },
    cs: { selector: BOOT_CS, type: 0xb, ...flat },
    data: { selector: BOOT_DS, type: 0x3, ...flat },
    gdtr: { base: GDT_ADDRESS, limit: 4 * 8 - 1 },
    rflags: 0x2,
    cr0: 0x11n,
    cr3: 0n,
    cr4: 0n,
    efer: 0n,
  };
}
