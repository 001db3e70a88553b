import type { VmExit } from '../vmm/exit.ts';
import type { ExitOutcome, Monitor } from '../vmm/monitor.ts';
import type { Vcpu } from '../vmm/vcpu.ts';

/** Precomputed names (no string building per exit). */
const MOV_TO_CR = Array.from({ length: 16 }, (_, cr) => `mov-to-cr${cr}`);
const MOV_FROM_CR = Array.from({ length: 16 }, (_, cr) => `mov-from-cr${cr}`);
const EXCEPTION = Array.from({ length: 32 }, (_, v) => `exception #${v}`);

/** A short name for an exit, for --stats: "mov-to-cr3", "wrmsr", "io-out", "exception #14". */
export function exitName(exit: VmExit): string {
  switch (exit.reason) {
    case 'cr-access':
      if (exit.access === 'mov-to-cr') return MOV_TO_CR[exit.cr] ?? `${exit.access}${exit.cr}`;
      if (exit.access === 'mov-from-cr') return MOV_FROM_CR[exit.cr] ?? `${exit.access}${exit.cr}`;
      return exit.access;
    case 'io':
      return exit.direction === 'in' ? 'io-in' : exit.direction === 'out' ? 'io-out' : `io-${exit.direction}`;
    case 'exception':
      return EXCEPTION[exit.vector] ?? `exception #${exit.vector}`;
    default:
      return exit.reason;
  }
}

/**
 * Wraps any monitor and counts the exits it handles, by name. The machine always installs it,
 * so exit statistics do not depend on which monitor (bare or generated) runs.
 */
export class CountingMonitor implements Monitor {
  readonly counts = new Map<string, number>();
  total = 0;

  constructor(readonly inner: Monitor) {}

  attach(vcpu: Vcpu): void {
    this.inner.attach(vcpu);
  }

  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    this.total++;
    const name = exitName(exit);
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    return this.inner.handleExit(exit, vcpu);
  }
}
