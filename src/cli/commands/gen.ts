import type { Command } from 'commander';

/** Placeholder until the 'gen' command lands; owned by the issue that builds it. */
export function registerGen(program: Command): void {
  program
    .command('gen')
    .description('(not built yet)')
    .action(() => {
      process.stderr.write('trapspec gen: not built yet\n');
      process.exitCode = 2;
    });
}
