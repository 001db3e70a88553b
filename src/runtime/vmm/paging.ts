import type { FlushScope } from '../mmu/types.ts';
import type { ExitOutcome } from './monitor.ts';
import type { ExceptionExit, NestedPageFaultExit } from './exit.ts';
import type { Vcpu } from './vcpu.ts';

/**
 * The control registers as the guest believes them (the monitor's copy). The generated exit
 * handlers own these values; paging strategies only read them.
 */
export interface GuestControl {
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
  /** Bits 31:0 and 63:32 of each register as numbers, always in step (guest-regs.ts). */
  readonly cr0Lo: number;
  readonly cr0Hi: number;
  readonly cr3Lo: number;
  readonly cr3Hi: number;
  readonly cr4Lo: number;
  readonly cr4Hi: number;
  readonly eferLo: number;
  readonly eferHi: number;
}

/**
 * How the monitor virtualizes memory. One of:
 * - shadow: hardware runs on monitor-built shadow tables (passthrough identity tables while the
 *   guest's paging is off); guest #PF exits; guest CR3 writes exit.
 * - nested: hardware walks the guest's tables through the monitor's nested tables.
 * - direct: the guest's control registers go to the hardware unchanged (reference mode).
 *
 * The generated handlers decide guest-visible state and the hardware's non-paging bits; the
 * strategy owns everything about paging on the hardware side (hardware CR3, CR0.PG/WP, CR4
 * paging bits, EFER.LME/LMA, TLB and shadow state).
 */
export interface PagingStrategy {
  readonly name: 'shadow' | 'nested' | 'direct';
  /** Initial programming of the hardware (intercepts, paging registers) from the guest state. */
  attach(vcpu: Vcpu, guest: GuestControl): void;
  /**
   * The guest's paging configuration changed (CR0.PG/WP/PE, CR4.PAE/PSE/PGE/LA57/PCIDE/SMEP/SMAP,
   * EFER.LME/LMA/NXE): re-pick passthrough/shadow tables and reprogram hardware paging bits;
   * then the guest-visible `flush` the same exit asked for (as `flush` would), if not null.
   */
  pagingModeChanged(vcpu: Vcpu, guest: GuestControl, flush: FlushScope | null): void;
  /** The guest loaded CR3 (after the handler's checks). `flush` says what the guest's TLB loses. */
  cr3Loaded(vcpu: Vcpu, guest: GuestControl, flush: FlushScope): void;
  /**
   * Guest-visible TLB invalidation (INVLPG, a CR0.CD change, ...; a flush that comes with a
   * paging-mode change, such as a CR4.PGE toggle's, arrives with pagingModeChanged instead).
   */
  flush(vcpu: Vcpu, guest: GuestControl, scope: FlushScope): void;
  /**
   * PAE outside long mode: read the 4 PDPTEs at guest CR3[31:5]; false if a present one has
   * reserved bits set (MOV to CR3 / CR0 / CR4 then raise #GP(0)). Caches them on success.
   */
  loadPdptes(vcpu: Vcpu, guest: GuestControl, cr3: bigint): boolean;
  /** A hardware #PF the strategy intercepted (shadow): fill, or inject into the guest. */
  handlePageFault(exit: ExceptionExit, vcpu: Vcpu, guest: GuestControl): ExitOutcome;
  /** Nested-page fault (nested). */
  handleNestedFault(exit: NestedPageFaultExit, vcpu: Vcpu, guest: GuestControl): ExitOutcome;
  /** Counters for --stats. */
  stats(): Record<string, number>;
}
