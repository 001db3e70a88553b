import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMultibootHeader } from '../../src/runtime/machine/loaders/multiboot-header.ts';

/** The guests this suite owns (guests/bench has its own build script and checks). */
const guests = ['default', 'triple-fault', 'spin', 'flat-hello', 'elf-hello'];
const hasNasm = spawnSync('nasm', ['-v']).status === 0;

describe('checked-in guest images', () => {
  it.each(guests)('%s: the image is present and is what its source assembles to (when nasm is installed)', (name) => {
    const image = readFileSync(join('guests', name, `${name}.img`));
    expect(image.length).toBeGreaterThan(0);
    if (name !== 'flat-hello') expect(findMultibootHeader(new Uint8Array(image))).toBeDefined();
    if (hasNasm) {
      const out = join(mkdtempSync(join(tmpdir(), 'trapspec-guest-')), `${name}.img`);
      execFileSync('nasm', ['-f', 'bin', '-o', out, join('guests', name, `${name}.asm`)]);
      expect(readFileSync(out).equals(image), `guests/${name}/${name}.img is stale: run scripts/build-guests.sh`).toBe(true);
    }
  });
});
