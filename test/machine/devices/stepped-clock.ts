import { MachineClock } from '../../../src/runtime/machine/clock.ts';

/**
 * The machine's deterministic clock driven by a counter the test moves, with timers run at
 * their deadlines in order (as the machine's run loop does at instruction boundaries).
 */
export class SteppedClock extends MachineClock {
  private ns = 0;

  constructor() {
    let self: SteppedClock | undefined;
    super(() => self?.ns ?? 0);
    self = this;
  }

  /** Move virtual time to `targetNs`, running every timer due on the way at its deadline. */
  advanceTo(targetNs: number): void {
    for (;;) {
      const next = this.nextDeadlineNs();
      if (next > targetNs) break;
      if (next > this.ns) this.ns = next;
      this.runDue();
    }
    if (targetNs > this.ns) this.ns = targetNs;
  }

  advance(ns: number): void {
    this.advanceTo(this.ns + ns);
  }
}
