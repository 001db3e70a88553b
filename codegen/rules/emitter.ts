import type { Emitter, EmitResult } from '../pipeline.ts';
import { loadRules } from './load.ts';
import { emitHandlers, HANDLERS_DIR } from '../emit/handlers.ts';
import { emitVectors, VECTORS_DIR } from '../emit/vectors.ts';
import { emitVectorTests, VECTOR_TESTS_DIR } from '../emit/vector-tests.ts';
import { emitCrPolicies } from '../emit/ownership.ts';

/**
 * The trap-rule stage of `trapspec gen`: load spec/rules/*.rules against the register spec, then
 * emit the exit handlers, the conformance vectors and the generated vitest files.
 */
export const rulesEmitter: Emitter = {
  name: 'rules',
  owns: [HANDLERS_DIR, VECTORS_DIR, VECTOR_TESTS_DIR],
  async emit(ctx): Promise<EmitResult> {
    const loaded = loadRules(ctx.root, ctx.spec);
    if ('errors' in loaded) return { errors: loaded.errors, sources: loaded.sources };
    const vectors = emitVectors(loaded.rules, ctx.spec);
    return {
      files: [
        ...(await emitHandlers(loaded.rules, ctx.spec)),
        await emitCrPolicies(loaded.rules),
        ...vectors.files,
        ...(await emitVectorTests(vectors.doc)),
      ],
    };
  },
};
