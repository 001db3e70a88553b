/**
 * System-instruction handlers (owned by the CPU system side), keyed by iced-x86 Code (exact
 * form) or Mnemonic (all forms). System entries take precedence over core entries of the same
 * key kind (see ../handlers.ts).
 *
 * Delivery entry points for the run loop and the core's INT handlers:
 * - deliverException(cpu, fault): a GuestFault raised by an instruction, after the run loop has
 *   checked the exception bitmap;
 * - deliverInjected(cpu, vector, errorCode): an event the monitor queued (Vcpu.injectException);
 *   use it for `cpu.pending` so that a delivery fault the monitor intercepts re-queues the event;
 * - deliverSoftwareInterrupt(cpu, vector, kind): INT n / INT3 / INTO / INT1, called with cpu.ip at
 *   the INT instruction and cpu.nextIp at the return address; sets cpu.ip/nextIp to the handler.
 */
import type { HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { EventKind, softwareInterrupt } from '../interrupts.ts';
import { registerSystemHandlers } from './table.ts';

export { deliverException, deliverInjected } from '../interrupts.ts';

export const systemHandlers: HandlerTable = { byCode: new Map(), byMnemonic: new Map() };
registerSystemHandlers(systemHandlers);

/** INT n / INT3 / INTO / INT1 delivery for the core's handlers. */
export function deliverSoftwareInterrupt(cpu: Cpu, vector: number, kind: 'int' | 'int3' | 'into' | 'int1'): void {
  softwareInterrupt(cpu, vector, kind === 'int' ? EventKind.SoftInt : kind === 'int1' ? EventKind.Exception : EventKind.SoftException);
}
