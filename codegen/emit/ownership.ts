import { StructureKind, VariableDeclarationKind, type StatementStructures } from 'ts-morph';
import type { GeneratedFile } from '../pipeline.ts';
import type { RuleSetIR } from '../rules/ir.ts';
import { MASKED_REGS, type MaskedReg, type RegOwnership } from '../rules/ownership.ts';
import { docText, finishTs, printStructures } from './format.ts';

/**
 * Emits src/generated/handlers/cr-policies.ts: the CR-ownership policies of spec/rules (the
 * guest-owned CR0/CR4 bits of each, as VMX guest/host masks take them), the largest safe set per
 * register, and why every other bit must stay host-owned (the rule line that forbids it).
 */

export const CR_POLICIES_FILE = 'src/generated/handlers/cr-policies.ts';

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const key = (r: MaskedReg): string => r.toLowerCase();

function fieldsOf(mask: bigint, a: RegOwnership): string[] {
  const names: string[] = [];
  for (let b = 0; b < 32; b++) {
    const n = a.names.get(b);
    if (((mask >> BigInt(b)) & 1n) === 1n && n !== undefined && !names.includes(n)) names.push(n);
  }
  return names;
}

export async function emitCrPolicies(set: RuleSetIR): Promise<GeneratedFile> {
  const policies = [
    { name: 'trap-all', description: 'every access of CR0 and CR4 exits (SVM-style CR intercepts)', owned: new Map<MaskedReg, bigint>() },
    ...set.policies,
  ];
  const policyText = policies
    .map((p) => {
      const regs = MASKED_REGS.map((r) => {
        const m = p.owned.get(r);
        return `${key(r)}: ${m === undefined ? 'null' : hex(m)}`;
      }).join(', ');
      return `${JSON.stringify(p.name)}: { name: ${JSON.stringify(p.name)}, description: ${JSON.stringify(p.description)}, ${regs} }`;
    })
    .join(',\n');
  const safeText = MASKED_REGS.map((r) => {
    const a = set.ownership.get(r)!;
    return `${key(r)}: { mask: ${hex(a.safe)}, fields: ${JSON.stringify(fieldsOf(a.safe, a))} }`;
  }).join(',\n');
  const blockedText = MASKED_REGS.map((r) => {
    const a = set.ownership.get(r)!;
    const seen = new Set<string>();
    const entries: string[] = [];
    for (const [b, w] of [...a.blocked].sort((x, y) => x[0] - y[0])) {
      const n = a.names.get(b);
      if (n === undefined || seen.has(n)) continue;
      seen.add(n);
      entries.push(`${n}: ${JSON.stringify(`${w.why}: ${w.file}:${w.line} (${w.rule}) ${w.text}`)}`);
    }
    return `${key(r)}: { ${entries.join(', ')} }`;
  }).join(',\n');
  const statements: StatementStructures[] = [
    {
      kind: StructureKind.Interface,
      isExported: true,
      name: 'CrPolicy',
      docs: ['A CR-ownership policy: the guest-owned low bits of CR0 and CR4 (null: every access of that register exits).'],
      properties: [
        { name: 'name', type: 'string', isReadonly: true },
        { name: 'description', type: 'string', isReadonly: true },
        { name: 'cr0', type: 'number | null', isReadonly: true },
        { name: 'cr4', type: 'number | null', isReadonly: true },
      ],
    },
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [docText('The policies of spec/rules (`policy` blocks), each owned bit proved safe by the generator; `trap-all` is built in.')],
      declarations: [{ name: 'CR_POLICIES', type: 'Readonly<Record<string, CrPolicy>>', initializer: `{\n${policyText}\n}` }],
    },
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['The largest guest-owned set the rules allow, per register.'],
      declarations: [{ name: 'LARGEST_SAFE', initializer: `{\n${safeText}\n} as const` }],
    },
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['Why each other field must stay host-owned: the first rule statement that forbids handing it to the guest.'],
      declarations: [{ name: 'HOST_OWNED_BECAUSE', initializer: `{\n${blockedText}\n} as const` }],
    },
  ];
  const sources = set.files.filter((f) => f.endsWith('ownership.rules') || set.rules.some((r) => r.file === f)).join(', ');
  return { path: CR_POLICIES_FILE, contents: await finishTs(sources, printStructures(CR_POLICIES_FILE, statements)) };
}
