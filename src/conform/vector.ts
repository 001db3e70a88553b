/**
 * The conformance engineer's view of one vector: what a guest must set up, execute and observe.
 * `load-vectors.ts` adapts the rules engineer's JSON (docs/vectors-schema.md) to this shape, so
 * the guest builder does not depend on that file's details.
 */

export type GuestMode = 'real' | 'protected' | 'compat' | 'long64';

export type InstrKind = 'mov-to-cr' | 'mov-from-cr' | 'lmsw' | 'clts' | 'smsw' | 'rdmsr' | 'wrmsr' | 'xsetbv';

/** Registers the guest reads back after every vector (XCR0 only when CR4.OSXSAVE=1, CR8 in 64-bit mode). */
export type ObservedReg = 'cr0' | 'cr3' | 'cr4' | 'efer' | 'xcr0' | 'cr8';
export const OBSERVED_REGS: readonly ObservedReg[] = ['cr0', 'cr3', 'cr4', 'efer', 'xcr0', 'cr8'];

export interface ExpectedException {
  vector: number;
  /** undefined for exceptions without an error code (#UD). */
  errorCode: number | undefined;
}

export interface ConformVector {
  id: string;
  /** Rule numbers (R.., P..) and guard ids the vector exercises; `--filter` matches these. */
  cites: string[];
  mode: GuestMode;
  cpl: 0 | 3;
  initial: { cr0: bigint; cr3: bigint; cr4: bigint; efer: bigint; xcr0: bigint; cr8: bigint };
  instr: {
    kind: InstrKind;
    /** Control register number for mov-to-cr / mov-from-cr. */
    cr: number;
    /** Value written (mov-to-cr, lmsw, wrmsr EDX:EAX, xsetbv EDX:EAX). */
    operand: bigint;
    /** ECX for rdmsr/wrmsr/xsetbv. */
    index: number;
    /** Operand size in bytes (2 for lmsw, 4 or 8 for registers). */
    size: number;
  };
  /** The PAE PDPTEs at the (new) CR3 are valid (present entries have no reserved bits). */
  pdptesValid: boolean;
  expected: {
    exception: ExpectedException | undefined;
    /** Guest-visible register values after the instruction (only those the vector decides). */
    regs: Partial<Record<ObservedReg, bigint>>;
    /** Value the instruction returns (mov-from-cr, smsw, rdmsr EDX:EAX). */
    result: bigint | undefined;
  };
}

export function mnemonic(e: ExpectedException): string {
  const name = EXC_NAMES[e.vector] ?? `#${e.vector}`;
  return e.errorCode === undefined ? name : `${name}(${e.errorCode.toString(16)})`;
}

const EXC_NAMES: Record<number, string> = {
  0: '#DE',
  1: '#DB',
  3: '#BP',
  4: '#OF',
  5: '#BR',
  6: '#UD',
  7: '#NM',
  8: '#DF',
  10: '#TS',
  11: '#NP',
  12: '#SS',
  13: '#GP',
  14: '#PF',
  16: '#MF',
  17: '#AC',
  18: '#MC',
  19: '#XM',
  21: '#CP',
};

/** Exceptions that push an error code (SDM Vol. 3A Table 6-1). */
export const HAS_ERROR_CODE: ReadonlySet<number> = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
