import { Section, assemble } from './asm.ts';
import { le } from './ins.ts';
import { IMAGE_BASE, LOW_CODE, LOW_CODE_END, USER32, USER64 } from './layout.ts';
import { planVector, type TableCopy } from './plan.ts';
import {
  emitFinish,
  emitHandlers16,
  emitHandlers32,
  emitHandlers64,
  emitPrint,
  emitReset32,
  emitStartup,
  emitStrings,
} from './runtime.ts';
import { emitDescriptorTables, emitIdts, emitPageTables, concat } from './tables.ts';
import { emitVector, type GuestSections } from './vector-code.ts';
import type { ConformVector } from './vector.ts';

/**
 * Builds one multiboot v1 image (flat binary, a.out kludge: header flag bit 16) that runs the
 * given vectors in order and prints one line each (format: output.ts). Vectors the planner
 * rejects are not put in the image; they come back in `skipped` with the reason.
 */

export interface GuestImage {
  bytes: Uint8Array;
  /** Vectors in the image, in the order their lines are printed. */
  vectors: ConformVector[];
  skipped: { vector: ConformVector; reason: string }[];
  /** Entry point (for loaders that do not read the multiboot header). */
  entry: number;
}

const MB_MAGIC = 0x1badb002;
const MB_FLAGS = 0x00010000; // bit 16: the address fields below are valid

/** Upper bound of the image's end, for the planner's overlap check (the image stays below it). */
const IMAGE_LIMIT = IMAGE_BASE + 0x300000;

export function buildGuest(vectors: readonly ConformVector[]): GuestImage {
  const included: ConformVector[] = [];
  const skipped: GuestImage['skipped'] = [];
  const plans: TableCopy[][] = [];
  for (const v of vectors) {
    const p = planVector(v, IMAGE_LIMIT);
    if (p.ok) {
      included.push(v);
      plans.push(p.copies);
    } else {
      skipped.push({ vector: v, reason: p.reason });
    }
  }

  const header = new Section('header', 32);
  const main = new Section('main', 32);
  const long = new Section('long', 64);
  const data = new Section('data', 32);
  const tables = new Section('tables', 32);
  const low = new Section('low', 16, LOW_CODE, LOW_CODE);
  const user32 = new Section('user32', 32, USER32);
  const user64 = new Section('user64', 64, USER64);
  const g: GuestSections = { main, long, low, user32, user64 };

  header.label('image_start');
  header.data((L) =>
    concat(
      le(MB_MAGIC, 4),
      le(MB_FLAGS, 4),
      le(-(MB_MAGIC + MB_FLAGS), 4),
      le(L('image_start'), 4), // header_addr
      le(L('image_start'), 4), // load_addr
      le(L('image_end'), 4), // load_end_addr
      le(L('image_end'), 4), // bss_end_addr
      le(L('entry'), 4), // entry_addr
    ),
  );

  emitStartup(main, [
    { from: 'low_load', to: LOW_CODE, size: 'low_size' },
    { from: 'user32_load', to: USER32, size: 'user32_size' },
    { from: 'user64_load', to: USER64, size: 'user64_size' },
  ]);
  included.forEach((v, i) => emitVector(g, v, i, plans[i] ?? []));
  emitFinish(main);
  emitHandlers32(main);
  emitReset32(main);
  emitPrint(main);
  emitHandlers64(long);
  emitHandlers16(low);
  emitStrings(
    data,
    included.map((v) => v.id),
  );
  emitDescriptorTables(data);
  emitIdts(data);
  emitPageTables(tables);

  const img = assemble(IMAGE_BASE, [header, main, long, data, tables, low, user32, user64]);
  if (IMAGE_BASE + img.bytes.length > IMAGE_LIMIT) throw new Error('conform/guest: image too large; split the vectors');
  const lowSize = img.labels.get('low_size') ?? 0;
  if (LOW_CODE + lowSize > LOW_CODE_END)
    throw new Error('conform/guest: real-mode code exceeds its segment; split the vectors');
  return { bytes: img.bytes, vectors: included, skipped, entry: img.labels.get('entry') ?? 0 };
}
