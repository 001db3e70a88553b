import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerVectors } from '../../src/cli/commands/vectors.ts';
import type { VectorsDoc } from '../../codegen/emit/vectors.ts';

describe('trapspec vectors', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('--rule --out writes one rule’s vectors as schema JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trapspec-vectors-'));
    try {
      const out = join(dir, 'v.json');
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const program = new Command().exitOverride();
      registerVectors(program);
      await program.parseAsync(['node', 'trapspec', 'vectors', '--rule', 'clts-CR0', '--out', out]);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as VectorsDoc;
      expect(doc.schema).toBe('trapspec-vectors/1');
      expect(doc.count).toBe(doc.vectors.length);
      expect(new Set(doc.vectors.map((v) => v.rule))).toEqual(new Set(['clts-CR0']));
      const cpl3 = doc.vectors.find((v) => v.initial.cpl === 3);
      expect(cpl3?.expected.exception?.mnemonic).toBe('#GP(0)');
      expect(process.exitCode).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown rule is an error with the list of rules', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerVectors(program);
    await program.parseAsync(['node', 'trapspec', 'vectors', '--rule', 'write-CR7']);
    expect(process.exitCode).toBe(1);
    expect(String(err.mock.calls[0]?.[0])).toMatch(/^trapspec vectors: no rule 'write-CR7' \(rules: write-CR0, lmsw-CR0, /);
  });
});
