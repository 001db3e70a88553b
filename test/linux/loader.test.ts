import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.ts';
import { loadImage } from '../../src/runtime/machine/loaders/load-image.ts';
import { BootParamsOffset } from '../../src/runtime/machine/loaders/linux/boot-params.ts';
import { buildE820, E820Type } from '../../src/runtime/machine/loaders/linux/e820.ts';
import { CMDLINE_ADDRESS, GDT_ADDRESS, KERNEL_LOAD_ADDRESS, ZERO_PAGE_ADDRESS } from '../../src/runtime/machine/loaders/linux/load-bzimage.ts';
import { SETUP_HEADER_FIELDS, type SetupHeaderField } from '../../src/runtime/machine/loaders/linux/setup-header.ts';

const MiB = 0x10_0000;

interface Synthetic {
  version?: number;
  setupSects?: number;
  loadflags?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  prefAddress?: number;
  initSize?: number;
  code?: number[];
}

/** A bzImage as the kernel's build lays it out: boot sector + setup sectors, then the protected-mode code. */
function bzImage(o: Synthetic = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const code = o.code ?? [0xf4];
  const image = new Uint8Array((setupSects + 1) * 512 + code.length);
  const view = new DataView(image.buffer);
  const set = (field: SetupHeaderField, value: number): void => {
    const { offset, size } = SETUP_HEADER_FIELDS[field];
    if (size === 1) view.setUint8(offset, value);
    else if (size === 2) view.setUint16(offset, value, true);
    else if (size === 4) view.setUint32(offset, value, true);
    else view.setBigUint64(offset, BigInt(value), true);
  };
  set('setup_sects', setupSects);
  set('boot_flag', 0xaa55);
  set('jump', 0x66eb);
  set('header', 0x53726448);
  set('version', o.version ?? 0x020f);
  set('loadflags', o.loadflags ?? 0x01);
  set('code32_start', KERNEL_LOAD_ADDRESS);
  set('initrd_addr_max', o.initrdAddrMax ?? 0x7fff_ffff);
  set('kernel_alignment', 0x20_0000);
  set('relocatable_kernel', 1);
  set('cmdline_size', o.cmdlineSize ?? 2047);
  set('pref_address', o.prefAddress ?? KERNEL_LOAD_ADDRESS);
  set('init_size', o.initSize ?? 0x1000);
  // A byte a loader must not copy into boot_params: code beyond the header.
  image[0x26c] = 0xcc;
  image.set(code, (setupSects + 1) * 512);
  return image;
}

function load(image: Uint8Array, memMiB = 64, extra: { cmdline?: string; initrd?: Uint8Array } = {}) {
  const ram = new Uint8Array(memMiB * MiB);
  const outcome = loadImage(ram, image, {
    file: 'bzImage',
    cmdline: extra.cmdline ?? 'console=ttyS0',
    initrd: extra.initrd === undefined ? undefined : { file: 'initrd.img', bytes: extra.initrd },
  });
  return { ram, outcome, view: new DataView(ram.buffer) };
}

function mustLoad(image: Uint8Array, memMiB = 64, extra: { cmdline?: string; initrd?: Uint8Array } = {}) {
  const r = load(image, memMiB, extra);
  if (!r.outcome.ok) throw new Error(r.outcome.error.message);
  if (r.outcome.value.kind !== 'linux-bzimage') throw new Error(`loaded as ${r.outcome.value.kind}`);
  return { ...r, loaded: r.outcome.value };
}

function errorOf(image: Uint8Array, memMiB = 64, extra: { cmdline?: string; initrd?: Uint8Array } = {}): string {
  const r = load(image, memMiB, extra);
  if (r.outcome.ok) throw new Error('expected a load error');
  return `${r.outcome.error.location}: ${r.outcome.error.message}`;
}

describe('Linux bzImage loader', () => {
  it('places the protected-mode kernel at 1 MiB and enters it per the 32-bit boot protocol', () => {
    const code = [0x90, 0x90, 0xf4];
    const { ram, loaded } = mustLoad(bzImage({ code, setupSects: 6 }));
    expect([...ram.subarray(KERNEL_LOAD_ADDRESS, KERNEL_LOAD_ADDRESS + 3)]).toEqual(code);
    expect(loaded.segments).toEqual([{ address: KERNEL_LOAD_ADDRESS, fileOffset: 7 * 512, fileSize: 3, memSize: 3 }]);
    const b = loaded.boot;
    expect(b.mode).toBe('protected32');
    expect(b.rip).toBe(KERNEL_LOAD_ADDRESS);
    expect(b.gprs).toEqual({ 6: ZERO_PAGE_ADDRESS }); // ESI = boot_params; EBP, EDI, EBX = 0
    expect(b.cs.selector).toBe(0x10);
    expect(b.data.selector).toBe(0x18);
    expect(b.rflags & 0x200).toBe(0); // interrupts off
    expect(b.cr0 & 0x8000_0001n).toBe(1n); // protected mode, paging off
    // The GDT holds flat code (execute/read) at 0x10 and flat data (read/write) at 0x18.
    const gdt = new DataView(ram.buffer, GDT_ADDRESS);
    expect(b.gdtr).toEqual({ base: GDT_ADDRESS, limit: 31 });
    expect(gdt.getBigUint64(0x10, true)).toBe(0x00cf9b000000ffffn);
    expect(gdt.getBigUint64(0x18, true)).toBe(0x00cf93000000ffffn);
  });

  it('a setup_sects of 0 means 4 (boot.rst)', () => {
    const image = bzImage({ setupSects: 4, code: [0xab] });
    image[0x1f1] = 0;
    expect(mustLoad(image).ram[KERNEL_LOAD_ADDRESS]).toBe(0xab); // read from 5 * 512
  });

  it('builds the zero page: the header copied, the loader fields written, the rest zero', () => {
    const { ram, view } = mustLoad(bzImage(), 64, { cmdline: 'console=ttyS0 quiet' });
    const zp = ZERO_PAGE_ADDRESS;
    const field = (f: SetupHeaderField): number => {
      const { offset, size } = SETUP_HEADER_FIELDS[f];
      return size === 1 ? view.getUint8(zp + offset) : size === 2 ? view.getUint16(zp + offset, true) : view.getUint32(zp + offset, true);
    };
    expect(field('header')).toBe(0x53726448);
    expect(field('version')).toBe(0x020f);
    expect(field('boot_flag')).toBe(0xaa55);
    expect(field('type_of_loader')).toBe(0xff);
    expect(field('loadflags') & 0x80).toBe(0x80); // CAN_USE_HEAP
    expect(field('heap_end_ptr')).toBe(0xfe00);
    expect(field('cmd_line_ptr')).toBe(CMDLINE_ADDRESS);
    expect(Buffer.from(ram.subarray(CMDLINE_ADDRESS, CMDLINE_ADDRESS + 20)).toString('latin1')).toBe('console=ttyS0 quiet\0');
    expect(field('ramdisk_image')).toBe(0);
    expect(field('ramdisk_size')).toBe(0);
    // Nothing past the header is copied, and the bytes before it stay zero (the sentinel too).
    expect(ram[zp + 0x26c]).toBe(0);
    expect(ram.subarray(zp, zp + BootParamsOffset.alt_mem_k).every((b) => b === 0)).toBe(true);
    expect(ram[zp + BootParamsOffset.sentinel]).toBe(0);
    expect(view.getUint32(zp + BootParamsOffset.alt_mem_k, true)).toBe(63 * 1024);
  });

  it('writes an e820 map of this machine: low RAM, the legacy hole, RAM to --mem, APIC/IO-APIC/BIOS reserved', () => {
    const { view, loaded } = mustLoad(bzImage(), 64);
    const zp = ZERO_PAGE_ADDRESS;
    const n = view.getUint8(zp + BootParamsOffset.e820_entries);
    const entries = Array.from({ length: n }, (_, i) => {
      const at = zp + BootParamsOffset.e820_table + i * 20;
      return { addr: Number(view.getBigUint64(at, true)), size: Number(view.getBigUint64(at + 8, true)), type: view.getUint32(at + 16, true) };
    });
    expect(entries).toEqual([
      { addr: 0, size: 0xa0000, type: 1 },
      { addr: 0xa0000, size: 0x60000, type: 2 },
      { addr: 0x100000, size: 63 * MiB, type: 1 },
      { addr: 0xfec00000, size: 0x1000, type: 2 },
      { addr: 0xfee00000, size: 0x1000, type: 2 },
      { addr: 0xfffc0000, size: 0x40000, type: 2 },
    ]);
    expect(loaded.e820).toEqual(entries);
  });

  it('e820: platform ranges (ACPI tables at the top of RAM) are carved out of RAM and merged', () => {
    const map = buildE820(32 * MiB, [
      { addr: 32 * MiB - 0x20000, size: 0x10000, type: E820Type.ACPI },
      { addr: 32 * MiB - 0x10000, size: 0x10000, type: E820Type.RESERVED },
      { addr: 0xf0000, size: 0x1000, type: E820Type.RESERVED }, // inside the hole: no new entry
    ]);
    expect(map).toEqual([
      { addr: 0, size: 0xa0000, type: 1 },
      { addr: 0xa0000, size: 0x60000, type: 2 },
      { addr: 0x100000, size: 31 * MiB - 0x20000, type: 1 },
      { addr: 32 * MiB - 0x20000, size: 0x10000, type: 3 },
      { addr: 32 * MiB - 0x10000, size: 0x10000, type: 2 },
      { addr: 0xfec00000, size: 0x1000, type: 2 },
      { addr: 0xfee00000, size: 0x1000, type: 2 },
      { addr: 0xfffc0000, size: 0x40000, type: 2 },
    ]);
  });

  it('places the initrd page-aligned at the top of RAM, or below initrd_addr_max', () => {
    const initrd = new Uint8Array(5000).fill(7);
    const top = mustLoad(bzImage(), 64, { initrd });
    expect(top.loaded.initrd).toEqual({ address: 64 * MiB - 0x2000, size: 5000 });
    expect(top.view.getUint32(ZERO_PAGE_ADDRESS + SETUP_HEADER_FIELDS.ramdisk_image.offset, true)).toBe(64 * MiB - 0x2000);
    expect(top.view.getUint32(ZERO_PAGE_ADDRESS + SETUP_HEADER_FIELDS.ramdisk_size.offset, true)).toBe(5000);
    expect(top.ram[64 * MiB - 0x2000 + 4999]).toBe(7);
    const capped = mustLoad(bzImage({ initrdAddrMax: 16 * MiB - 1 }), 64, { initrd });
    expect(capped.loaded.initrd).toEqual({ address: 16 * MiB - 0x2000, size: 5000 });
  });

  it('reads fields newer than the kernel protocol as 0', () => {
    const image = bzImage({ version: 0x0206, prefAddress: 0x4000000, initSize: 0x9999 });
    const { loaded } = mustLoad(image);
    expect(loaded.header.pref_address).toBe(0); // 2.10 field
    expect(loaded.header.init_size).toBe(0);
    expect(loaded.header.cmdline_size).toBe(2047); // 2.06 field
  });

  it('rejects bad inputs with one clear line', () => {
    expect(errorOf(bzImage({ version: 0x0205 }))).toBe('bzImage+0x206: Linux boot protocol 2.05 is not supported (need 2.06 or newer)');
    expect(errorOf(bzImage({ loadflags: 0 }))).toMatch(/zImage \(loadflags.LOADED_HIGH clear\)/);
    expect(errorOf(bzImage({ setupSects: 200 }).subarray(0, 1024))).toMatch(/setup_sects 200 puts the protected-mode kernel past the end of the file/);
    expect(errorOf(bzImage({ prefAddress: 0x100_0000, initSize: 0x100_0000 }), 24)).toBe(
      'bzImage: kernel needs RAM up to 0x2000000 (init_size 0x1000000 at 0x1000000), more than --mem 24 MiB gives; use --mem 48 or more',
    );
    expect(errorOf(bzImage({ cmdlineSize: 8 }), 64, { cmdline: 'console=ttyS0' })).toBe(
      "--append: command line of 13 bytes is longer than the kernel's cmdline_size (8)",
    );
    expect(errorOf(bzImage({ initrdAddrMax: 0x10_1fff }), 64, { initrd: new Uint8Array(0x2000) })).toMatch(/^initrd\.img: initrd of 8192 bytes does not fit between the kernel's end 0x101000 and 0x102000/);
    expect(errorOf(bzImage(), 4, { initrd: new Uint8Array(4 * MiB) })).toMatch(/^initrd\.img: initrd of 4194304 bytes does not fit/);
    expect(errorOf(bzImage(), 64, { initrd: new Uint8Array(0) })).toBe('initrd.img: initrd is empty');
  });

  it('an initrd with a kernel that is not a bzImage is an error', () => {
    const r = loadImage(new Uint8Array(4 * MiB), new Uint8Array([0xf4]), { file: 'flat.img', initrd: { file: 'i', bytes: new Uint8Array(1) } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ location: '--initrd', message: 'an initrd is only for a Linux bzImage kernel' });
  });
});

describe('trapspec run BZIMAGE --initrd --append', () => {
  // The protected-mode code reads boot_params through ESI and prints on COM1:
  //   e820_entries + '0', CS + '0', the first byte of the command line, the last initrd byte;
  //   then writes 0 to the debug-exit port.
  const code = [
    0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8
    0x8a, 0x86, 0xe8, 0x01, 0x00, 0x00, // mov al, [esi+0x1e8]
    0x04, 0x30, 0xee, // add al, '0'; out dx, al
    0x8c, 0xc8, 0x04, 0x30, 0xee, // mov eax, cs; add al, '0'; out dx, al
    0x8b, 0x9e, 0x28, 0x02, 0x00, 0x00, // mov ebx, [esi+0x228]  (cmd_line_ptr)
    0x8a, 0x03, 0xee, // mov al, [ebx]; out dx, al
    0x8b, 0x9e, 0x18, 0x02, 0x00, 0x00, // mov ebx, [esi+0x218]  (ramdisk_image)
    0x03, 0x9e, 0x1c, 0x02, 0x00, 0x00, // add ebx, [esi+0x21c]  (ramdisk_size)
    0x8a, 0x43, 0xff, 0xee, // mov al, [ebx-1]; out dx, al
    0xb0, 0x00, 0xe6, 0xf4, // mov al, 0; out 0xf4, al
  ];

  async function run(args: { image: Uint8Array; initrd?: Uint8Array; append?: string; mem?: number }) {
    const dir = mkdtempSync(join(tmpdir(), 'trapspec-linux-'));
    const imagePath = join(dir, 'bzImage');
    writeFileSync(imagePath, args.image);
    let initrdPath: string | undefined;
    if (args.initrd !== undefined) {
      initrdPath = join(dir, 'initrd');
      writeFileSync(initrdPath, args.initrd);
    }
    let stdout = '';
    let stderr = '';
    const status = await runCommand(
      imagePath,
      { mem: args.mem ?? 32, paging: 'shadow', maxInsns: 10_000, initrd: initrdPath, append: args.append },
      { stdout: (c) => (stdout += Buffer.from(c).toString('latin1')), stderr: (t) => (stderr += t) },
    );
    return { status, stdout, stderr, dir };
  }

  it('boots the synthetic kernel, which sees boot_params, the command line and the initrd', async () => {
    const r = await run({ image: bzImage({ code }), initrd: Buffer.from('initrd-Z'), append: 'Xconsole' });
    expect(r.stderr).toBe('');
    // 8 e820 entries: the 6 of the bare map, with the ACPI tables at 0xE0000 split out of the hole.
    expect(r.stdout).toBe('8@XZ');
    expect(r.status).toBe(1);
  });

  it('a missing initrd file or a kernel too large for --mem is one line and exit status 2', async () => {
    const missing = await runCommand('/nonexistent/bzImage', { mem: 32, paging: 'shadow' }, { stdout: () => {}, stderr: () => {} });
    expect(missing).toBe(2);
    let err = '';
    const noInitrd = await runCommand('guests/default/default.img', { mem: 32, paging: 'shadow', initrd: '/nonexistent/initrd' }, { stdout: () => {}, stderr: (t) => (err += t) });
    expect(noInitrd).toBe(2);
    expect(err).toBe('trapspec run: --initrd /nonexistent/initrd: no such file\n');
    const big = await run({ image: bzImage({ code, prefAddress: 0x100_0000, initSize: 0x200_0000 }), mem: 32 });
    expect(big.status).toBe(2);
    expect(big.stderr.trim().split('\n')).toHaveLength(1);
    expect(big.stderr).toMatch(/^trapspec run: .*bzImage: kernel needs RAM up to 0x3000000/);
  });
});
