import type { PhysicalBus } from '../../machine/bus.ts';

/**
 * The monitor page pool the paging strategies build their tables in (implemented by
 * src/runtime/machine/memory.ts PhysicalMemory). Pages are 4 KiB, zeroed on allocation, at
 * host-physical addresses ≥ MONITOR_BASE that no guest table entry can name.
 */
export interface MonitorMemory {
  allocMonitorPage(): number;
  freeMonitorPage(pa: number): void;
}

/** What a strategy is built from: the bus that also owns the monitor pool. */
export interface PagingDeps {
  memory: PhysicalBus & MonitorMemory;
}
