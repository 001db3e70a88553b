import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../codegen/load.ts';
import { loadRules } from '../../codegen/rules/load.ts';
import { buildVectors, vectorsJson } from '../../codegen/emit/vectors.ts';
import { rulesEmitter } from '../../codegen/rules/emitter.ts';
import type { RuleSetIR } from '../../codegen/rules/ir.ts';
import type { SpecIR } from '../../codegen/ir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function load(): { spec: SpecIR; rules: RuleSetIR } {
  const s = loadSpec(root);
  if ('errors' in s) throw new Error('spec does not load');
  const r = loadRules(root, s.spec);
  if ('errors' in r) throw new Error('rules do not load');
  return { spec: s.spec, rules: r.rules };
}

describe('conformance vector coverage', () => {
  const { spec, rules } = load();
  const doc = buildVectors(rules, spec);
  const covered = new Set(doc.vectors.flatMap((v) => v.covers));

  it('every guard is violated and satisfied by some vector, except guards the CPU model makes unreachable', () => {
    const guards = rules.rules.flatMap((r) => r.stmts.flatMap((s) => (s.k === 'guard' ? [s.guard.id] : [])));
    expect(guards.length).toBeGreaterThan(30);
    expect(guards.filter((g) => !covered.has(`${g}/satisfied`))).toEqual([]);
    // XCR0 pairing rules for AVX (g6), MPX (g7), AVX-512 (g8) and AMX (g9): their bits are
    // reserved in the model, so the reserved-bit guard (g4) always fires first. The same for CR4's
    // "LA57 changed in IA-32e mode" (write-CR4/g4): LA57 is not in trapspec's model.
    expect(guards.filter((g) => !covered.has(`${g}/violated`))).toEqual(['write-CR4/g4', 'xsetbv-XCR0/g6', 'xsetbv-XCR0/g7', 'xsetbv-XCR0/g8', 'xsetbv-XCR0/g9']);
  });

  it('every conditional action and effect is triggered by some vector', () => {
    for (const r of rules.rules) {
      const ids = new Set(doc.vectors.filter((v) => v.rule === r.id).flatMap((v) => v.covers));
      r.stmts.forEach((s, i) => {
        if (s.k === 'action' && s.action.k !== 'result') expect(ids.has(`action/${i}`), `${r.id} action ${i}: ${s.text}`).toBe(true);
      });
    }
  });

  it('every rule has vectors at CPL 0 and 3 in every test mode', () => {
    for (const r of rules.rules) {
      for (const m of doc.modes) {
        for (const cpl of m.cpls) {
          const n = doc.vectors.filter((v) => v.rule === r.id && v.initial.mode === m.mode && v.initial.cpl === cpl).length;
          expect(n, `${r.id} ${m.mode} CPL ${cpl}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('the canonical cases are there with the right expectations', () => {
    const lmswKeepsPe = doc.vectors.find(
      (v) => v.rule === 'lmsw-CR0' && v.initial.mode === 'protected' && v.initial.cpl === 0 && v.operand === '0x10',
    );
    expect(lmswKeepsPe?.expected.guest.CR0).toBe('0x11');
    const paeInLong = doc.vectors.find((v) => v.covers.includes('write-CR4/g3/violated') && v.initial.mode === 'long64');
    expect(paeInLong?.expected.exception).toEqual({ vector: 13, mnemonic: '#GP(0)', errorCode: 0, guard: 'write-CR4/g3' });
    expect(paeInLong?.expected.ripAdvanced).toBe(false);
  });

  it('is deterministic: building twice gives the same bytes, and gen output too', async () => {
    expect(vectorsJson(buildVectors(rules, spec))).toBe(vectorsJson(doc));
    const a = await rulesEmitter.emit({ root, spec });
    const b = await rulesEmitter.emit({ root, spec });
    expect('files' in a && 'files' in b).toBe(true);
    if ('files' in a && 'files' in b) expect(b.files).toEqual(a.files);
  });
});
