/**
 * How a monitor gets interrupts into the guest, the way a VMM with an in-kernel interrupt
 * controller does (KVM's inject_pending_event / VMX interrupt-window exiting):
 *
 * - The platform's interrupt controllers are the monitor's virtual devices; the local APIC
 *   (with the 8259 pair behind LINT0 and NMIs from LINT1/ICR) presents them as one
 *   VirtualInterruptController. Whenever its output may have changed it calls update().
 * - update() asks the CPU for an interrupt window (NMI window) while an interrupt (NMI) waits.
 * - At the 'interrupt-window' exit the guest can take it: acknowledge the controller (the INTA
 *   cycle: IRR → ISR, or the PIC's vector) and inject it as an external interrupt; 'nmi-window'
 *   likewise injects an NMI.
 * - HLT: the guest sleeps in the HLT activity state (Vcpu.enterHalt) until a window opens; with
 *   IF = 0 only an NMI could wake it, and the run ends as 'halted' when none can come.
 *
 * Counters for --stats: interrupts injected by vector, NMIs, HLT sleeps.
 */
import type { ExitOutcome, StopReason } from './monitor.ts';
import type { Vcpu } from './vcpu.ts';

/** The interrupt controller as the monitor sees it (machine/devices/lapic.ts implements it). */
export interface VirtualInterruptController {
  /** A maskable interrupt waits for the CPU (the INTR line as the CPU core sees it). */
  hasInterrupt(): boolean;
  /** The INTA cycle: the vector to deliver, with the controller's bookkeeping done. */
  acknowledge(): number;
  /** An NMI waits (edge-triggered: consumed by takeNmi). */
  hasNmi(): boolean;
  takeNmi(): void;
  /** IA32_APIC_BASE.EN: CPUID.01H:EDX[9] reads 0 while it is clear. */
  readonly globallyEnabled: boolean;
  /** The task-priority register (TPR, 8 bits): CR8 is its class (spec/rules/cr8.rules). */
  readonly tpr: number;
  setTpr(value: number): void;
}

const RESUME: ExitOutcome = { kind: 'resume' };
const IF = 1 << 9;

export class InterruptInjector {
  private readonly controller: VirtualInterruptController;
  private vcpu: Vcpu | null = null;
  /** External interrupts injected, by vector. */
  readonly byVector = new Float64Array(256);
  nmis = 0;
  /** HLTs that put the CPU to sleep (rather than ending the run or waking at once). */
  hltSleeps = 0;

  constructor(controller: VirtualInterruptController) {
    this.controller = controller;
  }

  attach(vcpu: Vcpu): void {
    this.vcpu = vcpu;
    this.update();
  }

  /** The controller's output may have changed: request the windows that deliver what waits. */
  update(): void {
    const vcpu = this.vcpu;
    if (vcpu === null) return;
    const c = this.controller;
    vcpu.setNmiWindowExiting(c.hasNmi());
    vcpu.setInterruptWindowExiting(c.hasInterrupt());
  }

  /** 'interrupt-window' exit: the guest can take an interrupt now. */
  interruptWindow(vcpu: Vcpu): ExitOutcome {
    const c = this.controller;
    if (c.hasInterrupt()) {
      const vector = c.acknowledge();
      this.byVector[vector & 0xff]++;
      vcpu.injectEvent('external', vector);
    }
    vcpu.setInterruptWindowExiting(c.hasInterrupt());
    return RESUME;
  }

  /** 'nmi-window' exit: the guest can take an NMI now. */
  nmiWindow(vcpu: Vcpu): ExitOutcome {
    const c = this.controller;
    if (c.hasNmi()) {
      c.takeNmi();
      this.nmis++;
      vcpu.injectEvent('nmi', 2);
    }
    vcpu.setNmiWindowExiting(c.hasNmi());
    return RESUME;
  }

  /**
   * HLT (RIP already past it): with an interrupt deliverable now, go on (the window exit comes
   * at once); else sleep in the HLT state. IF = 0 with no NMI waiting: nothing maskable can wake
   * it, and this platform has no NMI source that fires by itself — the run ends as 'halted'.
   */
  hlt(vcpu: Vcpu): ExitOutcome {
    const c = this.controller;
    if (c.hasNmi()) return RESUME;
    if ((vcpu.rflags & IF) === 0) return { kind: 'stop', reason: HALTED_IF_CLEAR };
    if (c.hasInterrupt()) return RESUME;
    this.hltSleeps++;
    vcpu.enterHalt();
    return RESUME;
  }
}

const HALTED_IF_CLEAR: StopReason = { kind: 'halted', why: 'IF = 0, no NMI pending' };
