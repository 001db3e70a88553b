/**
 * Nested paging (cr-rules.md §10 "Nested paging in one paragraph", AMD APM Vol. 2 §15.25): the
 * hardware runs with the guest's own CR3 and paging bits and walks the guest's tables, translating
 * each guest-physical address through the monitor's nested tables (hardware nCR3). Guest #PF is
 * delivered by the hardware (not intercepted); CR3 loads only reach the hardware (both shared with
 * direct paging, guest-tables.ts). Nested page faults fill the nested tables lazily
 * (nested-tables.ts).
 */
import { PfErr } from '../../mmu/types.ts';
import type { NestedPageFaultExit } from '../exit.ts';
import type { ExitOutcome } from '../monitor.ts';
import type { PagingStrategy } from '../paging.ts';
import { GuestTablesPaging } from './guest-tables.ts';
import type { PagingDeps } from './monitor-memory.ts';
import { NestedTables } from './nested-tables.ts';

const RESUME: ExitOutcome = { kind: 'resume' };

export class NestedPaging extends GuestTablesPaging implements PagingStrategy {
  readonly name = 'nested' as const;
  private readonly tables: NestedTables;
  private npf = 0;
  private readonly rootBig: bigint;

  constructor(deps: PagingDeps) {
    super();
    this.tables = new NestedTables(deps.memory);
    this.rootBig = BigInt(this.tables.root);
  }

  protected nestedRoot(): bigint {
    return this.rootBig;
  }

  handleNestedFault(exit: NestedPageFaultExit): ExitOutcome {
    this.npf++;
    if ((exit.errorCode & PfErr.RSVD) !== 0 || !this.tables.fill(exit.guestPhysical)) {
      return {
        kind: 'stop',
        reason: { kind: 'monitor-error', detail: `bad nested page fault at 0x${exit.guestPhysical.toString(16)} (error ${exit.errorCode})` },
      };
    }
    return RESUME;
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = { 'nested.npf': this.npf, 'nested.tablePages': this.tables.pages };
    this.flushes.into(out);
    return out;
  }
}
