/**
 * Status-flag liveness inside a block (dead-flag elimination). Walking backwards from the block
 * end, where every flag is live (the run loop, a fault or the next block may read them), each
 * instruction needs to compute only the flags it writes that are live after it. An instruction
 * that can fault (memory access) needs every flag exact before it, so all flags are live there;
 * its own slow path (which may end the block right after it) computes all of its flags.
 */
import { ALL } from './flags-emit.ts';

export interface FlagUse {
  /** Flags written (always defined by the instruction). */
  fw: number;
  /** Flags read. */
  fr: number;
  /** May fault or leave the block before it runs. */
  mem: boolean;
}

/** Live flags after each instruction. */
export function liveAfter(insns: readonly FlagUse[]): number[] {
  const out = new Array<number>(insns.length);
  let live = ALL;
  for (let i = insns.length - 1; i >= 0; i--) {
    const u = insns[i]!;
    out[i] = live;
    live = (live & ~u.fw) | u.fr;
    if (u.mem) live = ALL;
  }
  return out;
}
