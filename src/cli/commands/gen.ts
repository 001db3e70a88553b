import type { Command } from 'commander';
import { runGen } from '../../../codegen/generate.ts';
import { projectRoot } from './root.ts';

/** `trapspec gen [--check]`: regenerate src/generated/ from spec/ (see README.md). */
export function registerGen(program: Command): void {
  program
    .command('gen')
    .description('regenerate src/generated/ and docs/registers/ from the spec (--check: fail if stale)')
    .option('--check', 'regenerate in memory and list stale files instead of writing')
    .action(async (opts: { check?: boolean }) => {
      const report = await runGen(projectRoot(), { check: opts.check === true });
      (report.ok ? process.stdout : process.stderr).write(`${report.text}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
