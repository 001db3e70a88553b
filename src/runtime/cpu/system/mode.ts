/**
 * Operating-mode derivation (cr-rules.md §8, R80-R83) from the *hardware* CR0.PE, EFLAGS.VM,
 * EFER.LMA and the CS descriptor cache (L, D).
 */
import type { CpuMode } from '../../vmm/vcpu.ts';
import { Flag, Seg, type CpuState } from '../state.ts';

export function deriveMode(state: CpuState): CpuMode {
  if (!state.protectedMode) return 'real';
  const cs = state.seg[Seg.CS]!;
  if (state.longMode) {
    if (cs.l) return 'long64'; // R80: LMA, not LME, decides
    return cs.db ? 'compat32' : 'compat16';
  }
  if ((state.flags & Flag.VM) !== 0) return 'v86';
  return cs.db ? 'protected32' : 'protected16';
}
