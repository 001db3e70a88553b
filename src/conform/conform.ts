import { compareVector, type VectorReport } from './compare.ts';
import { executeVectors, type ExecuteStats, type VectorRun } from './execute.ts';
import { isolateFor, type KnownDisagreement } from './known.ts';
import { qemuRunner, qemuVersion, trapspecRunner, type Runner } from './runners.ts';
import type { ConformVector } from './vector.ts';

/**
 * `trapspec conform` without the command line: run vectors on trapspec (shadow and nested
 * paging) and optionally QEMU, and judge every observation against the spec.
 */

export interface ConformOptions {
  vectors: readonly ConformVector[];
  known: readonly KnownDisagreement[];
  /** Runners by name; default: trapspec shadow and nested, plus QEMU when `qemu` is set. */
  runners?: Runner[];
  qemu?: boolean;
  /** Keep vectors whose id, rule or cited rule numbers include this (e.g. R7, write-CR4). */
  filter?: string;
}

export interface ConformReport {
  runners: string[];
  vectors: VectorReport[];
  /** Vectors every runner ran and agreed with the spec on. */
  agreeing: number;
  /** Vectors run (excluding those no guest can realise). */
  total: number;
  notRunnable: { id: string; reason: string }[];
  unknownDisagreements: number;
  knownDisagreements: number;
  /** Known-disagreement entries for these runners that excused nothing (fixed? remove them). */
  unusedKnown: string[];
  stats: Record<string, ExecuteStats>;
  qemuVersion?: string;
}

export function selectVectors(vectors: readonly ConformVector[], filter: string | undefined): ConformVector[] {
  if (filter === undefined || filter === '') return [...vectors];
  const f = filter.toLowerCase();
  return vectors.filter(
    (v) =>
      v.id.toLowerCase().includes(f) ||
      v.cites.some((c) => c.toLowerCase() === f || c.toLowerCase().startsWith(`${f}/`)),
  );
}

export function defaultRunners(qemu: boolean): Runner[] {
  const rs = [trapspecRunner('shadow'), trapspecRunner('nested')];
  if (qemu) rs.push(qemuRunner());
  return rs;
}

export async function runConform(opts: ConformOptions): Promise<ConformReport> {
  const vectors = selectVectors(opts.vectors, opts.filter);
  const runners = opts.runners ?? defaultRunners(opts.qemu === true);
  const runs = new Map<string, Map<string, VectorRun>>();
  const stats: Record<string, ExecuteStats> = {};
  for (const r of runners) {
    const res = await executeVectors(vectors, r, isolateFor(opts.known, r.name), true, r.parallel);
    runs.set(r.name, res.runs);
    stats[r.name] = res.stats;
  }
  const reports = vectors.map((v) => compareVector(v, runs, opts.known));
  const notRunnable: ConformReport['notRunnable'] = [];
  for (const rep of reports) {
    const nr = Object.values(rep.runs).find((x) => x.kind === 'not-run');
    if (nr !== undefined && nr.kind === 'not-run') notRunnable.push({ id: rep.id, reason: nr.why });
  }
  const runnable = reports.filter((r) => !notRunnable.some((n) => n.id === r.id));
  return {
    runners: runners.map((r) => r.name),
    vectors: reports,
    agreeing: runnable.filter((r) => r.agree).length,
    total: runnable.length,
    notRunnable,
    unknownDisagreements: reports.reduce((n, r) => n + r.unknown.length, 0),
    unusedKnown: opts.known
      .filter((k) => runners.some((r) => r.name === k.runner))
      .filter((k) => !reports.some((r) => Object.values(r.known).some((x) => x.id === k.id)))
      .map((k) => k.id),
    knownDisagreements: reports.reduce((n, r) => n + Object.keys(r.known).length, 0),
    stats,
    ...(runners.some((r) => r.name === 'qemu') ? { qemuVersion: qemuVersion() } : {}),
  };
}

export function agreementLine(r: ConformReport): string {
  return `${r.agreeing} of ${r.total} vectors agree (${r.runners.join(', ')}; ${r.knownDisagreements} known disagreements, ${r.unknownDisagreements} unknown; ${r.notRunnable.length} vectors not runnable in a guest)`;
}
