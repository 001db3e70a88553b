import type { PhysicalBus } from '../machine/bus.ts';
import { createPagingStrategy, type MonitorMemory, type PagingStrategyName } from './paging/index.ts';
import { TrapMonitor, type TrapMonitorOptions } from './trap-monitor.ts';

/**
 * The full monitor for a machine: the trap monitor (generated handlers) over the paging
 * strategy named by `--paging`. What src/runtime/machine/monitor-factory.ts needs:
 *   defaultMonitorFactory = (ctx) => createTrapMonitor({ io: ctx.io, memory: ctx.memory, paging: ctx.paging })
 */
export function createTrapMonitor(options: {
  io: TrapMonitorOptions['io'];
  memory: PhysicalBus & MonitorMemory;
  paging: PagingStrategyName;
}): TrapMonitor {
  return new TrapMonitor({ io: options.io, paging: createPagingStrategy(options.paging, { memory: options.memory }) });
}
