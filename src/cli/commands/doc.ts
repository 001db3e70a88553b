import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSpec } from '../../../codegen/load.ts';
import { formatSpecErrors } from '../../../codegen/diagnostics.ts';
import { DOCS_DIR, emitDocs } from '../../../codegen/emit/docs.ts';
import { projectRoot } from './root.ts';

export const DEFAULT_DOC_DIR = DOCS_DIR;

/** `trapspec doc [--out dir]`: a Markdown page and SVG bitfield pictures per register. */
export function registerDoc(program: Command): void {
  program
    .command('doc')
    .description(`write a Markdown page (field table + SVG bitfield) per register (default ${DEFAULT_DOC_DIR}/)`)
    .option('--out <dir>', 'output directory', DEFAULT_DOC_DIR)
    .action((opts: { out: string }) => {
      const root = projectRoot();
      const loaded = loadSpec(root);
      if ('errors' in loaded) {
        process.stderr.write(`${formatSpecErrors(loaded.errors, loaded.sources)}\n`);
        process.exitCode = 1;
        return;
      }
      const out = resolve(process.cwd(), opts.out === DEFAULT_DOC_DIR ? join(root, DEFAULT_DOC_DIR) : opts.out);
      mkdirSync(out, { recursive: true });
      const files = emitDocs(loaded.spec);
      for (const f of files) writeFileSync(join(out, f.path), f.contents);
      process.stdout.write(`doc: ${files.length} files written to ${out}\n`);
    });
}
