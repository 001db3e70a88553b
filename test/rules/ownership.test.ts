/**
 * The CR-ownership checker: the largest safe sets it derives from the rules, and the located
 * errors for a policy that hands the guest a bit some rule needs to see.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSpecErrors } from '../../codegen/diagnostics.ts';
import { loadSpec } from '../../codegen/load.ts';
import { checkRuleSources } from '../../codegen/rules/load.ts';
import type { SpecIR } from '../../codegen/ir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function spec(): SpecIR {
  const s = loadSpec(root);
  if ('errors' in s) throw new Error('register spec does not load');
  return s.spec;
}

/** The project's rule files, with some replaced or added. */
function sources(edits: Record<string, string> = {}): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of readdirSync(`${root}spec/rules`).sort()) m.set(`spec/rules/${f}`, readFileSync(`${root}spec/rules/${f}`, 'utf8'));
  for (const [f, t] of Object.entries(edits)) m.set(f, t);
  return m;
}

function check(edits: Record<string, string>): string {
  const src = sources(edits);
  const r = checkRuleSources(src, spec());
  return 'errors' in r ? formatSpecErrors(r.errors, src) : 'ok';
}

function fieldsOf(mask: bigint, names: Map<number, string>): string[] {
  return [...names]
    .filter(([b]) => ((mask >> BigInt(b)) & 1n) === 1n)
    .sort((a, b) => a[0] - b[0])
    .map(([, n]) => n);
}

describe('CR ownership derived from the rules', () => {
  it('the largest safe sets: CR0 without the paging, cache and fixed bits; CR4 without the paging and reserved bits', () => {
    const r = checkRuleSources(sources(), spec());
    if ('errors' in r) throw new Error('spec does not check');
    const cr0 = r.rules.ownership.get('CR0')!;
    const cr4 = r.rules.ownership.get('CR4')!;
    expect(fieldsOf(cr0.safe, cr0.names)).toEqual(['MP', 'EM', 'TS', 'NE', 'AM']);
    expect(fieldsOf(cr4.safe, cr4.names)).toEqual(['TSD', 'DE', 'MCE', 'PCE', 'OSFXSR', 'OSXMMEXCPT', 'UMIP', 'FSGSBASE', 'OSXSAVE']);
    expect(cr0.blocked.get(31)).toMatchObject({ rule: 'write-CR0', file: 'spec/rules/cr0.rules', why: 'a guard tests it' });
    expect(cr0.blocked.get(4)?.why).toMatch(/does not carry the bit as the hardware would \(always 1\)/); // ET
    expect(cr4.blocked.get(21)?.why).toBe('effect paging_mode_changed depends on it'); // SMAP
    expect(r.rules.policies.map((p) => p.name)).toEqual(['minimal-exits']);
  });

  it('handing the guest a bit a guard tests is an error at the policy line, naming the rule line', () => {
    const out = check({ 'spec/rules/ownership.rules': 'policy greedy "too much" {\n  guest owns CR0.TS, CR0.PG\n}\n' });
    expect(out).toBe(
      [
        "spec/rules/ownership.rules:2:22: CR0.PG cannot be guest-owned: a guard tests it in rule 'write-CR0' at spec/rules/cr0.rules:10: fault #GP(0) when new.PG and not new.PE",
        '    guest owns CR0.TS, CR0.PG',
        '                       ^',
      ].join('\n'),
    );
  });

  it('a new guard on TS makes TS host-owned: the policy that owned it now fails', () => {
    const cr0 = readFileSync(`${root}spec/rules/cr0.rules`, 'utf8').replace(
      '  guest CR0 = new with ignored = 0, ET = 1',
      '  fault #GP(0) when new.TS and new.EM\n  guest CR0 = new with ignored = 0, ET = 1',
    );
    const out = check({ 'spec/rules/cr0.rules': cr0 });
    expect(out.split('\n')[0]).toMatch(/^spec\/rules\/ownership\.rules:10:\d+: CR0\.EM cannot be guest-owned: a guard tests it in rule 'write-CR0' at spec\/rules\/cr0\.rules:15: fault #GP\(0\) when new\.TS and new\.EM$/);
    expect(out).toContain('CR0.TS cannot be guest-owned');
  });

  it('a read rule a shadow cannot answer keeps every bit host-owned', () => {
    const cr4 = readFileSync(`${root}spec/rules/cr4.rules`, 'utf8').replace('  result guest CR4', '  result guest CR4 | 0x200');
    const out = check({ 'spec/rules/cr4.rules': cr4 });
    expect(out).toMatch(/CR4\.TSD cannot be guest-owned: a read rule returns something other than 'guest CR4'; reads with masks never exit in rule 'read-CR4'/);
  });

  it('unknown fields, registers without masks, bits 63:32 and duplicate policies are errors', () => {
    const out = check({
      'spec/rules/ownership.rules': 'policy a "x" {\n  guest owns CR0.XX, CR3.PWT\n}\npolicy a "y" {\n}\npolicy trap_all "z" {\n}\n',
    });
    expect(out).toContain("spec/rules/ownership.rules:2:14: CR0 has no field 'XX'");
    expect(out).toContain("spec/rules/ownership.rules:2:22: only CR0 and CR4 have guest/host masks, not 'CR3'");
    expect(out).toContain("spec/rules/ownership.rules:4:1: policy 'a' is already defined at spec/rules/ownership.rules:1");
    expect(out).toContain("spec/rules/ownership.rules:6:1: 'trap_all' is built in");
  });
});
