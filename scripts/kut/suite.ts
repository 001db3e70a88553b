/**
 * The kvm-unit-tests kernels in ../shared/peers/kvm-unit-tests (see its README): which tests
 * exist (results-direct.tsv: arch, test, QEMU TCG's exit code, its wall time) and how QEMU ran
 * each (cmdlines/cmd-<arch>-<test>.txt: -kernel, -append, -smp, -cpu, -m).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KutTest {
  arch: 'i386' | 'x86_64';
  /** The unittests.cfg name (e.g. "xapic"), which may differ from the kernel's file name (apic.flat). */
  name: string;
  /** Kernel path, absolute. */
  kernel: string;
  /** QEMU's -append (the multiboot command line), or ''. */
  append: string;
  smp: number;
  /** QEMU's -cpu, or '' (trapspec has one CPU model; reported, not applied). */
  cpu: string;
  /** QEMU's -m in MiB, or undefined (QEMU's default, 128). */
  memMiB: number | undefined;
  /** QEMU TCG's exit code ('-' when the harness never booted it) and wall seconds. */
  tcgRc: string;
  tcgSeconds: string;
}

/** The repository root (this file is scripts/kut/suite.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The kernels' folder: $KUT_DIR, else shared/peers/kvm-unit-tests beside the repository (CI
 * checks shared/ out next to the clone), or one level further up for a git worktree kept in a
 * folder of worktrees. Throws a one-line error when absent.
 */
export function kutDir(): string {
  const candidates =
    process.env.KUT_DIR !== undefined
      ? [process.env.KUT_DIR]
      : [join(REPO_ROOT, '..', 'shared', 'peers', 'kvm-unit-tests'), join(REPO_ROOT, '..', '..', 'shared', 'peers', 'kvm-unit-tests')];
  const dir = candidates.find((d) => existsSync(join(d, 'results-direct.tsv')));
  if (dir === undefined) {
    throw new Error(`kvm-unit-tests not found (no results-direct.tsv in ${candidates.join(' or ')}; set KUT_DIR to the folder)`);
  }
  return dir;
}

/** Split a shell command line (single quotes as the cmdlines files use them). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[1] ?? m[2]!);
  return out;
}

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Every test in results-direct.tsv, with its QEMU options. */
export function loadSuite(dir = kutDir()): KutTest[] {
  const rows = readFileSync(join(dir, 'results-direct.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const tests: KutTest[] = [];
  for (const row of rows) {
    const [arch, name, tcgRc, tcgSeconds] = row.split('\t');
    if (arch !== 'i386' && arch !== 'x86_64') continue;
    const cmdFile = join(dir, 'cmdlines', `cmd-${arch}-${name}.txt`);
    if (!existsSync(cmdFile)) continue; // never booted by the harness (access-reduced-maxphyaddr)
    const argv = words(readFileSync(cmdFile, 'utf8').trim());
    const kernel = option(argv, '-kernel');
    if (kernel === undefined) continue;
    const mem = option(argv, '-m');
    tests.push({
      arch,
      name: name!,
      kernel: join(dir, kernel),
      append: option(argv, '-append') ?? '',
      smp: Number(option(argv, '-smp') ?? '1'),
      cpu: option(argv, '-cpu') ?? '',
      memMiB: mem === undefined ? undefined : mem.endsWith('g') ? Number(mem.slice(0, -1)) * 1024 : Number(mem.replace(/m$/i, '')),
      tcgRc: tcgRc ?? '-',
      tcgSeconds: tcgSeconds ?? '-',
    });
  }
  return tests;
}

/** run_tests.sh's verdict for a QEMU-style exit code. */
export function verdictOf(rc: number | string): 'PASS' | 'SKIP' | 'FAIL' | '-' {
  if (rc === '-') return '-';
  const n = Number(rc);
  return n === 1 ? 'PASS' : n === 77 ? 'SKIP' : 'FAIL';
}
