import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/**
 * Times the whole spec's code generation in a fresh process (what `npm run gen` does, without
 * writing files): module loading (ohm grammar, ts-morph, prettier) and the pipeline itself.
 * Prints one JSON CodegenTiming line.
 */
export interface CodegenTiming {
  ok: boolean;
  /** Importing the codegen modules (ohm-js, ts-morph, prettier). */
  importMs: number;
  /** Loading and checking the spec plus every emitter, first run in the process. */
  pipelineMs: number;
  /** The same again, warm (JIT-compiled, caches filled). */
  warmPipelineMs: number;
  files: number;
  timings: Record<string, number>;
  error?: string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const t0 = performance.now();
const { generateInMemory } = await import('../../codegen/generate.ts');
const importMs = performance.now() - t0;
const t1 = performance.now();
const first = await generateInMemory(root);
const pipelineMs = performance.now() - t1;
const t2 = performance.now();
await generateInMemory(root);
const warmPipelineMs = performance.now() - t2;
const timing: CodegenTiming =
  'errorText' in first
    ? { ok: false, importMs, pipelineMs, warmPipelineMs, files: 0, timings: {}, error: first.errorText }
    : { ok: true, importMs, pipelineMs, warmPipelineMs, files: first.files.length, timings: first.timings };
process.stdout.write(`${JSON.stringify(timing)}\n`);
