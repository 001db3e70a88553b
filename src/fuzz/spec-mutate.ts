import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSpecErrors } from '../../codegen/diagnostics.ts';
import type { SpecError, SpecIR } from '../../codegen/ir.ts';
import { listSpecFiles, loadSpecFromSources } from '../../codegen/load.ts';
import { checkRuleSources, readRuleSources } from '../../codegen/rules/load.ts';

/**
 * Spec fuzzing: mutations of the real spec files (deleted, duplicated and swapped lines, numbers
 * replaced — swapped bit numbers —, truncation, random bytes) and the property that the loader
 * and the rule checker answer with a spec or with `file:line:col` errors, never an exception.
 */

export type SpecSources = Map<string, string>;

export function readAllSpecSources(root: string): SpecSources {
  const out = new Map<string, string>();
  for (const f of listSpecFiles(root)) out.set(f, readFileSync(join(root, f), 'utf8'));
  for (const [f, t] of readRuleSources(root)) out.set(f, t);
  return out;
}

export type Mutation =
  | { k: 'delete-line'; file: number; line: number }
  | { k: 'duplicate-line'; file: number; line: number }
  | { k: 'swap-lines'; file: number; a: number; b: number }
  | { k: 'replace-number'; file: number; nth: number; value: number }
  | { k: 'truncate'; file: number; at: number }
  | { k: 'random-bytes'; file: number; at: number; bytes: number[]; replace: boolean };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('delete-line' as const), file: fc.nat(), line: fc.nat() }),
  fc.record({ k: fc.constant('duplicate-line' as const), file: fc.nat(), line: fc.nat() }),
  fc.record({ k: fc.constant('swap-lines' as const), file: fc.nat(), a: fc.nat(), b: fc.nat() }),
  fc.record({
    k: fc.constant('replace-number' as const),
    file: fc.nat(),
    nth: fc.nat(),
    value: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(-1, 2 ** 53, 1e21)),
  }),
  fc.record({ k: fc.constant('truncate' as const), file: fc.nat(), at: fc.nat() }),
  fc.record({
    k: fc.constant('random-bytes' as const),
    file: fc.nat(),
    at: fc.nat(),
    bytes: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...'{}:"#\n\\0x'.split('').map((c) => c.charCodeAt(0)))), { minLength: 1, maxLength: 6 }),
    replace: fc.boolean(),
  }),
);

const NUMBER = /0x[0-9a-fA-F]+|0b[01]+|\d+/g;

/** Apply a mutation; indices wrap around the file list, lines and offsets. */
export function applyMutation(sources: SpecSources, m: Mutation): SpecSources {
  const files = [...sources.keys()];
  const file = files[m.file % files.length]!;
  const text = sources.get(file)!;
  const lines = text.split('\n');
  const L = (n: number): number => n % lines.length;
  let next: string;
  switch (m.k) {
    case 'delete-line':
      lines.splice(L(m.line), 1);
      next = lines.join('\n');
      break;
    case 'duplicate-line': {
      const i = L(m.line);
      lines.splice(i, 0, lines[i]!);
      next = lines.join('\n');
      break;
    }
    case 'swap-lines': {
      const a = L(m.a);
      const b = L(m.b);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      next = lines.join('\n');
      break;
    }
    case 'replace-number': {
      const hits = [...text.matchAll(NUMBER)];
      if (hits.length === 0) return sources;
      const h = hits[m.nth % hits.length]!;
      const value = Number.isSafeInteger(m.value) && m.value >= 0 ? String(m.value) : m.value.toString();
      next = text.slice(0, h.index) + value + text.slice(h.index + h[0].length);
      break;
    }
    case 'truncate':
      next = text.slice(0, m.at % (text.length + 1));
      break;
    case 'random-bytes': {
      const at = m.at % (text.length + 1);
      const ins = Buffer.from(m.bytes).toString('latin1');
      next = text.slice(0, at) + ins + text.slice(m.replace ? at + ins.length : at);
      break;
    }
  }
  const out = new Map(sources);
  out.set(file, next);
  return out;
}

export interface SpecCheck {
  /** 'spec': registers and rules both check; 'errors': located errors. */
  result: 'spec' | 'errors';
  spec?: SpecIR;
  errorCount: number;
  problems: string[];
}

const LOCATED = /^([^\s:][^:]*):(\d+):(\d+): \S/;

function checkErrors(errors: SpecError[], sources: SpecSources, problems: string[]): void {
  if (errors.length === 0) problems.push('failure without errors');
  for (const e of errors) {
    const text = sources.get(e.pos.file);
    if (text === undefined) {
      problems.push(`error names unknown file ${e.pos.file}: ${e.message}`);
      continue;
    }
    const lineCount = text.split('\n').length;
    if (!(e.pos.line >= 1 && e.pos.line <= lineCount && e.pos.column >= 1)) {
      problems.push(`error position ${e.pos.file}:${e.pos.line}:${e.pos.column} outside the file (${lineCount} lines): ${e.message}`);
    }
    if (e.message.length === 0 || /\n\s+at /.test(e.message)) problems.push(`bad message at ${e.pos.file}:${e.pos.line}: ${e.message}`);
  }
  const formatted = formatSpecErrors(errors, sources);
  const first = formatted.split('\n')[0] ?? '';
  if (!LOCATED.test(first)) problems.push(`formatted errors do not start with file:line:col: ${first}`);
}

/** Load registers + CPU model, then check the rules; never throws (an exception is a problem). */
export function checkSpecSources(sources: SpecSources): SpecCheck {
  const problems: string[] = [];
  const regs = new Map<string, string>();
  const rules = new Map<string, string>();
  for (const [f, t] of sources) (f.endsWith('.rules') ? rules : regs).set(f, t);
  try {
    const loaded = loadSpecFromSources(regs);
    if ('errors' in loaded) {
      checkErrors(loaded.errors, sources, problems);
      return { result: 'errors', errorCount: loaded.errors.length, problems };
    }
    const checked = checkRuleSources(rules, loaded.spec);
    if ('errors' in checked) {
      checkErrors(checked.errors, sources, problems);
      return { result: 'errors', errorCount: checked.errors.length, problems };
    }
    return { result: 'spec', spec: loaded.spec, errorCount: 0, problems };
  } catch (e) {
    problems.push(`exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return { result: 'errors', errorCount: 0, problems };
  }
}
