import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { runGen } from './generate.ts';

/**
 * `tsx codegen/main.ts gen [--check] [--root DIR]` (npm run gen / gen:check). Exit status 1 on spec errors or
 * stale output; spec errors are printed as file:line:col with the source line and a caret.
 */
const args = process.argv.slice(2);
// --root DIR: generate for another tree (tests use it); default: this project.
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? resolve(args[rootAt + 1] ?? '.') : resolve(dirname(fileURLToPath(import.meta.url)), '..');
if (rootAt >= 0) args.splice(rootAt, 2);
const [cmd, ...rest] = args;

if (cmd !== 'gen' || rest.some((a) => a !== '--check')) {
  process.stderr.write('usage: tsx codegen/main.ts gen [--check] [--root DIR]\n');
  process.exitCode = 2;
} else {
  const report = await runGen(root, { check: rest.includes('--check') });
  (report.ok ? process.stdout : process.stderr).write(`${report.text}\n`);
  if (!report.ok) process.exitCode = 1;
}
