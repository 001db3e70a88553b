import { describe, expect, it } from 'vitest';
import { agreementLine, runConform } from '../../src/conform/conform.ts';
import { CPUID_LEAVES, buildCpuidGuest, parseCpuid } from '../../src/conform/cpuid-guest.ts';
import { compareCpuModel, formatCpuModelDiffs } from '../../src/conform/cpu-model-check.ts';
import { loadSpec } from '../../codegen/load.ts';
import { executeVectors } from '../../src/conform/execute.ts';
import { isolateFor, loadKnown, matchKnown } from '../../src/conform/known.ts';
import { judge } from '../../src/conform/compare.ts';
import { DEFAULT_VECTORS, loadVectorsFile } from '../../src/conform/load-vectors.ts';
import { qemuAvailable, qemuRunner, qemuVersion } from '../../src/conform/runners.ts';

// `trapspec conform --oracle qemu`, in process. CI installs qemu-system-x86 (.ci/run); without
// it these tests fail with a message saying so (they are the QEMU comparison, not optional).
const known = loadKnown('conform/known-disagreements.json');
if (!known.ok) throw new Error(known.message);

describe('QEMU as oracle', () => {
  it('is installed', () => {
    expect(qemuAvailable(), 'qemu-system-x86_64 not found: apt-get install qemu-system-x86').toBe(true);
  });

  it('every vector: trapspec (shadow, nested) and QEMU agree with the spec or the disagreement is known', async () => {
    const vectors = loadVectorsFile(DEFAULT_VECTORS);
    if (!vectors.ok) throw new Error(vectors.message);
    const report = await runConform({ vectors: vectors.vectors, known: known.entries, qemu: true });
    process.stdout.write(`conform --oracle qemu (${qemuVersion()}): ${agreementLine(report)}\n`);
    const unknown = report.vectors.flatMap((v) => v.unknown.map((u) => `${v.id}: ${u}`));
    expect(unknown).toEqual([]);
    expect(report.runners).toEqual(['trapspec-shadow', 'trapspec-nested', 'qemu']);
    expect(report.agreeing).toBeGreaterThan(report.total / 2);
  }, 180_000);

  it('confirms each QEMU behaviour peers.md lists, on the installed QEMU', async () => {
    const peers = loadVectorsFile('test/conform/fixtures/peer-vectors.json');
    if (!peers.ok) throw new Error(peers.message);
    const { runs } = await executeVectors(peers.vectors, qemuRunner(), isolateFor(known.entries, 'qemu'), true, 4);
    const seen = new Map<string, string>();
    for (const v of peers.vectors) {
      const verdict = judge(v, runs.get(v.id));
      seen.set(
        v.id,
        verdict.kind === 'agree' ? 'agree' : `${verdict.text} -> ${matchKnown(known.entries, 'qemu', v, verdict)?.id}`,
      );
    }
    expect(Object.fromEntries(seen)).toEqual({
      'peer/nw-without-cd': 'ok -> qemu-cr0-nw-without-cd',
      'peer/pg-without-pe': expect.stringMatching(/^(ok|crash|hang) -> qemu-cr0-pg-without-pe$/),
      'peer/pcide-outside-long': 'ok -> qemu-cr4-pcide-outside-long',
      'peer/pg-lme-without-pae': 'ok -> qemu-cr0-pg-lme-without-pae',
      'peer/cr4-bit15': 'hang -> qemu-cr4-bit15',
      'peer/control-cr0-ts': 'agree',
    });
  }, 60_000);

  it("reports how the spec's CPU model differs from QEMU's -cpu max CPUID", async () => {
    const spec = loadSpec('.');
    if ('errors' in spec) throw new Error('spec does not load');
    const r = await qemuRunner().run(buildCpuidGuest(), 1);
    const leaves = parseCpuid(r.output);
    expect(leaves.map((l) => l.leaf)).toEqual(CPUID_LEAVES.map(([l]) => l));
    const diffs = compareCpuModel(spec.spec.cpu, leaves);
    process.stdout.write(formatCpuModelDiffs(spec.spec.cpu, diffs));
    // What decides reserved CR3 bits must match: MAXPHYADDR and vendor. The linear address
    // width does not: trapspec drops LA57 (48 bits; QEMU max reports 57), and with it VME, PKU
    // and SVM, each with its reason in spec/cpu/qemu-max.cpu.
    expect(diffs.filter((d) => ['MAXPHYADDR', 'vendor'].includes(d.what))).toEqual([]);
    expect(diffs.filter((d) => ['linear address width', 'VME', 'LA57', 'PKU', 'XSTATE_PKRU', 'SVM'].includes(d.what)).map((d) => d.what).sort()).toEqual(
      ['LA57', 'PKU', 'SVM', 'VME', 'XSTATE_PKRU', 'linear address width'],
    );
  }, 30_000);
});
