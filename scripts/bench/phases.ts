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
  alu: {
    name: 'alu',
    unit: 'insns',
    baseIterations: 1_000_000,
    insnsPerIteration: 8,
    description: 'register-only loop, paging off',
  },
  mem: {
    name: 'mem',
    unit: 'insns',
    baseIterations: 2,
    insnsPerIteration: 4_194_307,
    description: 'read-modify-write over 4 MiB, 32-bit paging, 4 KiB pages',
  },
  cr3: {
    name: 'cr3',
    unit: 'insns',
    baseIterations: 20_000,
    insnsPerIteration: 19,
    description: 'mov cr3 (same directory) + loads from 16 pages',
  },
  pf: {
    name: 'pf',
    unit: 'faults',
    baseIterations: 20_000,
    insnsPerIteration: 0,
    description: 'demand paging: #PF handler installs each fresh page',
  },
  crmix: {
    name: 'crmix',
    unit: 'insns',
    baseIterations: 50_000,
    insnsPerIteration: 7,
    description: 'mov cr0 (TS), clts, 2x mov cr4 (PGE), mov from cr3',
  },
  mem64: {
    name: 'mem64',
    unit: 'insns',
    baseIterations: 2,
    insnsPerIteration: 4_194_307,
    description: 'mem in long mode, 4-level paging',
  },
  cr364: {
    name: 'cr364',
    unit: 'insns',
    baseIterations: 20_000,
    insnsPerIteration: 19,
    description: 'cr3 in long mode',
  },
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

/** The multiboot command line that selects `phases` with `counts`, each run `repeat` times. */
export function guestCmdline(counts: IterationCounts, phases: readonly PhaseName[], repeat = 1): string {
  const words = PHASE_NAMES.map((name) => `${name}=${counts[name]}`);
  words.push(`repeat=${repeat}`, `phases=${phases.join(',')}`);
  return words.join(' ');
}

/** The exact lines the guest prints for this command line (the alu end line with its check value). */
export function expectedLines(counts: IterationCounts, phases: readonly PhaseName[], repeat = 1): string[] {
  const selected = PHASE_NAMES.filter((name) => phases.includes(name));
  const params = PHASE_NAMES.map((name) => `${name}=${counts[name]}`).join(' ');
  const lines = [`bench ${params} repeat=${repeat} phases=${selected.join(',')}`];
  for (const name of selected) {
    for (let i = 0; i < Math.max(1, repeat); i++) {
      lines.push(`phase ${name} start`);
      const check = name === 'alu' ? ` check=${aluCheck(counts.alu)}` : '';
      lines.push(`phase ${name} end ${PHASES[name].unit}=${expectedCount(name, counts[name])}${check}`);
    }
  }
  lines.push('bench done');
  return lines;
}

/**
 * The alu phase's check value (final EAX xor EDI of its loop, bench.asm), computed here so that
 * every peer's arithmetic is checked, not only its speed.
 */
export function aluCheck(iterations: number): string {
  let eax = 1;
  let ebx = 0x9e3779b9;
  let edx = 0;
  let edi = 0;
  for (let i = 0; i < iterations; i++) {
    eax = (eax + ebx) >>> 0;
    edx = (edx ^ eax) >>> 0;
    edx = ((edx << 5) | (edx >>> 27)) >>> 0;
    ebx = (ebx - edx) >>> 0;
    eax = (eax + edx * 2 + 7) >>> 0;
    edi = (edi + eax) >>> 0;
  }
  return ((edi ^ eax) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
