import fc from 'fast-check';
import { hostileGuest, tameGuest } from '../../src/fuzz/arbitraries.ts';
import type { FuzzGuest } from '../../src/fuzz/guest-image.ts';
import { runFuzzGuest, type GuestOutcome } from '../../src/fuzz/run-guest.ts';
import { generateAndCompile } from '../../src/fuzz/spec-compile.ts';
import { applyMutation, checkSpecSources, mutationArb, readAllSpecSources, type Mutation } from '../../src/fuzz/spec-mutate.ts';
import { CR_POLICY_NAMES, PAGING_MODES } from '../../src/runtime/machine/monitor-factory.ts';

/** The campaign's properties (the same ones test/fuzz/ runs as fixed-seed slices), with counters. */

export type Target = 'guest' | 'diff' | 'spec';
export const TARGETS: readonly Target[] = ['guest', 'diff', 'spec'];

export interface Figures {
  cases: number;
  guestsBooted: number;
  instructions: number;
  stops: Record<string, number>;
  specMutations: number;
  specsAccepted: number;
  specErrors: number;
  compiles: number;
}

export function newFigures(): Figures {
  return { cases: 0, guestsBooted: 0, instructions: 0, stops: {}, specMutations: 0, specsAccepted: 0, specErrors: 0, compiles: 0 };
}

export interface PropertyOptions {
  maxInsns: number;
  /** Type-check the generated code of every n-th accepted spec mutation. */
  compileEvery: number;
  root: string;
  onCase: () => void;
}

function count(f: Figures, r: GuestOutcome): void {
  f.guestsBooted++;
  f.instructions += r.instructions;
  f.stops[r.stop.kind] = (f.stops[r.stop.kind] ?? 0) + 1;
}

function guestFailure(g: FuzzGuest, paging: string, r: GuestOutcome): string | null {
  return r.violations.length === 0 ? null : `${g.mode} under ${paging}: ${r.violations.join('; ')}`;
}

export function guestProperty(f: Figures, o: PropertyOptions): fc.IPropertyWithHooks<[FuzzGuest]> {
  return fc.property(hostileGuest(), (g) => {
    f.cases++;
    o.onCase();
    for (const paging of PAGING_MODES) {
      const r = runFuzzGuest(g, { paging, maxInsns: o.maxInsns });
      count(f, r);
      const bad = guestFailure(g, paging, r);
      if (bad !== null) throw new Error(bad);
    }
  });
}

/**
 * What must agree across paging modes. A run cut by the budget (a guest in an exception loop) is
 * compared by its stop only: instruction counts include attempts that faulted or exited, so the
 * cut falls at a different point in each mode (README.md, "Known differences").
 */
export function diffKey(r: GuestOutcome): string {
  if (r.stop.kind === 'max-insns') return JSON.stringify({ stop: r.stop.kind });
  return JSON.stringify({ stop: r.stop.kind, output: r.output, state: r.state });
}

/** Every paging mode under every CR-ownership policy must agree (hidden-bit fuzzing: owned bits change without exits). */
export function diffProperty(f: Figures, o: PropertyOptions): fc.IPropertyWithHooks<[FuzzGuest]> {
  return fc.property(tameGuest(), (g) => {
    f.cases++;
    o.onCase();
    const rs = PAGING_MODES.flatMap((mode) =>
      CR_POLICY_NAMES.map((crPolicy) => {
        const paging = `${mode}/${crPolicy}`;
        const r = runFuzzGuest(g, { paging: mode, crPolicy, maxInsns: o.maxInsns });
        count(f, r);
        const bad = guestFailure(g, paging, r);
        if (bad !== null) throw new Error(bad);
        return { paging, key: diffKey(r) };
      }),
    );
    for (const r of rs.slice(1)) {
      if (r.key !== rs[0]!.key) throw new Error(`${g.mode}: ${rs[0]!.paging} ${rs[0]!.key}\n   != ${r.paging} ${r.key}`);
    }
  });
}

export function specProperty(f: Figures, o: PropertyOptions): fc.IAsyncPropertyWithHooks<[Mutation[]]> {
  const base = readAllSpecSources(o.root);
  return fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (ms) => {
    f.cases++;
    f.specMutations += ms.length;
    o.onCase();
    const sources = ms.reduce(applyMutation, base);
    const r = checkSpecSources(sources);
    if (r.problems.length > 0) throw new Error(r.problems.join('\n'));
    if (r.result === 'errors') {
      f.specErrors++;
      return;
    }
    f.specsAccepted++;
    if (o.compileEvery > 0 && f.specsAccepted % o.compileEvery === 1) {
      f.compiles++;
      const diags = await generateAndCompile(o.root, sources, r.spec!);
      if (diags.length > 0) throw new Error(`accepted spec generates code that does not compile:\n${diags.slice(0, 5).join('\n')}`);
    }
  });
}
