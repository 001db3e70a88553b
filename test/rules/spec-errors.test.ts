import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSpecErrors } from '../../codegen/diagnostics.ts';
import { generateInMemory } from '../../codegen/generate.ts';
import { loadSpec } from '../../codegen/load.ts';
import { checkRuleSources } from '../../codegen/rules/load.ts';
import type { SpecIR } from '../../codegen/ir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function spec(): SpecIR {
  const s = loadSpec(root);
  if ('errors' in s) throw new Error('register spec does not load');
  return s.spec;
}

/** Check one in-memory rules file; the formatted errors (or 'ok'). */
function check(text: string, file = 'spec/rules/bad.rules'): string {
  const r = checkRuleSources(new Map([[file, text]]), spec());
  return 'errors' in r ? formatSpecErrors(r.errors, new Map([[file, text]])) : 'ok';
}

describe('rule spec errors are file:line:col with the source line and a caret', () => {
  it('syntax error points at the first token that cannot continue the rule', () => {
    const out = check('on write CR0 (new) {\n  fault #GP(0) when new.PG and\n}\n');
    expect(out.split('\n')[0]).toMatch(/^spec\/rules\/bad\.rules:3:1: syntax error: expected .*"not"$/);
    expect(out.split('\n').slice(1)).toEqual(['  }', '  ^']);
  });

  it('unknown register', () => {
    expect(check('on read CR0 {\n  result guest CR7\n}\n')).toBe(
      ["spec/rules/bad.rules:2:16: unknown register 'CR7'", '    result guest CR7', '                 ^'].join('\n'),
    );
    expect(check('on write CR9 (new) {\n}\n')).toBe(
      ["spec/rules/bad.rules:1:10: 'write' rules apply to CR0, CR3, CR4, CR8, not 'CR9'", '  on write CR9 (new) {', '           ^'].join('\n'),
    );
  });

  it('unknown field, every one in the file', () => {
    expect(check('on write CR0 (new) {\n  fault #GP(0) when new.PX\n  guest CR0 = new with ET = 1, QQ = 0\n}\n')).toBe(
      [
        "spec/rules/bad.rules:2:25: CR0 has no field 'PX'",
        '    fault #GP(0) when new.PX',
        '                          ^',
        "spec/rules/bad.rules:3:32: CR0 has no field 'QQ'",
        '    guest CR0 = new with ET = 1, QQ = 0',
        '                                 ^',
      ].join('\n'),
    );
  });

  it('type errors: numbers where conditions are needed and mixed comparisons', () => {
    const out = check('on write CR4 (new) {\n  fault #GP(0) when new.PAE and 1\n  fault #GP(0) when new & 3\n  fault #GP(0) when cpl == new.PAE\n}\n');
    expect(out.split('\n').filter((l) => l.startsWith('spec/'))).toEqual([
      "spec/rules/bad.rules:2:33: 'and' needs conditions; compare numbers first (x != 0)",
      'spec/rules/bad.rules:3:21: expected a condition, got a number (compare it: `... != 0`)',
      'spec/rules/bad.rules:4:21: cannot compare a number with a condition',
    ]);
  });

  it('a fault after an assignment, and a multi-layout register without a layout', () => {
    expect(check('on write CR8 (new) in long64 {\n  guest CR8 = new\n  fault #GP(0) when cpl != 0\n}\n').split('\n')[0]).toBe(
      'spec/rules/bad.rules:3:3: a fault must come before any assignment or effect (faults leave all state unchanged)',
    );
    expect(check('on write CR3 (new) {\n  fault #GP(0) when new.reserved != 0\n}\n').split('\n')[0]).toBe(
      'spec/rules/bad.rules:2:25: CR3 has several layouts; say which: .reserved(legacy|pae|long|long_pcid)',
    );
  });

  it('a rule defined twice', () => {
    const r = 'on read CR4 {\n  result guest CR4\n}\n';
    expect(check(r + r).split('\n')[0]).toBe("spec/rules/bad.rules:4:1: rule 'on read CR4' is already defined at spec/rules/bad.rules:1");
  });

  it('`npm run gen` reports rule errors with positions instead of generating', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trapspec-rules-'));
    try {
      cpSync(join(root, 'spec'), join(dir, 'spec'), { recursive: true });
      writeFileSync(join(dir, 'spec/rules/zz-bad.rules'), 'on read CR0 {\n  fault #GP(0) when CR0.NOPE\n  result guest CR0\n}\n');
      const r = await generateInMemory(dir);
      expect('errorText' in r && r.errorText).toBe(
        ["spec/rules/zz-bad.rules:2:25: CR0 has no field 'NOPE'", '    fault #GP(0) when CR0.NOPE', '                          ^'].join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
