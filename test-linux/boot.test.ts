import { describe, expect, it } from 'vitest';
import { BAD_LINE, bootLinux, scriptLines } from './boot-harness.ts';

// Instructions the boot may take (a bound so a hang fails the test instead of stalling CI).
const MAX_INSNS = 40_000_000_000;

const EXPECTED = [
  'test: init running as pid 1',
  'worker 1 counted 300',
  'worker 2 counted 300',
  'worker 3 counted 300',
  'worker 4 counted 300',
  'worker 5 counted 300',
  'worker 6 counted 300',
  // seq 1 400000 | md5sum, wc -c and seq 1 5000 | sort -rn | head -3, computed on the host
  'test: checksum 9661da04da603a826131297f907b45fb of 2688895 bytes',
  'test: sorted 5000 4999 4998',
  'test: cpus 1 vendor  AuthenticAMD',
  'test: /proc/interrupts has a timer line',
  'test: done',
];

describe.each(['linux-image-686', 'linux-image-686-pae'])('%s boots to the scripted /init', (pkg) => {
  it.each(['shadow'] as const)('under --paging %s: the script runs and prints what it should, with no BUG/WARNING/Oops/panic', (paging) => {
    const boot = bootLinux(pkg, paging, MAX_INSNS);
    const bad = boot.output.split('\n').filter((l) => BAD_LINE.test(l));
    expect(bad).toEqual([]);
    expect(scriptLines(boot.output)).toEqual(EXPECTED);
    expect(boot.initReached).not.toBeNull();
    expect(boot.stats.extra['paging.cr3.newRoot']).toBeGreaterThan(5); // many address spaces (fork/exec)
  });
});
