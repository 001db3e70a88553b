import { describe, expect, it } from 'vitest';
import { agreementLine, runConform } from '../../src/conform/conform.ts';
import { buildCpuidGuest, parseCpuid } from '../../src/conform/cpuid-guest.ts';
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

  it("confirms each QEMU behaviour peers.md lists, on the installed QEMU", async () => {
    const peers = loadVectorsFile('test/conform/fixtures/peer-vectors.json');
    if (!peers.ok) throw new Error(peers.message);
    const { runs } = await executeVectors(peers.vectors, qemuRunner(), isolateFor(known.entries, 'qemu'), true, 4);
    const seen = new Map<string, string>();
    for (const v of peers.vectors) {
      const verdict = judge(v, runs.get(v.id));
      seen.set(v.id, verdict.kind === 'agree' ? 'agree' : `${verdict.text} -> ${matchKnown(known.entries, 'qemu', v, verdict)?.id}`);
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

  it('reports the CPUID the CPU model is checked against', async () => {
    const r = await qemuRunner().run(buildCpuidGuest(), 1);
    const leaves = parseCpuid(r.output);
    const get = (leaf: number, sub = 0) => leaves.find((l) => l.leaf === leaf && l.subleaf === sub);
    const ext = get(0x80000008);
    expect(ext && ext.eax & 0xff).toBe(40); // MAXPHYADDR, as spec/cpu/qemu-max.cpu says
    const l7 = get(7);
    expect(l7 && (l7.ecx >>> 16) & 1).toBe(1); // LA57
    expect(l7 && (l7.ebx >>> 7) & 1).toBe(1); // SMEP
  }, 30_000);
});
