import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGen } from '../../codegen/generate.ts';
import { compileOverlay, generateAndCompile } from '../../src/fuzz/spec-compile.ts';
import { applyMutation, checkSpecSources, mutationArb, readAllSpecSources } from '../../src/fuzz/spec-mutate.ts';

/**
 * Fixed-seed slice of spec fuzzing: mutated real spec files (deleted/duplicated/swapped lines,
 * replaced numbers, truncation, random bytes) give a spec or file:line:col errors, never an
 * exception; a mutated spec that passes the checker generates TypeScript that compiles.
 */
const root = process.cwd();
const base = readAllSpecSources(root);

describe('spec fuzzing (fixed seed)', () => {
  it('the unmutated spec checks', () => {
    const r = checkSpecSources(base);
    expect(r.problems).toEqual([]);
    expect(r.result).toBe('spec');
  });

  it('mutated specs give a spec or located errors, never an exception', () => {
    let errors = 0;
    let specs = 0;
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (ms) => {
        const sources = ms.reduce(applyMutation, base);
        const r = checkSpecSources(sources);
        expect(r.problems).toEqual([]);
        if (r.result === 'errors') errors++;
        else specs++;
      }),
      { seed: 0x59ec, numRuns: 150 },
    );
    expect(errors).toBeGreaterThan(50);
    expect(specs).toBeGreaterThan(0);
  });

  it('a deleted field is reported at its register, with file:line:col', () => {
    const file = 'spec/registers/cr0.reg';
    const lines = base.get(file)!.split('\n');
    const at = lines.findIndex((l) => /^\s*16\s+WP\b/.test(l));
    expect(at).toBeGreaterThan(0);
    const r = checkSpecSources(applyMutation(base, { k: 'delete-line', file: [...base.keys()].indexOf(file), line: at }));
    expect(r.result).toBe('errors');
    expect(r.problems).toEqual([]);
  });

  it('mutated specs that pass the checker generate TypeScript that compiles (3 samples)', async () => {
    const passing = fc
      .sample(fc.array(mutationArb, { minLength: 1, maxLength: 2 }), { seed: 0xc0de, numRuns: 80 })
      .map((ms) => ms.reduce(applyMutation, base))
      .map((s) => ({ s, r: checkSpecSources(s) }))
      .filter((x) => x.r.result === 'spec')
      .slice(0, 3);
    expect(passing.length).toBe(3);
    for (const { s, r } of passing) expect(await generateAndCompile(root, s, r.spec!)).toEqual([]);
  });

  it('`gen` on a mutated spec tree fails with file:line:col errors, not an exception', async () => {
    const mutated = applyMutation(base, { k: 'random-bytes', file: 1, at: 200, bytes: [0x7b, 0x22, 0x0a], replace: true });
    const tmp = mkdtempSync(join(tmpdir(), 'trapspec-fuzz-test-'));
    try {
      for (const [f, t] of mutated) {
        mkdirSync(dirname(join(tmp, f)), { recursive: true });
        writeFileSync(join(tmp, f), t);
      }
      const r = await runGen(tmp, { check: true });
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(/^spec\/registers\/cr0\.reg:\d+:\d+: /);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('the compile check reports a type error (it can fail)', () => {
    const diags = compileOverlay(root, new Map([[`${root}/src/generated/fuzz-probe.ts`, 'export const x: number = "no";\n']]));
    expect(diags.length).toBe(1);
    expect(diags[0]).toMatch(/fuzz-probe\.ts:1:14: Type 'string' is not assignable to type 'number'/);
  });
});
