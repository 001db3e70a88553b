import type { Command } from 'commander';

/** Placeholder until the 'run' command lands; owned by the issue that builds it. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('trapspec run: not built yet\n');
      process.exitCode = 2;
    });
}
