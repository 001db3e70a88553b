import { Command } from 'commander';
import { registerGen } from './commands/gen.ts';
import { registerDoc } from './commands/doc.ts';
import { registerRun } from './commands/run.ts';
import { registerVectors } from './commands/vectors.ts';
import { registerConform } from './commands/conform.ts';
import { applyV8Flags } from '../runtime/v8-flags.ts';

applyV8Flags(); // before any guest runs (issue 7)

const program = new Command()
  .name('trapspec')
  .description('x86 control-register trap rules, written once as a spec, run as a VMM');

registerGen(program);
registerDoc(program);
registerRun(program);
registerVectors(program);
registerConform(program);

await program.parseAsync(process.argv);
