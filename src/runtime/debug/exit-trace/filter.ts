/**
 * `--trace-exits=FILTER`: which exits the exit trace prints. A comma-separated list of
 *   registers  cr0 cr3 cr4 cr8 efer xcr0   exits a rule about that register decided
 *   kinds      rules msr cpuid io hlt invlpg pf exception interrupt (the event-window exits)
 *   outcomes   fault (an exception went into the guest)  applied (none did)
 *   all        every exit (the default)
 * An exit is printed when it matches one of the registers/kinds given (any, if none is given)
 * and one of the outcomes given (any, if none is given): `cr0,cr4,fault` = CR0 and CR4 exits
 * that faulted.
 */

export const FILTER_REGISTERS = ['cr0', 'cr3', 'cr4', 'cr8', 'efer', 'xcr0'] as const;
export const FILTER_KINDS = ['rules', 'msr', 'cpuid', 'io', 'hlt', 'invlpg', 'pf', 'exception', 'interrupt'] as const;
export const FILTER_OUTCOMES = ['fault', 'applied'] as const;

export type FilterRegister = (typeof FILTER_REGISTERS)[number];
export type FilterKind = (typeof FILTER_KINDS)[number];
export type FilterOutcome = (typeof FILTER_OUTCOMES)[number];

export interface ExitFilter {
  /** Registers and kinds selected (empty: every exit). */
  registers: ReadonlySet<FilterRegister>;
  kinds: ReadonlySet<FilterKind>;
  /** Outcomes selected (empty: any). */
  outcomes: ReadonlySet<FilterOutcome>;
}

/** What the filter looks at in one exit. */
export interface ExitClass {
  /** The register a rule decided about (undefined: not a rule exit). */
  register: FilterRegister | undefined;
  kinds: readonly FilterKind[];
  fault: boolean;
}

export const ALL_EXITS: ExitFilter = { registers: new Set(), kinds: new Set(), outcomes: new Set() };

const WORDS = [...FILTER_REGISTERS, ...FILTER_KINDS, ...FILTER_OUTCOMES, 'all'];

/** Parse a FILTER; an error is one line saying which word is wrong and what is allowed. */
export function parseExitFilter(text: string): { ok: true; filter: ExitFilter } | { ok: false; error: string } {
  const registers = new Set<FilterRegister>();
  const kinds = new Set<FilterKind>();
  const outcomes = new Set<FilterOutcome>();
  const words = text.split(',').map((w) => w.trim().toLowerCase());
  for (const w of words) {
    if ((FILTER_REGISTERS as readonly string[]).includes(w)) registers.add(w as FilterRegister);
    else if ((FILTER_KINDS as readonly string[]).includes(w)) kinds.add(w as FilterKind);
    else if ((FILTER_OUTCOMES as readonly string[]).includes(w)) outcomes.add(w as FilterOutcome);
    else if (w !== 'all') {
      const what = w === '' ? 'an empty filter word' : `unknown filter '${w}'`;
      return { ok: false, error: `${what} (expected a comma-separated list of: ${WORDS.join(', ')}; write --trace-exits=FILTER)` };
    }
  }
  return { ok: true, filter: { registers, kinds, outcomes } };
}

export function filterMatches(f: ExitFilter, c: ExitClass): boolean {
  if (f.registers.size + f.kinds.size > 0) {
    const byReg = c.register !== undefined && f.registers.has(c.register);
    if (!byReg && !c.kinds.some((k) => f.kinds.has(k))) return false;
  }
  if (f.outcomes.size > 0 && !f.outcomes.has(c.fault ? 'fault' : 'applied')) return false;
  return true;
}
