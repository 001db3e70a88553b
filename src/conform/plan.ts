import { BAD_PDPTE, TOP_TABLE, type PagingFormat } from './tables.ts';
import { GUEST_MEM_MIB, reservedRanges } from './layout.ts';
import type { ConformVector } from './vector.ts';

/**
 * What a guest must prepare in memory for one vector: the identity tables its CR3 values point
 * at, before and after the instruction. A vector whose state cannot be built in a real guest
 * (CR3 inside the guest's own memory, one CR3 page needed in two paging formats) is reported
 * as not runnable, with the reason, instead of being run.
 */

export interface TableCopy {
  label: string;
  size: number;
  dest: number;
  /** Copied after set-up, right before the instruction (a corrupt PDPT, R41). */
  late: boolean;
}

export type Plan = { ok: true; copies: TableCopy[] } | { ok: false; reason: string };

const PE = 1n;
const PG = 1n << 31n;
const PAE = 1n << 5n;
const LA57 = 1n << 12n;
const LME = 1n << 8n;
const LMA = 1n << 10n;

export function pagingFormat(cr0: bigint, cr4: bigint, lma: boolean): PagingFormat {
  if ((cr0 & PG) === 0n) return 'none';
  if (lma) return (cr4 & LA57) !== 0n ? 'long5' : 'long4';
  return (cr4 & PAE) !== 0n ? 'pae' : 'legacy32';
}

function base(cr3: bigint, fmt: PagingFormat): number {
  const mask = fmt === 'pae' ? 0xffffffe0n : 0xffffffffff000n;
  return Number(cr3 & mask);
}

export function planVector(v: ConformVector, imageEnd: number): Plan {
  const consistent = checkMode(v);
  if (consistent !== undefined) return { ok: false, reason: consistent };
  const i = v.initial;
  const lma0 = v.mode === 'long64' || v.mode === 'compat';
  const before = pagingFormat(i.cr0, i.cr4, lma0);
  const after = afterState(v);
  const fmtAfter = pagingFormat(after.cr0, after.cr4, after.lma);
  const copies: TableCopy[] = [];
  const need: { dest: number; fmt: Exclude<PagingFormat, 'none'> }[] = [];
  if (before !== 'none') need.push({ dest: base(i.cr3, before), fmt: before });
  if (fmtAfter !== 'none') need.push({ dest: base(after.cr3, fmtAfter), fmt: fmtAfter });
  // The check a vector with invalid PDPTEs exercises reads the PDPT at the CR3 the instruction
  // tries to establish (R16, R41, R55), whether or not it then faults.
  const tried = attemptedState(v);
  const triedFmt = pagingFormat(tried.cr0, tried.cr4, tried.lma);
  for (const n of need) {
    const other = need.find((m) => m.fmt !== n.fmt && overlaps(m.dest, m.fmt, n.dest, n.fmt));
    if (other !== undefined) {
      return { ok: false, reason: `CR3 page ${hex(n.dest)} would need ${n.fmt} and ${other.fmt} tables at once` };
    }
    const t = TOP_TABLE[n.fmt];
    const bad = reservedRanges(imageEnd).find(([lo, hi]) => n.dest < hi && n.dest + t.size > lo);
    if (bad !== undefined) return { ok: false, reason: `CR3 ${hex(n.dest)} points into the guest's own memory` };
    if (n.dest + t.size > GUEST_MEM_MIB * 1024 * 1024) return { ok: false, reason: `CR3 ${hex(n.dest)} beyond RAM` };
    if (!copies.some((c) => c.dest === n.dest))
      copies.push({ label: t.label, size: t.size, dest: n.dest, late: false });
  }
  if (!v.pdptesValid) {
    if (triedFmt !== 'pae') return { ok: false, reason: 'invalid PDPTEs without PAE paging' };
    const dest = base(tried.cr3, 'pae') + BAD_PDPTE.offset;
    if (reservedRanges(imageEnd).some(([lo, hi]) => dest < hi && dest + BAD_PDPTE.size > lo)) {
      return { ok: false, reason: `PDPT ${hex(dest)} points into the guest's own memory` };
    }
    copies.push({ label: BAD_PDPTE.label, size: BAD_PDPTE.size, dest, late: true });
  }
  return { ok: true, copies };
}

function overlaps(a: number, fa: PagingFormat, b: number, fb: PagingFormat): boolean {
  const sa = fa === 'pae' ? 32 : 4096;
  const sb = fb === 'pae' ? 32 : 4096;
  return a < b + sb && b < a + sa;
}

/** Guest state after the instruction, as far as the planner needs it. */
export function afterState(v: ConformVector): { cr0: bigint; cr3: bigint; cr4: bigint; lma: boolean } {
  const i = v.initial;
  const lma0 = v.mode === 'long64' || v.mode === 'compat';
  if (v.expected.exception !== undefined) return { cr0: i.cr0, cr3: i.cr3, cr4: i.cr4, lma: lma0 };
  const r = v.expected.regs;
  const written = (n: number): bigint | undefined =>
    v.instr.kind === 'mov-to-cr' && v.instr.cr === n ? v.instr.operand : undefined;
  const cr0 = r.cr0 ?? written(0) ?? i.cr0;
  const cr3 = r.cr3 ?? written(3) ?? i.cr3;
  const cr4 = r.cr4 ?? written(4) ?? i.cr4;
  const efer = r.efer ?? (v.instr.kind === 'wrmsr' ? v.instr.operand : i.efer);
  const lma =
    r.efer !== undefined ? (r.efer & LMA) !== 0n : (efer & LME) !== 0n && (cr0 & PG) !== 0n && (cr4 & PAE) !== 0n;
  return { cr0, cr3, cr4, lma };
}

/** The state the instruction tries to establish, ignoring whether it faults. */
function attemptedState(v: ConformVector): { cr0: bigint; cr3: bigint; cr4: bigint; lma: boolean } {
  const i = v.initial;
  const w = (n: number): bigint | undefined =>
    v.instr.kind === 'mov-to-cr' && v.instr.cr === n ? v.instr.operand : undefined;
  const cr0 = w(0) ?? i.cr0;
  const cr4 = w(4) ?? i.cr4;
  const lma = (i.efer & LME) !== 0n && (cr0 & PG) !== 0n && (cr4 & PAE) !== 0n;
  return { cr0, cr3: w(3) ?? i.cr3, cr4, lma };
}

function checkMode(v: ConformVector): string | undefined {
  const i = v.initial;
  const pe = (i.cr0 & PE) !== 0n;
  const pg = (i.cr0 & PG) !== 0n;
  switch (v.mode) {
    case 'real':
      if (pe) return 'real mode with CR0.PE=1';
      if (v.cpl !== 0) return 'real mode at CPL 3';
      return undefined;
    case 'protected':
      if (!pe) return 'protected mode with CR0.PE=0';
      if (pg && (i.efer & LME) !== 0n && (i.cr4 & PAE) !== 0n) return 'protected mode state would be IA-32e';
      return undefined;
    case 'compat':
    case 'long64':
      if (!pe || !pg || (i.cr4 & PAE) === 0n || (i.efer & LME) === 0n) return `${v.mode} needs PE, PG, PAE and LME`;
      return undefined;
  }
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
