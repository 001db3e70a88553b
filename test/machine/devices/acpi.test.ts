import { describe, expect, it } from 'vitest';
import { ACPI_BASE, acpiTableRanges, buildAcpiTables, installAcpiTables } from '../../../src/runtime/machine/firmware/acpi.ts';
import { ioApicPinFor, IrqRouter } from '../../../src/runtime/machine/irq-router.ts';
import { Machine } from '../../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';

const sum = (b: Uint8Array) => b.reduce((n, x) => (n + x) & 0xff, 0);
const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** Find the RSDP the way Linux's acpi_find_root_pointer does: 16-byte steps in 0xE0000–0xFFFFF. */
function scanRsdp(ram: Uint8Array): number {
  for (let a = 0xe0000; a < 0x100000; a += 16) if (ascii(ram, a, 8) === 'RSD PTR ' && sum(ram.subarray(a, a + 20)) === 0) return a;
  return -1;
}

function table(ram: Uint8Array, at: number): Uint8Array {
  const len = new DataView(ram.buffer, ram.byteOffset).getUint32(at + 4, true);
  return ram.subarray(at, at + len);
}

describe('ACPI tables', () => {
  const ram = new Uint8Array(2 * 1024 * 1024);
  installAcpiTables(ram);
  const v = new DataView(ram.buffer);

  it('an RSDP the BIOS-area scan finds, both checksums right, revision 2 with an XSDT', () => {
    const rsdp = scanRsdp(ram);
    expect(rsdp).toBe(ACPI_BASE);
    expect(sum(ram.subarray(rsdp, rsdp + 36))).toBe(0);
    expect(ram[rsdp + 15]).toBe(2);
    expect(v.getUint32(rsdp + 20, true)).toBe(36);
  });

  it('RSDT and XSDT list the MADT; every table sums to zero', () => {
    const rsdt = table(ram, v.getUint32(ACPI_BASE + 16, true));
    const xsdt = table(ram, Number(v.getBigUint64(ACPI_BASE + 24, true)));
    expect(ascii(rsdt, 0, 4)).toBe('RSDT');
    expect(ascii(xsdt, 0, 4)).toBe('XSDT');
    expect(sum(rsdt)).toBe(0);
    expect(sum(xsdt)).toBe(0);
    const madtAt = new DataView(rsdt.buffer, rsdt.byteOffset).getUint32(36, true);
    expect(Number(new DataView(xsdt.buffer, xsdt.byteOffset).getBigUint64(36, true))).toBe(madtAt);
    expect(rsdt.length).toBe(40);
    const madt = table(ram, madtAt);
    expect(ascii(madt, 0, 4)).toBe('APIC');
    expect(sum(madt)).toBe(0);
  });

  it('the MADT: local APIC at 0xFEE00000 (ID 0, enabled), the IO-APIC at 0xFEC00000 (GSI 0), IRQ0 → GSI 2, LINT1 NMI', () => {
    const madtAt = v.getUint32(ACPI_BASE + 16 + 0, true);
    const rsdt = table(ram, madtAt);
    const madt = table(ram, new DataView(rsdt.buffer, rsdt.byteOffset).getUint32(36, true));
    const m = new DataView(madt.buffer, madt.byteOffset, madt.length);
    expect(m.getUint32(36, true)).toBe(0xfee00000);
    expect(m.getUint32(40, true) & 1).toBe(1); // PCAT_COMPAT
    const entries: number[][] = [];
    for (let at = 44; at < madt.length; at += madt[at + 1]!) entries.push([...madt.subarray(at, at + madt[at + 1]!)]);
    const u32 = (e: number[], o: number) => (e[o]! | (e[o + 1]! << 8) | (e[o + 2]! << 16) | (e[o + 3]! << 24)) >>> 0;
    expect(entries.map((e) => e[0])).toEqual([0, 1, 2, 4]);
    const [lapic, ioapic, iso, nmi] = entries as [number[], number[], number[], number[]];
    expect(lapic).toEqual([0, 8, 0, 0, 1, 0, 0, 0]);
    expect(u32(ioapic, 4)).toBe(0xfec00000);
    expect(u32(ioapic, 8)).toBe(0);
    expect([iso[2], iso[3], u32(iso, 4), iso[8]! | (iso[9]! << 8)]).toEqual([0, 0, 2, 0]);
    expect(nmi).toEqual([4, 6, 0xff, 0, 0, 1]);
  });

  it('the ranges the loaders reserve cover the tables; the machine installs them at load', () => {
    const image = buildAcpiTables();
    expect(acpiTableRanges()).toEqual([{ addr: ACPI_BASE, size: image.length }]);
    const m = new Machine({ memMiB: 2, paging: 'shadow', output: new CapturedOutput() });
    m.load(Uint8Array.of(0xf4), { file: 'hlt.img' });
    expect(scanRsdp(m.memory.ram)).toBe(ACPI_BASE);
    expect(installAcpiTables(new Uint8Array(0x80000))).toBe(false); // RAM below the BIOS area
  });
});

describe('IRQ router', () => {
  it('drives the PIC line and the IO-APIC pin (IRQ 0 on pin 2), only on changes', () => {
    const pic: string[] = [];
    const pins: string[] = [];
    const r = new IrqRouter({ setIrq: (irq, l) => pic.push(`${irq}${l ? '+' : '-'}`) });
    r.setIrq(0, true);
    r.connectIoApic({ setPin: (p, l) => pins.push(`${p}${l ? '+' : '-'}`) });
    expect(pins).toEqual(['2+']); // a line already high is seen when the IO-APIC connects
    r.setIrq(0, true);
    r.setIrq(0, false);
    r.pulse(4);
    expect(pic).toEqual(['0+', '0-', '4+', '4-']);
    expect(pins).toEqual(['2+', '2-', '4+', '4-']);
    expect(ioApicPinFor(8)).toBe(8);
    expect([r.raised[0], r.raised[4]]).toEqual([1, 1]);
  });
});
