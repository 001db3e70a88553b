/**
 * The benchmark guest's phases (guests/bench/bench.asm) as the host sees them: names, what each
 * counts, the iteration counts of one run at --scale 1, and the guest command line.
 */

export const PHASE_NAMES = ['alu', 'mem', 'cr3', 'pf', 'crmix', 'mem64', 'cr364'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** 32-bit phases: the ones a peer without long mode (v86) can run. */
export const PHASES_32: readonly PhaseName[] = ['alu', 'mem', 'cr3', 'pf', 'crmix'];

export interface PhaseInfo {
  name: PhaseName;
  /** What the end line counts: executed instructions, or page faults handled by the guest. */
  unit: 'insns' | 'faults';
  /** Iterations (passes for mem/mem64) at --scale 1. */
  baseIterations: number;
  /** Guest instructions per iteration, as the guest counts them (bench.asm header). */
  insnsPerIteration: number;
  description: string;
}

/** At --scale 1 each phase runs for roughly a second under trapspec. */
export const PHASES: Readonly<Record<PhaseName, PhaseInfo>> = {
  alu: { name: 'alu', unit: 'insns', baseIterations: 1_000_000, insnsPerIteration: 8, description: 'register-only loop, paging off' },
  mem: { name: 'mem', unit: 'insns', baseIterations: 2, insnsPerIteration: 4_194_307, description: 'read-modify-write over 4 MiB, 32-bit paging, 4 KiB pages' },
  cr3: { name: 'cr3', unit: 'insns', baseIterations: 20_000, insnsPerIteration: 19, description: 'mov cr3 (same directory) + loads from 16 pages' },
  pf: { name: 'pf', unit: 'faults', baseIterations: 20_000, insnsPerIteration: 0, description: 'demand paging: #PF handler installs each fresh page' },
  crmix: { name: 'crmix', unit: 'insns', baseIterations: 50_000, insnsPerIteration: 7, description: 'mov cr0 (TS), clts, 2x mov cr4 (PGE), mov from cr3' },
  mem64: { name: 'mem64', unit: 'insns', baseIterations: 2, insnsPerIteration: 4_194_307, description: 'mem in long mode, 4-level paging' },
  cr364: { name: 'cr364', unit: 'insns', baseIterations: 20_000, insnsPerIteration: 19, description: 'cr3 in long mode' },
};

export type IterationCounts = Record<PhaseName, number>;

export function isPhaseName(name: string): name is PhaseName {
  return (PHASE_NAMES as readonly string[]).includes(name);
}

/** Iteration counts for a scale factor (at least 1 iteration per phase). */
export function scaledCounts(scale: number): IterationCounts {
  const out = {} as IterationCounts;
  for (const name of PHASE_NAMES) out[name] = Math.max(1, Math.round(PHASES[name].baseIterations * scale));
  return out;
}

/** The count the guest prints on a phase's end line for these iterations. */
export function expectedCount(name: PhaseName, iterations: number): number {
  const info = PHASES[name];
  return info.unit === 'faults' ? iterations : iterations * info.insnsPerIteration;
}

/** The multiboot command line that selects `phases` with `counts`. */
export function guestCmdline(counts: IterationCounts, phases: readonly PhaseName[]): string {
  const words = PHASE_NAMES.map((name) => `${name}=${counts[name]}`);
  words.push(`phases=${phases.join(',')}`);
  return words.join(' ');
}

/**
 * The exact lines the guest prints for this command line, excluding the alu check value (a
 * property of the computation, compared between peers instead).
 */
export function expectedLines(counts: IterationCounts, phases: readonly PhaseName[]): string[] {
  const selected = PHASE_NAMES.filter((name) => phases.includes(name));
  const lines = [`bench ${PHASE_NAMES.map((name) => `${name}=${counts[name]}`).join(' ')} phases=${selected.join(',')}`];
  for (const name of selected) {
    lines.push(`phase ${name} start`);
    lines.push(`phase ${name} end ${PHASES[name].unit}=${expectedCount(name, counts[name])}`);
  }
  lines.push('bench done');
  return lines;
}
