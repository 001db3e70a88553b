import { NamedExitCounts } from '../vmm/exit-counts.ts';
import type { CrAccessExit, VmExit } from '../vmm/exit.ts';
import type { ExitOutcome, Monitor } from '../vmm/monitor.ts';
import type { Vcpu } from '../vmm/vcpu.ts';

export { exitName } from '../vmm/exit-counts.ts';

/**
 * Wraps any monitor and counts the exits it handles, by name ("mov-to-cr3", "clts", "io-out",
 * "exception #14"). The machine always installs it, so exit statistics do not depend on which
 * monitor (bare or generated) runs. Counting is a slot increment (vmm/exit-counts.ts); the Map
 * is built when `counts` is read.
 */
export class CountingMonitor implements Monitor {
  private readonly named = new NamedExitCounts();

  constructor(readonly inner: Monitor) {}

  /** Exits handled so far, by name (a fresh Map on each read). */
  get counts(): Map<string, number> {
    return this.named.toMap();
  }

  get total(): number {
    return this.named.total;
  }

  attach(vcpu: Vcpu): void {
    this.inner.attach(vcpu);
  }

  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    this.named.count(exit);
    return this.inner.handleExit(exit, vcpu);
  }

  handleCrAccess(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome {
    this.named.countCr(exit);
    const inner = this.inner;
    return inner.handleCrAccess !== undefined ? inner.handleCrAccess(exit, vcpu) : inner.handleExit(exit, vcpu);
  }
}
