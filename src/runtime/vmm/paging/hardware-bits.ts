/**
 * The hardware paging bits a strategy owns (vmm/paging.ts, vmm/effects.ts: CR0.PG/WP, CR4 paging
 * bits, EFER.LME/LMA; NXE too, see below) and the one place they are programmed.
 */
import type { FlushScope } from '../../mmu/types.ts';
import type { GuestControl } from '../paging.ts';
import type { Vcpu } from '../vcpu.ts';

export const CR0_PG = 1n << 31n;
export const CR0_WP = 1n << 16n;
export const CR4_PSE = 1n << 4n;
export const CR4_PAE = 1n << 5n;
export const CR4_PGE = 1n << 7n;
export const CR4_LA57 = 1n << 12n;
export const CR4_PCIDE = 1n << 17n;
export const CR4_SMEP = 1n << 20n;
export const CR4_SMAP = 1n << 21n;
export const EFER_LME = 1n << 8n;
export const EFER_LMA = 1n << 10n;
export const EFER_NXE = 1n << 11n;

export const CR0_OWNED = CR0_PG | CR0_WP;
export const CR4_OWNED = CR4_PSE | CR4_PAE | CR4_PGE | CR4_LA57 | CR4_PCIDE | CR4_SMEP | CR4_SMAP;
/** Bits 63:0 outside CR4_OWNED. */
export const CR4_NOT_OWNED = BigInt.asUintN(64, ~CR4_OWNED);
/** CR4_NOT_OWNED's halves (Vcpu.programControl). */
export const CR4_NOT_OWNED_LO = Number(CR4_NOT_OWNED & 0xffff_ffffn);
export const CR4_NOT_OWNED_HI = Number(CR4_NOT_OWNED >> 32n);
/** NXE is also programmed by the strategy: shadow forces it on to express NX in shadow entries. */
export const EFER_OWNED = EFER_LME | EFER_LMA | EFER_NXE;
/** The owned bits as numbers (all of them lie in bits 31:0). */
export const CR0_OWNED_LO = Number(CR0_OWNED);
export const CR4_OWNED_LO = Number(CR4_OWNED);
export const CR4_PGE_LO = Number(CR4_PGE);
export const EFER_OWNED_LO = Number(EFER_OWNED);

export const PF_VECTOR = 14;

/** The paging bits the hardware should run with. */
export interface HardwarePaging {
  cr0: bigint; // within CR0_OWNED
  cr4: bigint; // within CR4_OWNED
  efer: bigint; // within EFER_OWNED
  cr3: bigint;
  ncr3: bigint | null;
}

/** Program the hardware: owned bits from `hw`, the rest kept as the handlers left them. */
export function programHardware(vcpu: Vcpu, hw: HardwarePaging): void {
  const c = vcpu.control;
  vcpu.setControl({
    cr0: (c.cr0 & ~CR0_OWNED) | (hw.cr0 & CR0_OWNED),
    cr4: (c.cr4 & ~CR4_OWNED) | (hw.cr4 & CR4_OWNED),
    efer: (c.efer & ~EFER_OWNED) | (hw.efer & EFER_OWNED),
    cr3: hw.cr3,
    ncr3: hw.ncr3,
  });
}

/** The guest's own paging bits (direct and nested give them to the hardware). */
export function guestPaging(guest: GuestControl, ncr3: bigint | null): HardwarePaging {
  return {
    cr0: guest.cr0 & CR0_OWNED,
    cr4: guest.cr4 & CR4_OWNED,
    efer: guest.efer & EFER_OWNED,
    cr3: guest.cr3,
    ncr3,
  };
}

/** Low 32 bits of a register as the MMU's number form. */
export function low32(v: bigint): number {
  // No BigInt operation (allocation) when the value already fits, as control registers do.
  return v >= 0n && v <= 0xffff_ffffn ? Number(v) : Number(v & 0xffff_ffffn);
}

/** A linear address (signed number) as the 64-bit CR2 value. */
export function linearToU64(linear: number): bigint {
  return BigInt.asUintN(64, BigInt(linear));
}

/** Set or clear the #PF bit of the exception bitmap. */
export function interceptPageFaults(vcpu: Vcpu, on: boolean): void {
  const bit = 1 << PF_VECTOR;
  vcpu.intercepts.exceptionBitmap = on ? vcpu.intercepts.exceptionBitmap | bit : vcpu.intercepts.exceptionBitmap & ~bit;
}

/** Counts flushes by cause for --stats. */
export class FlushCounters {
  cr3 = 0;
  invlpg = 0;
  pagingMode = 0;
  other = 0;

  count(scope: FlushScope, cause: 'cr3' | 'flush' | 'mode'): void {
    if (cause === 'cr3') this.cr3++;
    else if (cause === 'mode') this.pagingMode++;
    else if (scope.kind === 'page') this.invlpg++;
    else this.other++;
  }

  into(out: Record<string, number>): void {
    out['tlbFlush.cr3'] = this.cr3;
    out['tlbFlush.invlpg'] = this.invlpg;
    out['tlbFlush.pagingMode'] = this.pagingMode;
    out['tlbFlush.other'] = this.other;
  }
}
