/**
 * Direct paging (reference mode): the guest's paging registers go straight to the hardware, which
 * walks the guest's tables with no monitor tables in between. Guest #PF is not intercepted.
 * Everything but nested faults and stats is shared with nested paging (guest-tables.ts).
 */
import type { NestedPageFaultExit } from '../exit.ts';
import type { ExitOutcome } from '../monitor.ts';
import type { PagingStrategy } from '../paging.ts';
import { GuestTablesPaging } from './guest-tables.ts';

export class DirectPaging extends GuestTablesPaging implements PagingStrategy {
  readonly name = 'direct' as const;

  protected nestedRoot(): null {
    return null;
  }

  handleNestedFault(exit: NestedPageFaultExit): ExitOutcome {
    return { kind: 'stop', reason: { kind: 'monitor-error', detail: `nested page fault at 0x${exit.guestPhysical.toString(16)} without nested paging` } };
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    this.flushes.into(out);
    return out;
  }
}
