/**
 * VM exits: what the hardware (src/runtime/cpu) tells the monitor (src/runtime/vmm) when the
 * guest does something the monitor intercepts. Modelled on VMX exit information (SDM Vol. 3C
 * Table 28-3 "Exit Qualification for Control-Register Accesses") so that handlers never
 * re-decode guest memory.
 *
 * On every exit the guest's RIP still points at the exiting instruction; a handler that
 * completes the instruction advances RIP by insnLength (effect `advanceRip`), a handler that
 * raises an exception in the guest does not.
 */

/** Access type of a control-register exit (VMX exit qualification bits 5:4, plus SMSW). */
export type CrAccessType = 'mov-to-cr' | 'mov-from-cr' | 'clts' | 'lmsw' | 'smsw';

/** Where a value goes or comes from: a general register (0 = RAX … 15 = R15) or memory. */
export type Operand =
  | { kind: 'reg'; gpr: number; size: 2 | 4 | 8 }
  | { kind: 'mem'; linear: number; size: 2 };

export interface CrAccessExit {
  reason: 'cr-access';
  /** Control register number (0, 3, 4, 8; CR2 is never intercepted). */
  cr: number;
  access: CrAccessType;
  /** MOV to/from CR: the general register. SMSW: its destination. LMSW: unused. */
  operand: Operand;
  /** LMSW: the 16-bit source value (already read from register or memory by the hardware). */
  lmswSource: number;
  insnLength: number;
}

export interface MsrExit {
  reason: 'rdmsr' | 'wrmsr';
  /** ECX at the time of the exit. */
  msr: number;
  insnLength: number;
}

export interface XsetbvExit {
  reason: 'xsetbv';
  insnLength: number;
}

export interface CpuidExit {
  reason: 'cpuid';
  insnLength: number;
}

export interface HltExit {
  reason: 'hlt';
  insnLength: number;
}

export interface IoExit {
  reason: 'io';
  port: number;
  size: 1 | 2 | 4;
  direction: 'in' | 'out';
  insnLength: number;
}

export interface InvlpgExit {
  reason: 'invlpg';
  /** Linear address operand. */
  linear: number;
  insnLength: number;
}

/**
 * An exception the hardware raised that the monitor asked to see (exception bitmap), e.g. #PF
 * under shadow paging. `cr2`-style address for #PF is in `faultAddress`.
 */
export interface ExceptionExit {
  reason: 'exception';
  vector: number;
  errorCode: number | undefined;
  /** #PF: the faulting linear address (becomes the guest's CR2 if the monitor injects). */
  faultAddress: number;
}

/** Nested paging: the guest-physical address had no valid nested-table mapping. */
export interface NestedPageFaultExit {
  reason: 'npf';
  guestPhysical: number;
  errorCode: number;
}

/**
 * Interrupt-window exiting (VMX primary processor-based control bit 2): the monitor asked for it
 * (Vcpu.setInterruptWindowExiting) and the guest can take a maskable interrupt now — RFLAGS.IF
 * = 1, no STI or MOV SS shadow — at this instruction boundary (also from the HLT state). RIP is
 * the next instruction to run; nothing completes.
 */
export interface InterruptWindowExit {
  reason: 'interrupt-window';
}

/** NMI-window exiting (VMX control bit 22): the guest can take an NMI now (not blocked by a
 * previous NMI until its IRET, no MOV SS shadow). */
export interface NmiWindowExit {
  reason: 'nmi-window';
}

/**
 * A hardware task switch (JMP/CALL to a TSS or task gate, INT n/exception/interrupt through a
 * task gate, IRET with NT) has committed and loads the new task's CR3 (SDM Vol. 3A §7.3 step 13)
 * and sets CR0.TS (step 12). SVM and VMX take a task-switch exit and leave the switch to the
 * VMM; this CPU performs the switch itself and exits only for the two control-register changes,
 * which belong to the monitor: the CR3 write goes through the CR3 rules (under shadow paging it
 * switches shadow roots) and TS is set in the guest's CR0. A 32-bit TSS gives `cr3`; a 16-bit
 * TSS has no CR3 field (`cr3` null: only TS is set). RIP is already the new task's: the handler
 * does not advance it; a fault it injects is delivered in the new task, before its first
 * instruction.
 */
export interface TaskSwitchExit {
  reason: 'task-switch';
  /** The new TSS's CR3 field (uint32), or null for a 16-bit TSS. */
  cr3: number | null;
}

export type VmExit =
  | CrAccessExit
  | MsrExit
  | XsetbvExit
  | CpuidExit
  | HltExit
  | IoExit
  | InvlpgExit
  | ExceptionExit
  | NestedPageFaultExit
  | InterruptWindowExit
  | NmiWindowExit
  | TaskSwitchExit;
