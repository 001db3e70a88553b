import { setFlagsFromString } from 'node:v8';

/**
 * The V8 settings trapspec runs guests with (issue 7). A control-register exit is a chain of
 * small functions: compiled block → the monitor's exit closure → generated handler → RuleEffects
 * → paging strategy → Vcpu → hardware MMU. V8 inlines callees into an optimized function only up
 * to a cumulative budget (920 bytes of bytecode by default), which this chain exceeds halfway:
 * the rest are real calls, and which ones varies with the order functions get hot. With a larger
 * budget the whole chain below a generated handler is inlined into it (README, "Performance":
 * crmix +25-35 %, the other bench phases unchanged within the noise).
 *
 * Set TRAPSPEC_V8_DEFAULTS=1 to run with V8's own defaults instead (to compare).
 */
export const V8_FLAGS: readonly string[] = ['--max-inlined-bytecode-size-cumulative=3000'];

let applied = false;

/**
 * Apply V8_FLAGS to this process; call it at startup, before guest code runs (V8 reads them
 * when it optimizes a function). Returns the flags in effect (none with TRAPSPEC_V8_DEFAULTS=1).
 */
export function applyV8Flags(): readonly string[] {
  if (process.env.TRAPSPEC_V8_DEFAULTS === '1') return [];
  if (!applied) {
    applied = true;
    for (const flag of V8_FLAGS) setFlagsFromString(flag);
  }
  return V8_FLAGS;
}
