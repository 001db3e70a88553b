import type { PortDevice } from './port-device.ts';

export const FW_CFG_BASE = 0x510;

/** fw_cfg keys (QEMU docs/specs/fw_cfg.rst, include/standard-headers/linux/qemu_fw_cfg.h). */
export const FwCfgKey = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  RAM_SIZE: 0x03,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  MAX_CPUS: 0x0f,
  FILE_DIR: 0x19,
  /** x86: the IRQ0 → GSI2 override is in effect (QEMU's FW_CFG_IRQ0_OVERRIDE). */
  IRQ0_OVERRIDE: 0x8002,
} as const;

export interface FwCfgOptions {
  ramBytes: number;
  cpus?: number;
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >> 8) & 0xff);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, n % 2 ** 32, true);
  v.setUint32(4, Math.floor(n / 2 ** 32), true);
  return b;
}

/**
 * QEMU's firmware configuration device, traditional I/O interface: a 16-bit write to 0x510
 * selects a key, byte reads from 0x511 return its bytes in order (reading past the end, or a
 * key that does not exist, returns 0, as QEMU does). Items: the "QEMU" signature, ID 1 (no DMA
 * interface), a zero UUID, RAM size (little-endian u64), no graphics, 1 CPU (NB_CPUS and
 * MAX_CPUS), an empty file directory, and the x86 IRQ0 override flag. kvm-unit-tests read
 * NB_CPUS, RAM_SIZE and MAX_RAM (0x11, absent: 0 there means "no limit"). Writes to the data
 * port are ignored (QEMU 2.4+ makes the items read-only); the DMA interface (0x514) is not
 * provided.
 */
export class FwCfg implements PortDevice {
  readonly name = 'fw-cfg';
  readonly base = FW_CFG_BASE;
  readonly count = 2;
  private readonly items = new Map<number, Uint8Array>();
  selector = 0;
  offset = 0;

  constructor(options: FwCfgOptions) {
    const cpus = options.cpus ?? 1;
    this.items.set(FwCfgKey.SIGNATURE, new TextEncoder().encode('QEMU'));
    this.items.set(FwCfgKey.ID, u32(1));
    this.items.set(FwCfgKey.UUID, new Uint8Array(16));
    this.items.set(FwCfgKey.RAM_SIZE, u64(options.ramBytes));
    this.items.set(FwCfgKey.NOGRAPHIC, u16(1));
    this.items.set(FwCfgKey.NB_CPUS, u16(cpus));
    this.items.set(FwCfgKey.MAX_CPUS, u16(cpus));
    this.items.set(FwCfgKey.FILE_DIR, new Uint8Array(4)); // count 0 (big-endian)
    this.items.set(FwCfgKey.IRQ0_OVERRIDE, u32(1));
  }

  in(offset: number): number {
    if (offset === 0) return 0; // the selector is write-only (QEMU reads it as 0)
    const item = this.items.get(this.selector);
    if (item === undefined || this.offset >= item.length) return 0;
    return item[this.offset++]!;
  }

  out(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset !== 0) return;
    this.selector = size === 1 ? value & 0xff : value & 0xffff;
    this.offset = 0;
  }
}
