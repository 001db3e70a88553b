import { readFileSync } from 'node:fs';
import type { ConformVector, GuestMode, InstrKind, ObservedReg } from './vector.ts';

/**
 * Adapter from the conformance-vector JSON (`trapspec vectors`, schema `trapspec-vectors/1`,
 * docs/vectors-schema.md) to ConformVector. User errors (a file that is not vector JSON) are
 * returned as values.
 */

export const DEFAULT_VECTORS = 'src/generated/vectors/vectors.json';

export type LoadResult = { ok: true; vectors: ConformVector[] } | { ok: false; message: string };

interface RawVector {
  id: string;
  rule: string;
  cites?: string[];
  covers?: string[];
  initial: { mode: string; cpl: number; guest: Record<string, string>; pdptesValid?: boolean };
  instruction: { kind: string; cr?: number; size?: number; msr?: string | null };
  operand: string | null;
  index: string | null;
  expected: {
    exception: { vector: number; errorCode: number | null } | null;
    guest: Record<string, string>;
    result: string | null;
  };
}

const MODES: Record<string, GuestMode> = {
  real: 'real',
  protected: 'protected',
  paging32: 'protected',
  pae: 'protected',
  compat: 'compat',
  long64: 'long64',
};

const KINDS: ReadonlySet<string> = new Set([
  'mov-to-cr',
  'mov-from-cr',
  'lmsw',
  'clts',
  'smsw',
  'rdmsr',
  'wrmsr',
  'xsetbv',
]);

export function loadVectorsFile(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, message: `${path}: cannot read: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `${path}: not JSON: ${(e as Error).message}` };
  }
  return parseVectors(json, path);
}

export function parseVectors(json: unknown, where: string): LoadResult {
  const list = Array.isArray(json) ? json : (json as { vectors?: unknown }).vectors;
  if (!Array.isArray(list)) return { ok: false, message: `${where}: no 'vectors' array` };
  const out: ConformVector[] = [];
  for (const [n, raw] of (list as RawVector[]).entries()) {
    const r = convert(raw);
    if (typeof r === 'string') return { ok: false, message: `${where}: vectors[${n}] (${raw?.id}): ${r}` };
    out.push(r);
  }
  return { ok: true, vectors: out };
}

function big(s: string | null | undefined, dflt = 0n): bigint {
  return s === null || s === undefined ? dflt : BigInt(s);
}

function regs(g: Record<string, string>): Partial<Record<ObservedReg, bigint>> {
  const out: Partial<Record<ObservedReg, bigint>> = {};
  for (const [k, v] of Object.entries(g)) {
    const name = k.toLowerCase();
    if (name === 'cr0' || name === 'cr3' || name === 'cr4' || name === 'efer' || name === 'xcr0' || name === 'cr8') {
      out[name] = BigInt(v);
    }
  }
  // What a guest observes as CR8 is the APIC TPR's class (spec/rules/cr8.rules).
  if (g.TPR !== undefined) out.cr8 = cr8OfTpr(g.TPR);
  return out;
}

/** CR8 as MOV from CR8 reads it: TPR[7:4]. */
function cr8OfTpr(tpr: string): bigint {
  return (BigInt(tpr) >> 4n) & 0xfn;
}

function convert(raw: RawVector): ConformVector | string {
  if (typeof raw?.id !== 'string') return 'missing id';
  const mode = MODES[raw.initial?.mode];
  if (mode === undefined) return `unknown mode '${raw.initial?.mode}'`;
  if (!KINDS.has(raw.instruction?.kind)) return `unknown instruction kind '${raw.instruction?.kind}'`;
  const cpl = raw.initial.cpl === 3 ? 3 : 0;
  const g = raw.initial.guest;
  const exc = raw.expected.exception;
  const cites = [raw.rule, ...(raw.cites ?? []), ...(raw.covers ?? []).map((c) => c.split('/').slice(0, 2).join('/'))];
  return {
    id: raw.id,
    cites: [...new Set(cites)],
    mode,
    cpl,
    initial: {
      cr0: big(g.CR0),
      cr3: big(g.CR3),
      cr4: big(g.CR4),
      efer: big(g.EFER),
      xcr0: big(g.XCR0, 1n),
      cr8: g.TPR !== undefined ? cr8OfTpr(g.TPR) : big(g.CR8),
    },
    instr: {
      kind: raw.instruction.kind as InstrKind,
      cr: raw.instruction.cr ?? 0,
      operand: big(raw.operand),
      index: Number(big(raw.index ?? raw.instruction.msr ?? null)),
      size: raw.instruction.size ?? (mode === 'long64' ? 8 : 4),
    },
    pdptesValid: raw.initial.pdptesValid ?? true,
    expected: {
      exception: exc === null ? undefined : { vector: exc.vector, errorCode: exc.errorCode ?? undefined },
      regs: regs(raw.expected.guest),
      result: raw.expected.result === null ? undefined : BigInt(raw.expected.result),
    },
  };
}
