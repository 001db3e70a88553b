import { PhaseClock } from './phase-clock.ts';
import { phaseResults, unavailable, type PeerResult, type PhaseResult } from './result.ts';

/** The paging strategies a trapspec run can use (src/runtime/machine/monitor-factory.ts). */
export type TrapspecPaging = 'shadow' | 'nested' | 'direct';

export interface TrapspecRunOptions {
  image: Uint8Array;
  cmdline: string;
  paging: TrapspecPaging;
  memMiB?: number;
  /** Instruction budget (tests); default unlimited. */
  maxInsns?: number;
}

/** The parts of the machine API (src/runtime/machine/machine.ts) the bench uses. */
interface BenchMachine {
  load(image: Uint8Array, options: { file: string; cmdline?: string }): { ok: boolean; error?: unknown };
  run(maxInsns?: number): {
    stop: { kind: string; status?: number; detail?: string };
    instructions: number;
    seconds: number;
  };
  stats(): {
    instructions: number;
    exits: Map<string, number>;
    cpu: { instructions: number; extra: Record<string, number> };
    extra: Record<string, number>;
  };
}

type MachineCtor = new (options: {
  memMiB: number;
  paging: TrapspecPaging;
  output: { writeByte(byte: number): void };
}) => BenchMachine;

/** Load the machine module; a missing or broken runtime is a reason, not a crash. */
export async function loadMachine(): Promise<MachineCtor | string> {
  try {
    const mod = (await import('../../src/runtime/machine/machine.ts')) as { Machine?: MachineCtor };
    if (typeof mod.Machine !== 'function') return 'src/runtime/machine/machine.ts exports no Machine';
    return mod.Machine;
  } catch (error) {
    return `cannot load the machine: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Every counter of a run as one flat record: exits by name, CPU, MMU, paging, memory. */
function counters(machine: BenchMachine): Record<string, number> {
  const s = machine.stats();
  const out: Record<string, number> = { instructions: s.cpu.instructions };
  let exits = 0;
  for (const [name, n] of s.exits) {
    out[`exit.${name}`] = n;
    exits += n;
  }
  out.exits = exits;
  Object.assign(out, s.cpu.extra, s.extra);
  return out;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Page faults the paging strategy handled (shadow: every #PF exit; nested: nested faults). */
function pagingFaults(d: Record<string, number>): number {
  return (d['paging.shadow.pageFaults'] ?? 0) + (d['paging.nested.npf'] ?? 0);
}

/**
 * Run the bench guest on the trapspec machine in this process. Phase lines are timestamped as
 * the guest writes them (the serial device calls the output sink synchronously), and the
 * machine's counters are read at the same moments.
 */
export async function runTrapspec(options: TrapspecRunOptions): Promise<PeerResult> {
  const peer = `trapspec-${options.paging}`;
  const Machine = await loadMachine();
  if (typeof Machine === 'string') return unavailable(peer, Machine);

  const snapshots = new Map<string, Record<string, number>>();
  let machine: BenchMachine | undefined;
  const clock = new PhaseClock((event) => {
    if (machine === undefined || (event.kind !== 'start' && event.kind !== 'end')) return;
    snapshots.set(`${event.kind}:${event.phase}`, counters(machine));
  });
  machine = new Machine({
    memMiB: options.memMiB ?? 128,
    paging: options.paging,
    output: { writeByte: (b) => clock.byte(b, performance.now()) },
  });
  const loaded = machine.load(options.image, { file: 'guests/bench/bench.img', cmdline: options.cmdline });
  if (!loaded.ok) return { ...unavailable(peer, `load failed: ${JSON.stringify(loaded.error)}`), status: 'failed' };

  const t0 = performance.now();
  const monotonicOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  let stopText: string;
  try {
    const result = machine.run(options.maxInsns ?? Infinity);
    const stop = result.stop;
    stopText =
      stop.kind === 'debug-exit'
        ? `debug-exit ${stop.status}`
        : `${stop.kind}${stop.detail !== undefined ? `: ${stop.detail}` : ''}`;
  } catch (error) {
    stopText = `runtime threw: ${(error as Error).stack ?? String(error)}`;
  }
  const wallSeconds = (performance.now() - t0) / 1000;

  // Snapshots are keyed by phase, so a repeated phase keeps its last run's: the same run
  // phaseResults() reports.
  const phases: PhaseResult[] = phaseResults(clock.phases).map((r) => {
    const before = snapshots.get(`start:${r.name}`);
    const after = snapshots.get(`end:${r.name}`);
    if (before !== undefined && after !== undefined) {
      const d = delta(after, before);
      r.counters = d;
      r.exits = d.exits ?? 0;
      r.exitsPerSecond = r.seconds > 0 ? r.exits / r.seconds : 0;
      r.pagingFaults = pagingFaults(d);
      r.pagingFaultsPerSecond = r.seconds > 0 ? r.pagingFaults / r.seconds : 0;
      r.hostInstructions = d.instructions ?? 0;
    }
    const last = clock.phases.filter((t) => t.name === r.name).pop()!;
    r.windowUs = [last.startMs * 1000 + monotonicOffsetUs, last.endMs * 1000 + monotonicOffsetUs];
    return r;
  });
  const ok = clock.done && clock.exception === undefined;
  const reason = ok ? undefined : (clock.exception ?? `the guest did not finish (${stopText})`);
  return { peer, status: ok ? 'ok' : 'failed', reason, phases, wallSeconds, output: clock.output };
}
