import type { VmExit } from '../vmm/exit.ts';
import type { ExitOutcome, Monitor } from '../vmm/monitor.ts';
import type { Vcpu } from '../vmm/vcpu.ts';

/** A short name for an exit, for --stats: "mov-to-cr3", "wrmsr", "io-out", "exception #14". */
export function exitName(exit: VmExit): string {
  switch (exit.reason) {
    case 'cr-access':
      return exit.access === 'mov-to-cr' || exit.access === 'mov-from-cr' ? `${exit.access}${exit.cr}` : exit.access;
    case 'io':
      return `io-${exit.direction}`;
    case 'exception':
      return `exception #${exit.vector}`;
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
