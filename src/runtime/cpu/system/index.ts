/**
 * System-instruction handlers (owned by the CPU system engineer): fill these maps with handlers
 * keyed by iced-x86 Code (exact form) or Mnemonic (all forms). System entries take precedence
 * over core entries of the same key kind (see ../handlers.ts).
 *
 * `deliverException` is how the run loop delivers a GuestFault (or an injected event) through
 * the IVT/IDT; replace the placeholder with the real implementation (interrupts.ts).
 */
import type { HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import type { GuestFault } from '../fault.ts';

export const systemHandlers: HandlerTable = { byCode: new Map(), byMnemonic: new Map() };

/** Placeholder until interrupts.ts lands: any exception stops the run as a triple fault. */
export function deliverException(cpu: Cpu, fault: GuestFault): void {
  cpu.requestStop({ kind: 'triple-fault', detail: `exception ${fault.vector} (no delivery implemented yet)` });
}

/**
 * Placeholder until interrupts.ts lands: INT n / INT3 / INTO / INT1 delivery. The core handler
 * calls it with cpu.ip at the INT instruction and cpu.nextIp at the return address; it must set
 * cpu.nextIp to the handler entry (and CS etc.), or throw a GuestFault (#GP for a gate DPL check).
 */
export function deliverSoftwareInterrupt(cpu: Cpu, vector: number, kind: 'int' | 'int3' | 'into' | 'int1'): void {
  void kind;
  cpu.requestStop({ kind: 'triple-fault', detail: `software interrupt ${vector} (no delivery implemented yet)` });
}
