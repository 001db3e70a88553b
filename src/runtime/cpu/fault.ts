/**
 * An architectural exception raised while executing a guest instruction (#GP, #PF, #UD, ...).
 * Thrown by the decoder, executor and MMU; caught once per instruction by the CPU loop, which
 * either delivers it through the guest's IVT/IDT or, if the monitor intercepts the vector
 * (exception bitmap), turns it into an ExceptionExit. Never escapes the CPU loop.
 */
export class GuestFault {
  constructor(
    readonly vector: number,
    /** Pushed error code, for vectors that have one (8, 10-14, 17, 21). */
    readonly errorCode: number | undefined = undefined,
    /** #PF: faulting linear address (loaded into CR2 when delivered). */
    readonly address = 0,
  ) {}
}

export const Vec = {
  DE: 0,
  DB: 1,
  NMI: 2,
  BP: 3,
  OF: 4,
  BR: 5,
  UD: 6,
  NM: 7,
  DF: 8,
  TS: 10,
  NP: 11,
  SS: 12,
  GP: 13,
  PF: 14,
  MF: 16,
  AC: 17,
  MC: 18,
  XM: 19,
} as const;
