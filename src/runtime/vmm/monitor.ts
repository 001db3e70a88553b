import type { CrAccessExit, VmExit } from './exit.ts';
import type { Vcpu } from './vcpu.ts';

/** Why a run stops (guest contract, "Ending a run"). */
export type StopReason =
  | { kind: 'debug-exit'; status: number }
  | { kind: 'halted'; why?: string }
  /** The CPU sleeps in the HLT state with nothing to deliver: the machine advances time (events.ts). */
  | { kind: 'idle' }
  | { kind: 'triple-fault'; detail: string }
  | { kind: 'max-insns' }
  | { kind: 'monitor-error'; detail: string }
  /** The guest reset the machine (i8042 0xFE, port 0x92, 0xCF9): stops, as QEMU -no-reboot. */
  | { kind: 'reset'; source: string }
  /** The user quit from the console (Ctrl-A X). */
  | { kind: 'console-quit' }

  /** A debugger stopped the CPU (breakpoint, single-step, watchpoint: cpu.debug.stop says which). */
  | { kind: 'debug' };

/** What the hardware does after the monitor handled an exit. */
export type ExitOutcome = { kind: 'resume' } | { kind: 'stop'; reason: StopReason };

/**
 * The monitor: owns everything between the guest and the hardware. The CPU calls handleExit for
 * every intercepted event; the monitor updates guest-visible state (its own), programs the
 * hardware through the Vcpu, and resumes or stops the run.
 */
export interface Monitor {
  /** Called once after reset, before the first instruction: set hardware state and intercepts. */
  attach(vcpu: Vcpu): void;
  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome;
  /**
   * Optional: the same as handleExit for a cr-access exit, called by the CPU for MOV to/from CR,
   * CLTS, LMSW and SMSW. A separate entry so that the property loads on the exit object see one
   * hidden class: through handleExit every kind of exit object passes the same sites, which
   * makes them megamorphic in V8 (issue 7: a few such loads per exit were a third of crmix).
   */
  handleCrAccess?(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome;
  /**
   * Optional: handleCrAccess for one exit object, as a function made once (the CPU asks when it
   * makes the exit object of an instruction and calls it for each later exit of that instruction;
   * exit objects never change). Undefined: use handleCrAccess. A compiled block calls it from its
   * own call site, where V8 can inline the one rule handler it reaches (issue 7).
   */
  crExitHandler?(exit: CrAccessExit): CrExitHandler | undefined;
  /**
   * Optional: the monitor's virtual interrupt controllers' output may have changed (a device
   * raised or lowered a line, a mask or an EOI changed what is deliverable): request the event
   * windows that deliver it (vmm/interrupt-injection.ts). Called by the machine, outside exits.
   */
  interruptsChanged?(): void;
  /** Optional: counters of interrupt delivery for --stats (interrupt-injection.ts). */
  readonly interrupts?: InterruptInjectorLike;
}

/** What the machine reads of a monitor's InterruptInjector. */
export interface InterruptInjectorLike {
  readonly byVector: Float64Array;
  readonly nmis: number;
  readonly hltSleeps: number;
}

/** A monitor's handler for one CR-access exit (Monitor.crExitHandler). */
export type CrExitHandler = (vcpu: Vcpu) => ExitOutcome;
