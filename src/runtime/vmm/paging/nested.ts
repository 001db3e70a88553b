/**
 * Nested paging (cr-rules.md §10 "Nested paging in one paragraph", AMD APM Vol. 2 §15.25): the
 * hardware runs with the guest's own CR3 and paging bits and walks the guest's tables, translating
 * each guest-physical address through the monitor's nested tables (hardware nCR3). Guest #PF is
 * delivered by the hardware (not intercepted); CR3 loads only reach the hardware. Nested page
 * faults fill the nested tables lazily (nested-tables.ts).
 */
import type { FlushScope } from '../../mmu/types.ts';
import { PfErr } from '../../mmu/types.ts';
import type { ExceptionExit, NestedPageFaultExit } from '../exit.ts';
import type { ExitOutcome } from '../monitor.ts';
import type { GuestControl, PagingStrategy } from '../paging.ts';
import type { Vcpu } from '../vcpu.ts';
import { FlushCounters, guestPaging, interceptPageFaults, linearToU64, PF_VECTOR, programHardware } from './hardware-bits.ts';
import type { PagingDeps } from './monitor-memory.ts';
import { NestedTables } from './nested-tables.ts';
import { readPdptes } from './pdptes.ts';

const RESUME: ExitOutcome = { kind: 'resume' };

export class NestedPaging implements PagingStrategy {
  readonly name = 'nested' as const;
  private readonly tables: NestedTables;
  private readonly pdptes = new Uint32Array(8);
  private readonly flushes = new FlushCounters();
  private npf = 0;

  constructor(deps: PagingDeps) {
    this.tables = new NestedTables(deps.memory);
  }

  private program(vcpu: Vcpu, guest: GuestControl): void {
    programHardware(vcpu, guestPaging(guest, BigInt(this.tables.root)));
  }

  attach(vcpu: Vcpu, guest: GuestControl): void {
    interceptPageFaults(vcpu, false);
    vcpu.intercepts.invlpg = false;
    this.program(vcpu, guest);
    vcpu.flushTlb({ kind: 'all' });
  }

  pagingModeChanged(vcpu: Vcpu, guest: GuestControl): void {
    this.flushes.count({ kind: 'all' }, 'mode');
    this.program(vcpu, guest);
    vcpu.flushTlb({ kind: 'all' });
  }

  cr3Loaded(vcpu: Vcpu, guest: GuestControl, flush: FlushScope): void {
    this.flushes.count(flush, 'cr3');
    this.program(vcpu, guest);
    vcpu.flushTlb(flush);
  }

  flush(vcpu: Vcpu, _guest: GuestControl, scope: FlushScope): void {
    this.flushes.count(scope, 'flush');
    vcpu.flushTlb(scope);
  }

  loadPdptes(vcpu: Vcpu, _guest: GuestControl, cr3: bigint): boolean {
    return readPdptes(vcpu.bus, cr3, this.pdptes);
  }

  handlePageFault(exit: ExceptionExit, vcpu: Vcpu): ExitOutcome {
    // Not intercepted under nested paging; if one arrives, it is the guest's: reflect it.
    vcpu.cr2 = linearToU64(exit.faultAddress);
    vcpu.injectException(PF_VECTOR, exit.errorCode ?? 0);
    return RESUME;
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
