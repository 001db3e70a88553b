import { hex, loadFailure, type LoadOutcome } from './load-error.ts';
import type { LoadSegment } from './segments.ts';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** The header must lie within the first 8 KiB of the image, 4-byte aligned. */
export const MULTIBOOT_SEARCH_LIMIT = 8192;
/** Header flag bit 16: the a.out-kludge address fields are valid. */
export const MULTIBOOT_AOUT_KLUDGE = 1 << 16;

export interface MultibootHeader {
  /** File offset of the magic. */
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

/** Find a multiboot v1 header (magic + flags + checksum ≡ 0 mod 2^32); undefined if none. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(image.length, MULTIBOOT_SEARCH_LIMIT) - 12;
  for (let offset = 0; offset <= limit; offset += 4) {
    if (view.getUint32(offset, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(offset + 4, true);
    const checksum = view.getUint32(offset + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) & 0xffff_ffff) >>> 0 !== 0) continue;
    const field = (i: number): number => (offset + 12 + i * 4 + 4 <= image.length ? view.getUint32(offset + 12 + i * 4, true) : 0);
    return {
      offset,
      flags,
      headerAddr: field(0),
      loadAddr: field(1),
      loadEndAddr: field(2),
      bssEndAddr: field(3),
      entryAddr: field(4),
    };
  }
  return undefined;
}

export interface KludgeImage {
  entry: number;
  segments: LoadSegment[];
}

/**
 * The a.out kludge (Multiboot §3.1.3): the file from header_addr's position back to load_addr is
 * loaded at load_addr, up to load_end_addr (0: to the end of the file); bss_end_addr (0: none)
 * extends it with zeros.
 */
export function kludgeSegments(image: Uint8Array, header: MultibootHeader, file: string): LoadOutcome<KludgeImage> {
  const at = `${file}+${hex(header.offset)}`;
  if (header.offset + 32 > image.length) return loadFailure(at, 'multiboot header truncated (a.out kludge fields missing)');
  const { headerAddr, loadAddr, loadEndAddr, bssEndAddr, entryAddr } = header;
  if (loadAddr > headerAddr) {
    return loadFailure(at, `multiboot header: load_addr ${hex(loadAddr)} is above header_addr ${hex(headerAddr)}`);
  }
  const fileOffset = header.offset - (headerAddr - loadAddr);
  if (fileOffset < 0) {
    return loadFailure(at, `multiboot header: header_addr - load_addr (${hex(headerAddr - loadAddr)}) is larger than the header's file offset`);
  }
  const fileSize = loadEndAddr === 0 ? image.length - fileOffset : loadEndAddr - loadAddr;
  if (fileSize < 0) return loadFailure(at, `multiboot header: load_end_addr ${hex(loadEndAddr)} is below load_addr`);
  if (fileOffset + fileSize > image.length) {
    return loadFailure(at, `multiboot header: load_end_addr ${hex(loadEndAddr)} lies past the end of the file`);
  }
  let memSize = fileSize;
  if (bssEndAddr !== 0) {
    if (bssEndAddr < loadAddr + fileSize) {
      return loadFailure(at, `multiboot header: bss_end_addr ${hex(bssEndAddr)} is below the end of the loaded image`);
    }
    memSize = bssEndAddr - loadAddr;
  }
  if (entryAddr < loadAddr || entryAddr >= loadAddr + memSize) {
    return loadFailure(at, `multiboot header: entry_addr ${hex(entryAddr)} lies outside the loaded image`);
  }
  return { ok: true, value: { entry: entryAddr, segments: [{ address: loadAddr, fileOffset, fileSize, memSize }] } };
}
