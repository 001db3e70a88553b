import type { CrAccessExit, VmExit } from './exit.ts';

/**
 * Exit counters without a Map<string> update per exit (issue 7: exits are the hot path). Each
 * counter is a slot in a Float64Array picked by a switch on the exit's fields; the by-name Map
 * the reports and tests read (`toMap()`) is built only when asked for.
 */

/** Every VmExit reason, in a fixed order (the slot of `ReasonCounts`). */
export const EXIT_REASONS: readonly VmExit['reason'][] = ['cr-access', 'rdmsr', 'wrmsr', 'xsetbv', 'cpuid', 'hlt', 'io', 'invlpg', 'exception', 'npf', 'interrupt-window', 'nmi-window', 'task-switch'];

export function reasonSlot(reason: VmExit['reason']): number {
  switch (reason) {
    case 'cr-access':
      return 0;
    case 'rdmsr':
      return 1;
    case 'wrmsr':
      return 2;
    case 'xsetbv':
      return 3;
    case 'cpuid':
      return 4;
    case 'hlt':
      return 5;
    case 'io':
      return 6;
    case 'invlpg':
      return 7;
    case 'exception':
      return 8;
    case 'npf':
      return 9;
    case 'interrupt-window':
      return 10;
    case 'nmi-window':
      return 11;
    case 'task-switch':
      return 12;
  }
}

/** The slot of ReasonCounts for cr-access exits (TrapMonitor's exit handlers count with it). */
export const CR_ACCESS_SLOT = reasonSlot('cr-access');

/** Exits by reason ('cr-access', 'wrmsr', ...). */
export class ReasonCounts {
  /** One counter per reason (reasonSlot); a hot exit path may increment its slot directly. */
  readonly slots = new Float64Array(EXIT_REASONS.length);

  count(exit: VmExit): void {
    this.slots[reasonSlot(exit.reason)]++;
  }

  /** count() of a cr-access exit, without reading the exit (see Monitor.handleCrAccess). */
  countCrAccess(): void {
    this.slots[CR_ACCESS_SLOT]++;
  }

  get(reason: VmExit['reason']): number {
    return this.slots[reasonSlot(reason)]!;
  }

  /** The non-zero counters by reason, in EXIT_REASONS order. */
  toMap(): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < EXIT_REASONS.length; i++) if (this.slots[i]! > 0) out.set(EXIT_REASONS[i]!, this.slots[i]!);
    return out;
  }
}

// ---- exits by name (--stats): "mov-to-cr3", "clts", "io-out", "exception #14", ... ----------

const CR_SLOTS = 16;
const VECTORS = 32;
const SLOT_MOV_TO_CR = 0;
const SLOT_MOV_FROM_CR = SLOT_MOV_TO_CR + CR_SLOTS;
const SLOT_CLTS = SLOT_MOV_FROM_CR + CR_SLOTS;
const SLOT_LMSW = SLOT_CLTS + 1;
const SLOT_SMSW = SLOT_LMSW + 1;
const SLOT_RDMSR = SLOT_SMSW + 1;
const SLOT_WRMSR = SLOT_RDMSR + 1;
const SLOT_XSETBV = SLOT_WRMSR + 1;
const SLOT_CPUID = SLOT_XSETBV + 1;
const SLOT_HLT = SLOT_CPUID + 1;
const SLOT_IO_IN = SLOT_HLT + 1;
const SLOT_IO_OUT = SLOT_IO_IN + 1;
const SLOT_INVLPG = SLOT_IO_OUT + 1;
const SLOT_NPF = SLOT_INVLPG + 1;
const SLOT_INTR_WINDOW = SLOT_NPF + 1;
const SLOT_NMI_WINDOW = SLOT_INTR_WINDOW + 1;
const SLOT_EXCEPTION = SLOT_NMI_WINDOW + 1;
const NAME_SLOTS = SLOT_EXCEPTION + VECTORS;
/** An exit whose name has no slot (CR number ≥ 16, vector ≥ 32: never produced by this CPU). */
const NO_SLOT = -1;

/** The name of each slot, precomputed. */
const SLOT_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (let cr = 0; cr < CR_SLOTS; cr++) names[SLOT_MOV_TO_CR + cr] = `mov-to-cr${cr}`;
  for (let cr = 0; cr < CR_SLOTS; cr++) names[SLOT_MOV_FROM_CR + cr] = `mov-from-cr${cr}`;
  names[SLOT_CLTS] = 'clts';
  names[SLOT_LMSW] = 'lmsw';
  names[SLOT_SMSW] = 'smsw';
  names[SLOT_RDMSR] = 'rdmsr';
  names[SLOT_WRMSR] = 'wrmsr';
  names[SLOT_XSETBV] = 'xsetbv';
  names[SLOT_CPUID] = 'cpuid';
  names[SLOT_HLT] = 'hlt';
  names[SLOT_IO_IN] = 'io-in';
  names[SLOT_IO_OUT] = 'io-out';
  names[SLOT_INVLPG] = 'invlpg';
  names[SLOT_NPF] = 'npf';
  names[SLOT_INTR_WINDOW] = 'interrupt-window';
  names[SLOT_NMI_WINDOW] = 'nmi-window';
  for (let v = 0; v < VECTORS; v++) names[SLOT_EXCEPTION + v] = `exception #${v}`;
  return names;
})();

/** The name slot of a cr-access exit (NamedExitCounts.slots), or -1 when its name has none. */
export function crExitSlot(exit: CrAccessExit): number {
  switch (exit.access) {
    case 'mov-to-cr':
      return exit.cr >= 0 && exit.cr < CR_SLOTS ? SLOT_MOV_TO_CR + exit.cr : NO_SLOT;
    case 'mov-from-cr':
      return exit.cr >= 0 && exit.cr < CR_SLOTS ? SLOT_MOV_FROM_CR + exit.cr : NO_SLOT;
    case 'clts':
      return SLOT_CLTS;
    case 'lmsw':
      return SLOT_LMSW;
    case 'smsw':
      return SLOT_SMSW;
  }
  return NO_SLOT;
}

function nameSlot(exit: VmExit): number {
  switch (exit.reason) {
    case 'cr-access':
      return crExitSlot(exit);
    case 'rdmsr':
      return SLOT_RDMSR;
    case 'wrmsr':
      return SLOT_WRMSR;
    case 'xsetbv':
      return SLOT_XSETBV;
    case 'cpuid':
      return SLOT_CPUID;
    case 'hlt':
      return SLOT_HLT;
    case 'io':
      return exit.direction === 'in' ? SLOT_IO_IN : exit.direction === 'out' ? SLOT_IO_OUT : NO_SLOT;
    case 'invlpg':
      return SLOT_INVLPG;
    case 'npf':
      return SLOT_NPF;
    case 'interrupt-window':
      return SLOT_INTR_WINDOW;
    case 'nmi-window':
      return SLOT_NMI_WINDOW;
    case 'exception':
      return exit.vector >= 0 && exit.vector < VECTORS ? SLOT_EXCEPTION + exit.vector : NO_SLOT;
    case 'task-switch':
      return NO_SLOT; // rare: counted by name in the map
  }
}

/** A short name for an exit, for --stats: "mov-to-cr3", "wrmsr", "io-out", "exception #14". */
export function exitName(exit: VmExit): string {
  const slot = nameSlot(exit);
  if (slot !== NO_SLOT) return SLOT_NAMES[slot]!;
  switch (exit.reason) {
    case 'cr-access':
      return `${exit.access}${exit.cr}`;
    case 'io':
      return `io-${String(exit.direction)}`;
    case 'exception':
      return `exception #${exit.vector}`;
    default:
      return exit.reason;
  }
}

/** The reason of each name slot (reasons are sums of name slots, made when read). */
const SLOT_REASONS: readonly VmExit['reason'][] = (() => {
  const reasons: VmExit['reason'][] = [];
  for (let i = SLOT_MOV_TO_CR; i <= SLOT_SMSW; i++) reasons[i] = 'cr-access';
  reasons[SLOT_RDMSR] = 'rdmsr';
  reasons[SLOT_WRMSR] = 'wrmsr';
  reasons[SLOT_XSETBV] = 'xsetbv';
  reasons[SLOT_CPUID] = 'cpuid';
  reasons[SLOT_HLT] = 'hlt';
  reasons[SLOT_IO_IN] = 'io';
  reasons[SLOT_IO_OUT] = 'io';
  reasons[SLOT_INVLPG] = 'invlpg';
  reasons[SLOT_NPF] = 'npf';
  reasons[SLOT_INTR_WINDOW] = 'interrupt-window';
  reasons[SLOT_NMI_WINDOW] = 'nmi-window';
  for (let v = 0; v < VECTORS; v++) reasons[SLOT_EXCEPTION + v] = 'exception';
  return reasons;
})();

/**
 * Exits by name and by reason. An exit is one increment of its name's slot (the rare exit
 * without a slot goes to a Map); totals and the counts by reason are sums made when read.
 */
export class NamedExitCounts {
  /** One counter per exit name; the JIT's exit sites increment a precomputed slot (crExitSlot). */
  readonly slots = new Float64Array(NAME_SLOTS);
  private readonly other = new Map<string, number>();
  /** The exits counted in `other`, by reason. */
  private readonly otherReasons = new ReasonCounts();

  count(exit: VmExit): void {
    const slot = nameSlot(exit);
    if (slot !== NO_SLOT) this.slots[slot]++;
    else this.countOther(exit);
  }

  /** count() of a cr-access exit: only CrAccessExit objects reach this site (one hidden class). */
  countCr(exit: CrAccessExit): void {
    const slot = crExitSlot(exit);
    if (slot !== NO_SLOT) this.slots[slot]++;
    else this.countOther(exit);
  }

  private countOther(exit: VmExit): void {
    this.otherReasons.count(exit);
    const name = exitName(exit);
    this.other.set(name, (this.other.get(name) ?? 0) + 1);
  }

  /** Every exit counted. */
  get total(): number {
    let n = 0;
    for (let i = 0; i < NAME_SLOTS; i++) n += this.slots[i]!;
    for (const v of this.other.values()) n += v;
    return n;
  }

  /** The non-zero counters by reason ('cr-access', 'hlt', ...), in EXIT_REASONS order. */
  reasonMap(): Map<string, number> {
    const sums = new Float64Array(EXIT_REASONS.length);
    for (let r = 0; r < EXIT_REASONS.length; r++) sums[r] = this.otherReasons.slots[r]!;
    for (let i = 0; i < NAME_SLOTS; i++) {
      const r = reasonSlot(SLOT_REASONS[i]!);
      sums[r] = sums[r]! + this.slots[i]!;
    }
    const out = new Map<string, number>();
    for (let r = 0; r < EXIT_REASONS.length; r++) if (sums[r]! > 0) out.set(EXIT_REASONS[r]!, sums[r]!);
    return out;
  }

  /** The non-zero counters by name (slot order, then the others in first-seen order). */
  toMap(): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < NAME_SLOTS; i++) if (this.slots[i]! > 0) out.set(SLOT_NAMES[i]!, this.slots[i]!);
    for (const [name, n] of this.other) out.set(name, n);
    return out;
  }
}
