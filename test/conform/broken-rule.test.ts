import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../codegen/load.ts';
import { loadRules } from '../../codegen/rules/load.ts';
import { buildVectors, vectorsJson } from '../../codegen/emit/vectors.ts';
import { runConform } from '../../src/conform/conform.ts';
import { DEFAULT_VECTORS, loadVectorsFile, parseVectors } from '../../src/conform/load-vectors.ts';
import { trapspecRunner } from '../../src/conform/runners.ts';
import type { ConformVector } from '../../src/conform/vector.ts';

// The oracle can fail: drop the R7 guard (NW without CD) from a scratch copy of the spec,
// regenerate the vectors from it in memory, and run them as guests on trapspec, whose handlers
// were generated from the real spec. The comparison must report the NW-without-CD vectors.
describe('a deliberately broken rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trapspec-broken-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is caught by the comparison', async () => {
    cpSync('spec', join(dir, 'spec'), { recursive: true });
    const file = join(dir, 'spec/rules/cr0.rules');
    const text = readFileSync(file, 'utf8');
    const broken = text.replace(/^\s*fault #GP\(0\) when new\.NW and not new\.CD.*\n/m, '');
    expect(broken).not.toBe(text);
    writeFileSync(file, broken);

    const spec = loadSpec(dir);
    if ('errors' in spec) throw new Error('scratch spec does not load');
    const rules = loadRules(dir, spec.spec);
    if ('errors' in rules) throw new Error('scratch rules do not load');
    const parsed = parseVectors(JSON.parse(vectorsJson(buildVectors(rules.rules, spec.spec))), 'scratch');
    if (!parsed.ok) throw new Error(parsed.message);
    // The vectors the break changed: the real spec raises #GP(0) (R7), the broken one does not.
    const real = loadVectorsFile(DEFAULT_VECTORS);
    if (!real.ok) throw new Error(real.message);
    // Vector ids are positional, so the same case is found by what it does.
    const key = (v: ConformVector): string =>
      [
        v.id.split('/')[0],
        v.id.split('/')[1],
        v.cpl,
        v.initial.cr0,
        v.initial.cr4,
        v.initial.efer,
        v.instr.kind,
        v.instr.cr,
        v.instr.operand,
        v.instr.index,
        v.initial.xcr0,
        v.initial.cr3,
      ].join('|');
    const realByKey = new Map(real.vectors.map((v) => [key(v), v]));
    const nwVectors = parsed.vectors.filter((v) => {
      const r = realByKey.get(key(v));
      return (
        v.id.startsWith('write-CR0/protected/') &&
        r?.expected.exception !== undefined &&
        v.expected.exception === undefined
      );
    });
    expect(nwVectors.length).toBeGreaterThan(0);
    for (const v of nwVectors) expect((v.instr.operand & 0x60000000n).toString(16), v.id).toBe('20000000'); // NW, no CD

    const report = await runConform({
      vectors: parsed.vectors,
      known: [],
      runners: [trapspecRunner('shadow'), trapspecRunner('nested')],
      filter: 'write-CR0/protected',
    });
    const caught = report.vectors.filter((r) => nwVectors.some((v) => v.id === r.id));
    expect(caught.length).toBe(nwVectors.length);
    for (const r of caught) {
      expect(r.agree, r.id).toBe(false);
      expect(r.unknown, r.id).toContain('trapspec-shadow: expected no exception, got #GP(0)');
      expect(r.unknown, r.id).toContain('trapspec-nested: expected no exception, got #GP(0)');
    }
    expect(report.unknownDisagreements).toBeGreaterThanOrEqual(2 * nwVectors.length);
  });
});
