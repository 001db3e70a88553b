import { describe, expect, it } from 'vitest';
import { FwCfg } from '../../../src/runtime/machine/devices/fw-cfg.ts';
import { PciHost } from '../../../src/runtime/machine/devices/pci-host.ts';
import { PortIoBus } from '../../../src/runtime/machine/io-bus.ts';

const cfg = (bus: number, dev: number, fn: number, reg: number) => (0x8000_0000 | (bus << 16) | (dev << 11) | (fn << 8) | reg) >>> 0;

function setup() {
  const io = new PortIoBus();
  io.attach(new PciHost());
  io.attach(new FwCfg({ ramBytes: 128 * 1024 * 1024 }));
  return io;
}

describe('PCI configuration mechanism #1', () => {
  it('finds one i440FX host bridge at 00:00.0 and all ones elsewhere', () => {
    const io = setup();
    io.out(0xcf8, 4, cfg(0, 0, 0, 0));
    expect(io.in(0xcf8, 4)).toBe(cfg(0, 0, 0, 0));
    expect(io.in(0xcfc, 4)).toBe(0x1237_8086);
    expect(io.in(0xcfc, 2)).toBe(0x8086);
    expect(io.in(0xcfe, 2)).toBe(0x1237);
    io.out(0xcf8, 4, cfg(0, 0, 0, 8));
    expect(io.in(0xcfc, 4)).toBe(0x0600_0002); // class 06/00/00, revision 2
    expect(io.in(0xcff, 1)).toBe(0x06);
    io.out(0xcf8, 4, cfg(0, 0, 0, 0x0c));
    expect(io.in(0xcfe, 1)).toBe(0x00); // header type 0, single function
    for (const [b, d, f] of [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 31, 7]] as const) {
      io.out(0xcf8, 4, cfg(b, d, f, 0));
      expect(io.in(0xcfc, 4)).toBe(0xffff_ffff);
      io.out(0xcfc, 4, 0);
    }
    io.out(0xcf8, 4, 0); // enable bit clear
    expect(io.in(0xcfc, 4)).toBe(0xffff_ffff);
  });

  it('command bits and device-specific registers take writes; IDs are read-only', () => {
    const io = setup();
    io.out(0xcf8, 4, cfg(0, 0, 0, 0));
    io.out(0xcfc, 4, 0);
    expect(io.in(0xcfc, 4)).toBe(0x1237_8086);
    io.out(0xcf8, 4, cfg(0, 0, 0, 4));
    io.out(0xcfc, 2, 0xffff);
    expect(io.in(0xcfc, 2)).toBe(0x0147);
    io.out(0xcf8, 4, cfg(0, 0, 0, 0x58));
    io.out(0xcfd, 1, 0x30); // PAM0 at 0x59
    expect(io.in(0xcfc, 4)).toBe(0x0000_3000);
  });

  it('non-dword accesses to 0xCF8 are ignored; a reset through 0xCF9 ends the run', () => {
    const io = setup();
    io.out(0xcf8, 4, cfg(0, 0, 0, 0));
    io.out(0xcf8, 2, 0x1234);
    expect(io.in(0xcf8, 4)).toBe(cfg(0, 0, 0, 0));
    expect(io.in(0xcf8, 1)).toBe(0xff);
    io.out(0xcf9, 1, 0x02);
    expect(io.takeStop()).toBeNull();
    io.out(0xcf9, 1, 0x06);
    expect(io.takeStop()).toEqual({ kind: 'reset', source: 'PCI reset control 0xCF9' });
  });
});

describe('fw_cfg', () => {
  /** kvm-unit-tests' fw_cfg_get_u64: select with outw, then byte reads. */
  function read(io: PortIoBus, key: number, bytes: number): number[] {
    io.out(0x510, 2, key);
    return Array.from({ length: bytes }, () => io.in(0x511, 1));
  }

  it('reads the signature, ID, CPU count and RAM size as kvm-unit-tests do', () => {
    const io = setup();
    expect(String.fromCharCode(...read(io, 0x00, 4))).toBe('QEMU');
    expect(read(io, 0x01, 4)).toEqual([1, 0, 0, 0]);
    expect(read(io, 0x05, 2)).toEqual([1, 0]);
    expect(read(io, 0x0f, 2)).toEqual([1, 0]);
    expect(read(io, 0x03, 8)).toEqual([0, 0, 0, 8, 0, 0, 0, 0]);
    expect(read(io, 0x11, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]); // MAX_RAM absent: no limit
    expect(read(io, 0x19, 4)).toEqual([0, 0, 0, 0]); // empty file directory
    // Past the end of an item: zeros; reselecting starts over.
    expect(read(io, 0x00, 6)).toEqual([0x51, 0x45, 0x4d, 0x55, 0, 0]);
  });
});
