import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { runGen } from './generate.ts';

/**
 * `tsx codegen/main.ts gen [--check]` (npm run gen / gen:check). Exit status 1 on spec errors or
 * stale output; spec errors are printed as file:line:col with the source line and a caret.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [cmd, ...rest] = process.argv.slice(2);

if (cmd !== 'gen' || rest.some((a) => a !== '--check')) {
  process.stderr.write('usage: tsx codegen/main.ts gen [--check]\n');
  process.exitCode = 2;
} else {
  const report = await runGen(root, { check: rest.includes('--check') });
  (report.ok ? process.stdout : process.stderr).write(`${report.text}\n`);
  if (!report.ok) process.exitCode = 1;
}
