/**
 * Exception classes and the double-fault decision (SDM Vol. 3A §6.15, Table 6-4 "Interrupt and
 * Exception Classes" and Table 6-5 "Conditions for Generating a Double Fault").
 */
import { Vec } from '../fault.ts';

export const enum ExcClass {
  Benign = 0,
  Contributory = 1,
  PageFault = 2,
  DoubleFault = 3,
}

export function exceptionClass(vector: number): ExcClass {
  switch (vector) {
    case Vec.DE:
    case Vec.TS:
    case Vec.NP:
    case Vec.SS:
    case Vec.GP:
    case 21: // #CP
      return ExcClass.Contributory;
    case Vec.PF:
    case 20: // #VE
      return ExcClass.PageFault;
    case Vec.DF:
      return ExcClass.DoubleFault;
    default:
      return ExcClass.Benign;
  }
}

/** What happens when `second` is raised while the processor delivers `first`. */
export const enum Nesting {
  /** Deliver the second exception; the first is lost (it is re-raised when its instruction restarts). */
  Serial = 0,
  /** Deliver #DF(0) instead. */
  Double = 1,
  /** Shutdown: the run stops with a triple-fault report. */
  Triple = 2,
}

export function nesting(first: number, second: number): Nesting {
  const a = exceptionClass(first);
  const b = exceptionClass(second);
  // Any contributory or page fault while delivering #DF shuts the processor down.
  if (a === ExcClass.DoubleFault) return b === ExcClass.Benign ? Nesting.Serial : Nesting.Triple;
  if (a === ExcClass.Contributory && b === ExcClass.Contributory) return Nesting.Double;
  if (a === ExcClass.PageFault && (b === ExcClass.Contributory || b === ExcClass.PageFault)) return Nesting.Double;
  return Nesting.Serial;
}

/** Vectors that push an error code when delivered as exceptions (never for INT n). */
export function hasErrorCode(vector: number): boolean {
  return vector === Vec.DF || (vector >= Vec.TS && vector <= Vec.PF) || vector === Vec.AC || vector === 21;
}
