/**
 * MXCSR bits (SDM Vol. 1 §10.2.3, Figure 10-3) as the floating-point core uses them.
 * Exception flags are bits 0-5; the matching mask of flag F is F << MASK_SHIFT.
 */
export const IE = 0x01;
export const DE = 0x02;
export const ZE = 0x04;
export const OE = 0x08;
export const UE = 0x10;
export const PE = 0x20;
export const FLAGS = 0x3f;
/** Flags raised before the computation (SDM Vol. 1 §11.5.1): invalid, denormal, divide-by-zero. */
export const PRE = IE | DE | ZE;
/** Flags raised on the result: overflow, underflow, precision. */
export const POST = OE | UE | PE;
export const DAZ = 0x40;
export const MASK_SHIFT = 7;
export const IM = 0x80;
export const DM = 0x100;
export const ZM = 0x200;
export const OM = 0x400;
export const UM = 0x800;
export const PM = 0x1000;
export const RC_SHIFT = 13;
export const RC_MASK = 0x6000;
export const FTZ = 0x8000;
/** Power-on / FNINIT-like default (SDM Vol. 1 §11.6.4): all exceptions masked, round to nearest. */
export const MXCSR_DEFAULT = 0x1f80;

/** Rounding-control values (MXCSR.RC and ROUNDPS imm8[1:0]). */
export const RN = 0;
export const RD = 1;
export const RU = 2;
export const RZ = 3;

/** The exception flags among `flags` whose mask bit is clear in `mxcsr`. */
export function unmasked(flags: number, mxcsr: number): number {
  return flags & ~(mxcsr >>> MASK_SHIFT) & FLAGS;
}

/**
 * The flags an instruction leaves in MXCSR after its lanes raised `flags` in total
 * (SDM Vol. 1 §11.5.1): with an unmasked pre-computation exception the post-computation
 * exceptions are not checked, so only the pre-computation flags are reported.
 */
export function reported(flags: number, mxcsr: number): number {
  return unmasked(flags & PRE, mxcsr) !== 0 ? flags & PRE : flags & FLAGS;
}
