import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SpecError, SpecIR } from './ir.ts';
import type { FileAst } from './registers/ast.ts';
import { parseRegisterFile } from './registers/parse.ts';
import { checkRegisterFiles } from './registers/check.ts';
import { sortErrors } from './diagnostics.ts';

/**
 * Spec files: `spec/cpu/*.cpu` (the CPU model) and `spec/registers/*.reg` (register layouts),
 * read in sorted order so results are deterministic. Paths in the IR and in errors are relative
 * to the project root with forward slashes.
 */
export const SPEC_SOURCES = [
  { dir: 'spec/cpu', ext: '.cpu' },
  { dir: 'spec/registers', ext: '.reg' },
] as const;

export interface LoadFailure {
  errors: SpecError[];
  /** Text of every file read, keyed like SourcePos.file, for formatSpecErrors. */
  sources: Map<string, string>;
}

export interface LoadSuccess {
  spec: SpecIR;
  sources: Map<string, string>;
}

/** List the spec files under rootDir (relative paths, sorted). */
export function listSpecFiles(rootDir: string): string[] {
  const out: string[] = [];
  for (const { dir, ext } of SPEC_SOURCES) {
    const abs = join(rootDir, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs).sort()) {
      if (name.endsWith(ext)) out.push(relative(rootDir, join(abs, name)).split('\\').join('/'));
    }
  }
  return out;
}

/** Parse and check in-memory files (path → text); what loadSpec does after reading the disk. */
export function loadSpecFromSources(sources: Map<string, string>): LoadSuccess | LoadFailure {
  const errors: SpecError[] = [];
  const asts: FileAst[] = [];
  for (const [file, text] of sources) {
    const r = parseRegisterFile(file, text);
    if ('errors' in r) errors.push(...r.errors);
    else asts.push(r.ast);
  }
  // After a syntax error, still check the files that parsed, unless the CPU model itself was lost
  // (then every `requires` would be reported as unknown: noise, not information).
  const haveCpu = asts.some((a) => a.items.some((i) => i.type === 'cpu'));
  if (errors.length > 0 && !haveCpu) return { errors: sortErrors(errors), sources };
  const checked = checkRegisterFiles(asts);
  if ('errors' in checked) errors.push(...checked.errors);
  if (errors.length > 0 || 'errors' in checked) return { errors: sortErrors(errors), sources };
  return { spec: checked.spec, sources };
}

/** Read, parse and check every register/CPU spec file under rootDir. */
export function loadSpec(rootDir: string): LoadSuccess | LoadFailure {
  const sources = new Map<string, string>();
  for (const file of listSpecFiles(rootDir)) sources.set(file, readFileSync(join(rootDir, file), 'utf8'));
  return loadSpecFromSources(sources);
}
