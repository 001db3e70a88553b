import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatSpecErrors } from '../../../codegen/diagnostics.ts';
import { loadSpec } from '../../../codegen/load.ts';
import { loadRules } from '../../../codegen/rules/load.ts';
import { buildVectors, vectorsJson } from '../../../codegen/emit/vectors.ts';
import { projectRoot } from './root.ts';

/**
 * `trapspec vectors [--out file] [--rule id]`: derive the conformance vectors from spec/rules
 * (schema: docs/vectors-schema.md) and write them as JSON to stdout or a file. Spec errors are
 * printed as file:line:col with the source line and a caret; the exit status is then 1.
 */
export function registerVectors(program: Command): void {
  program
    .command('vectors')
    .description('write the conformance vectors derived from spec/rules as JSON (docs/vectors-schema.md)')
    .option('-o, --out <file>', 'write to this file instead of standard output')
    .option('--rule <id>', 'only the vectors of one rule, e.g. write-CR0')
    .action((opts: { out?: string; rule?: string }) => {
      const root = projectRoot();
      const spec = loadSpec(root);
      if ('errors' in spec) {
        process.stderr.write(`${formatSpecErrors(spec.errors, spec.sources)}\n`);
        process.exitCode = 1;
        return;
      }
      const rules = loadRules(root, spec.spec);
      if ('errors' in rules) {
        process.stderr.write(`${formatSpecErrors(rules.errors, rules.sources)}\n`);
        process.exitCode = 1;
        return;
      }
      const doc = buildVectors(rules.rules, spec.spec);
      if (opts.rule !== undefined) {
        const known = new Set(doc.vectors.map((v) => v.rule));
        if (!known.has(opts.rule)) {
          process.stderr.write(`trapspec vectors: no rule '${opts.rule}' (rules: ${[...known].join(', ')})\n`);
          process.exitCode = 1;
          return;
        }
        doc.vectors = doc.vectors.filter((v) => v.rule === opts.rule);
        doc.uncovered = doc.uncovered.filter((u) => u.rule === opts.rule);
        doc.count = doc.vectors.length;
      }
      const text = vectorsJson(doc);
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      writeFileSync(resolve(process.cwd(), opts.out), text);
      process.stderr.write(`trapspec vectors: ${doc.count} vectors written to ${opts.out}\n`);
    });
}
