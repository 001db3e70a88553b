/**
 * Helpers for block-compiler tests: the core harness machine with the compiler off or eager, a
 * 32-bit paged variant over the hardware MMU, and a snapshot of everything a block may change.
 */
import { HardwareMmu } from '../../../src/runtime/mmu/hardware-mmu.ts';
import { machine, type Bits, type Machine } from '../core/harness.ts';

export type JitMode = 'off' | 'eager';

export function jitMachine(bits: Bits, mode: JitMode, memMiB = 1): Machine {
  const m = machine(bits, memMiB);
  m.cpu.decoded.jit.enabled = mode !== 'off';
  m.cpu.decoded.jit.threshold = 1;
  return m;
}

/**
 * 32-bit paging over the hardware MMU: identity for the first 1 MiB, except linear page 0x3000
 * not present and page 0x5000 read-only (CR0.WP = 1, so supervisor writes fault too).
 */
export function pagedMachine(mode: JitMode): Machine {
  const m = jitMachine(32, mode);
  const pd = 0x10000;
  const pt = 0x11000;
  m.mem.write32(pd, pt | 7);
  for (let i = 0; i < 256; i++) m.mem.write32(pt + 4 * i, (i * 4096) | 7);
  m.mem.write32(pt + 4 * 3, 0);
  m.mem.write32(pt + 4 * 5, 0x5000 | 5);
  m.cpu.mmu = new HardwareMmu(m.mem, m.cpu.pagingRegs);
  m.cpu.setControl({ cr3: BigInt(pd), cr0: 0x80010011n });
  return m;
}

export interface Snapshot {
  regs: string[];
  flags: number;
  ip: number;
  instructions: number;
  exits: string;
  memHash: number;
}

/** Registers, flags, ip, retired count, exits so far and a hash of the first `hashBytes` of RAM. */
export function snapshot(m: Machine, hashBytes = 0x20000): Snapshot {
  const regs: string[] = [];
  for (let r = 0; r < 16; r++) regs.push(m.cpu.readGpr(r).toString(16));
  let h = 0;
  for (let i = 0; i < hashBytes; i += 4) h = (Math.imul(h, 31) + m.mem.read32(i)) | 0;
  return {
    regs,
    flags: m.cpu.getFlags(),
    ip: m.cpu.ip,
    instructions: m.cpu.stats.instructions,
    exits: JSON.stringify(m.monitor.exits),
    memHash: h,
  };
}
