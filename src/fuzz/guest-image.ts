import { encodeOps, type Bits, type Op } from './ops.ts';

/**
 * Fuzz guest images. A guest is a mode, a body (ops or raw bytes) and the random parts of its
 * system tables; the builder adds a fixed prologue that reaches the mode and an epilogue that
 * exits through the debug-exit port with status 0x2A.
 *
 * - real: a flat image at 0x7C00 (real mode). The prologue copies an IVT (32 vectors) to 0.
 * - protected, paged32, pae, long: a multiboot image (a.out kludge) at 0x100000, entered in flat
 *   32-bit protected mode. The prologue loads its GDT and IDT and, by mode, enables 32-bit paging
 *   (CR4.PSE, 4 MiB pages), PAE paging (2 MiB pages) or long mode (4-level, 64-bit code segment).
 *   In 'protected' CR3 already points at the 32-bit directory, so a random CR0.PG=1 finds tables.
 *
 * Memory map (physical = linear for the first 4 MiB in every paged mode):
 *   0x100000 header, prologue      0x100800 exception stubs (32 x 8 bytes)
 *   0x101000 GDT (16 entries: null, code32 0x08, data 0x10, code64 0x18, user code32 0x23,
 *            user data 0x2B, user code64 0x33, random 0x38..0x68, TSS 0x70 (16 bytes))
 *   0x101100 GDTR, 0x101110 IDTR   0x107800 TSS (ring-0 stack 0x10:0x180000)
 *   0x102000 IDT (32 gates)        0x103000 PAE/long PDPT   0x104000 PAE/long PD
 *   0x105000 PML4                  0x106000 PT (PAE/long, 8-byte entries) for 0x400000+
 *   0x107000 scratch               0x108000 body            0x109000 32-bit PD, 0x10A000 32-bit PT
 *   0x10B000 long-mode PDPT (writable entries; a PAE PDPTE has no R/W bit)
 * The data window 0x400000..0x40FFFF (DATA_LINEAR) is mapped page by page through the PTs. The
 * identity-mapped first 2/4 MiB are user-accessible (U = 1), so 'touser' ops run user code there.
 */

export type GuestMode = 'real' | 'protected' | 'paged32' | 'pae' | 'long';
export const GUEST_MODES: readonly GuestMode[] = ['real', 'protected', 'paged32', 'pae', 'long'];

/** An IDT/IVT slot: a working gate to the stub that prints the vector, or raw random contents. */
export type GateSpec = { kind: 'stub' } | { kind: 'raw'; lo: bigint; hi: bigint };

export interface FuzzGuest {
  mode: GuestMode;
  /** The body: ops, or raw bytes (random instruction bytes). */
  body: { ops: Op[] } | { bytes: number[] };
  /** 32 gates (vectors 0..31). */
  idt: GateSpec[];
  /** Random GDT entries 7..13 (selectors 0x38..0x68). */
  gdt: bigint[];
  /** Page-table slots: [table, index, value] written over the fixed tables. */
  tableNoise: { table: TableName; index: number; value: bigint }[];
  /** PT entries for the 16 data-window pages: flags (low 12 bits + NX) and frame number. */
  dataPages: { flags: number; nx: boolean; frame: number }[];
}

export type TableName = 'pdpt' | 'pd' | 'pml4' | 'pt' | 'pd32' | 'pt32' | 'pdpt64';

export const IMAGE_BASE = 0x100000;
export const FLAT_BASE = 0x7c00;
export const STUBS = 0x100800;
export const GDT = 0x101000;
export const GDTR = 0x101100;
export const IDTR = 0x101110;
export const IDT = 0x102000;
export const TABLES: Record<TableName, number> = {
  pdpt: 0x103000,
  pd: 0x104000,
  pml4: 0x105000,
  pt: 0x106000,
  pd32: 0x109000,
  pt32: 0x10a000,
  pdpt64: 0x10b000,
};
export const SCRATCH = 0x107000;
export const BODY = 0x108000;
export const DATA_LINEAR = 0x400000;
export const DATA_PAGES = 16;
/** Real mode: stubs, IVT image and data window (inside DS limit 0xFFFF). */
export const REAL_STUBS = FLAT_BASE + 0x2000;
export const REAL_IVT = FLAT_BASE + 0x2200;
export const REAL_DATA = 0xc000;
/** Physical frames the data window may map (RAM above the image, below 4 MiB). */
export const DATA_FRAME_FIRST = 0x200;
export const DATA_FRAME_COUNT = 0x200;
export const EXIT_STATUS = 0x2a;
export const STUB_EXIT = 0x11;
export const MAX_BODY = 0xf00;

export function modeBits(mode: GuestMode): Bits {
  return mode === 'real' ? 16 : mode === 'long' ? 64 : 32;
}

class Image {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(
    readonly base: number,
    size: number,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  put(addr: number, data: readonly number[]): void {
    this.bytes.set(data, addr - this.base);
  }
  u16(addr: number, v: number): void {
    this.view.setUint16(addr - this.base, v, true);
  }
  u32(addr: number, v: number): void {
    this.view.setUint32(addr - this.base, v >>> 0, true);
  }
  u64(addr: number, v: bigint): void {
    this.view.setBigUint64(addr - this.base, BigInt.asUintN(64, v), true);
  }
}

/** Stub for vector n: print n to the debug console, exit with STUB_EXIT. */
function stub(n: number): number[] {
  return [0xb0, n, 0xe6, 0xe9, 0xb0, STUB_EXIT, 0xe6, 0xf4];
}

function epilogue(bits: Bits): number[] {
  const pre = bits === 16 ? [] : [];
  return [...pre, 0xb0, EXIT_STATUS, 0xe6, 0xf4, 0xf4];
}

function bodyBytes(g: FuzzGuest): number[] {
  const bits = modeBits(g.mode);
  const raw = 'ops' in g.body ? encodeOps(g.body.ops, bits) : g.body.bytes;
  return raw.slice(0, MAX_BODY);
}

function buildReal(g: FuzzGuest): Uint8Array {
  const img = new Image(FLAT_BASE, 0x2300);
  // cld; xor ax,ax; mov es,ax; mov ds,ax; mov ss,ax; mov sp,0x7000; mov si,IVT; xor di,di;
  // mov cx,64; rep movsw; jmp body
  const pro = [0xfc, 0x31, 0xc0, 0x8e, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x70, 0xbe, ...le16(REAL_IVT), 0x31, 0xff, 0xb9, 64, 0, 0xf3, 0xa5];
  img.put(FLAT_BASE, [...pro, ...bodyBytes(g), ...epilogue(16)]);
  for (let n = 0; n < 32; n++) {
    img.put(REAL_STUBS + n * 8, stub(n));
    const gate = g.idt[n] ?? { kind: 'stub' };
    img.u32(REAL_IVT + n * 4, gate.kind === 'stub' ? REAL_STUBS + n * 8 : Number(gate.lo & 0xffff_ffffn));
  }
  return img.bytes;
}

function le16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}
function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

const FLAT_CODE32 = 0x00cf9a000000ffffn;
const FLAT_DATA = 0x00cf92000000ffffn;
const CODE64 = 0x00af9a000000ffffn;
const USER_CODE32 = 0x00cffa000000ffffn;
const USER_DATA = 0x00cff2000000ffffn;
const USER_CODE64 = 0x00affa000000ffffn;
export const TSS = 0x107800;
const TSS_SEL = 0x70;

function prologue32(mode: GuestMode): number[] {
  const p: number[] = [];
  p.push(0x0f, 0x01, 0x15, ...le32(GDTR)); // lgdt [GDTR]
  p.push(0x0f, 0x01, 0x1d, ...le32(IDTR)); // lidt [IDTR]
  p.push(0xbc, ...le32(0x180000)); // mov esp, 0x180000
  const after = IMAGE_BASE + 0x20 + p.length + 7;
  p.push(0xea, ...le32(after), 0x08, 0x00); // jmp 0x08:after (reload CS)
  p.push(0x66, 0xb8, 0x10, 0x00); // mov ax, 0x10
  for (const sreg of [0xc0, 0xd8, 0xd0, 0xe0, 0xe8]) p.push(0x8e, sreg); // es, ds, ss, fs, gs
  p.push(0x66, 0xb8, TSS_SEL, 0x00, 0x0f, 0x00, 0xd8); // mov ax, TSS_SEL; ltr ax
  const movCr3 = (v: number): void => {
    p.push(0xb8, ...le32(v), 0x0f, 0x22, 0xd8);
  };
  const orCr4 = (bits: number): void => {
    p.push(0x0f, 0x20, 0xe0, 0x0d, ...le32(bits), 0x0f, 0x22, 0xe0);
  };
  const pg = (): void => {
    p.push(0x0f, 0x20, 0xc0, 0x0d, ...le32(0x80000000), 0x0f, 0x22, 0xc0);
  };
  switch (mode) {
    case 'protected':
      movCr3(TABLES.pd32);
      break;
    case 'paged32':
      orCr4(0x10);
      movCr3(TABLES.pd32);
      pg();
      break;
    case 'pae':
      orCr4(0x20);
      movCr3(TABLES.pdpt);
      pg();
      break;
    case 'long':
      orCr4(0x20);
      movCr3(TABLES.pml4);
      p.push(0xb9, ...le32(0xc0000080), 0x0f, 0x32, 0x0d, ...le32(0x100), 0x0f, 0x30); // EFER.LME
      pg();
      p.push(0xea, ...le32(BODY), 0x18, 0x00); // jmp 0x18:BODY (64-bit)
      return p;
    case 'real':
      break;
  }
  p.push(0xb8, ...le32(BODY), 0xff, 0xe0); // mov eax, BODY; jmp eax
  return p;
}

function gate(mode: GuestMode, n: number, spec: GateSpec): { lo: bigint; hi: bigint } {
  if (spec.kind === 'raw') return { lo: spec.lo, hi: spec.hi };
  const off = BigInt(STUBS + n * 8);
  const sel = mode === 'long' ? 0x18n : 0x08n;
  const lo = (off & 0xffffn) | (sel << 16n) | (0x8e00n << 32n) | ((off >> 16n) << 48n);
  return { lo, hi: 0n };
}

function buildMultiboot(g: FuzzGuest): Uint8Array {
  const img = new Image(IMAGE_BASE, 0xc000);
  const magic = 0x1badb002;
  const flags = 0x00010000;
  for (const [i, v] of [magic, flags, -(magic + flags), IMAGE_BASE, IMAGE_BASE, 0, 0, IMAGE_BASE + 0x20].entries()) {
    img.u32(IMAGE_BASE + i * 4, v);
  }
  img.put(IMAGE_BASE + 0x20, prologue32(g.mode));
  for (let n = 0; n < 32; n++) img.put(STUBS + n * 8, stub(n));
  // GDT: null, flat code32 (0x08), flat data (0x10), code64 (0x18), then random entries.
  img.u64(GDT + 8, FLAT_CODE32);
  img.u64(GDT + 16, FLAT_DATA);
  img.u64(GDT + 24, CODE64);
  img.u64(GDT + 32, USER_CODE32);
  img.u64(GDT + 40, USER_DATA);
  img.u64(GDT + 48, USER_CODE64);
  g.gdt.slice(0, 7).forEach((e, i) => img.u64(GDT + 56 + i * 8, e));
  // Available 32-bit TSS (type 9; in long mode the same descriptor + upper half is the 64-bit TSS).
  img.u64(GDT + TSS_SEL, 0x67n | (BigInt(TSS & 0xffffff) << 16n) | (0x89n << 40n) | (BigInt(TSS >>> 24) << 56n));
  img.u64(GDT + TSS_SEL + 8, 0n);
  img.u32(TSS + 4, 0x180000); // ESP0 (32-bit) / low half of RSP0 (64-bit)
  if (g.mode !== 'long') img.u32(TSS + 8, 0x10); // SS0 (32-bit); in a 64-bit TSS: RSP0 high half
  img.u16(GDTR, 16 * 8 - 1);
  img.u32(GDTR + 2, GDT);
  const gateSize = g.mode === 'long' ? 16 : 8;
  img.u16(IDTR, 32 * gateSize - 1);
  img.u32(IDTR + 2, IDT);
  for (let n = 0; n < 32; n++) {
    const e = gate(g.mode, n, g.idt[n] ?? { kind: 'stub' });
    img.u64(IDT + n * gateSize, e.lo);
    if (gateSize === 16) img.u64(IDT + n * 16 + 8, e.hi);
  }
  // PAE / long: PDPT[0] -> PD; PD[0], PD[1] identity 2 MiB; PD[2] -> PT (data window).
  img.u64(TABLES.pdpt, BigInt(TABLES.pd | 1));
  img.u64(TABLES.pml4, BigInt(TABLES.pdpt64 | 7));
  img.u64(TABLES.pdpt64, BigInt(TABLES.pd | 7));
  img.u64(TABLES.pd, 0x87n);
  img.u64(TABLES.pd + 8, 0x200083n);
  img.u64(TABLES.pd + 16, BigInt(TABLES.pt | 7));
  // 32-bit: PD32[0] identity 4 MiB; PD32[1] -> PT32 (data window).
  img.u32(TABLES.pd32, 0x87);
  img.u32(TABLES.pd32 + 4, TABLES.pt32 | 7);
  g.dataPages.slice(0, DATA_PAGES).forEach((d, i) => {
    const frame = (DATA_FRAME_FIRST + (d.frame % DATA_FRAME_COUNT)) * 4096;
    img.u64(TABLES.pt + i * 8, BigInt(frame | (d.flags & 0xfff)) | (d.nx ? 1n << 63n : 0n));
    img.u32(TABLES.pt32 + i * 4, frame | (d.flags & 0xfff));
  });
  for (const t of g.tableNoise) {
    const size = t.table === 'pd32' || t.table === 'pt32' ? 4 : 8;
    const at = TABLES[t.table] + (t.index % (4096 / size)) * size;
    if (size === 4) img.u32(at, Number(t.value & 0xffff_ffffn));
    else img.u64(at, t.value);
  }
  img.put(BODY, [...bodyBytes(g), ...epilogue(modeBits(g.mode))]);
  return img.bytes;
}

/** The image bytes for a guest (flat for 'real', multiboot otherwise). */
export function buildGuestImage(g: FuzzGuest): { bytes: Uint8Array; format: 'flat' | 'auto' } {
  if (g.mode === 'real') return { bytes: buildReal(g), format: 'flat' };
  return { bytes: buildMultiboot(g), format: 'auto' };
}

/** Where the data window starts for a mode's ops (linear). */
export function dataBase(mode: GuestMode): number {
  return mode === 'real' ? REAL_DATA : mode === 'protected' ? 0x200000 : DATA_LINEAR;
}
