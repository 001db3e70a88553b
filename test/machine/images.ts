/** Small guest images built in memory for the loader tests. */

export const MB_MAGIC = 0x1badb002;

/** A multiboot header (magic, flags, checksum[, a.out fields]) as bytes. */
export function multibootHeader(flags: number, kludge?: number[]): Uint8Array {
  const words = [MB_MAGIC, flags, (-(MB_MAGIC + flags)) >>> 0, ...(kludge ?? [])];
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  return bytes;
}

export interface ElfSegmentSpec {
  vaddr: number;
  paddr: number;
  data: Uint8Array;
  memSize: number;
}

/** An ELF32 i386 executable with the given PT_LOAD segments and a multiboot header in the first. */
export function elf32(entry: number, segments: ElfSegmentSpec[], options: { machine?: number; cls?: number } = {}): Uint8Array {
  const phoff = 52;
  const dataStart = phoff + 32 * segments.length;
  const size = dataStart + segments.reduce((n, s) => n + s.data.length, 0);
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, options.cls ?? 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, options.machine ?? 3, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, entry, true);
  v.setUint32(28, phoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, segments.length, true);
  let offset = dataStart;
  segments.forEach((s, i) => {
    const ph = phoff + i * 32;
    v.setUint32(ph, 1, true); // PT_LOAD
    v.setUint32(ph + 4, offset, true);
    v.setUint32(ph + 8, s.vaddr, true);
    v.setUint32(ph + 12, s.paddr, true);
    v.setUint32(ph + 16, s.data.length, true);
    v.setUint32(ph + 20, s.memSize, true);
    v.setUint32(ph + 24, 7, true);
    bytes.set(s.data, offset);
    offset += s.data.length;
  });
  return bytes;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
