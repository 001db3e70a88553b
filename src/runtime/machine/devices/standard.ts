import { MachineClock, type Clock } from '../clock.ts';
import type { OutputSink } from '../output.ts';
import { Platform } from '../platform.ts';

export { COM1_BASE } from './uart16550.ts';
export { DEBUGCON_PORT, DEBUG_EXIT_PORT } from '../platform.ts';

/** The devices of a machine: the platform (platform.ts). */
export type StandardDevices = Platform;

/**
 * The platform's devices for a caller that has no machine around them (the bare-monitor tests,
 * the system-test harness): `clock` defaults to one that never advances, so no timer fires and
 * COM1 behaves as the guest contract's output-only port.
 */
export function createStandardDevices(output: OutputSink, clock: Clock = new MachineClock(() => 0), ramBytes = 128 * 1024 * 1024): StandardDevices {
  return new Platform({ clock, output, ramBytes });
}
