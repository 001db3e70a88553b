/**
 * ACPI tables describing the platform's interrupt controllers (ACPI 6.5 §5.2): an RSDP in the
 * BIOS area (where Linux's and other OSes' scans look: 16-byte aligned in 0xE0000–0xFFFFF,
 * §5.2.5.1), an RSDT and an XSDT that point at one MADT (§5.2.12) with one enabled local APIC
 * (ID 0, processor UID 0), the IO-APIC at 0xFEC00000 (ID 0, GSI base 0), the ISA IRQ 0 → GSI 2
 * interrupt source override (the PIT on IO-APIC pin 2, as QEMU's pc machine) and LINT1 as NMI
 * on every processor. PCAT_COMPAT says the dual 8259 is present.
 *
 * No FADT/FACS/DSDT: the machine has no ACPI PM hardware (PM1 event/control blocks, PM timer,
 * SCI), and a FADT without them is a firmware error to ACPICA. An OS therefore takes the APIC
 * topology from the MADT and runs without the ACPI interpreter (Linux prints that it cannot load
 * the namespace tables and continues with legacy PCI and device probing).
 */

export const ACPI_BASE = 0xe_0000;
export const LOCAL_APIC_ADDRESS = 0xfee0_0000;
export const IO_APIC_ADDRESS = 0xfec0_0000;
const OEM_ID = 'TRAPSP';
const OEM_TABLE_ID = 'TRAPSPEC';
const CREATOR_ID = 'TRSP';

/** Where each table lives (offsets from ACPI_BASE; the RSDP first, on a 16-byte boundary). */
const Layout = { rsdp: 0x00, rsdt: 0x40, xsdt: 0x80, madt: 0xc0, end: 0x140 } as const;

/** A physical range the tables occupy, for the e820 map (type ACPI reclaimable). */
export interface FirmwareRange {
  addr: number;
  size: number;
}

/** The ranges installAcpiTables writes (a loader marks them reserved / ACPI in the e820 map). */
export function acpiTableRanges(): readonly FirmwareRange[] {
  return [{ addr: ACPI_BASE, size: Layout.end }];
}

class TableWriter {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  ascii(s: string, width: number): void {
    for (let i = 0; i < width; i++) this.bytes[this.at + i] = i < s.length ? s.charCodeAt(i) : 0x20;
    this.at += width;
  }

  u8(v: number): void {
    this.view.setUint8(this.at, v);
    this.at += 1;
  }

  u16(v: number): void {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }

  u32(v: number): void {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
  }

  u64(v: number): void {
    this.u32(v % 2 ** 32);
    this.u32(Math.floor(v / 2 ** 32));
  }

  /** The standard 36-byte system description header (§5.2.6); length and checksum patched. */
  header(signature: string, revision: number): void {
    this.ascii(signature, 4);
    this.u32(0); // length
    this.u8(revision);
    this.u8(0); // checksum
    this.ascii(OEM_ID, 6);
    this.ascii(OEM_TABLE_ID, 8);
    this.u32(1); // OEM revision
    this.ascii(CREATOR_ID, 4);
    this.u32(1); // creator revision
  }

  /** Patch the header's length and checksum once the table's bytes are written. */
  finish(): Uint8Array {
    this.view.setUint32(4, this.at, true);
    const table = this.bytes.subarray(0, this.at);
    table[9] = checksumByte(table);
    return table;
  }
}

/** The byte that makes `bytes` sum to 0 mod 256 (given its checksum field is 0 now). */
export function checksumByte(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return (256 - (sum & 0xff)) & 0xff;
}

function rsdp(): Uint8Array {
  const w = new TableWriter(36);
  w.ascii('RSD PTR ', 8);
  w.u8(0); // checksum of the first 20 bytes
  w.ascii(OEM_ID, 6);
  w.u8(2); // revision: ACPI 2.0+ (XSDT present)
  w.u32(ACPI_BASE + Layout.rsdt);
  w.u32(36); // length
  w.u64(ACPI_BASE + Layout.xsdt);
  w.u8(0); // extended checksum
  w.u8(0);
  w.u8(0);
  w.u8(0);
  const b = w.bytes;
  b[8] = checksumByte(b.subarray(0, 20));
  b[32] = checksumByte(b);
  return b;
}

function rsdt(): Uint8Array {
  const w = new TableWriter(64);
  w.header('RSDT', 1);
  w.u32(ACPI_BASE + Layout.madt);
  return w.finish();
}

function xsdt(): Uint8Array {
  const w = new TableWriter(64);
  w.header('XSDT', 1);
  w.u64(ACPI_BASE + Layout.madt);
  return w.finish();
}

/** MADT interrupt-controller structure types (§5.2.12, table 5.21). */
const enum MadtType {
  LocalApic = 0,
  IoApic = 1,
  InterruptSourceOverride = 2,
  LocalApicNmi = 4,
}

function madt(): Uint8Array {
  const w = new TableWriter(128);
  w.header('APIC', 3);
  w.u32(LOCAL_APIC_ADDRESS);
  w.u32(1); // flags: PCAT_COMPAT (a dual 8259 is installed)
  // Processor local APIC: UID 0, APIC ID 0, enabled.
  w.u8(MadtType.LocalApic);
  w.u8(8);
  w.u8(0);
  w.u8(0);
  w.u32(1);
  // IO-APIC: ID 0, address, GSI base 0.
  w.u8(MadtType.IoApic);
  w.u8(12);
  w.u8(0);
  w.u8(0);
  w.u32(IO_APIC_ADDRESS);
  w.u32(0);
  // ISA IRQ 0 → GSI 2, bus-conforming polarity and trigger (edge, active high for ISA).
  w.u8(MadtType.InterruptSourceOverride);
  w.u8(10);
  w.u8(0); // bus: ISA
  w.u8(0); // source IRQ
  w.u32(2); // GSI
  w.u16(0); // MPS INTI flags: conforms
  // LINT1 is NMI on all processors (UID 0xFF), as QEMU's table says.
  w.u8(MadtType.LocalApicNmi);
  w.u8(6);
  w.u8(0xff);
  w.u16(0);
  w.u8(1);
  return w.finish();
}

/** All tables as one image to copy at ACPI_BASE. */
export function buildAcpiTables(): Uint8Array {
  const image = new Uint8Array(Layout.end);
  image.set(rsdp(), Layout.rsdp);
  image.set(rsdt(), Layout.rsdt);
  image.set(xsdt(), Layout.xsdt);
  const m = madt();
  if (Layout.madt + m.length > Layout.end) throw new Error('ACPI layout: MADT overflows its slot');
  image.set(m, Layout.madt);
  return image;
}

/** Write the tables into guest RAM (when the RAM reaches the BIOS area). */
export function installAcpiTables(ram: Uint8Array): boolean {
  if (ram.length < ACPI_BASE + Layout.end) return false;
  ram.set(buildAcpiTables(), ACPI_BASE);
  return true;
}
