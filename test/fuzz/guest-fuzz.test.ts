import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostileGuest } from '../../src/fuzz/arbitraries.ts';
import { GUEST_MODES } from '../../src/fuzz/guest-image.ts';
import { runFuzzGuest } from '../../src/fuzz/run-guest.ts';
import { PAGING_MODES } from '../../src/runtime/machine/monitor-factory.ts';

/**
 * Fixed-seed slice of the guest robustness property (npm run fuzz -- --target guest runs it at
 * length): random bytes and hostile sequences in every mode under every paging strategy end in a
 * stop reason within the budget, with no exception, no monitor-error, no bus access outside RAM /
 * unbacked space / allocated monitor pages, and the monitor's invariants intact.
 */
const BUDGET = 4000;

describe('guest fuzzing (fixed seed)', () => {
  for (const mode of GUEST_MODES) {
    for (const paging of PAGING_MODES) {
      it(`${mode} guests under ${paging} paging stop cleanly`, () => {
        const stops = new Set<string>();
        fc.assert(
          fc.property(hostileGuest([mode]), (g) => {
            const r = runFuzzGuest(g, { paging, maxInsns: BUDGET });
            stops.add(r.stop.kind);
            expect(r.violations).toEqual([]);
            expect(r.instructions).toBeLessThanOrEqual(BUDGET);
          }),
          { seed: 0x5eed + mode.length * 31 + paging.length, numRuns: 25 },
        );
        // The slice reaches more than one ending (the generators are not degenerate).
        expect(stops.size).toBeGreaterThan(1);
      });
    }
  }
});
