import type { FlushScope } from '../../../src/runtime/mmu/types.ts';
import type { ExitOutcome } from '../../../src/runtime/vmm/monitor.ts';
import type { GuestControl, PagingStrategy } from '../../../src/runtime/vmm/paging.ts';
import type { Vcpu } from '../../../src/runtime/vmm/vcpu.ts';
import { GuestRegs } from '../../../src/runtime/vmm/guest-regs.ts';
import type { ExceptionExit, NestedPageFaultExit } from '../../../src/runtime/vmm/exit.ts';

/** Effects as the vectors spell them (docs/vectors-schema.md). */
export type RecordedEffect =
  | { effect: 'paging_mode_changed' }
  | { effect: 'cr3_loaded' | 'flush_tlb'; scope: { kind: string; pcid?: number; linear?: string } }
  | { effect: 'load_pdptes'; cr3: string };

function scopeJson(s: FlushScope): { kind: string; pcid?: number; linear?: string } {
  if (s.kind === 'pcid') return { kind: s.kind, pcid: s.pcid };
  if (s.kind === 'page') return { kind: s.kind, linear: `0x${BigInt.asUintN(64, BigInt(s.linear)).toString(16)}` };
  return { kind: s.kind };
}

/** A paging strategy that only records what the monitor asked of it. */
export class RecordingStrategy implements PagingStrategy {
  readonly name = 'direct' as const;
  readonly log: RecordedEffect[] = [];
  /** Guest state seen at each pagingModeChanged (the handler must update it first). */
  readonly seenAtModeChange: GuestControl[] = [];
  attached = 0;

  constructor(public pdptesValid = true) {}

  attach(vcpu: Vcpu, guest: GuestControl): void {
    void vcpu;
    void guest;
    this.attached++;
  }

  pagingModeChanged(vcpu: Vcpu, guest: GuestControl, flush: FlushScope | null): void {
    void vcpu;
    this.seenAtModeChange.push(new GuestRegs({ cr0: guest.cr0, cr3: guest.cr3, cr4: guest.cr4, efer: guest.efer }));
    // The set {flush_tlb, paging_mode_changed} in the rules' order (flushModePair pairs a flush
    // only with a later mode change).
    if (flush !== null) this.log.push({ effect: 'flush_tlb', scope: scopeJson(flush) });
    this.log.push({ effect: 'paging_mode_changed' });
  }

  cr3Loaded(vcpu: Vcpu, guest: GuestControl, flush: FlushScope): void {
    void vcpu;
    void guest;
    this.log.push({ effect: 'cr3_loaded', scope: scopeJson(flush) });
  }

  flush(vcpu: Vcpu, guest: GuestControl, scope: FlushScope): void {
    void vcpu;
    void guest;
    this.log.push({ effect: 'flush_tlb', scope: scopeJson(scope) });
  }

  loadPdptes(vcpu: Vcpu, guest: GuestControl, cr3: bigint): boolean {
    void vcpu;
    void guest;
    this.log.push({ effect: 'load_pdptes', cr3: `0x${cr3.toString(16)}` });
    return this.pdptesValid;
  }

  handlePageFault(exit: ExceptionExit, vcpu: Vcpu, guest: GuestControl): ExitOutcome {
    void guest;
    vcpu.injectException(exit.vector, exit.errorCode);
    return { kind: 'resume' };
  }

  handleNestedFault(exit: NestedPageFaultExit, vcpu: Vcpu, guest: GuestControl): ExitOutcome {
    void vcpu;
    void guest;
    return { kind: 'stop', reason: { kind: 'monitor-error', detail: `npf 0x${exit.guestPhysical.toString(16)}` } };
  }

  stats(): Record<string, number> {
    return { recorded: this.log.length };
  }
}
