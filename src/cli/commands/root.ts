import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The trapspec project root (where spec/ and src/generated/ live). */
export function projectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}
