import { PortIoBus } from '../io-bus.ts';
import type { OutputSink } from '../output.ts';
import { DebugConsole } from './debug-console.ts';
import { DebugExit } from './debug-exit.ts';
import { Serial16550 } from './serial.ts';

export const COM1_BASE = 0x3f8;
export const DEBUGCON_PORT = 0xe9;
export const DEBUG_EXIT_PORT = 0xf4;

export interface StandardDevices {
  io: PortIoBus;
  com1: Serial16550;
  debugcon: DebugConsole;
  debugExit: DebugExit;
}

/** The guest contract's devices (COM1, debug console, debug exit) on one I/O bus. */
export function createStandardDevices(output: OutputSink): StandardDevices {
  const io = new PortIoBus();
  const com1 = new Serial16550(COM1_BASE, output);
  const debugcon = new DebugConsole(DEBUGCON_PORT, output);
  const debugExit = new DebugExit(DEBUG_EXIT_PORT);
  io.attach(com1);
  io.attach(debugcon);
  io.attach(debugExit);
  return { io, com1, debugcon, debugExit };
}
