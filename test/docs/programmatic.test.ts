/**
 * The README's programmatic example is examples/run-guest.ts, quoted verbatim; it imports the
 * package by name (package.json "exports"), type-checks with the project (tsconfig includes
 * examples/) and boots the default guest to its recorded output.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDefaultGuest } from '../../examples/run-guest.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('programmatic use', () => {
  it('the README quotes examples/run-guest.ts verbatim', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const example = readFileSync(`${root}examples/run-guest.ts`, 'utf8');
    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('boots the default guest through the package interface', () => {
    const r = runDefaultGuest();
    const expected = readFileSync(`${root}guests/default/expected-output.txt`, 'latin1');
    expect(r.text).toBe(expected);
    expect(r.stop).toEqual({ kind: 'debug-exit', status: 1 }); // (0 << 1) | 1, as QEMU's isa-debug-exit
    expect(r.instructions).toBeGreaterThan(1000);
    expect(r.cr0).toBe('PE|ET|PG');
  });

  it('resolves `trapspec` and `trapspec/registers` through the exports map under Node', () => {
    const script =
      "const m = await import('trapspec'); const r = await import('trapspec/registers');" +
      "console.log(typeof m.Machine, typeof r.Cr0, m.BUNDLED_VECTORS.endsWith('vectors.json'))";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function function true');
  });
});
