import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { runEmitters } from '../../codegen/pipeline.ts';
import type { SpecIR } from '../../codegen/ir.ts';
import type { SpecSources } from './spec-mutate.ts';

/**
 * A spec that passes the checker must generate TypeScript that compiles: run every emitter on the
 * mutated spec (rules are read from a temporary root holding the mutated files), then type-check
 * the generated .ts files in memory, overlaid on the project (so their imports of the runtime
 * resolve to the real files). Returns diagnostics as text; empty means it compiles.
 */
export async function generateAndCompile(projectRoot: string, sources: SpecSources, spec: SpecIR): Promise<string[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'trapspec-fuzz-'));
  try {
    for (const [f, t] of sources) {
      mkdirSync(dirname(join(tmp, f)), { recursive: true });
      writeFileSync(join(tmp, f), t);
    }
    let r;
    try {
      r = await runEmitters({ root: tmp, spec });
    } catch (e) {
      return [`emitter threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`];
    }
    if ('errors' in r) return r.errors.map((e) => `emitter error ${e.pos.file}:${e.pos.line}:${e.pos.column}: ${e.message}`);
    const overlay = new Map<string, string>();
    for (const f of r.files) if (f.path.endsWith('.ts') && !f.path.startsWith('test/')) overlay.set(resolve(projectRoot, f.path), f.contents);
    return compileOverlay(projectRoot, overlay);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function compileOverlay(projectRoot: string, overlay: Map<string, string>): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(resolve(projectRoot, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => undefined,
  });
  const options: ts.CompilerOptions = { ...(parsed?.options ?? {}), noEmit: true, skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => overlay.get(resolve(f)) ?? readFile(f);
  host.fileExists = (f) => overlay.has(resolve(f)) || fileExists(f);
  host.getSourceFile = (f, lang, onError, create) => {
    const text = overlay.get(resolve(f));
    if (text !== undefined) return ts.createSourceFile(f, text, lang, true);
    return getSourceFile(f, lang, onError, create);
  };
  const program = ts.createProgram([...overlay.keys()], options, host);
  const diags = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].filter(
    (d) => d.file === undefined || overlay.has(resolve(d.file.fileName)),
  );
  return diags.map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return msg;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName}:${line + 1}:${character + 1}: ${msg}`;
  });
}
