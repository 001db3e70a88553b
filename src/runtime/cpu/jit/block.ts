/**
 * A compiled block: straight-line decoded instructions of one code page, up to and including the
 * first branch, turned into one JavaScript function (compile.ts). The function is position
 * independent (every address is relative to the RIP it is entered with), so one function serves
 * every block with the same bytes and it can be shared through the source cache.
 */
import type { Cpu } from '../cpu.ts';
import type { DecodedInsn } from '../decoded.ts';

/**
 * Runs the block at cpu.ip with at most `max` instructions retired; returns how many retired
 * (0: declined, nothing changed). On an exception (GuestFault, NestedPageFault) the state is the
 * one before the faulting instruction and Jit.started holds the instructions started.
 */
export type BlockFn = (cpu: Cpu, max: number, blk: JitBlock) => number;

export class JitBlock {
  /** Cleared when a write hits the block's bytes (self-modifying code). */
  valid = true;

  constructor(
    readonly fn: BlockFn,
    /** The decoded instruction the block hangs on (its first). */
    readonly head: DecodedInsn,
    /** Physical byte range [startPa, endPa) of the block's instructions. */
    readonly startPa: number,
    readonly endPa: number,
    /** Number of instructions (a loop block retires this many per iteration). */
    readonly count: number,
    readonly loops: boolean,
    /** Its decoded instructions (exit sites call their handlers, compile.ts). */
    readonly insns: readonly DecodedInsn[],
  ) {}
}
