/**
 * CR ownership end to end: guest-visible behaviour is identical under trap-all and under the
 * minimal-exits policy (every generated conformance vector, as guests, under shadow and nested
 * paging; the bundled default guest), with fewer exits; and the monitor's guest registers stay
 * right when the guest changes an owned bit without an exit.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runConform } from '../../src/conform/conform.ts';
import { loadKnown } from '../../src/conform/known.ts';
import { DEFAULT_VECTORS, loadVectorsFile } from '../../src/conform/load-vectors.ts';
import { trapspecRunner } from '../../src/conform/runners.ts';
import { CR_POLICIES, LARGEST_SAFE } from '../../src/generated/handlers/cr-policies.ts';
import { Machine } from '../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function boot(crPolicy: string, paging: 'shadow' | 'nested' | 'direct' = 'shadow') {
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: 128, paging, crPolicy, output: out });
  const loaded = m.load(readFileSync(`${root}guests/default/default.img`), { file: 'default.img' });
  if (!loaded.ok) throw new Error('default guest does not load');
  const r = m.run(10_000_000);
  return { out: out.text(), stop: r.stop, exits: m.stats().exits, machine: m };
}

describe('CR-ownership policies', () => {
  it('minimal-exits hands the guest exactly the largest safe sets', () => {
    expect(CR_POLICIES['minimal-exits']?.cr0).toBe(LARGEST_SAFE.cr0.mask);
    expect(CR_POLICIES['minimal-exits']?.cr4).toBe(LARGEST_SAFE.cr4.mask);
    expect(LARGEST_SAFE.cr0.fields).toEqual(['MP', 'EM', 'TS', 'NE', 'AM']);
    expect(CR_POLICIES['trap-all']).toMatchObject({ cr0: null, cr4: null });
  });

  it('every conformance vector gives the same guest-visible result under trap-all and minimal-exits', async () => {
    const vectors = loadVectorsFile(DEFAULT_VECTORS);
    const known = loadKnown('conform/known-disagreements.json');
    if (!vectors.ok || !known.ok) throw new Error('cannot load vectors or known disagreements');
    const report = await runConform({
      vectors: vectors.vectors,
      known: known.entries,
      runners: [
        trapspecRunner('shadow'),
        trapspecRunner('shadow', 'minimal-exits'),
        trapspecRunner('nested'),
        trapspecRunner('nested', 'minimal-exits'),
      ],
    });
    expect(report.total).toBeGreaterThan(400);
    const differ = report.vectors.flatMap((v) =>
      (['shadow', 'nested'] as const)
        .filter((p) => v.runs[`trapspec-${p}`]?.text !== v.runs[`trapspec-${p}-minimal-exits`]?.text)
        .map((p) => `${v.id} (${p}): ${v.runs[`trapspec-${p}`]?.text} vs ${v.runs[`trapspec-${p}-minimal-exits`]?.text}`),
    );
    expect(differ).toEqual([]);
    expect(report.vectors.flatMap((v) => v.unknown)).toEqual([]);
  }, 120_000);

  it('the default guest prints the same under both policies, with no CR0/CR4 read exits under minimal-exits', () => {
    for (const paging of ['shadow', 'nested', 'direct'] as const) {
      const all = boot('trap-all', paging);
      const min = boot('minimal-exits', paging);
      expect(min.out).toBe(all.out);
      expect(min.stop).toEqual(all.stop);
      expect(all.exits.get('mov-from-cr0')).toBeGreaterThan(0);
      expect(min.exits.get('mov-from-cr0') ?? 0).toBe(0);
      expect(min.exits.get('mov-from-cr4') ?? 0).toBe(0);
      expect(min.exits.get('mov-to-cr0')).toBe(all.exits.get('mov-to-cr0')); // each changes a host-owned bit
    }
  });

  it("the monitor's guest CR0 sees a TS the guest set without an exit", () => {
    const r = boot('minimal-exits');
    const m = r.machine;
    // Change the guest-owned TS in the hardware as a non-exiting MOV to CR0 would; the
    // monitor's view of the guest (read by reports and the rules at the next exit) follows.
    const before = m.guestControl()!.cr0;
    m.cpu.programControl('cr0', Number(m.cpu.control.cr0 & 0xffff_ffffn) ^ 0x8, 0, ~0x8, 0xffff_ffff);
    expect(m.guestControl()!.cr0).toBe(before ^ 0x8n);
  });
});
