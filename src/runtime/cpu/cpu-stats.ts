import { NamedExitCounts } from '../vmm/exit-counts.ts';

/** Counters for --stats. */
export class CpuStats {
  /** Instructions started (a faulting one counts), updated live; RDTSC derives from it. */
  instructions = 0;
  /**
   * Exits by name and by reason, counted in slots (vmm/exit-counts.ts): the machine's only exit
   * counter (every exit reaches the monitor through exit()/exitCr()).
   */
  readonly exits = new NamedExitCounts();
  /** Exits by reason as a Map (built on each read). */
  get exitsByReason(): Map<string, number> {
    return this.exits.reasonMap();
  }
  readonly udByMnemonic = new Map<string, number>();
  decodeMisses = 0;
}
