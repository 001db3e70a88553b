import { createHash } from 'node:crypto';
import type { GeneratedFile } from '../pipeline.ts';
import { finishTs } from './format.ts';
import type { VectorsDoc } from './vectors.ts';
import { VECTORS_PATH } from './vectors.ts';

/**
 * Emits test/generated/<rules file>.vectors.test.ts: every conformance vector of that rules
 * file run through the trap monitor and the generated handlers (test/rules/support/), compared
 * with the outcome the reference interpreter derived. The per-rule counts are in the file, so a
 * rule edit that adds or removes vectors shows up in the diff.
 */

export const VECTOR_TESTS_DIR = 'test/generated';

export async function emitVectorTests(doc: VectorsDoc): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const source of doc.sources) {
    const base = source.replace(/^.*\//, '').replace(/\.rules$/, '');
    const counts: Record<string, number> = {};
    for (const v of doc.vectors) if (v.source.startsWith(`${source}:`)) counts[v.rule] = (counts[v.rule] ?? 0) + 1;
    if (Object.keys(counts).length === 0) continue;
    const mine = doc.vectors.filter((v) => v.source.startsWith(`${source}:`));
    const digest = vectorsDigest(mine.map((v) => JSON.stringify(v)));
    const body = `
import { describe, expect, it } from 'vitest';
import { loadVectors, observe, expectedOf, vectorsDigest } from '../rules/support/run-vector.ts';

const SOURCE = ${JSON.stringify(source)};
/** Vectors per rule, as generated from ${source}. */
const COUNTS: Record<string, number> = ${JSON.stringify(counts)};
/** SHA-256 (first 16 hex digits) of these vectors as generated: changes with every rule edit. */
const DIGEST = ${JSON.stringify(digest)};

const vectors = loadVectors(${JSON.stringify(VECTORS_PATH)}).filter((v) => v.source.startsWith(\`\${SOURCE}:\`));

describe(\`conformance vectors of \${SOURCE}\`, () => {
  it('has the generated vectors', () => {
    const counts: Record<string, number> = {};
    for (const v of vectors) counts[v.rule] = (counts[v.rule] ?? 0) + 1;
    expect(counts).toEqual(COUNTS);
    expect(vectorsDigest(vectors.map((v) => JSON.stringify(v)))).toBe(DIGEST);
  });

  it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    expect(observe(v)).toEqual(expectedOf(v));
  });
});
`;
    files.push({ path: `${VECTOR_TESTS_DIR}/${base}.vectors.test.ts`, contents: await finishTs(source, body) });
  }
  return files;
}

/** The digest the generated tests pin (same function as test/rules/support/run-vector.ts). */
export function vectorsDigest(lines: string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}
