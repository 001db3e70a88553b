/**
 * npm run kut [-- --only NAME[,NAME] --arch i386|x86_64 --timeout S --paging MODE --logs DIR]
 *
 * Runs the kvm-unit-tests kernels of ../shared/peers/kvm-unit-tests on trapspec and prints one
 * row a test beside QEMU TCG's result (results-direct.tsv): trapspec's verdict and exit code,
 * TCG's, the PASS/FAIL/SKIP line counts, trapspec's time and how the run ended. docs/kvm-unit-tests.md
 * has the table and what departs from TCG (where the SDM decides).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSuite, verdictOf } from './kut/suite.ts';
import { runKut } from './kut/run-one.ts';
import type { PagingModeName } from '../src/runtime/machine/machine.ts';

function main(): number {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      arch: { type: 'string' },
      timeout: { type: 'string', default: '60' },
      paging: { type: 'string', default: 'shadow' },
      logs: { type: 'string' },
      markdown: { type: 'boolean', default: false },
    },
  });
  let tests;
  try {
    tests = loadSuite();
  } catch (e) {
    process.stderr.write(`kut: ${(e as Error).message}\n`);
    return 2;
  }
  const only = values.only?.split(',');
  if (only !== undefined) tests = tests.filter((t) => only.includes(t.name) || only.includes(`${t.arch}/${t.name}`));
  if (values.arch !== undefined) tests = tests.filter((t) => t.arch === values.arch);
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) {
    process.stderr.write(`kut: --timeout must be a positive number of seconds, got '${values.timeout}'\n`);
    return 2;
  }
  const paging = values.paging as PagingModeName;
  if (!['shadow', 'nested', 'direct'].includes(paging)) {
    process.stderr.write(`kut: --paging must be shadow, nested or direct, got '${paging}'\n`);
    return 2;
  }
  if (values.logs !== undefined) mkdirSync(values.logs, { recursive: true });
  const md = values.markdown === true;
  const header = ['arch', 'test', 'trapspec', 'rc', 'TCG', 'TCG rc', 'PASS', 'FAIL', 'SKIP', 'time s', 'TCG s', 'end'];
  const print = (cells: (string | number)[]): void => {
    process.stdout.write(md ? `| ${cells.join(' | ')} |\n` : `${cells.map((c, i) => String(c).padEnd([7, 26, 9, 4, 5, 7, 6, 6, 5, 8, 7, 0][i]!)).join(' ')}\n`);
  };
  print(header);
  if (md) print(header.map(() => '---'));
  let agree = 0;
  for (const t of tests) {
    const r = runKut(t, { timeoutSeconds: timeout, paging });
    if (values.logs !== undefined) writeFileSync(join(values.logs, `${t.arch}-${t.name}.log`), r.output);
    const v = verdictOf(r.rc);
    if (v === verdictOf(t.tcgRc)) agree++;
    print([t.arch, t.name, v, r.rc, verdictOf(t.tcgRc), t.tcgRc, r.pass, r.fail, r.skip, r.seconds.toFixed(2), t.tcgSeconds, r.end]);
  }
  process.stdout.write(`${tests.length} tests, ${agree} with TCG's verdict\n`);
  return 0;
}

process.exitCode = main();
