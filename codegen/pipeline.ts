import type { SpecError, SpecIR } from './ir.ts';
import { registersEmitter } from './emit/registers.ts';
import { cpuModelEmitter } from './emit/cpu-model.ts';
import { docsEmitter } from './emit/docs.ts';
import { rulesEmitter } from './rules/emitter.ts';

/**
 * `trapspec gen` is a pipeline: load the spec once, then run each emitter in order. An emitter
 * returns the files it generates (paths relative to the project root) or spec errors. Adding an
 * emitter = adding one line to EMITTERS.
 */

export interface GeneratedFile {
  /** Relative to the project root, forward slashes. */
  path: string;
  contents: string;
}

export interface EmitContext {
  /** Project root (absolute). */
  root: string;
  spec: SpecIR;
}

export type EmitResult = { files: GeneratedFile[] } | { errors: SpecError[]; sources?: Map<string, string> };

export interface Emitter {
  name: string;
  /** Directories (relative to root) whose contents this emitter owns entirely: files there that
   * it no longer generates are stale (`gen` deletes them, `gen --check` reports them). */
  owns: string[];
  emit(ctx: EmitContext): EmitResult | Promise<EmitResult>;
}

/** The emitters `trapspec gen` runs, in order. */
export const EMITTERS: readonly Emitter[] = [
  registersEmitter, // src/generated/registers/*.ts
  cpuModelEmitter, // src/generated/cpu-model.ts
  docsEmitter, // docs/registers/*.md, *.svg (also `trapspec doc --out DIR`)
  rulesEmitter, // src/generated/handlers/*, src/generated/vectors/vectors.json, test/generated/* (issue 3)
];

export type PipelineResult =
  | { files: GeneratedFile[]; owned: string[]; /** ms per emitter */ timings: Record<string, number> }
  | { errors: SpecError[]; sources: Map<string, string> };

/** Run every emitter; errors from all of them are collected. */
export async function runEmitters(ctx: EmitContext, emitters: readonly Emitter[] = EMITTERS): Promise<PipelineResult> {
  const files: GeneratedFile[] = [];
  const errors: SpecError[] = [];
  const sources = new Map<string, string>();
  const timings: Record<string, number> = {};
  for (const e of emitters) {
    const t0 = performance.now();
    const r = await e.emit(ctx);
    timings[e.name] = performance.now() - t0;
    if ('errors' in r) {
      errors.push(...r.errors);
      for (const [k, v] of r.sources ?? []) sources.set(k, v);
    } else files.push(...r.files);
  }
  if (errors.length > 0) return { errors, sources };
  return {
    files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    owned: emitters.flatMap((e) => e.owns),
    timings,
  };
}
