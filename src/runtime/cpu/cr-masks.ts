/**
 * VMX-style CR ownership in the hardware (Intercepts.crMasks; SDM Vol. 3C §26.1.3 "Instructions
 * That Cause VM Exits Conditionally", §26.3 "Changes to Instruction Behavior in VMX Non-Root
 * Operation"). Each function is called after the checks the CPU makes before any exit (#UD, v86,
 * CPL) and returns true when the instruction completed without an exit; false means it exits as
 * without masks.
 *
 * - MOV to CR0/CR4 exits iff a host-owned bit (mask 1) of the source differs from the read
 *   shadow (bits 63:32: host-owned, shadow 0); otherwise the guest-owned bits are loaded.
 * - MOV from CR0/CR4 and SMSW never exit: host-owned bits come from the shadow.
 * - CLTS exits iff TS is host-owned and the shadow's TS is 1; host-owned with shadow 0: no
 *   change; guest-owned: TS cleared.
 * - LMSW exits iff PE is host-owned, set in the source and clear in the shadow, or a host-owned
 *   bit of 3:1 differs between source and shadow; otherwise guest-owned bits 3:0 are loaded
 *   (PE can be set, never cleared).
 * - MOV to CR3 of one of the CR3-target values loads CR3 without an exit (a TLB flush of the
 *   non-global entries, or of the PCID with CR4.PCIDE unless bit 63 is set).
 */
import type { Cpu } from './cpu.ts';
import type { CrMask, CrMasks } from '../vmm/vcpu.ts';

const TS = 1 << 3;
const CR4_PCIDE = 1 << 17;
const ALL = 0xffff_ffff;

function maskOf(masks: CrMasks, cr: number): CrMask | null {
  return cr === 0 ? masks.cr0 : cr === 4 ? masks.cr4 : null;
}

/** The value a read of CR0/CR4 returns: guest-owned bits from the hardware, host-owned from the shadow. */
export function shadowedRead(cpu: Cpu, m: CrMask, cr: 0 | 4): number {
  const hw = cr === 0 ? cpu.hw.cr0Lo : cpu.hw.cr4Lo;
  return ((hw & ~m.mask) | (m.shadow & m.mask)) >>> 0;
}

export function movToCrMasked(cpu: Cpu, masks: CrMasks, cr: number, lo: number, hi: number): boolean {
  if (cr === 3) return cr3Target(cpu, masks, lo, hi);
  const m = maskOf(masks, cr);
  if (m === null) return false;
  if (hi !== 0 || ((lo ^ m.shadow) & m.mask) !== 0) return false;
  cpu.programControl(cr === 0 ? 'cr0' : 'cr4', lo, 0, m.mask, ALL);
  return true;
}

/** MOV from CR0/CR4 without an exit: the value, or -1 when this register's reads exit. */
export function movFromCrMasked(cpu: Cpu, masks: CrMasks, cr: number): number {
  const m = maskOf(masks, cr);
  if (m === null) return -1;
  return shadowedRead(cpu, m, cr as 0 | 4);
}

export function cltsMasked(cpu: Cpu, masks: CrMasks): boolean {
  const m = masks.cr0;
  if (m === null) return false;
  if ((m.mask & TS) !== 0) return (m.shadow & TS) === 0; // host-owned: exit iff the shadow has TS
  cpu.programControl('cr0', cpu.hw.cr0Lo & ~TS, 0, ~TS, ALL);
  return true;
}

export function lmswMasked(cpu: Cpu, masks: CrMasks, src: number): boolean {
  const m = masks.cr0;
  if (m === null) return false;
  if ((m.mask & 1) !== 0 && (src & 1) !== 0 && (m.shadow & 1) === 0) return false;
  if (((src ^ m.shadow) & m.mask & 0xe) !== 0) return false;
  const lo = cpu.hw.cr0Lo;
  const owned = ~m.mask & 0xf;
  // Bits 3:1 from the source, PE only set (R25), host-owned and upper bits unchanged.
  const next = (lo & ~(owned & 0xe)) | (src & owned & 0xe) | (src & owned & 1);
  cpu.programControl('cr0', next, 0, ~owned, ALL);
  return true;
}

function cr3Target(cpu: Cpu, masks: CrMasks, lo: number, hi: number): boolean {
  if (masks.cr3Targets.length === 0) return false;
  const value = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  if (!masks.cr3Targets.includes(value)) return false;
  const pcide = (cpu.hw.cr4Lo & CR4_PCIDE) !== 0;
  const noFlush = pcide && (hi & 0x8000_0000) !== 0;
  cpu.programControl('cr3', lo, hi & 0x7fff_ffff, 0, 0);
  if (pcide) {
    if (!noFlush) cpu.flushTlb({ kind: 'pcid', pcid: lo & 0xfff });
  } else cpu.flushTlb({ kind: 'non-global' });
  return true;
}
