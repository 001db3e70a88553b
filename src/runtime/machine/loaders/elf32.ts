import { hex, loadFailure, type LoadOutcome } from './load-error.ts';
import type { LoadSegment } from './segments.ts';

const PT_LOAD = 1;
const EM_386 = 3;
const ET_EXEC = 2;

export interface Elf32Image {
  entry: number;
  segments: LoadSegment[];
}

export function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
}

/**
 * The PT_LOAD segments of an ELF32 i386 executable, placed at their physical addresses
 * (p_paddr, as QEMU's multiboot loader does). An entry point inside a segment's virtual range is
 * translated to the matching physical address.
 */
export function parseElf32(image: Uint8Array, file: string): LoadOutcome<Elf32Image> {
  const at = (offset: number): string => `${file}+${hex(offset)}`;
  if (image.length < 52) return loadFailure(file, 'bad ELF: file shorter than an ELF32 header');
  if (image[4] === 2) {
    return loadFailure(at(4), 'bad ELF: 64-bit ELF; a multiboot v1 kernel must be ELF32 (i386)');
  }
  if (image[4] !== 1) return loadFailure(at(4), `bad ELF: unknown class ${image[4]}`);
  if (image[5] !== 1) return loadFailure(at(5), 'bad ELF: not little-endian');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_386) return loadFailure(at(18), `bad ELF: machine ${machine}, expected 3 (i386)`);
  if (type !== ET_EXEC) return loadFailure(at(16), `bad ELF: type ${type}, expected 2 (executable)`);
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phnum === 0) return loadFailure(at(44), 'bad ELF: no program headers');
  if (phentsize < 32) return loadFailure(at(42), `bad ELF: program header size ${phentsize}`);
  if (phoff + phnum * phentsize > image.length) {
    return loadFailure(at(28), 'bad ELF: program headers extend past the end of the file');
  }
  const segments: LoadSegment[] = [];
  let physicalEntry = entry;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_LOAD) continue;
    const fileOffset = view.getUint32(ph + 4, true);
    const vaddr = view.getUint32(ph + 8, true);
    const paddr = view.getUint32(ph + 12, true);
    const fileSize = view.getUint32(ph + 16, true);
    const memSize = view.getUint32(ph + 20, true);
    if (fileOffset + fileSize > image.length) {
      return loadFailure(at(ph), `bad ELF: segment ${i} extends past the end of the file`);
    }
    if (memSize < fileSize) return loadFailure(at(ph), `bad ELF: segment ${i} has p_memsz < p_filesz`);
    segments.push({ address: paddr, fileOffset, fileSize, memSize });
    if (vaddr !== paddr && entry >= vaddr && entry < vaddr + memSize) physicalEntry = entry - vaddr + paddr;
  }
  if (segments.length === 0) return loadFailure(file, 'bad ELF: no PT_LOAD segments');
  return { ok: true, value: { entry: physicalEntry, segments } };
}
