import type { PhaseTiming } from './phase-clock.ts';
import type { PhaseName } from './phases.ts';

/** What one peer measured for one phase. */
export interface PhaseResult {
  name: PhaseName;
  unit: 'insns' | 'faults';
  count: number;
  seconds: number;
  /** count / seconds. */
  rate: number;
  extra: string;
  /** How many times the phase ran (repeat=N); the figures above are from the last run. */
  repetitions: number;
  /** Rate of the first run (cold: JIT compilers and caches not yet warm). */
  coldRate: number;
  /** trapspec only: VM exits handled by the monitor during the phase, and per second. */
  exits?: number;
  exitsPerSecond?: number;
  /** trapspec only: page faults that reached the paging strategy (shadow: shadow faults). */
  pagingFaults?: number;
  pagingFaultsPerSecond?: number;
  /** trapspec only: instructions the interpreter executed between the two lines. */
  hostInstructions?: number;
  /**
   * trapspec only: the phase's last run as [start, end] on the monotonic clock in microseconds
   * (process.hrtime, the clock of V8's .cpuprofile timestamps), to cut a profile to the phase.
   */
  windowUs?: [number, number];
  /** trapspec only: every counter's change over the phase (exits by name, paging, MMU). */
  counters?: Record<string, number>;
}

export interface PeerResult {
  /** "trapspec-shadow", "trapspec-nested", "v86", "qemu". */
  peer: string;
  status: 'ok' | 'unavailable' | 'failed';
  /** Why the peer is unavailable or failed. */
  reason?: string;
  version?: string;
  /** V8 flags the peer's process ran with beyond Node's defaults (trapspec: src/runtime/v8-flags.ts). */
  engineFlags?: readonly string[];
  phases: PhaseResult[];
  /** Seconds from start to the "bench done" line (or the failure). */
  wallSeconds: number;
  /** The guest's output (for comparing peers and diagnosing failures). */
  output: string;
}

function rateOf(t: PhaseTiming): number {
  const seconds = (t.endMs - t.startMs) / 1000;
  return seconds > 0 ? t.count / seconds : 0;
}

/**
 * Rates from the host-side timestamps of the phase lines, one result per phase: the last of its
 * repetitions (warm), with the first one's rate kept as coldRate.
 */
export function phaseResults(timings: readonly PhaseTiming[]): PhaseResult[] {
  const out: PhaseResult[] = [];
  for (const t of timings) {
    const seconds = (t.endMs - t.startMs) / 1000;
    const previous = out.find((r) => r.name === t.name);
    const result: PhaseResult = {
      name: t.name,
      unit: t.unit,
      count: t.count,
      seconds,
      rate: rateOf(t),
      extra: t.extra,
      repetitions: (previous?.repetitions ?? 0) + 1,
      coldRate: previous?.coldRate ?? rateOf(t),
    };
    if (previous !== undefined) out[out.indexOf(previous)] = result;
    else out.push(result);
  }
  return out;
}

export function unavailable(peer: string, reason: string): PeerResult {
  return { peer, status: 'unavailable', reason, phases: [], wallSeconds: 0, output: '' };
}
