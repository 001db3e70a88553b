import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatSpecErrors } from './diagnostics.ts';
import { loadSpec } from './load.ts';
import { EMITTERS, type Emitter, type GeneratedFile, runEmitters } from './pipeline.ts';

/**
 * `gen` and `gen --check` on top of the pipeline. Both return a report instead of throwing: the
 * text to print and the exit status.
 */

export interface GenReport {
  ok: boolean;
  /** Human-readable output (errors formatted as file:line:col with source and caret). */
  text: string;
  files: GeneratedFile[];
  /** For --check: files that differ, are missing, or should not exist. */
  stale: string[];
  ms: number;
}

/** Load the spec and run the emitters, in memory. */
export async function generateInMemory(
  root: string,
  emitters: readonly Emitter[] = EMITTERS,
): Promise<{ files: GeneratedFile[]; owned: string[]; timings: Record<string, number> } | { errorText: string }> {
  const t0 = performance.now();
  const loaded = loadSpec(root);
  const loadMs = performance.now() - t0;
  if ('errors' in loaded) return { errorText: formatSpecErrors(loaded.errors, loaded.sources) };
  const r = await runEmitters({ root, spec: loaded.spec }, emitters);
  if ('errors' in r) {
    const sources = new Map([...loaded.sources, ...r.sources]);
    return { errorText: formatSpecErrors(r.errors, sources) };
  }
  return { ...r, timings: { load: loadMs, ...r.timings } };
}

function listOwned(root: string, owned: string[]): string[] {
  const out: string[] = [];
  for (const dir of owned) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs).sort()) out.push(`${dir}/${name}`);
  }
  return out;
}

/** Compare generated files with the disk. */
export function staleFiles(root: string, files: GeneratedFile[], owned: string[]): string[] {
  const stale: string[] = [];
  const expected = new Set(files.map((f) => f.path));
  for (const f of files) {
    const abs = join(root, f.path);
    if (!existsSync(abs)) stale.push(`${f.path} (missing)`);
    else if (readFileSync(abs, 'utf8') !== f.contents) stale.push(`${f.path} (differs)`);
  }
  for (const p of listOwned(root, owned)) if (!expected.has(p)) stale.push(`${p} (no longer generated)`);
  return stale;
}

export async function runGen(
  root: string,
  opts: { check: boolean; emitters?: readonly Emitter[] },
): Promise<GenReport> {
  const t0 = performance.now();
  const r = await generateInMemory(root, opts.emitters);
  if ('errorText' in r) return { ok: false, text: r.errorText, files: [], stale: [], ms: performance.now() - t0 };
  const stale = staleFiles(root, r.files, r.owned);
  const parts = Object.entries(r.timings)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');
  if (opts.check) {
    const ms = performance.now() - t0;
    if (stale.length === 0)
      return {
        ok: true,
        text: `gen --check: ${r.files.length} generated files are up to date (${ms.toFixed(0)} ms: ${parts})`,
        files: r.files,
        stale,
        ms,
      };
    return {
      ok: false,
      text: `gen --check: generated code is stale (run \`npm run gen\`):\n${stale.map((s) => `  ${s}`).join('\n')}`,
      files: r.files,
      stale,
      ms,
    };
  }
  const expected = new Set(r.files.map((f) => f.path));
  for (const p of listOwned(root, r.owned)) if (!expected.has(p)) rmSync(join(root, p));
  let written = 0;
  for (const f of r.files) {
    const abs = join(root, f.path);
    if (existsSync(abs) && readFileSync(abs, 'utf8') === f.contents) continue;
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.contents);
    written++;
  }
  const ms = performance.now() - t0;
  return {
    ok: true,
    text: `gen: ${r.files.length} files (${written} written) in ${ms.toFixed(0)} ms (${parts})`,
    files: r.files,
    stale,
    ms,
  };
}
