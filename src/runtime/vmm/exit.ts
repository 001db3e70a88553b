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
  | NmiWindowExit;
