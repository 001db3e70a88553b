/**
 * kvm-unit-tests on trapspec (scripts/kut: `npm run kut` prints the whole table; see
 * docs/kvm-unit-tests.md). The kernels live in shared/peers/kvm-unit-tests beside the
 * repository (CI checks shared/ out there; KUT_DIR overrides); without them this file fails
 * with the path it looked in. These are the tests that pass on trapspec and run in seconds:
 * each must print every check's PASS line, no FAIL, its SUMMARY, and exit 0 through the debug
 * port (QEMU's rc 1), as QEMU TCG does.
 */
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../../scripts/kut/suite.ts';
import { runKut } from '../../scripts/kut/run-one.ts';

const suite = loadSuite();
const runs = new Map<string, ReturnType<typeof runKut>>();

function run(arch: string, name: string): ReturnType<typeof runKut> {
  const key = `${arch}/${name}`;
  let r = runs.get(key);
  if (r === undefined) {
    const test = suite.find((t) => t.arch === arch && t.name === name);
    if (test === undefined) throw new Error(`${key} is not in results-direct.tsv`);
    expect(test.tcgRc).toBe('1');
    r = runKut(test, { timeoutSeconds: 60 });
    runs.set(key, r);
  }
  return r;
}

const PASSING: readonly [arch: string, name: string, checks: number][] = [
  ['x86_64', 'eventinj', 13],
  ['x86_64', 'setjmp', 10],
  ['x86_64', 'umip', 21],
  ['i386', 'setjmp', 10],
  ['i386', 'umip', 21],
];

describe('kvm-unit-tests', () => {
  it.each(PASSING)('%s %s passes all %i checks, as under QEMU TCG', (arch, name, checks) => {
    const r = run(arch, name);
    expect(r.end).toBe('debug-exit 0');
    expect(r.rc).toBe(1);
    expect(r.fail).toBe(0);
    expect(r.pass).toBe(checks);
    expect(r.summary).toBe(`SUMMARY: ${checks} tests`);
  }, 90_000);

  it('eventinj exercises interrupt delivery: self-IPIs, TPR, NMIs, events during IRET and on a shadowed stack', () => {
    const r = run('x86_64', 'eventinj');
    for (const check of ['PASS: vec 33', 'PASS: vec 32/33', 'PASS: TPR', 'PASS: NMI', 'PASS: int 33 with shadowed stack']) {
      expect(r.output.split(/\r?\n/).some((l) => l.startsWith(check)), check).toBe(true);
    }
  }, 90_000);
});
