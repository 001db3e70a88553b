import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpecError, SpecIR } from '../ir.ts';
import { parseRulesFile } from './parse.ts';
import { RuleChecker } from './check.ts';
import { regFacts } from './facts.ts';
import type { RuleIR, RuleSetIR } from './ir.ts';
import type { SPolicy } from './ast.ts';
import { analyzeOwnership, checkPolicies } from './ownership.ts';

export const RULES_DIR = 'spec/rules';
export const RULES_EXT = '.rules';

/** Read spec/rules/*.rules (sorted, paths relative to rootDir). */
export function readRuleSources(rootDir: string): Map<string, string> {
  const sources = new Map<string, string>();
  const abs = join(rootDir, RULES_DIR);
  if (!existsSync(abs)) return sources;
  for (const name of readdirSync(abs).sort()) {
    if (name.endsWith(RULES_EXT)) sources.set(`${RULES_DIR}/${name}`, readFileSync(join(abs, name), 'utf8'));
  }
  return sources;
}

/**
 * Parse and check rule files against the register spec. All errors of all files are reported
 * (a file with a syntax error contributes that one error). A rule defined twice is an error.
 */
export function checkRuleSources(sources: Map<string, string>, spec: SpecIR): { rules: RuleSetIR } | { errors: SpecError[] } {
  const facts = regFacts(spec);
  const checker = new RuleChecker(facts, spec.cpu.maxPhysAddr);
  const policies: { file: string; policy: SPolicy }[] = [];
  const errors: SpecError[] = [];
  const rules: RuleIR[] = [];
  const seen = new Map<string, RuleIR>();
  for (const [file, text] of sources) {
    const parsed = parseRulesFile(file, text);
    if ('errors' in parsed) {
      errors.push(...parsed.errors);
      continue;
    }
    for (const policy of parsed.policies) policies.push({ file, policy });
    for (const r of parsed.rules) {
      const ir = checker.checkRule(r, file);
      if (!ir) continue;
      const prev = seen.get(ir.id);
      if (prev) {
        errors.push({ pos: r.pos, message: `rule 'on ${ir.access} ${ir.reg}' is already defined at ${prev.file}:${prev.pos.line}` });
        continue;
      }
      seen.set(ir.id, ir);
      rules.push(ir);
    }
  }
  errors.push(...checker.errors);
  if (errors.length > 0) return { errors };
  const ownership = analyzeOwnership(rules, facts);
  const checked = checkPolicies(policies, ownership, facts);
  if (checked.errors.length > 0) return { errors: checked.errors };
  return { rules: { rules, files: [...sources.keys()], policies: checked.policies, ownership } };
}

export function loadRules(rootDir: string, spec: SpecIR): { rules: RuleSetIR; sources: Map<string, string> } | { errors: SpecError[]; sources: Map<string, string> } {
  const sources = readRuleSources(rootDir);
  const r = checkRuleSources(sources, spec);
  return { ...r, sources };
}
