import { BareMonitor } from '../vmm/bare-monitor.ts';
import type { Monitor } from '../vmm/monitor.ts';
import { createPagingStrategy } from '../vmm/paging/index.ts';
import { TrapMonitor } from '../vmm/trap-monitor.ts';
import { CrOwnershipMonitor, type OwnableMonitor } from '../vmm/cr-ownership.ts';
import { CR_POLICIES } from '../../generated/handlers/cr-policies.ts';
import type { VirtualInterruptController } from '../vmm/interrupt-injection.ts';
import type { PortIoBus } from './io-bus.ts';
import type { PhysicalMemory } from './memory.ts';

export type PagingModeName = 'shadow' | 'nested' | 'direct';

/** What a monitor is built from. */
export interface MonitorContext {
  memory: PhysicalMemory;
  io: PortIoBus;
  paging: PagingModeName;
  /** The platform's interrupt controller (the local APIC) the monitor injects from. */
  interrupts?: VirtualInterruptController;
  /** CR-ownership policy (spec/rules/ownership.rules); default 'trap-all': every CR access exits. */
  crPolicy?: string;
}

export type MonitorFactory = (context: MonitorContext) => Monitor;

export const PAGING_MODES: readonly PagingModeName[] = ['shadow', 'nested', 'direct'];

/** The CR-ownership policies `--cr-policy` accepts: 'trap-all' and those of spec/rules/ownership.rules. */
export const CR_POLICY_NAMES: readonly string[] = Object.keys(CR_POLICIES);

/**
 * The real monitor: exits go to the handlers generated from spec/rules, paging is virtualized by
 * the strategy named by --paging (shadow, nested or direct), and CR0/CR4 bits are owned as
 * --cr-policy says (trap-all: every access exits).
 */
export function trapMonitorFactory(context: MonitorContext, around?: (trap: TrapMonitor) => OwnableMonitor): Monitor {
  const trap = new TrapMonitor({
    io: context.io,
    paging: createPagingStrategy(context.paging, { memory: context.memory }),
    interrupts: context.interrupts,
  });
  // `around`: a monitor in front of the trap monitor itself (--trace-exits' ExitTracer).
  const monitor = around === undefined ? trap : around(trap);
  const policy = CR_POLICIES[context.crPolicy ?? 'trap-all'];
  if (policy === undefined) throw new RangeError(`unknown CR policy '${context.crPolicy}' (expected one of ${CR_POLICY_NAMES.join(', ')})`);
  return policy.cr0 === null && policy.cr4 === null ? monitor : new CrOwnershipMonitor(monitor, policy);
}

/**
 * The plain pass-through monitor (guest control registers = hardware ones, checks of its own):
 * a reference to compare the real monitor with, and the fallback while it is being built.
 */
export function bareMonitorFactory(context: MonitorContext): Monitor {
  return new BareMonitor({ io: context.io, interrupts: context.interrupts });
}

/** The monitor `trapspec run` uses. Swapping monitors is this one line. */
export const defaultMonitorFactory = trapMonitorFactory;
