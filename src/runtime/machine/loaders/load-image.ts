import { flatEntryState, FLAT_LOAD_ADDRESS, multibootEntryState, type BootState } from './boot-state.ts';
import { isElf, parseElf32 } from './elf32.ts';
import { hex, loadFailure, type LoadOutcome } from './load-error.ts';
import { findMultibootHeader, kludgeSegments, MULTIBOOT_AOUT_KLUDGE } from './multiboot-header.ts';
import {
  MULTIBOOT_CMDLINE_MAX,
  MULTIBOOT_INFO_ADDRESS,
  MULTIBOOT_INFO_END,
  writeMultibootInfo,
} from './multiboot-info.ts';
import { loadBzImage, type LoadedLinux } from './linux/load-bzimage.ts';
import type { E820Entry } from './linux/e820.ts';
import { isBzImage } from './linux/setup-header.ts';
import { placeSegments, segmentOutsideRam, segmentOverlapping, type LoadSegment } from './segments.ts';

export type ImageFormat = 'auto' | 'flat';

export interface LoadImageOptions {
  /** The path the user gave: used in error locations and as the start of the multiboot cmdline. */
  file: string;
  /** 'flat' forces a real-mode flat image; 'auto' uses multiboot when a header is found. */
  format?: ImageFormat;
  /**
   * Command line (QEMU's -append): a multiboot kernel gets "IMAGE ARGS", a Linux bzImage ARGS
   * alone.
   */
  cmdline?: string;
  /** An initial ramdisk (QEMU's -initrd): Linux bzImages only. */
  initrd?: { file: string; bytes: Uint8Array };
  /** Ranges the platform places in RAM (ACPI tables), for a Linux kernel's e820 map. */
  reserved?: readonly E820Entry[];
  /** The ACPI RSDP's address, for boot_params.acpi_rsdp_addr (0 or absent: none given). */
  acpiRsdp?: number;
}

export type LoadedImage = LoadedGuest | LoadedLinux;

export interface LoadedGuest {
  kind: 'multiboot-elf' | 'multiboot-aout' | 'flat';
  boot: BootState;
  segments: LoadSegment[];
  /** Multiboot information structure address (multiboot kinds). */
  infoAddress?: number;
}

/**
 * Load a guest image into RAM (guest contract, "Loading"): a multiboot v1 kernel (ELF32, or a
 * flat binary with the a.out kludge) entered in flat 32-bit protected mode, or a flat binary at
 * 0x7C00 entered in real mode. Without a multiboot header an image is flat, unless it is an ELF
 * file (then the missing header is an error).
 */
export function loadImage(ram: Uint8Array, image: Uint8Array, options: LoadImageOptions): LoadOutcome<LoadedImage> {
  const { file } = options;
  if (image.length === 0) return loadFailure(file, 'image is empty');
  if (options.format !== 'flat' && isBzImage(image)) {
    return loadBzImage(ram, image, { file, cmdline: options.cmdline ?? '', initrd: options.initrd, reserved: options.reserved, acpiRsdp: options.acpiRsdp });
  }
  if (options.initrd !== undefined) return loadFailure('--initrd', 'an initrd is only for a Linux bzImage kernel');
  if (options.format === 'flat') return loadFlat(ram, image, file);
  const header = findMultibootHeader(image);
  if (header === undefined) {
    if (isElf(image)) return loadFailure(file, 'no multiboot header in the first 8 KiB (magic 0x1BADB002)');
    return loadFlat(ram, image, file);
  }
  // QEMU's -kernel passes "IMAGE ARGS" (with a trailing space when there are no -append
  // arguments); doing the same keeps guests that print their command line byte-identical.
  const cmdline = `${file} ${options.cmdline ?? ''}`;
  if (Buffer.byteLength(cmdline) > MULTIBOOT_CMDLINE_MAX) {
    return loadFailure('--cmdline', `command line longer than ${MULTIBOOT_CMDLINE_MAX} bytes`);
  }
  let kind: LoadedImage['kind'];
  let entry: number;
  let segments: LoadSegment[];
  if ((header.flags & MULTIBOOT_AOUT_KLUDGE) !== 0) {
    const kludge = kludgeSegments(image, header, file);
    if (!kludge.ok) return kludge;
    ({ entry, segments } = kludge.value);
    kind = 'multiboot-aout';
  } else {
    if (!isElf(image)) {
      return loadFailure(file, 'multiboot header without the a.out kludge (flag bit 16), and the image is not ELF');
    }
    const elf = parseElf32(image, file);
    if (!elf.ok) return elf;
    ({ entry, segments } = elf.value);
    kind = 'multiboot-elf';
  }
  const outside = segmentOutsideRam(segments, ram.length);
  if (outside !== undefined) return failSegment(file, outside, `lies outside RAM (${ram.length / 1048576} MiB)`);
  const clash = segmentOverlapping(segments, MULTIBOOT_INFO_ADDRESS, MULTIBOOT_INFO_END);
  if (clash !== undefined) {
    return failSegment(file, clash, `overlaps the multiboot information area ${hex(MULTIBOOT_INFO_ADDRESS)}-${hex(MULTIBOOT_INFO_END - 1)}`);
  }
  placeSegments(ram, image, segments);
  const infoAddress = writeMultibootInfo(ram, { ramSize: ram.length, cmdline });
  return { ok: true, value: { kind, boot: multibootEntryState(entry, infoAddress), segments, infoAddress } };
}

function loadFlat(ram: Uint8Array, image: Uint8Array, file: string): LoadOutcome<LoadedGuest> {
  const segments: LoadSegment[] = [
    { address: FLAT_LOAD_ADDRESS, fileOffset: 0, fileSize: image.length, memSize: image.length },
  ];
  if (FLAT_LOAD_ADDRESS + image.length > Math.min(ram.length, 0x10_0000 + 0xfff0)) {
    return loadFailure(file, `flat image of ${image.length} bytes does not fit between ${hex(FLAT_LOAD_ADDRESS)} and the end of real-mode addressable RAM`);
  }
  placeSegments(ram, image, segments);
  return { ok: true, value: { kind: 'flat', boot: flatEntryState(), segments } };
}

function failSegment(file: string, s: LoadSegment, what: string): LoadOutcome<LoadedGuest> {
  return loadFailure(file, `segment ${hex(s.address)}-${hex(s.address + s.memSize - 1)} ${what}`);
}
