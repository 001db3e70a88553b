/**
 * What direct and nested paging share: the hardware runs with the guest's own CR3 and paging
 * bits and walks the guest's tables itself (nested paging adds nCR3 below it), so guest #PF and
 * INVLPG are not intercepted, and every paging event just reprograms the hardware (and flushes
 * what the guest asked to).
 * The two strategies differ only in the nCR3 they give (`nestedRoot`), nested page faults and
 * stats.
 *
 * The guest's own flushes (CR3 loads, CR4/CR0 flushes, paging-mode changes) go to the hardware as
 * guest flushes (Vcpu.flushGuestTlb): the hardware skips them while every cached translation
 * still matches the guest tables (hardware-mmu.ts, "Flush skipping"); attach flushes always.
 */
import type { FlushScope } from '../../mmu/types.ts';
import type { ExceptionExit } from '../exit.ts';
import type { ExitOutcome } from '../monitor.ts';
import type { GuestControl } from '../paging.ts';
import type { Vcpu } from '../vcpu.ts';
import { CR0_OWNED_LO, CR4_NOT_OWNED_HI, CR4_NOT_OWNED_LO, CR4_OWNED_LO, CR4_PGE_LO, EFER_OWNED_LO, FlushCounters, guestPaging, interceptPageFaults, linearToU64, PF_VECTOR, programHardware } from './hardware-bits.ts';
import { readPdptes } from './pdptes.ts';

const RESUME: ExitOutcome = { kind: 'resume' };
const FLUSH_ALL: FlushScope = { kind: 'all' };

export abstract class GuestTablesPaging {
  private readonly pdptes = new Uint32Array(8);
  protected readonly flushes = new FlushCounters();

  /** The hardware nCR3 under the guest's tables: null for direct paging. */
  protected abstract nestedRoot(): bigint | null;

  // The guest's owned bits (CR0_OWNED etc., all in bits 31:0) and CR3 halves the hardware's
  // paging bits were last programmed from.
  private progValid = false;
  private progCr0 = 0;
  private progCr3Lo = 0;
  private progCr3Hi = 0;
  private progCr4 = 0;
  private progEfer = 0;

  /**
   * Program the hardware's paging bits from the guest's; then the guest flush `scope`, if any,
   * unless the hardware's own CR4 write did it already.
   */
  private program(vcpu: Vcpu, guest: GuestControl, scope: FlushScope | null): void {
    // Only the strategy programs the paging bits and, once attached, the hardware CR3 (the
    // handlers keep them), so when the guest's owned bits and CR3 are those last programmed the
    // hardware has them already (a same-value CR3 load; a CR0.TS change); when only CR4 changed
    // (a PGE toggle) only CR4 is reprogrammed. Number compares: no BigInt read on this path
    // (reading the hardware CR3 back to compare cost 13 % of a nested PGE toggle loop, issue 7).
    const cr0 = guest.cr0Lo & CR0_OWNED_LO;
    const cr4 = guest.cr4Lo & CR4_OWNED_LO;
    const efer = guest.eferLo & EFER_OWNED_LO;
    if (!this.progValid || guest.cr3Lo !== this.progCr3Lo || guest.cr3Hi !== this.progCr3Hi || cr0 !== this.progCr0 || efer !== this.progEfer) {
      programHardware(vcpu, guestPaging(guest, this.nestedRoot()));
    } else if (cr4 !== this.progCr4) {
      // The guest's paging bits of CR4, the hardware's others (a PGE toggle: issue 7, on halves).
      vcpu.programControl('cr4', guest.cr4Lo, guest.cr4Hi, CR4_NOT_OWNED_LO, CR4_NOT_OWNED_HI);
      // R57: a MOV to CR4 that toggles PGE flushes every TLB entry, global ones included, so
      // the hardware's write has done any guest flush (its MMU keeps only the entries that
      // still match the guest tables: HardwareMmu.pgeToggled).
      if (((cr4 ^ this.progCr4) & CR4_PGE_LO) !== 0) scope = null;
    }
    this.progValid = true;
    this.progCr0 = cr0;
    this.progCr3Lo = guest.cr3Lo;
    this.progCr3Hi = guest.cr3Hi;
    this.progCr4 = cr4;
    this.progEfer = efer;
    if (scope !== null) vcpu.flushGuestTlb(scope);
  }

  attach(vcpu: Vcpu, guest: GuestControl): void {
    interceptPageFaults(vcpu, false);
    vcpu.intercepts.invlpg = false;
    this.progValid = false; // program the hardware whatever ran before
    this.program(vcpu, guest, null);
    vcpu.flushTlb(FLUSH_ALL);
  }

  /**
   * No flush of its own: the hardware MMU drops what a change of its paging bits invalidates
   * (HardwareMmu.resync), and the flushes the architecture ties to the change (PGE, PAE, PG, WP,
   * ...) are the rule's own `flush_tlb` effect, which comes here as `flush`. A PGE toggle thus
   * costs the hardware's CR4 write and no guest flush (issue 7); `tlbFlush.pagingMode` stays 0
   * for these strategies.
   */
  pagingModeChanged(vcpu: Vcpu, guest: GuestControl, flush: FlushScope | null): void {
    if (flush !== null) this.flushes.count(flush, 'flush');
    this.program(vcpu, guest, flush);
  }

  cr3Loaded(vcpu: Vcpu, guest: GuestControl, flush: FlushScope): void {
    this.flushes.count(flush, 'cr3');
    this.program(vcpu, guest, flush);
  }

  flush(vcpu: Vcpu, _guest: GuestControl, scope: FlushScope): void {
    this.flushes.count(scope, 'flush');
    vcpu.flushGuestTlb(scope);
  }

  loadPdptes(vcpu: Vcpu, _guest: GuestControl, cr3: bigint): boolean {
    return readPdptes(vcpu.bus, cr3, this.pdptes);
  }

  handlePageFault(exit: ExceptionExit, vcpu: Vcpu): ExitOutcome {
    // Not intercepted here; if one arrives, it is the guest's: reflect it.
    vcpu.cr2 = linearToU64(exit.faultAddress);
    vcpu.injectException(PF_VECTOR, exit.errorCode ?? 0);
    return RESUME;
  }
}
