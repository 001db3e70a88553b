import type { HardwareControl } from '../vmm/vcpu.ts';
import type { Cpu } from './cpu.ts';
import { Cr0, Cr4 } from './state.ts';
import { lo32 } from '../vmm/effects.ts';

/**
 * Updates of the hardware control registers (setControl here; Cpu.programControl, the exit
 * path's form, stays a method of Cpu so that it inlines without an extra call) and what they
 * re-derive, in three tiers (issue 7: CLTS, MOV CR0/CR4 exits):
 * - a change of CR0.PE/PG, EFER or nCR3 (mode, bitness, translation on/off): Cpu.updateMode();
 * - a change of other paging bits (CR0.WP, CR4.PGE/PAE/PSE/…, CR3): the number copies in
 *   pagingRegs and a dropped fetch page (the rest of updateMode would compute the same);
 * - a change of other bits only (CR0.TS/MP/EM/NE/CD/NW/AM, CR4.OSFXSR/TSD/UMIP/…, CR8, XCR0):
 *   the number copies only.
 */

const NOTHING = 0;
const QUIET = 1;
const PAGING = 2;
const MODE = 3;
/**
 * CR0 bits the mode and bitness derive from (with EFER and nCR3, always MODE); AM arms the
 * alignment check (Memory.refresh), rare enough to take the same path.
 */
const CR0_MODE = BigInt((Cr0.PE | Cr0.PG | Cr0.AM) >>> 0);
/** Other bits translations depend on: a change drops the fetch page as a TLB flush does. */
const CR0_PAGING = BigInt(Cr0.WP);
const CR4_PKE = 1 << 22;
export const CR4_PAGING_N = Cr4.PSE | Cr4.PAE | Cr4.PGE | Cr4.PCIDE | Cr4.SMEP | Cr4.SMAP | Cr4.LA57 | CR4_PKE;
const CR4_PAGING = BigInt(CR4_PAGING_N);
export const CR0_MODE_N = (Cr0.PE | Cr0.PG | Cr0.AM) | 0;
export const CR0_PAGING_N = Cr0.WP;
const low32 = lo32;

/**
 * Apply a partial update. An update that changes nothing re-derives everything, as callers that
 * changed segments expect.
 */
export function setControl(cpu: Cpu, update: Partial<HardwareControl>): void {
  const hw = cpu.hw;
  const { cr0, cr3, cr4, efer, cr8, xcr0, ncr3 } = update;
  let tier = NOTHING;
  if (cr0 !== undefined && cr0 !== hw.cr0) {
    const diff = BigInt.asUintN(64, cr0 ^ hw.cr0);
    tier = (diff & CR0_MODE) !== 0n ? MODE : (diff & CR0_PAGING) !== 0n ? PAGING : QUIET;
    hw.cr0 = cr0;
  }
  if (cr4 !== undefined && cr4 !== hw.cr4) {
    const paging = (BigInt.asUintN(64, cr4 ^ hw.cr4) & CR4_PAGING) !== 0n;
    tier = Math.max(tier, paging ? PAGING : QUIET);
    hw.cr4 = cr4;
  }
  if (cr3 !== undefined && cr3 !== hw.cr3) {
    tier = Math.max(tier, PAGING);
    hw.cr3 = cr3;
  }
  if (efer !== undefined && efer !== hw.efer) {
    tier = MODE;
    hw.efer = efer;
  }
  if (ncr3 !== undefined && ncr3 !== hw.ncr3) {
    tier = MODE;
    hw.ncr3 = ncr3;
  }
  if (cr8 !== undefined && cr8 !== hw.cr8) {
    tier = Math.max(tier, QUIET);
    hw.cr8 = cr8;
  }
  if (xcr0 !== undefined && xcr0 !== hw.xcr0) {
    tier = Math.max(tier, QUIET);
    hw.xcr0 = xcr0;
  }
  if (tier === NOTHING || tier === MODE) {
    cpu.updateMode();
    return;
  }
  const pr = cpu.pagingRegs;
  if (cr0 !== undefined) pr.cr0 = low32(cr0);
  if (cr4 !== undefined) pr.cr4 = low32(cr4);
  if (tier === PAGING) {
    pr.cr3 = hw.cr3;
    cpu.decoded.dropFetchPage();
  }
}
