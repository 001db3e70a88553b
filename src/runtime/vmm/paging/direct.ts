/**
 * Direct paging (reference mode): the guest's paging registers go straight to the hardware, which
 * walks the guest's tables with no monitor tables in between. Guest #PF is not intercepted.
 */
import type { FlushScope } from '../../mmu/types.ts';
import type { ExceptionExit, NestedPageFaultExit } from '../exit.ts';
import type { ExitOutcome } from '../monitor.ts';
import type { GuestControl, PagingStrategy } from '../paging.ts';
import type { Vcpu } from '../vcpu.ts';
import { FlushCounters, guestPaging, interceptPageFaults, linearToU64, PF_VECTOR, programHardware } from './hardware-bits.ts';
import { readPdptes } from './pdptes.ts';

const RESUME: ExitOutcome = { kind: 'resume' };

export class DirectPaging implements PagingStrategy {
  readonly name = 'direct' as const;
  private readonly pdptes = new Uint32Array(8);
  private readonly flushes = new FlushCounters();

  attach(vcpu: Vcpu, guest: GuestControl): void {
    interceptPageFaults(vcpu, false);
    vcpu.intercepts.invlpg = false;
    programHardware(vcpu, guestPaging(guest, null));
    vcpu.flushTlb({ kind: 'all' });
  }

  pagingModeChanged(vcpu: Vcpu, guest: GuestControl): void {
    this.flushes.count({ kind: 'all' }, 'mode');
    programHardware(vcpu, guestPaging(guest, null));
    vcpu.flushTlb({ kind: 'all' });
  }

  cr3Loaded(vcpu: Vcpu, guest: GuestControl, flush: FlushScope): void {
    this.flushes.count(flush, 'cr3');
    programHardware(vcpu, guestPaging(guest, null));
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
    vcpu.cr2 = linearToU64(exit.faultAddress);
    vcpu.injectException(PF_VECTOR, exit.errorCode ?? 0);
    return RESUME;
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
