/** The SSE floating-point core: lane operations with MXCSR semantics (see docs/simd-fp.md). */
export * from './packed.ts';
export { comi, COMI_SHIFT } from './compare.ts';
export { floatToInt, intToFloat } from './convert.ts';
export { laneOut } from './operand.ts';
export { F32, F64 } from './round.ts';
export { FLAGS, MXCSR_DEFAULT, reported, unmasked } from './mxcsr.ts';
