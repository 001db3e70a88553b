import type { Command } from 'commander';

/** Placeholder until the 'vectors' command lands; owned by the issue that builds it. */
export function registerVectors(program: Command): void {
  program
    .command('vectors')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('trapspec vectors: not built yet\n');
      process.exitCode = 2;
    });
}
