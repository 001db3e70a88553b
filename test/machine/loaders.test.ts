import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../src/runtime/machine/loaders/load-image.ts';
import { MULTIBOOT_INFO_ADDRESS } from '../../src/runtime/machine/loaders/multiboot-info.ts';
import { concat, elf32, multibootHeader } from './images.ts';

const MiB = 1024 * 1024;
const u32 = (ram: Uint8Array, pa: number): number => new DataView(ram.buffer).getUint32(pa, true);
const cstr = (ram: Uint8Array, pa: number): string => {
  let end = pa;
  while (ram[end] !== 0) end++;
  return Buffer.from(ram.subarray(pa, end)).toString('utf8');
};

function mustLoad(ram: Uint8Array, image: Uint8Array, cmdline?: string) {
  const r = loadImage(ram, image, { file: 'guest.img', cmdline });
  if (!r.ok) throw new Error(`${r.error.location}: ${r.error.message}`);
  return r.value;
}

function loadError(image: Uint8Array, memMiB = 8): string {
  const r = loadImage(new Uint8Array(memMiB * MiB), image, { file: 'guest.img' });
  if (r.ok) throw new Error('expected a load error');
  return `${r.error.location}: ${r.error.message}`;
}

describe('multiboot a.out kludge', () => {
  it('loads the default guest at its load address, zeroes its bss and enters at entry_addr', () => {
    const image = new Uint8Array(readFileSync('guests/default/default.img'));
    const ram = new Uint8Array(8 * MiB).fill(0xcc);
    const loaded = mustLoad(ram, image);
    expect(loaded.kind).toBe('multiboot-aout');
    const seg = loaded.segments[0]!;
    expect(seg.address).toBe(0x100000);
    expect(seg.fileSize).toBe(image.length);
    expect(Buffer.from(ram.subarray(0x100000, 0x100000 + image.length)).equals(Buffer.from(image))).toBe(true);
    expect(ram[0x100000 + image.length]).toBe(0); // bss zeroed
    expect(ram[0x100000 + seg.memSize - 1]).toBe(0);
    expect(ram[0x100000 + seg.memSize]).toBe(0xcc); // untouched beyond bss_end
    expect(loaded.boot.rip).toBe(u32(image, 28)); // entry_addr field
  });

  it('takes load_end_addr and a header that is not at the file start', () => {
    // 16 bytes of padding, the header at file offset 16 = physical 0x200010, code after it.
    const hdr = multibootHeader(0x10000, [0x200010, 0x200000, 0x200040, 0x201000, 0x200030]);
    const pad = new Uint8Array(16).fill(0x90);
    const code = new Uint8Array(0x40 - 16 - hdr.length).fill(0xf4);
    const trailing = new Uint8Array(8).fill(0xee); // beyond load_end_addr: not loaded
    const ram = new Uint8Array(4 * MiB).fill(0xcc);
    const loaded = mustLoad(ram, concat(pad, hdr, code, trailing));
    expect(loaded.boot.rip).toBe(0x200030);
    expect(ram[0x200000]).toBe(0x90);
    expect(u32(ram, 0x200010)).toBe(0x1badb002);
    expect(ram[0x20003f]).toBe(0xf4);
    expect(ram[0x200040]).toBe(0); // bss, not the trailing bytes
    expect(ram[0x201000]).toBe(0xcc);
  });

  it('rejects kludge fields that make no sense, with the header location', () => {
    const bad = (fields: number[]) => loadError(concat(multibootHeader(0x10000, fields), new Uint8Array(64)));
    expect(bad([0x100000, 0x100010, 0, 0, 0x100000])).toMatch(/^guest\.img\+0x0: .*load_addr 0x100010 is above header_addr/);
    expect(bad([0x100000, 0x100000, 0x200000, 0, 0x100000])).toMatch(/load_end_addr 0x200000 lies past the end of the file/);
    expect(bad([0x100000, 0x100000, 0, 0, 0x300000])).toMatch(/entry_addr 0x300000 lies outside the loaded image/);
    expect(bad([0x100000, 0x100000, 0, 0x100004, 0x100000])).toMatch(/bss_end_addr 0x100004 is below/);
  });

  it('rejects an image that does not fit in RAM', () => {
    const image = concat(multibootHeader(0x10000, [0x100000, 0x100000, 0, 0x300000, 0x100000]), new Uint8Array(16));
    expect(loadError(image, 2)).toMatch(/segment 0x100000-0x2fffff lies outside RAM \(2 MiB\)/);
  });
});

describe('multiboot ELF32', () => {
  const header = multibootHeader(0x3);
  const text = concat(header, new Uint8Array([0xf4, 0xeb, 0xfe]));

  it('loads PT_LOAD segments at their physical addresses and zeroes memsz beyond filesz', () => {
    const image = elf32(0x10000c, [
      { vaddr: 0x100000, paddr: 0x100000, data: text, memSize: text.length },
      { vaddr: 0x200000, paddr: 0x200000, data: new Uint8Array([1, 2, 3, 4]), memSize: 0x1000 },
    ]);
    const ram = new Uint8Array(4 * MiB).fill(0xcc);
    const loaded = mustLoad(ram, image);
    expect(loaded.kind).toBe('multiboot-elf');
    expect(loaded.boot.rip).toBe(0x10000c);
    expect(ram[0x10000c]).toBe(0xf4);
    expect(u32(ram, 0x200000)).toBe(0x04030201);
    expect(ram[0x200fff]).toBe(0);
    expect(ram[0x201000]).toBe(0xcc);
  });

  it('translates an entry point given as a virtual address of a higher-half segment', () => {
    const image = elf32(0xc010000c, [{ vaddr: 0xc0100000, paddr: 0x100000, data: text, memSize: text.length }]);
    const loaded = mustLoad(new Uint8Array(4 * MiB), image);
    expect(loaded.boot.rip).toBe(0x10000c);
  });

  it('reports bad ELF files clearly', () => {
    const seg = [{ vaddr: 0x100000, paddr: 0x100000, data: text, memSize: text.length }];
    expect(loadError(elf32(0x100000, seg, { cls: 2 }))).toMatch(/64-bit ELF; a multiboot v1 kernel must be ELF32/);
    expect(loadError(elf32(0x100000, seg, { machine: 62 }))).toMatch(/bad ELF: machine 62, expected 3/);
    const noHeader = elf32(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data: new Uint8Array(16), memSize: 16 }]);
    expect(loadError(noHeader)).toBe('guest.img: no multiboot header in the first 8 KiB (magic 0x1BADB002)');
    const truncated = elf32(0x100000, seg);
    truncated[44] = 200; // e_phnum far beyond the file
    expect(loadError(truncated)).toMatch(/program headers extend past the end of the file/);
    const high = elf32(0x100000, [{ vaddr: 0x100000, paddr: 0x7f0000, data: text, memSize: 0x20000 }]);
    expect(loadError(high)).toMatch(/segment 0x7f0000-0x80ffff lies outside RAM \(8 MiB\)/);
    const low = elf32(0x9000, [{ vaddr: 0x9000, paddr: 0x9000, data: text, memSize: text.length }]);
    expect(loadError(low)).toMatch(/overlaps the multiboot information area/);
  });
});

describe('multiboot information structure', () => {
  it('has flags, mem_lower, mem_upper, a memory map, the loader name and the command line', () => {
    const image = new Uint8Array(readFileSync('guests/default/default.img'));
    const ram = new Uint8Array(16 * MiB);
    const loaded = mustLoad(ram, image, 'console=ttyS0 verbose');
    const info = loaded.infoAddress!;
    expect(info).toBe(MULTIBOOT_INFO_ADDRESS);
    expect(loaded.boot.gprs[0]).toBe(0x2badb002); // EAX
    expect(loaded.boot.gprs[3]).toBe(info); // EBX
    const flags = u32(ram, info);
    expect(flags & 1).toBe(1); // mem_*
    expect(flags & 4).toBe(4); // cmdline
    expect(flags & 0x40).toBe(0x40); // mmap
    expect(flags & 0x200).toBe(0x200); // boot_loader_name
    expect(u32(ram, info + 4)).toBe(639);
    expect(u32(ram, info + 8)).toBe(15 * 1024);
    expect(cstr(ram, u32(ram, info + 16))).toBe('guest.img console=ttyS0 verbose'); // as QEMU: path first
    expect(cstr(ram, u32(ram, info + 64))).toBe('trapspec');
    const mmapLength = u32(ram, info + 44);
    const mmapAddr = u32(ram, info + 48);
    expect(mmapLength).toBe(3 * 24);
    const v = new DataView(ram.buffer);
    const entry = (i: number) => ({
      base: v.getBigUint64(mmapAddr + i * 24 + 4, true),
      length: v.getBigUint64(mmapAddr + i * 24 + 12, true),
      type: v.getUint32(mmapAddr + i * 24 + 20, true),
    });
    expect(entry(0)).toEqual({ base: 0n, length: 0x9fc00n, type: 1 });
    expect(entry(2)).toEqual({ base: 0x100000n, length: 15n * 0x100000n, type: 1 });
  });

  it('passes the image path and a space as the cmdline without --cmdline, as QEMU does', () => {
    const ram = new Uint8Array(4 * MiB);
    const loaded = mustLoad(ram, new Uint8Array(readFileSync('guests/default/default.img')));
    expect(u32(ram, loaded.infoAddress!) & 4).toBe(4);
    expect(cstr(ram, u32(ram, loaded.infoAddress! + 16))).toBe('guest.img ');
  });

  it('rejects a command line that does not fit in the information area', () => {
    const r = loadImage(new Uint8Array(4 * MiB), new Uint8Array(readFileSync('guests/default/default.img')), {
      file: 'guest.img',
      cmdline: 'x'.repeat(5000),
    });
    expect(r.ok ? '' : `${r.error.location}: ${r.error.message}`).toMatch(/^--cmdline: command line longer than \d+ bytes$/);
  });

  it('enters in flat 32-bit protected mode with the contract control registers', () => {
    const loaded = mustLoad(new Uint8Array(4 * MiB), new Uint8Array(readFileSync('guests/default/default.img')));
    const b = loaded.boot;
    expect(b.mode).toBe('protected32');
    expect(b.cr0).toBe(0x11n);
    expect([b.cr3, b.cr4, b.efer]).toEqual([0n, 0n, 0n]);
    expect(b.rflags & 0x200).toBe(0); // IF = 0
    expect(b.cs).toMatchObject({ base: 0, limit: 0xffffffff, db: true, type: 0xb });
    expect(b.data).toMatchObject({ base: 0, limit: 0xffffffff, db: true, type: 0x3 });
  });
});

describe('flat images', () => {
  it('load at 0x7C00 and start in real mode at 0000:7C00 when there is no multiboot header', () => {
    const ram = new Uint8Array(1 * MiB);
    const loaded = mustLoad(ram, new Uint8Array([0xfa, 0xf4]));
    expect(loaded.kind).toBe('flat');
    expect(ram[0x7c00]).toBe(0xfa);
    expect(loaded.boot).toMatchObject({ mode: 'real', rip: 0x7c00, cr0: 0x10n });
    expect(loaded.boot.cs.selector).toBe(0);
  });

  it('--flat forces a flat load even with a multiboot header', () => {
    const image = new Uint8Array(readFileSync('guests/default/default.img'));
    const r = loadImage(new Uint8Array(1 * MiB), image, { file: 'x', format: 'flat' });
    expect(r.ok && r.value.kind).toBe('flat');
  });

  it('rejects empty images and images too large for real mode', () => {
    expect(loadError(new Uint8Array(0))).toBe('guest.img: image is empty');
    expect(loadError(new Uint8Array(0x110000).fill(1), 4)).toMatch(/does not fit/);
  });
});
