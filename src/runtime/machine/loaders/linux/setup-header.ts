import { hex, loadFailure, type LoadOutcome } from '../load-error.ts';

/**
 * The Linux/x86 real-mode kernel header ("setup header", Documentation/arch/x86/boot.rst,
 * "The Real-Mode Kernel Header"; struct setup_header in arch/x86/include/uapi/asm/bootparam.h).
 * It starts at file offset 0x1F1 and is copied as-is into boot_params at the same offset.
 *
 * The table below is the header as boot.rst lists it: each field's offset in the file (and in
 * the zero page), its size in bytes and the first protocol version that defines it. A field of a
 * newer protocol than the kernel's is not read (its bytes may be code) and is reported as 0.
 */
export const SETUP_HEADER_OFFSET = 0x1f1;

/** A protocol version as the header stores it: major << 8 | minor (2.06 = 0x0206). */
export type ProtocolVersion = number;

interface FieldSpec {
  offset: number;
  size: 1 | 2 | 4 | 8;
  /** First protocol version with this field (0 = every version, even before the "HdrS" header). */
  since: ProtocolVersion;
}

export const SETUP_HEADER_FIELDS = {
  setup_sects: { offset: 0x1f1, size: 1, since: 0 },
  root_flags: { offset: 0x1f2, size: 2, since: 0 },
  syssize: { offset: 0x1f4, size: 4, since: 0x0204 },
  ram_size: { offset: 0x1f8, size: 2, since: 0 },
  vid_mode: { offset: 0x1fa, size: 2, since: 0 },
  root_dev: { offset: 0x1fc, size: 2, since: 0 },
  boot_flag: { offset: 0x1fe, size: 2, since: 0 },
  jump: { offset: 0x200, size: 2, since: 0x0200 },
  header: { offset: 0x202, size: 4, since: 0x0200 },
  version: { offset: 0x206, size: 2, since: 0x0200 },
  realmode_swtch: { offset: 0x208, size: 4, since: 0x0200 },
  start_sys_seg: { offset: 0x20c, size: 2, since: 0x0200 },
  kernel_version: { offset: 0x20e, size: 2, since: 0x0200 },
  type_of_loader: { offset: 0x210, size: 1, since: 0x0200 },
  loadflags: { offset: 0x211, size: 1, since: 0x0200 },
  setup_move_size: { offset: 0x212, size: 2, since: 0x0200 },
  code32_start: { offset: 0x214, size: 4, since: 0x0200 },
  ramdisk_image: { offset: 0x218, size: 4, since: 0x0200 },
  ramdisk_size: { offset: 0x21c, size: 4, since: 0x0200 },
  bootsect_kludge: { offset: 0x220, size: 4, since: 0x0200 },
  heap_end_ptr: { offset: 0x224, size: 2, since: 0x0201 },
  ext_loader_ver: { offset: 0x226, size: 1, since: 0x0202 },
  ext_loader_type: { offset: 0x227, size: 1, since: 0x0202 },
  cmd_line_ptr: { offset: 0x228, size: 4, since: 0x0202 },
  initrd_addr_max: { offset: 0x22c, size: 4, since: 0x0203 },
  kernel_alignment: { offset: 0x230, size: 4, since: 0x0205 },
  relocatable_kernel: { offset: 0x234, size: 1, since: 0x0205 },
  min_alignment: { offset: 0x235, size: 1, since: 0x020a },
  xloadflags: { offset: 0x236, size: 2, since: 0x020c },
  cmdline_size: { offset: 0x238, size: 4, since: 0x0206 },
  hardware_subarch: { offset: 0x23c, size: 4, since: 0x0207 },
  hardware_subarch_data: { offset: 0x240, size: 8, since: 0x0207 },
  payload_offset: { offset: 0x248, size: 4, since: 0x0208 },
  payload_length: { offset: 0x24c, size: 4, since: 0x0208 },
  setup_data: { offset: 0x250, size: 8, since: 0x0209 },
  pref_address: { offset: 0x258, size: 8, since: 0x020a },
  init_size: { offset: 0x260, size: 4, since: 0x020a },
  handover_offset: { offset: 0x264, size: 4, since: 0x020b },
  kernel_info_offset: { offset: 0x268, size: 4, since: 0x020f },
} as const satisfies Record<string, FieldSpec>;

export type SetupHeaderField = keyof typeof SETUP_HEADER_FIELDS;

/** End of the header (exclusive): the byte after kernel_info_offset. */
export const SETUP_HEADER_END = 0x26c;

/** The values of every field; 64-bit fields are numbers (the loader only needs < 2^53). */
export type SetupHeader = Record<SetupHeaderField, number>;

/** boot_flag: the boot sector signature. */
export const BOOT_FLAG = 0xaa55;
/** header: "HdrS" read little-endian. */
export const HDRS_MAGIC = 0x53726448;
/** The oldest protocol this loader takes: 2.06 (cmdline_size; the 32-bit boot protocol is 2.02+). */
export const MIN_PROTOCOL: ProtocolVersion = 0x0206;

/** loadflags bits (boot.rst, "loadflags"). */
export const LoadFlags = {
  LOADED_HIGH: 0x01,
  KASLR_FLAG: 0x02,
  QUIET_FLAG: 0x20,
  KEEP_SEGMENTS: 0x40,
  CAN_USE_HEAP: 0x80,
} as const;

/** xloadflags bits (boot.rst, "xloadflags"). */
export const XLoadFlags = {
  XLF_KERNEL_64: 0x01,
  XLF_CAN_BE_LOADED_ABOVE_4G: 0x02,
  XLF_EFI_HANDOVER_32: 0x04,
  XLF_EFI_HANDOVER_64: 0x08,
  XLF_EFI_KEXEC: 0x10,
} as const;

export const formatProtocol = (v: ProtocolVersion): string => `${v >> 8}.${(v & 0xff).toString().padStart(2, '0')}`;

/** True when the image carries a Linux boot-protocol header (boot_flag 0xAA55 and "HdrS"). */
export function isBzImage(image: Uint8Array): boolean {
  if (image.length < SETUP_HEADER_END) return false;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  return view.getUint16(SETUP_HEADER_FIELDS.boot_flag.offset, true) === BOOT_FLAG && view.getUint32(SETUP_HEADER_FIELDS.header.offset, true) === HDRS_MAGIC;
}

/** Read one field of a header region (a file, or a zero page) at its table offset. */
export function readField(view: DataView, field: SetupHeaderField): number {
  const { offset, size } = SETUP_HEADER_FIELDS[field];
  switch (size) {
    case 1:
      return view.getUint8(offset);
    case 2:
      return view.getUint16(offset, true);
    case 4:
      return view.getUint32(offset, true);
    case 8:
      return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 2 ** 32;
  }
}

/** Write one field at its table offset (into the zero page). */
export function writeField(view: DataView, field: SetupHeaderField, value: number): void {
  const { offset, size } = SETUP_HEADER_FIELDS[field];
  switch (size) {
    case 1:
      view.setUint8(offset, value);
      return;
    case 2:
      view.setUint16(offset, value, true);
      return;
    case 4:
      view.setUint32(offset, value >>> 0, true);
      return;
    case 8:
      view.setUint32(offset, value % 2 ** 32, true);
      view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true);
  }
}

/**
 * Parse and check the setup header of a bzImage. Fields newer than the kernel's protocol read 0.
 * Errors (one line each): not a bzImage, a protocol older than 2.06, a zImage (not loaded high),
 * a setup size past the end of the file.
 */
export function parseSetupHeader(image: Uint8Array, file: string): LoadOutcome<SetupHeader> {
  if (!isBzImage(image)) return loadFailure(file, 'not a Linux bzImage (no boot_flag 0xAA55 and "HdrS" header at 0x1FE/0x202)');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const version = readField(view, 'version');
  if (version < MIN_PROTOCOL) {
    return loadFailure(`${file}+${hex(SETUP_HEADER_FIELDS.version.offset)}`, `Linux boot protocol ${formatProtocol(version)} is not supported (need ${formatProtocol(MIN_PROTOCOL)} or newer)`);
  }
  const header = {} as SetupHeader;
  for (const name of Object.keys(SETUP_HEADER_FIELDS) as SetupHeaderField[]) {
    header[name] = SETUP_HEADER_FIELDS[name].since <= version ? readField(view, name) : 0;
  }
  if ((header.loadflags & LoadFlags.LOADED_HIGH) === 0) {
    return loadFailure(`${file}+${hex(SETUP_HEADER_FIELDS.loadflags.offset)}`, 'zImage (loadflags.LOADED_HIGH clear): only bzImages, loaded at 1 MiB, are supported');
  }
  if (setupBytes(header) >= image.length) {
    return loadFailure(`${file}+${hex(SETUP_HEADER_FIELDS.setup_sects.offset)}`, `setup_sects ${header.setup_sects} puts the protected-mode kernel past the end of the file`);
  }
  return { ok: true, value: header };
}

/** Bytes of the real-mode part (boot sector + setup): (setup_sects || 4) + 1 sectors. */
export function setupBytes(header: SetupHeader): number {
  return ((header.setup_sects === 0 ? 4 : header.setup_sects) + 1) * 512;
}
