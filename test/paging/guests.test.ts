/**
 * End to end (issue 5 §5): every bundled guest gives identical output and the same end under
 * --paging shadow, nested and direct, through the real CPU, trap monitor and paging strategies;
 * a guest with a recorded expected output (recorded under QEMU) matches it in every mode.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine, type PagingModeName } from '../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';

const MAX_INSNS = 300_000;
const guests = readdirSync('guests', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('guests', d.name, `${d.name}.img`)))
  .map((d) => d.name);

interface Run {
  output: string;
  stop: string;
  stats: Record<string, number>;
}

function runGuest(name: string, paging: PagingModeName): Run {
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: 32, paging, output: out });
  const image = new Uint8Array(readFileSync(join('guests', name, `${name}.img`)));
  const loaded = m.load(image, { file: `${name}.img` });
  if (!loaded.ok) throw new Error(`load ${name}: ${JSON.stringify(loaded)}`);
  const r = m.run(MAX_INSNS);
  const stop = r.stop.kind === 'debug-exit' ? `debug-exit ${r.stop.status}` : r.stop.kind;
  return { output: out.text(), stop, stats: m.stats().extra };
}

describe.each(guests)('guest %s under every paging mode', (name) => {
  it('shadow ≡ nested ≡ direct', () => {
    const direct = runGuest(name, 'direct');
    const shadow = runGuest(name, 'shadow');
    const nested = runGuest(name, 'nested');
    expect(direct.stop).not.toBe('monitor-error');
    expect(shadow.output).toBe(direct.output);
    expect(nested.output).toBe(direct.output);
    expect(shadow.stop).toBe(direct.stop);
    expect(nested.stop).toBe(direct.stop);
    const expectedFile = join('guests', name, 'expected-output.txt');
    if (existsSync(expectedFile)) expect(direct.output).toBe(readFileSync(expectedFile, 'utf8'));
  });
});

describe('the default guest exercises every strategy', () => {
  it('shadow fills on faults, nested fills on NPF, direct uses no monitor tables', () => {
    const shadow = runGuest('default', 'shadow');
    const nested = runGuest('default', 'nested');
    const direct = runGuest('default', 'direct');
    expect(shadow.stats['paging.shadow.fills']).toBeGreaterThan(0);
    expect(shadow.stats['paging.shadow.pageFaults']).toBeGreaterThanOrEqual(shadow.stats['paging.shadow.fills']);
    expect(nested.stats['paging.nested.npf']).toBeGreaterThan(0);
    expect(direct.stats['memory.monitorPages']).toBe(0);
  });
});
