import { describe, expect, it } from 'vitest';
import { expectedOf, loadVectors, observe, vectorsDigest } from './run-vector.ts';

/** What one generated test/generated/<rules file>.vectors.test.ts pins about its vectors. */
export interface VectorSuite {
  /** The rules file the vectors were generated from, e.g. 'spec/rules/cr0.rules'. */
  source: string;
  /** vectors.json, relative to the repository root. */
  vectorsPath: string;
  /** Vectors per rule, as generated: a rule edit that adds or removes vectors shows in the diff. */
  counts: Record<string, number>;
  /** SHA-256 (first 16 hex digits) of these vectors as generated: changes with every rule edit. */
  digest: string;
}

/**
 * The suite every generated vector test file runs (codegen/emit/vector-tests.ts emits only the
 * call with its own source, counts and digest): checks the vectors are the generated ones, then
 * runs each through the trap monitor and the generated handlers and compares with the outcome
 * the reference interpreter derived.
 */
export function describeVectors(suite: VectorSuite): void {
  const { source } = suite;
  const vectors = loadVectors(suite.vectorsPath).filter((v) => v.source.startsWith(`${source}:`));

  describe(`conformance vectors of ${source}`, () => {
    it('has the generated vectors', () => {
      const counts: Record<string, number> = {};
      for (const v of vectors) counts[v.rule] = (counts[v.rule] ?? 0) + 1;
      expect(counts).toEqual(suite.counts);
      expect(vectorsDigest(vectors.map((v) => JSON.stringify(v)))).toBe(suite.digest);
    });

    it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
      expect(observe(v)).toEqual(expectedOf(v));
    });
  });
}
