import type { Command } from 'commander';

/** Placeholder until the 'doc' command lands; owned by the issue that builds it. */
export function registerDoc(program: Command): void {
  program
    .command('doc')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('trapspec doc: not built yet\n');
      process.exitCode = 2;
    });
}
