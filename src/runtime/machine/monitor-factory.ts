import { BareMonitor } from '../vmm/bare-monitor.ts';
import type { Monitor } from '../vmm/monitor.ts';
import type { MonitorContext } from './machine.ts';

export type PagingModeName = 'shadow' | 'nested' | 'direct';

export const PAGING_MODES: readonly PagingModeName[] = ['shadow', 'nested', 'direct'];

/**
 * The monitor `trapspec run` uses. Until the generated handlers and paging strategies land, every
 * paging mode runs on the bare pass-through monitor (guest control registers = hardware ones);
 * swapping in the real monitor is this one function.
 */
export function defaultMonitorFactory(context: MonitorContext): Monitor {
  return new BareMonitor({ io: context.io });
}
