import { resultOf, outcomeText } from './output.ts';
import type { VectorRun } from './execute.ts';
import { OBSERVED_REGS, mnemonic, type ConformVector } from './vector.ts';
import type { KnownDisagreement } from './known.ts';
import { matchKnown } from './known.ts';
import type { Verdict } from './verdict.ts';

/**
 * Judges each runner's observation of a vector against the spec's expectation. The spec (the
 * SDM, through the rules) is the judge; runners are compared with it, not with each other.
 */

export type { Verdict };

export interface VectorReport {
  id: string;
  cites: string[];
  expected: string;
  runs: Record<string, Verdict>;
  /** Every runner agrees with the spec. */
  agree: boolean;
  /** Disagreements covered by an entry of the known-disagreements file, per runner. */
  known: Record<string, KnownDisagreement>;
  /** Disagreements nobody has explained. */
  unknown: string[];
}

export function expectationText(v: ConformVector): string {
  const e = v.expected;
  if (e.exception !== undefined) return mnemonic(e.exception);
  const parts = ['ok'];
  const res = e.result;
  if (res !== undefined) parts.push(`r=${hexs(res)}`);
  if (v.instr.kind === 'mov-to-cr' || v.instr.kind === 'lmsw' || v.instr.kind === 'clts') {
    const reg = v.instr.kind === 'mov-to-cr' ? (`cr${v.instr.cr}` as const) : 'cr0';
    const val = reg === 'cr0' || reg === 'cr3' || reg === 'cr4' || reg === 'cr8' ? e.regs[reg] : undefined;
    if (val !== undefined) parts.push(`${reg}=${hexs(val)}`);
  }
  if (v.instr.kind === 'wrmsr' && e.regs.efer !== undefined) parts.push(`efer=${hexs(e.regs.efer)}`);
  if (v.instr.kind === 'xsetbv' && e.regs.xcr0 !== undefined) parts.push(`xcr0=${hexs(e.regs.xcr0)}`);
  return parts.join(' ');
}

export function judge(v: ConformVector, run: VectorRun | undefined): Verdict {
  if (run === undefined) return { kind: 'not-run', text: 'not run', why: 'no result' };
  switch (run.kind) {
    case 'skipped':
      return { kind: 'not-run', text: 'not runnable', why: run.reason };
    case 'crash':
    case 'hang':
    case 'error':
      return { kind: 'differ', text: run.kind, why: run.detail };
    case 'observed':
      break;
  }
  const o = run.obs;
  const text = outcomeText(o);
  if (o.setupFault) return { kind: 'differ', text, why: 'exception while setting up the initial state' };
  const e = v.expected.exception;
  if (e !== undefined) {
    if (o.exception === undefined)
      return { kind: 'differ', text, why: `expected ${mnemonic(e)}, the instruction completed` };
    // Real mode delivers exceptions through the IVT without error codes (SDM Vol. 3A §20.1.4).
    const ecMatters = e.errorCode !== undefined && v.mode !== 'real';
    if (o.exception.vector !== e.vector || (ecMatters && o.exception.errorCode !== e.errorCode)) {
      return { kind: 'differ', text, why: `expected ${mnemonic(e)}, got ${mnemonic(o.exception)}` };
    }
  } else if (o.exception !== undefined) {
    return { kind: 'differ', text, why: `expected no exception, got ${mnemonic(o.exception)}` };
  }
  // Registers: after an exception they must be unchanged; otherwise as the rules say.
  const diffs: string[] = [];
  for (const r of OBSERVED_REGS) {
    const want = v.expected.regs[r];
    const got = o.regs[r];
    if (want === undefined || got === undefined) continue;
    if (r === 'cr8' && v.mode !== 'long64') continue;
    if (want !== got) diffs.push(`${r}=${hexs(got)} (spec ${hexs(want)})`);
  }
  const want = v.expected.result;
  const got = resultOf(v, o);
  if (want !== undefined && got !== undefined && want !== got) diffs.push(`result=${hexs(got)} (spec ${hexs(want)})`);
  if (diffs.length > 0) return { kind: 'differ', text: `${text} ${diffs.join(' ')}`, why: diffs.join(', ') };
  return { kind: 'agree', text: got !== undefined && want !== undefined ? `${text} r=${hexs(got)}` : text };
}

export function compareVector(
  v: ConformVector,
  runs: ReadonlyMap<string, ReadonlyMap<string, VectorRun>>,
  known: readonly KnownDisagreement[],
): VectorReport {
  const out: VectorReport = {
    id: v.id,
    cites: v.cites,
    expected: expectationText(v),
    runs: {},
    agree: true,
    known: {},
    unknown: [],
  };
  for (const [runner, m] of runs) {
    const verdict = judge(v, m.get(v.id));
    out.runs[runner] = verdict;
    if (verdict.kind === 'agree') continue;
    out.agree = false;
    if (verdict.kind === 'not-run') continue;
    const k = matchKnown(known, runner, v, verdict);
    if (k !== undefined) out.known[runner] = k;
    else out.unknown.push(`${runner}: ${verdict.why}`);
  }
  return out;
}

export function hexs(v: bigint): string {
  return `0x${v.toString(16)}`;
}
