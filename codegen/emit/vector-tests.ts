import { createHash } from 'node:crypto';
import type { GeneratedFile } from '../pipeline.ts';
import { finishTs } from './format.ts';
import type { VectorsDoc } from './vectors.ts';
import { VECTORS_PATH } from './vectors.ts';

/**
 * Emits test/generated/<rules file>.vectors.test.ts: every conformance vector of that rules
 * file run through the trap monitor and the generated handlers, compared with the outcome the
 * reference interpreter derived. The shared suite is hand-written in
 * test/rules/support/vector-suite.ts; each emitted file holds only its source, the per-rule counts
 * and the digest, so a rule edit that adds or removes vectors shows up in the diff.
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
import { describeVectors } from '../rules/support/vector-suite.ts';

describeVectors({
  source: ${JSON.stringify(source)},
  vectorsPath: ${JSON.stringify(VECTORS_PATH)},
  counts: ${JSON.stringify(counts)},
  digest: ${JSON.stringify(digest)},
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
