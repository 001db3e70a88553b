import { CR0_IGNORED_MASK, CR0_RESERVED_MASK, CR0_UNSUPPORTED_MASK } from '../generated/registers/cr0.ts';
import { CR4_IGNORED_MASK, CR4_RESERVED_MASK, CR4_UNSUPPORTED_MASK } from '../generated/registers/cr4.ts';
import { EFER_IGNORED_MASK, EFER_RESERVED_MASK, EFER_UNSUPPORTED_MASK } from '../generated/registers/efer.ts';
import { GUEST_MAXPHYADDR, MONITOR_BASE } from '../runtime/machine/bus.ts';
import type { Machine, PagingModeName } from '../runtime/machine/machine.ts';

/**
 * The monitor's invariants after a run (cr-rules.md; readme-paging.md):
 * - guest-visible registers: CR0.ET = 1 (R18); no reserved, unsupported or ignored bit set in
 *   guest CR0/CR4/EFER; PG ⇒ PE; NW ⇒ CD; EFER.LMA = CR0.PG ∧ EFER.LME; LMA ⇒ CR4.PAE;
 * - hardware: the bits the paging strategy does not own equal the guest's; under shadow the
 *   hardware runs with CR0.PG = WP = 1, CR4.PAE = 1 and a CR3 in monitor memory and
 *   EFER.LMA = the guest's; under nested and direct the owned bits are the guest's (nested adds
 *   nCR3 in monitor memory, direct has none);
 * - monitor tables (shadow/passthrough tree from hardware CR3, nested tree from nCR3): every
 *   non-leaf entry points at an allocated monitor page; no leaf maps monitor memory.
 */

const CR0_PG = 1n << 31n;
const CR0_WP = 1n << 16n;
const CR0_CD = 1n << 30n;
const CR0_NW = 1n << 29n;
const CR0_ET = 1n << 4n;
const CR0_PE = 1n;
const CR4_PAE = 1n << 5n;
const CR4_LA57 = 1n << 12n;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;
const CR0_OWNED = CR0_PG | CR0_WP;
const CR4_OWNED = (1n << 4n) | CR4_PAE | (1n << 7n) | CR4_LA57 | (1n << 17n) | (1n << 20n) | (1n << 21n);
const EFER_OWNED = EFER_LME | EFER_LMA | (1n << 11n);

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

export function checkControlInvariants(m: Machine, paging: PagingModeName): string[] {
  const out: string[] = [];
  const g = m.guestControl();
  if (g === undefined) return ['monitor keeps no guest control registers'];
  const hw = m.vcpu.control;
  const bad = (what: string): void => {
    out.push(`${what} (guest CR0=${hex(g.cr0)} CR4=${hex(g.cr4)} EFER=${hex(g.efer)}; hardware CR0=${hex(hw.cr0)} CR3=${hex(hw.cr3)} CR4=${hex(hw.cr4)} EFER=${hex(hw.efer)})`);
  };
  if ((g.cr0 & CR0_ET) === 0n) bad('guest CR0.ET = 0 (R18)');
  if ((g.cr0 & (CR0_RESERVED_MASK | CR0_UNSUPPORTED_MASK | CR0_IGNORED_MASK)) !== 0n) bad('reserved bit set in guest CR0');
  if ((g.cr4 & (CR4_RESERVED_MASK | CR4_UNSUPPORTED_MASK | CR4_IGNORED_MASK)) !== 0n) bad('reserved bit set in guest CR4');
  if ((g.efer & (EFER_RESERVED_MASK | EFER_UNSUPPORTED_MASK | EFER_IGNORED_MASK)) !== 0n) bad('reserved bit set in guest EFER');
  if ((g.cr0 & CR0_PG) !== 0n && (g.cr0 & CR0_PE) === 0n) bad('guest CR0.PG without PE');
  if ((g.cr0 & CR0_NW) !== 0n && (g.cr0 & CR0_CD) === 0n) bad('guest CR0.NW without CD');
  const lma = (g.efer & EFER_LMA) !== 0n;
  if (lma !== ((g.cr0 & CR0_PG) !== 0n && (g.efer & EFER_LME) !== 0n)) bad('guest EFER.LMA != CR0.PG && EFER.LME');
  if (lma && (g.cr4 & CR4_PAE) === 0n) bad('guest EFER.LMA without CR4.PAE');
  // Bits the strategy does not own are the handlers': hardware = guest (ET included).
  if ((hw.cr0 & ~CR0_OWNED & 0xffff_ffffn) !== (g.cr0 & ~CR0_OWNED)) bad('hardware CR0 non-paging bits differ from the guest');
  if ((hw.cr4 & ~CR4_OWNED) !== (g.cr4 & ~CR4_OWNED)) bad('hardware CR4 non-paging bits differ from the guest');
  if ((hw.efer & ~EFER_OWNED) !== (g.efer & ~EFER_OWNED)) bad('hardware EFER non-paging bits differ from the guest');
  if (paging === 'shadow') {
    if ((hw.cr0 & CR0_OWNED) !== CR0_OWNED) bad('shadow: hardware CR0.PG/WP not both 1');
    if ((hw.cr4 & CR4_PAE) === 0n && (g.cr0 & CR0_PG) !== 0n) bad('shadow: hardware CR4.PAE = 0 with guest paging on');
    if (hw.cr3 < BigInt(MONITOR_BASE)) bad('shadow: hardware CR3 outside monitor memory');
    if (((hw.efer & EFER_LMA) !== 0n) !== lma) bad('shadow: hardware EFER.LMA != guest EFER.LMA');
    if (hw.ncr3 !== null) bad('shadow: nCR3 set');
  } else {
    if ((hw.cr0 & CR0_OWNED) !== (g.cr0 & CR0_OWNED)) bad(`${paging}: hardware CR0.PG/WP differ from the guest`);
    if ((hw.cr4 & CR4_OWNED) !== (g.cr4 & CR4_OWNED)) bad(`${paging}: hardware CR4 paging bits differ from the guest`);
    if ((hw.efer & EFER_OWNED) !== (g.efer & EFER_OWNED)) bad(`${paging}: hardware EFER paging bits differ from the guest`);
    if (hw.cr3 !== g.cr3) bad(`${paging}: hardware CR3 != guest CR3`);
    if (paging === 'nested' && (hw.ncr3 === null || hw.ncr3 < BigInt(MONITOR_BASE))) bad('nested: nCR3 not in monitor memory');
    if (paging === 'direct' && hw.ncr3 !== null) bad('direct: nCR3 set');
  }
  return out;
}

const LEAF_LIMIT = 2 ** GUEST_MAXPHYADDR;

/** Walk the monitor's tables; report pointers outside monitor memory and leaves into it. */
export function checkTables(m: Machine, paging: PagingModeName): string[] {
  const out: string[] = [];
  const mem = m.memory;
  const hw = m.vcpu.control;
  const isMonitorPage = (pa: number): boolean => {
    if (pa < MONITOR_BASE) return false;
    try {
      mem.monitorPageView(pa);
      return true;
    } catch {
      return false;
    }
  };
  const entry64 = (at: number): number => {
    const lo = mem.read32(at) >>> 0;
    return lo + (mem.read32(at + 4) >>> 0) * 2 ** 32;
  };
  const addrOf = (e: number): number => Math.floor(e / 4096) * 4096 - Math.floor(e / 2 ** 52) * 2 ** 52;
  let visited = 0;
  // 64-bit entries; `level` 1 = PT. PS at levels 2 and 3 is a leaf.
  const walk64 = (table: number, level: number, count: number, what: string): void => {
    if (!isMonitorPage(table)) {
      out.push(`${what}: table at 0x${table.toString(16)} is not an allocated monitor page`);
      return;
    }
    if (++visited > 20000 || out.length > 8) return;
    for (let i = 0; i < count; i++) {
      const e = entry64(table + i * 8);
      if ((e & 1) === 0) continue;
      const addr = addrOf(e);
      const leaf = level === 1 || ((level === 2 || level === 3) && Math.floor(e / 0x80) % 2 === 1);
      if (leaf) {
        if (addr >= LEAF_LIMIT) out.push(`${what}: leaf at level ${level} maps 0x${addr.toString(16)} (monitor memory or beyond MAXPHYADDR)`);
      } else if (level === 4 && count === 4) {
        walk64(addr, 2, 512, what); // PAE PDPT -> PD
      } else {
        walk64(addr, level - 1, 512, what);
      }
    }
  };
  if (paging === 'nested') {
    if (hw.ncr3 !== null) walk64(Number(hw.ncr3), 4, 512, 'nested tables');
    return out;
  }
  if (paging !== 'shadow') return out;
  const root = Number(hw.cr3 & ~0xfffn);
  if ((hw.cr4 & CR4_PAE) === 0n) {
    // 32-bit passthrough directory: 4-byte entries, PS leaves or page tables.
    if (!isMonitorPage(root)) return [`shadow root 0x${root.toString(16)} not a monitor page`];
    for (let i = 0; i < 1024; i++) {
      const e = mem.read32(root + i * 4) >>> 0;
      if ((e & 1) === 0 || (e & 0x80) !== 0) continue;
      // A 32-bit entry cannot name monitor memory (2^40): only 4 MiB leaves are possible.
      out.push(`32-bit passthrough PDE ${i} is not a 4 MiB leaf (0x${e.toString(16)})`);
    }
    return out;
  }
  if ((hw.efer & EFER_LMA) !== 0n) walk64(root, (hw.cr4 & CR4_LA57) !== 0n ? 5 : 4, 512, 'shadow tables');
  else walk64(root, 4, 4, 'shadow PAE tables');
  return out;
}
