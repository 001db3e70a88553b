import type { ControlRegName, HardwareControl } from '../vmm/vcpu.ts';
import type { Cpu } from './cpu.ts';
import { Cr0, Cr4 } from './state.ts';
import { lo32 } from '../vmm/effects.ts';

/**
 * Updates of the hardware control registers (Cpu.setControl, Cpu.programControl) and what they
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
/** CR0 bits the mode and bitness derive from (with EFER and nCR3, always MODE). */
const CR0_MODE = BigInt((Cr0.PE | Cr0.PG) >>> 0);
/** Other bits translations depend on: a change drops the fetch page as a TLB flush does. */
const CR0_PAGING = BigInt(Cr0.WP);
const CR4_PKE = 1 << 22;
const CR4_PAGING_N = Cr4.PSE | Cr4.PAE | Cr4.PGE | Cr4.PCIDE | Cr4.SMEP | Cr4.SMAP | Cr4.LA57 | CR4_PKE;
const CR4_PAGING = BigInt(CR4_PAGING_N);
const CR0_MODE_N = (Cr0.PE | Cr0.PG) | 0;
const CR0_PAGING_N = Cr0.WP;
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

/**
 * One register set to `(value & ~keep) | (hardware & keep)`, on halves (the exit path: no
 * BigInt made or compared; the register's BigInt follows when read, control-regs.ts), with
 * setControl's tiers; an unchanged value does nothing. One refinement: a CR4.PGE change alone
 * is quiet while the MMU keeps its TLB across it (Translator.keepsOnPgeToggle), as it changes
 * no translation then (setControl, off the exit path, treats it as any paging bit).
 */
export function programControl(cpu: Cpu, reg: ControlRegName, lo: number, hi: number, keepLo: number, keepHi: number): void {
  // Per register: d = the bits that change (outside `keep`); the new value is the old ^ d.
  const hw = cpu.hw;
  switch (reg) {
    case 'cr0': {
      const dLo = (hw.cr0Lo ^ lo) & ~keepLo;
      const dHi = (hw.cr0Hi ^ hi) & ~keepHi;
      if ((dLo | dHi) === 0) return;
      const nLo = (hw.cr0Lo ^ dLo) >>> 0;
      hw.setCr0(nLo, (hw.cr0Hi ^ dHi) >>> 0);
      if ((dLo & CR0_MODE_N) !== 0) return cpu.updateMode();
      cpu.pagingRegs.cr0 = nLo;
      if ((dLo & CR0_PAGING_N) !== 0) pagingChanged(cpu);
      return;
    }
    case 'cr4': {
      const dLo = (hw.cr4Lo ^ lo) & ~keepLo;
      const dHi = (hw.cr4Hi ^ hi) & ~keepHi;
      if ((dLo | dHi) === 0) return;
      const nLo = (hw.cr4Lo ^ dLo) >>> 0;
      hw.setCr4(nLo, (hw.cr4Hi ^ dHi) >>> 0);
      cpu.pagingRegs.cr4 = nLo;
      const p = dLo & CR4_PAGING_N;
      if (p !== 0 && !(p === Cr4.PGE && cpu.mmu.keepsOnPgeToggle?.() === true)) pagingChanged(cpu);
      return;
    }
    case 'cr3': {
      const dLo = (hw.cr3Lo ^ lo) & ~keepLo;
      const dHi = (hw.cr3Hi ^ hi) & ~keepHi;
      if ((dLo | dHi) === 0) return;
      hw.setCr3((hw.cr3Lo ^ dLo) >>> 0, (hw.cr3Hi ^ dHi) >>> 0);
      pagingChanged(cpu);
      return;
    }
    case 'efer': {
      const dLo = (hw.eferLo ^ lo) & ~keepLo;
      const dHi = (hw.eferHi ^ hi) & ~keepHi;
      if ((dLo | dHi) === 0) return;
      hw.setEfer((hw.eferLo ^ dLo) >>> 0, (hw.eferHi ^ dHi) >>> 0);
      cpu.updateMode();
      return;
    }
    case 'cr8': {
      const dLo = (hw.cr8Lo ^ lo) & ~keepLo;
      const dHi = (hw.cr8Hi ^ hi) & ~keepHi;
      if ((dLo | dHi) !== 0) hw.setCr8((hw.cr8Lo ^ dLo) >>> 0, (hw.cr8Hi ^ dHi) >>> 0);
      return;
    }
    case 'xcr0': {
      const dLo = (hw.xcr0Lo ^ lo) & ~keepLo;
      const dHi = (hw.xcr0Hi ^ hi) & ~keepHi;
      if ((dLo | dHi) !== 0) hw.setXcr0((hw.xcr0Lo ^ dLo) >>> 0, (hw.xcr0Hi ^ dHi) >>> 0);
      return;
    }
  }
}

/** The PAGING tier: the MMU's CR3 copy, and the fetch page dropped. */
function pagingChanged(cpu: Cpu): void {
  cpu.pagingRegs.cr3 = cpu.hw.cr3;
  cpu.decoded.dropFetchPage();
}
