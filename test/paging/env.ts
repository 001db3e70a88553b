import { PagingMode } from '../../src/runtime/mmu/paging-config.ts';
import type { GuestControl, PagingStrategy } from '../../src/runtime/vmm/paging.ts';
import { GuestRegs } from '../../src/runtime/vmm/guest-regs.ts';
import { createPagingStrategy, type PagingStrategyName } from '../../src/runtime/vmm/paging/index.ts';
import { modeRegs, TableBuilder, TestBus } from '../mmu/helpers.ts';
import { FakeVcpu } from './fake-vcpu.ts';
import { Access } from '../../src/runtime/mmu/types.ts';

export const GROOT = 0x10000;
export const GTABLES = 0x20000;

export interface Env {
  bus: TestBus;
  vcpu: FakeVcpu;
  strategy: PagingStrategy;
  guest: GuestControl;
  tables: TableBuilder;
  /** Run one access through hardware + monitor. */
  go(linear: number, access?: Access, user?: boolean): ReturnType<FakeVcpu['access']>;
}

/** A guest in `mode` with tables at GROOT, under the named strategy, attached. */
export function env(
  name: PagingStrategyName,
  mode: PagingMode,
  extra: { cr0?: number; cr4?: number; efer?: number; bus?: TestBus } = {},
): Env {
  const bus = extra.bus ?? new TestBus();
  const vcpu = new FakeVcpu(bus);
  const strategy = createPagingStrategy(name, { memory: bus });
  const m = modeRegs(mode);
  const guest: GuestControl = new GuestRegs({
    cr0: BigInt((extra.cr0 ?? m.cr0) >>> 0) | 0x10n,
    cr3: BigInt(GROOT),
    cr4: BigInt(m.cr4 | (extra.cr4 ?? 0)),
    efer: BigInt(m.efer | (extra.efer ?? 0)),
  });
  const tables = new TableBuilder(bus, mode, GROOT, GTABLES);
  // The hardware's non-paging bits as the handlers would leave them.
  vcpu.setControl({ cr0: guest.cr0 & 0x1n ? 0x11n : 0x10n });
  if (mode === PagingMode.Pae) tables.preparePdpt();
  if (mode === PagingMode.Pae) strategy.loadPdptes(vcpu, guest, guest.cr3);
  strategy.attach(vcpu, guest);
  const e: Env = {
    bus,
    vcpu,
    strategy,
    guest,
    tables,
    go: (linear, access = Access.Read, user = false) => vcpu.access(strategy, guest, linear, access, user),
  };
  return e;
}
