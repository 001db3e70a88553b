/**
 * Events at instruction boundaries, as VMX has them (SDM Vol. 3C §26.6 "Event injection",
 * §25.2 / §26.7.5 "interrupt-window and NMI-window exiting", Vol. 3A §6.9 priorities):
 *
 * - The monitor injects an event (Vcpu.injectEvent: an external interrupt, an NMI or a hardware
 *   exception); it is delivered before the next instruction, through the IVT/IDT as the hardware
 *   delivers it: an external interrupt or NMI sets EXT in any error code a fault during its
 *   delivery pushes, pushes no error code itself, skips the gate-DPL check, and is benign in the
 *   double-fault table (a fault during its delivery is handled serially). An NMI blocks NMIs until
 *   the next IRET completes.
 * - The monitor asks for an interrupt window (Vcpu.setInterruptWindowExiting) when its virtual
 *   interrupt controller has an interrupt for the guest: the CPU exits 'interrupt-window' at the
 *   first boundary where the guest can take one (RFLAGS.IF = 1, no STI/MOV SS shadow), and the
 *   monitor then acknowledges its controller and injects. Likewise 'nmi-window' for NMIs (not
 *   blocked by an NMI in progress, no shadow). Exits, events and windows are the only way an
 *   interrupt reaches the guest: the CPU itself has no interrupt pins (the platform's interrupt
 *   controllers are the monitor's virtual devices, as with a VMM's in-kernel LAPIC).
 * - Vcpu.enterHalt puts the CPU in the HLT activity state: no instruction runs until an event is
 *   injected or a window opens (an interrupt-window exit happens from HLT too); until then the
 *   run loop returns the stop 'idle', and the machine advances the clock (machine/clock.ts).
 *
 * Priority at a boundary (SDM §6.9): an injected event or a fault the previous instruction left
 * (cpu.pending) first, then the NMI window, then the interrupt window, then the next
 * instruction's fetch. Single-step and data-breakpoint traps are not modelled.
 *
 * Cost: nothing on the hot path. Inner loops and compiled blocks already leave when cpu.pending
 * is set; a window request or a change that may open one sets cpu.pending to EVENT_CHECK (a
 * sentinel, never delivered) so they leave at the next boundary, and the run loop looks at the
 * windows. A window closed by IF = 0 re-arms on IF rising (CpuState.setFlags, STI); one closed
 * by a shadow re-checks after one instruction; one closed by NMI blocking on IRET.
 */
import type { Cpu } from './cpu.ts';
import { Flag } from './state.ts';

/** VMX interruption types (VM-entry interruption-information field bits 10:8). */
export const enum EventType {
  External = 0,
  Nmi = 2,
  Exception = 3,
}

/** An event delivered before the next instruction (Vcpu.injectEvent, or a re-queued one). */
export interface PendingEvent {
  vector: number;
  errorCode: number | undefined;
  type: EventType;
}

/** cpu.pending's "look at the windows" sentinel: makes every loop leave at the next boundary. */
export const EVENT_CHECK: PendingEvent = Object.freeze({ vector: -1, errorCode: undefined, type: EventType.Exception });

/** Cpu.windowExits bits. */
export const WINDOW_INTR = 1;
export const WINDOW_NMI = 2;

const INTR_WINDOW_EXIT = Object.freeze({ reason: 'interrupt-window' as const });
const NMI_WINDOW_EXIT = Object.freeze({ reason: 'nmi-window' as const });

/**
 * At a boundary with no event pending and some window requested: exit for the first window that
 * is open (true), or arrange to look again when one may open (false).
 */
export function openWindow(cpu: Cpu): boolean {
  const w = cpu.windowExits;
  const shadow = cpu.interruptShadow;
  if ((w & WINDOW_NMI) !== 0 && !cpu.nmiBlocked && !shadow) {
    cpu.exit(NMI_WINDOW_EXIT);
    return true;
  }
  if ((w & WINDOW_INTR) !== 0) {
    if ((cpu.flags & Flag.IF) !== 0 && !shadow) {
      cpu.exit(INTR_WINDOW_EXIT);
      return true;
    }
    if ((cpu.flags & Flag.IF) === 0) cpu.waitingForIf = true;
  }
  // A shadow ends after the next instruction: look again then (the loops run one and leave).
  if (shadow) cpu.pending = EVENT_CHECK;
  return false;
}
