import { HardwareMmu } from '../../src/runtime/mmu/hardware-mmu.ts';
import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import { Access, type PagingRegs } from '../../src/runtime/mmu/types.ts';
import { GuestFault } from '../../src/runtime/cpu/fault.ts';
import { modeRegs, TableBuilder, TestBus } from './helpers.ts';

export const ROOT = 0x10000;
export const TABLES = 0x20000;

export interface Rig {
  bus: TestBus;
  tables: TableBuilder;
  regs: PagingRegs;
  mmu: HardwareMmu;
}

/** Guest tables in RAM, hardware registers pointing at them (direct-style hardware walk). */
export function rig(mode: PagingMode, extra: { cr0?: number; cr4?: number; efer?: number } = {}): Rig {
  const bus = new TestBus();
  const tables = new TableBuilder(bus, mode, ROOT, TABLES);
  const m = modeRegs(mode);
  const regs: PagingRegs = {
    cr0: extra.cr0 ?? m.cr0,
    cr3: BigInt(ROOT),
    cr4: m.cr4 | (extra.cr4 ?? 0),
    efer: m.efer | (extra.efer ?? 0),
    ncr3: null,
  };
  const mmu = new HardwareMmu(bus, regs);
  return { bus, tables, regs, mmu };
}

/** Translate, returning the address or the #PF error code as { fault }. */
export function tr(
  mmu: HardwareMmu,
  linear: number,
  access: Access = Access.Read,
  user = false,
  ac = false,
): number | { fault: number; addr: number } {
  try {
    return mmu.translate(linear, access, user, ac);
  } catch (e) {
    if (e instanceof GuestFault && e.vector === 14) return { fault: e.errorCode ?? -1, addr: e.address };
    throw e;
  }
}

export function fault(code: number): { fault: number } {
  return { fault: code };
}

export const MODES: Array<[string, PagingMode]> = [
  ['32-bit', PagingMode.Legacy32],
  ['PAE', PagingMode.Pae],
  ['4-level', PagingMode.Level4],
];
