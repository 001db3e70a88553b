import { readFileSync } from 'node:fs';
import type { Verdict } from './verdict.ts';
import type { ConformVector, GuestMode, InstrKind } from './vector.ts';

/**
 * The checked-in list of disagreements that are understood (conform/known-disagreements.json).
 * Each entry names the runner it excuses, which vectors it covers (by what they do, not by id, so
 * regenerated vectors stay covered), the observed behaviour, and the SDM section that decides
 * the question. An entry never excuses a disagreement of a different kind than it describes.
 */

export const DEFAULT_KNOWN = 'conform/known-disagreements.json';

type InitialReg = 'cr0' | 'cr3' | 'cr4' | 'efer';

export type ObservedKind = 'completed' | 'hang' | 'crash' | 'value' | 'exception';

export interface KnownDisagreement {
  id: string;
  /** Runner name (`qemu`, `trapspec-shadow`, `trapspec-nested`). */
  runner: string;
  title: string;
  /** The SDM section that decides it (the spec follows the SDM). */
  sdm: string;
  rules: string[];
  match: {
    instr?: InstrKind | InstrKind[];
    cr?: number;
    modes?: GuestMode[];
    cpl?: 0 | 3;
    /** The vector cites one of these rule numbers (R7, R64). */
    cites?: string[];
    /** Bits that must all be set / clear / at least one set in the instruction's operand (hex). */
    operandSet?: string;
    operandClear?: string;
    operandAnySet?: string;
    /** Bits that must all be set / at least one set in the initial register (hex). */
    initialSet?: Partial<Record<InitialReg, string>>;
    initialAnySet?: Partial<Record<InitialReg, string>>;
    pdptesValid?: boolean;
    expect?: 'exception' | 'ok';
  };
  /** What the runner does instead. */
  observed: ObservedKind[];
  /** Run matching vectors in an image of their own (they hang or kill the runner). */
  isolate?: boolean;
}

export type KnownLoad = { ok: true; entries: KnownDisagreement[] } | { ok: false; message: string };

export function loadKnown(path: string): KnownLoad {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { ok: false, message: `${path}: ${(e as Error).message}` };
  }
  const entries = (json as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) return { ok: false, message: `${path}: no 'entries' array` };
  for (const [i, e] of entries.entries()) {
    const k = e as Partial<KnownDisagreement>;
    for (const f of ['id', 'runner', 'title', 'sdm'] as const) {
      if (typeof k[f] !== 'string' || k[f] === '')
        return { ok: false, message: `${path}: entries[${i}]: '${f}' missing` };
    }
    if (!Array.isArray(k.observed))
      return { ok: false, message: `${path}: entries[${i}] (${k.id}): 'observed' missing` };
  }
  return { ok: true, entries: entries as KnownDisagreement[] };
}

export function vectorMatches(k: KnownDisagreement, v: ConformVector): boolean {
  const m = k.match;
  if (m.instr !== undefined && !(Array.isArray(m.instr) ? m.instr : [m.instr]).includes(v.instr.kind)) return false;
  if (m.cpl !== undefined && v.cpl !== m.cpl) return false;
  if (m.cites !== undefined && !m.cites.some((c) => v.cites.includes(c))) return false;
  if (m.pdptesValid !== undefined && v.pdptesValid !== m.pdptesValid) return false;
  if (m.operandAnySet !== undefined && (v.instr.operand & BigInt(m.operandAnySet)) === 0n) return false;
  for (const [reg, bits] of Object.entries(m.initialAnySet ?? {})) {
    if ((v.initial[reg as InitialReg] & BigInt(bits)) === 0n) return false;
  }
  if (m.cr !== undefined && v.instr.cr !== m.cr) return false;
  if (m.modes !== undefined && !m.modes.includes(v.mode)) return false;
  if (m.operandSet !== undefined) {
    const b = BigInt(m.operandSet);
    if ((v.instr.operand & b) !== b) return false;
  }
  if (m.operandClear !== undefined && (v.instr.operand & BigInt(m.operandClear)) !== 0n) return false;
  for (const [reg, bits] of Object.entries(m.initialSet ?? {})) {
    const b = BigInt(bits);
    if ((v.initial[reg as InitialReg] & b) !== b) return false;
  }
  if (m.expect === 'exception' && v.expected.exception === undefined) return false;
  if (m.expect === 'ok' && v.expected.exception !== undefined) return false;
  return true;
}

export function observedKind(v: ConformVector, verdict: Verdict): ObservedKind {
  if (verdict.text === 'hang') return 'hang';
  if (verdict.text === 'crash' || verdict.text === 'error') return 'crash';
  if (v.expected.exception !== undefined && verdict.text.startsWith('ok')) return 'completed';
  if (verdict.text.startsWith('#') || verdict.text.startsWith('setup')) return 'exception';
  return 'value';
}

export function matchKnown(
  known: readonly KnownDisagreement[],
  runner: string,
  v: ConformVector,
  verdict: Verdict,
): KnownDisagreement | undefined {
  const kind = observedKind(v, verdict);
  return known.find((k) => k.runner === runner && k.observed.includes(kind) && vectorMatches(k, v));
}

/** Vectors a runner should run in images of their own. */
export function isolateFor(known: readonly KnownDisagreement[], runner: string): (v: ConformVector) => boolean {
  const risky = known.filter((k) => k.runner === runner && k.isolate === true);
  return (v) => risky.some((k) => vectorMatches(k, v));
}
