/**
 * The architectural state a loader leaves the machine in before the first instruction. Plain
 * data: the machine applies it to the CPU (control registers through the monitor's attach, which
 * reads them as the guest's own).
 */
export interface SegmentInit {
  selector: number;
  base: number;
  limit: number;
  /** Descriptor type (4 bits: 0xB = execute/read accessed code, 0x3 = read/write accessed data). */
  type: number;
  /** D/B: 32-bit default operand size / stack size. */
  db: boolean;
  /** Granularity (limit in 4 KiB units): recorded for completeness; `limit` is already in bytes. */
  g: boolean;
}

export interface BootState {
  /** Where execution starts: 'real' (CR0.PE=0) or flat 32-bit protected mode. */
  mode: 'real' | 'protected32';
  /** Initial EIP (IP in real mode). */
  rip: number;
  /** Initial general registers, 0 = EAX … 7 = EDI; omitted ones are 0. */
  gprs: Partial<Record<number, number>>;
  cs: SegmentInit;
  /** DS, ES, FS, GS and SS all get this. */
  data: SegmentInit;
  /** A GDT the loader built for the entry selectors; without one GDTR is left empty. */
  gdtr?: { base: number; limit: number };
  rflags: number;
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
}

/** Multiboot §3.2 entry magic (EAX). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;

/** Entry state of a multiboot kernel, as QEMU leaves it (guest contract, "Loading"). */
export function multibootEntryState(entry: number, infoAddress: number): BootState {
  const flat = { base: 0, limit: 0xffff_ffff, db: true, g: true };
  return {
    mode: 'protected32',
    rip: entry,
    gprs: { 0: MULTIBOOT_BOOTLOADER_MAGIC, 3: infoAddress },
    // QEMU's multiboot option ROM uses selector 0x10 for code and 0x18 for data.
    cs: { selector: 0x10, type: 0xb, ...flat },
    data: { selector: 0x18, type: 0x3, ...flat },
    rflags: 0x2, // IF = 0, VM = 0; bit 1 always reads 1
    cr0: 0x11n, // PE | ET
    cr3: 0n,
    cr4: 0n,
    efer: 0n,
  };
}

/** Where a flat image is loaded and started (guest contract: 0000:7C00, real mode). */
export const FLAT_LOAD_ADDRESS = 0x7c00;

/** Real-mode entry at 0000:7C00, as a BIOS leaves a boot sector (DL = boot drive 0x80). */
export function flatEntryState(): BootState {
  const real = { selector: 0, base: 0, limit: 0xffff, db: false, g: false };
  return {
    mode: 'real',
    rip: FLAT_LOAD_ADDRESS,
    gprs: { 2: 0x80, 4: FLAT_LOAD_ADDRESS },
    cs: { ...real, type: 0xb },
    data: { ...real, type: 0x3 },
    rflags: 0x2,
    cr0: 0x10n, // ET
    cr3: 0n,
    cr4: 0n,
    efer: 0n,
  };
}
