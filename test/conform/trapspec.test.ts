import { describe, expect, it } from 'vitest';
import { agreementLine, runConform } from '../../src/conform/conform.ts';
import { loadKnown } from '../../src/conform/known.ts';
import { DEFAULT_VECTORS, loadVectorsFile } from '../../src/conform/load-vectors.ts';
import { trapspecRunner } from '../../src/conform/runners.ts';

// Every generated vector, as guests, under trapspec's shadow and nested paging: the output must
// equal the vectors' expectations except where conform/known-disagreements.json explains it.
describe('generated vectors as guests under trapspec', () => {
  it('agree with the spec (shadow and nested paging)', async () => {
    const vectors = loadVectorsFile(DEFAULT_VECTORS);
    const known = loadKnown('conform/known-disagreements.json');
    if (!vectors.ok || !known.ok) throw new Error('cannot load vectors or known disagreements');
    const report = await runConform({
      vectors: vectors.vectors,
      known: known.entries,
      runners: [trapspecRunner('shadow'), trapspecRunner('nested')],
    });
    process.stdout.write(`conform (trapspec): ${agreementLine(report)}\n`);
    const unknown = report.vectors.flatMap((v) => v.unknown.map((u) => `${v.id}: ${u}`));
    expect(unknown).toEqual([]);
    expect(report.total).toBeGreaterThan(400);
    // Spot checks on values the guest read back (R7: NW without CD faults; R63: RDMSR EFER).
    const nwVec = vectors.vectors.find(
      (v) =>
        v.mode === 'protected' &&
        v.cpl === 0 &&
        v.instr.kind === 'mov-to-cr' &&
        v.instr.cr === 0 &&
        (v.instr.operand & 0x60000001n) === 0x20000001n,
    );
    const nw = report.vectors.find((v) => v.id === nwVec?.id);
    expect(nw?.runs['trapspec-shadow']?.text).toBe('#GP(0)');
    const rdVec = vectors.vectors.find((v) => v.mode === 'long64' && v.cpl === 0 && v.instr.kind === 'rdmsr');
    const rd = report.vectors.find((v) => v.id === rdVec?.id);
    expect(rd?.runs['trapspec-nested']).toEqual({
      kind: 'agree',
      text: `ok r=0x${rdVec?.expected.result?.toString(16)}`,
    });
  });
});
