import type { StopReason } from '../../vmm/monitor.ts';
import type { PortDevice } from './port-device.ts';

export const PCI_CONFIG_ADDRESS = 0xcf8;
/** The PIIX reset control register, a byte port inside the address register's dword. */
const RESET_CONTROL_OFFSET = 1;

/** The host bridge's identity, as QEMU's i440FX ("pc" machine) reports it. */
export const HOST_BRIDGE = {
  vendor: 0x8086, // Intel
  device: 0x1237, // 82441FX PMC (i440FX)
  revision: 0x02,
  classCode: 0x060000, // bridge, host bridge
} as const;

/** Header bytes 0x00–0x3F a guest may change (command, cache line size, latency timer). */
function headerWritable(reg: number): number {
  switch (reg) {
    case 0x04:
      return 0x47; // I/O, memory, bus master, parity error response
    case 0x05:
      return 0x01; // SERR# enable
    case 0x0c:
    case 0x0d:
      return 0xff;
    default:
      return 0;
  }
}

/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0 §3.2.2.3.2): the dword
 * address register at 0xCF8 (bit 31 enable, bus 23:16, device 15:11, function 10:8, register
 * 7:2) and the data window 0xCFC–0xCFF (byte, word or dword at the low address bits). One
 * device exists: the host bridge at 00:00.0 with i440FX IDs (its device-specific bytes
 * 0x40–0xFF, such as the PAM and SMRAM registers, keep what is written and do nothing); every
 * other bus/device/function reads all ones and ignores writes, which is how a guest sees an
 * empty slot. Non-dword accesses to 0xCF8 read all ones and are dropped (QEMU), except the
 * byte at 0xCF9, the PIIX reset control register: a write setting bit 2 resets the machine
 * (Linux's reboot=pci), reported as the end of the run.
 */
export class PciHost implements PortDevice {
  readonly name = 'pci-host';
  readonly base = PCI_CONFIG_ADDRESS;
  readonly count = 8;
  address = 0;
  resetControl = 0;
  /** The host bridge's 256-byte configuration space. */
  readonly config = new Uint8Array(256);
  private stop: StopReason | null = null;

  constructor() {
    this.reset();
  }

  reset(): void {
    const c = this.config;
    c.fill(0);
    const v = new DataView(c.buffer);
    v.setUint16(0x00, HOST_BRIDGE.vendor, true);
    v.setUint16(0x02, HOST_BRIDGE.device, true);
    v.setUint16(0x06, 0x0280, true); // status: fast back-to-back capable, medium DEVSEL timing
    c[0x08] = HOST_BRIDGE.revision;
    c[0x09] = HOST_BRIDGE.classCode & 0xff;
    c[0x0a] = (HOST_BRIDGE.classCode >> 8) & 0xff;
    c[0x0b] = HOST_BRIDGE.classCode >> 16;
    c[0x0e] = 0x00; // header type 0, single function
    this.address = 0;
    this.resetControl = 0;
  }

  takeStop(): StopReason | null {
    const s = this.stop;
    this.stop = null;
    return s;
  }

  in(offset: number, size: 1 | 2 | 4): number {
    if (offset < 4) {
      if (offset === 0 && size === 4) return this.address >>> 0;
      if (offset === RESET_CONTROL_OFFSET && size === 1) return this.resetControl;
      return 0xffff_ffff;
    }
    const reg = this.selected(offset - 4);
    if (reg < 0) return 0xffff_ffff;
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.config[(reg + i) & 0xff]! << (8 * i);
    return v >>> 0;
  }

  out(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset < 4) {
      if (offset === 0 && size === 4) this.address = (value & 0x80ff_fffc) >>> 0;
      else if (offset === RESET_CONTROL_OFFSET && size === 1) this.writeResetControl(value & 0xff);
      return;
    }
    const reg = this.selected(offset - 4);
    if (reg < 0) return;
    for (let i = 0; i < size; i++) {
      const r = (reg + i) & 0xff;
      const mask = r < 0x40 ? headerWritable(r) : 0xff;
      this.config[r] = (this.config[r]! & ~mask) | ((value >>> (8 * i)) & mask);
    }
  }

  /** The register the data port at `lane` addresses, or -1 (disabled or no such device). */
  private selected(lane: number): number {
    const a = this.address;
    if ((a & 0x8000_0000) === 0) return -1;
    if ((a & 0x00ff_ff00) !== 0) return -1; // only bus 0, device 0, function 0 exists
    return (a & 0xfc) + lane;
  }

  private writeResetControl(v: number): void {
    // Bit 2 going to 1 starts the reset (bit 1 selects hard or soft; both end the run here).
    if ((v & 0x04) !== 0 && (this.resetControl & 0x04) === 0) this.stop = { kind: 'reset', source: 'PCI reset control 0xCF9' };
    this.resetControl = v & 0x02;
  }
}
