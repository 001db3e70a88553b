import { describe, expect, it } from 'vitest';
import { Decoder, DecoderOptions, Mnemonic } from 'iced-x86';
import { buildGuest } from '../../src/conform/guest.ts';
import { loadVectorsFile } from '../../src/conform/load-vectors.ts';
import { parseOutput, resultOf } from '../../src/conform/output.ts';
import { planVector } from '../../src/conform/plan.ts';
import { IMAGE_BASE } from '../../src/conform/layout.ts';
import { executeVectors } from '../../src/conform/execute.ts';
import { trapspecRunner } from '../../src/conform/runners.ts';
import { judge } from '../../src/conform/compare.ts';
import { loadKnown, matchKnown, vectorMatches } from '../../src/conform/known.ts';
import type { ConformVector } from '../../src/conform/vector.ts';

const peers = loadVectorsFile('test/conform/fixtures/peer-vectors.json');
if (!peers.ok) throw new Error(peers.message);
const byId = (id: string): ConformVector => {
  const v = peers.vectors.find((x) => x.id === id);
  if (v === undefined) throw new Error(id);
  return v;
};

describe('conformance guest image', () => {
  it('is a multiboot a.out-kludge kernel loaded at 1 MiB', () => {
    const g = buildGuest(peers.vectors);
    const dv = new DataView(g.bytes.buffer, g.bytes.byteOffset);
    expect(dv.getUint32(0, true)).toBe(0x1badb002);
    expect(dv.getUint32(4, true)).toBe(0x00010000);
    expect((dv.getUint32(0, true) + dv.getUint32(4, true) + dv.getUint32(8, true)) >>> 0).toBe(0);
    expect(dv.getUint32(16, true)).toBe(IMAGE_BASE); // load_addr
    expect(dv.getUint32(20, true)).toBe(IMAGE_BASE + g.bytes.length); // load_end_addr
    expect(dv.getUint32(28, true)).toBe(g.entry);
    // The entry starts with CLI; LGDT.
    const d = new Decoder(32, g.bytes.subarray(g.entry - IMAGE_BASE), DecoderOptions.None);
    expect(d.decode().mnemonic).toBe(Mnemonic.Cli);
    expect(d.decode().mnemonic).toBe(Mnemonic.Lgdt);
  });

  it('keeps the vectors in order and reports the ones no guest can realise', () => {
    const v = byId('peer/control-cr0-ts');
    const far: ConformVector = { ...v, id: 'far-cr3', initial: { ...v.initial, cr0: 0x80000011n, cr3: 0x80000000n } };
    const own: ConformVector = { ...v, id: 'own-cr3', initial: { ...v.initial, cr0: 0x80000011n, cr3: 0x100000n } };
    const g = buildGuest([v, far, own]);
    expect(g.vectors.map((x) => x.id)).toEqual(['peer/control-cr0-ts']);
    expect(g.skipped.map((s) => [s.vector.id, s.reason])).toEqual([
      ['far-cr3', 'CR3 0x80000000 beyond RAM'],
      ['own-cr3', "CR3 0x100000 points into the guest's own memory"],
    ]);
    expect(planVector({ ...v, mode: 'real' }, 0x200000)).toEqual({ ok: false, reason: 'real mode with CR0.PE=1' });
  });
});

describe('result lines', () => {
  it('parse into exception, phase and registers', () => {
    const text = [
      'junk from firmware',
      'CONFORM-BEGIN',
      'CONFORM a/1 exc=0d ec=00000000 ph=02 rax=0000000000000000 rdx=0000000000000000 cr0=0000000000000011 cr3=0000000000000000 cr4=0000000000000000 efer=0000000000000000 xcr0=0000000000000007 cr8=0000000000000000 obs=01',
      'CONFORM b/2 exc=ff ec=ffffffff ph=00 rax=0000000012345678 rdx=00000000000000ab cr0=0000000080000011 cr3=0000000000003000 cr4=0000000000000020 efer=0000000000000500 xcr0=0000000000000000 cr8=0000000000000005 obs=02',
      'CONFORM-END',
    ].join('\n');
    const p = parseOutput(text);
    expect(p.begun && p.ended).toBe(true);
    const a = p.results.get('a/1');
    expect(a?.exception).toEqual({ vector: 13, errorCode: 0 });
    expect(a?.setupFault).toBe(false);
    expect(a?.regs.xcr0).toBe(7n);
    expect(a?.regs.cr8).toBeUndefined();
    const b = p.results.get('b/2');
    expect(b?.exception).toBeUndefined();
    expect(b?.regs).toMatchObject({ cr0: 0x80000011n, cr3: 0x3000n, efer: 0x500n, cr8: 5n });
    const rd = {
      ...byId('peer/control-cr0-ts'),
      instr: { kind: 'rdmsr' as const, cr: 0, operand: 0n, index: 0xc0000080, size: 8 },
    };
    if (b !== undefined) expect(resultOf(rd, b)).toBe(0xab12345678n);
  });
});

describe('guests under trapspec', () => {
  it('print one line per vector with the spec-mandated outcome', async () => {
    const vs = peers.vectors;
    const { runs } = await executeVectors(vs, trapspecRunner('nested'));
    // trapspec follows the SDM: every peers.md case faults with #GP(0), the control completes.
    for (const id of [
      'peer/nw-without-cd',
      'peer/pg-without-pe',
      'peer/pcide-outside-long',
      'peer/pg-lme-without-pae',
      'peer/cr4-bit15',
    ]) {
      const r = runs.get(id);
      expect(r?.kind, id).toBe('observed');
      if (r?.kind === 'observed') {
        expect(r.obs.exception, id).toEqual({ vector: 13, errorCode: 0 });
        expect(r.obs.regs.cr0, id).toBe(0x11n); // unchanged after the fault
      }
    }
    const c = runs.get('peer/control-cr0-ts');
    expect(c?.kind === 'observed' && c.obs.regs.cr0).toBe(0x19n);
    for (const v of vs) expect(judge(v, runs.get(v.id)).kind, v.id).toBe('agree');
  });
});

describe('known disagreements', () => {
  const known = loadKnown('conform/known-disagreements.json');
  it('load, and every entry names a manual section and rules', () => {
    expect(known.ok).toBe(true);
    if (!known.ok) return;
    for (const k of known.entries) {
      expect(k.sdm, k.id).toMatch(/SDM|APM/);
      expect(k.rules.length, k.id).toBeGreaterThan(0);
    }
  });
  it('excuse only the runner and the kind of disagreement they describe', () => {
    if (!known.ok) return;
    const nw = byId('peer/nw-without-cd');
    const completed = { kind: 'differ' as const, text: 'ok', why: 'x' };
    expect(matchKnown(known.entries, 'qemu', nw, completed)?.id).toBe('qemu-cr0-nw-without-cd');
    expect(matchKnown(known.entries, 'trapspec-nested', nw, completed)).toBeUndefined();
    const other = { kind: 'differ' as const, text: '#UD', why: 'x' };
    expect(matchKnown(known.entries, 'qemu', nw, other)).toBeUndefined();
    const ctl = byId('peer/control-cr0-ts');
    expect(known.entries.some((k) => k.runner === 'qemu' && vectorMatches(k, ctl))).toBe(false);
  });
});
