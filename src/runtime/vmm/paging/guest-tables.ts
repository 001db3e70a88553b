/**
 * What direct and nested paging share: the hardware runs with the guest's own CR3 and paging
 * bits and walks the guest's tables itself (nested paging adds nCR3 below it), so guest #PF and
 * INVLPG are not intercepted, and every paging event just reprograms the hardware and flushes.
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
import { CR4_NOT_OWNED, CR4_OWNED, FlushCounters, guestPaging, interceptPageFaults, linearToU64, PF_VECTOR, programHardware } from './hardware-bits.ts';
import { readPdptes } from './pdptes.ts';

const RESUME: ExitOutcome = { kind: 'resume' };
const FLUSH_ALL: FlushScope = { kind: 'all' };

export abstract class GuestTablesPaging {
  private readonly pdptes = new Uint32Array(8);
  protected readonly flushes = new FlushCounters();

  /** The hardware nCR3 under the guest's tables: null for direct paging. */
  protected abstract nestedRoot(): bigint | null;

  // The guest registers the hardware's paging bits were last programmed from (-1n: none).
  private progCr0 = -1n;
  private progCr3 = -1n;
  private progCr4 = -1n;
  private progEfer = -1n;

  private program(vcpu: Vcpu, guest: GuestControl, scope: FlushScope): void {
    const { cr0, cr3, cr4, efer } = guest;
    // Only the strategy programs the paging bits (the handlers keep them), so when the guest's
    // registers are those last programmed the hardware has them already (a same-value CR3 load);
    // when only CR4 changed (a PGE toggle) only CR4 is reprogrammed.
    if (cr3 !== this.progCr3 || cr0 !== this.progCr0 || efer !== this.progEfer || vcpu.control.cr3 !== cr3) {
      programHardware(vcpu, guestPaging(guest, this.nestedRoot()));
    } else if (cr4 !== this.progCr4) {
      vcpu.setControlReg('cr4', BigInt.asUintN(64, (vcpu.control.cr4 & CR4_NOT_OWNED) | (cr4 & CR4_OWNED)));
    }
    this.progCr0 = cr0;
    this.progCr3 = cr3;
    this.progCr4 = cr4;
    this.progEfer = efer;
    vcpu.flushGuestTlb(scope);
  }

  attach(vcpu: Vcpu, guest: GuestControl): void {
    interceptPageFaults(vcpu, false);
    vcpu.intercepts.invlpg = false;
    programHardware(vcpu, guestPaging(guest, this.nestedRoot()));
    this.progCr3 = -1n;
    vcpu.flushTlb(FLUSH_ALL);
  }

  pagingModeChanged(vcpu: Vcpu, guest: GuestControl): void {
    this.flushes.count(FLUSH_ALL, 'mode');
    this.program(vcpu, guest, FLUSH_ALL);
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
