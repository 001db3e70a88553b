import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpecFromSources, type LoadFailure } from '../../codegen/load.ts';
import type { SpecError } from '../../codegen/ir.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CPU_FILE = 'spec/cpu/qemu-max.cpu';
export const CPU_TEXT = readFileSync(join(ROOT, CPU_FILE), 'utf8');

/** Load the real CPU model plus one register file; return the errors (empty when it checks). */
export function errorsOf(regText: string, file = 'spec/registers/t.reg'): SpecError[] {
  const r = loadSpecFromSources(
    new Map([
      [CPU_FILE, CPU_TEXT],
      [file, regText],
    ]),
  );
  return 'errors' in r ? (r as LoadFailure).errors : [];
}

/** `line:col: message` for compact assertions. */
export function brief(errors: SpecError[]): string[] {
  return errors.map((e) => `${e.pos.line}:${e.pos.column}: ${e.message}`);
}
