/**
 * Interrupt delivery end to end (test/machine/guests/interrupts.asm, a multiboot guest): the
 * STI shadow, TPR masking, the APIC timer in periodic, one-shot and TSC-deadline mode waking
 * HLT, NMI blocking until IRET, ISR/EOI — under the trap monitor with every paging strategy and
 * under the bare monitor: the same bytes, the same instruction count and the same virtual time
 * (shadow ≡ nested ≡ direct with interrupts on), and the same again on a second run
 * (deterministic clock). The injection path is visible in the exit counts: one
 * interrupt-window exit per external interrupt, one nmi-window exit per NMI, and HLT sleeps
 * that skip virtual time instead of spinning.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine, type MonitorFactory, type PagingModeName } from '../../src/runtime/machine/machine.ts';
import { bareMonitorFactory } from '../../src/runtime/machine/monitor-factory.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';

const DIR = join('test', 'machine', 'guests');
const IMAGE = new Uint8Array(readFileSync(join(DIR, 'interrupts.img')));
const EXPECTED = readFileSync(join(DIR, 'expected-interrupts.txt'), 'latin1');

function run(paging: PagingModeName, monitorFactory?: MonitorFactory) {
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: 16, paging, output: out, monitorFactory });
  const loaded = m.load(IMAGE, { file: 'interrupts.img' });
  if (!loaded.ok) throw new Error(`load: ${JSON.stringify(loaded)}`);
  const r = m.run(10_000_000);
  const stats = m.stats();
  return {
    output: out.text(),
    stop: r.stop.kind === 'debug-exit' ? `debug-exit ${r.stop.status}` : JSON.stringify(r.stop),
    instructions: r.instructions,
    virtualNs: m.clock.nowNs(),
    interrupts: Object.fromEntries(stats.interrupts),
    exits: Object.fromEntries(stats.exits),
    hltSleeps: stats.extra['interrupts.hltSleeps'],
  };
}

describe('interrupts guest', () => {
  const shadow = run('shadow');

  it('prints what each check expects', () => {
    expect(shadow.output).toBe(EXPECTED);
    expect(shadow.stop).toBe('debug-exit 3');
  });

  it('delivers through event windows: one exit per interrupt, HLT sleeps skip time', () => {
    // 0x20: 5 periodic + 1 one-shot + 1 deadline; 0x21 the shadow IPI; 0x31 the TPR IPI.
    expect(shadow.interrupts).toEqual({ 'vector 0x20': 7, 'vector 0x21': 1, 'vector 0x31': 1, nmi: 2 });
    expect(shadow.exits['interrupt-window']).toBe(9);
    expect(shadow.exits['nmi-window']).toBe(2);
    expect(shadow.exits.hlt).toBe(7);
    expect(shadow.hltSleeps).toBe(7);
    // 5 × 100000 + 50000 counts at 1 ns, 200000 TSC ticks at 1 GHz, and the instructions.
    expect(shadow.virtualNs).toBeGreaterThan(750_000);
    expect(shadow.virtualNs).toBeLessThan(750_000 + shadow.instructions + 1000);
  });

  it.each(['nested', 'direct'] as const)('%s paging gives the same run as shadow', (paging) => {
    // A nested-paging fault exit restarts its instruction, which counts as started twice (and
    // takes its nanosecond twice): the runs agree once those are taken out.
    const r = run(paging);
    const npf = r.exits.npf ?? 0;
    delete r.exits.npf;
    expect({ ...r, instructions: r.instructions - npf, virtualNs: r.virtualNs - npf }).toEqual(shadow);
  });

  it('the bare monitor gives the same run', () => {
    const bare = run('direct', bareMonitorFactory);
    expect(bare.output).toBe(shadow.output);
    expect(bare.instructions).toBe(shadow.instructions);
    expect(bare.virtualNs).toBe(shadow.virtualNs);
    expect(bare.interrupts).toEqual(shadow.interrupts);
  });

  it('is deterministic: a second run gives the same bytes, count and virtual time', () => {
    expect(run('shadow')).toEqual(shadow);
  });

  it('the checked-in image is what its source assembles to (when nasm is installed)', () => {
    if (spawnSync('nasm', ['-v']).status !== 0) return;
    const out = join(mkdtempSync(join(tmpdir(), 'trapspec-guest-')), 'interrupts.img');
    execFileSync('nasm', ['-f', 'bin', '-o', out, join(DIR, 'interrupts.asm')]);
    expect(readFileSync(out).equals(Buffer.from(IMAGE))).toBe(true);
  });
});

describe('CR8 is the APIC TPR (test/machine/guests/cr8-tpr.asm, 64-bit)', () => {
  const expected = readFileSync(join(DIR, 'expected-cr8-tpr.txt'), 'latin1');
  const image = new Uint8Array(readFileSync(join(DIR, 'cr8-tpr.img')));

  it.each([
    ['shadow', 'trap-all'],
    ['nested', 'trap-all'],
    ['direct', 'trap-all'],
    ['shadow', 'minimal-exits'],
    ['nested', 'minimal-exits'],
  ] as const)('MOV CR8 and MMIO TPR see each other, and CR8 masks by class, under %s paging (%s)', (paging, crPolicy) => {
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 16, paging, crPolicy, output: out });
    expect(m.load(image, { file: 'cr8-tpr.img' }).ok).toBe(true);
    const r = m.run(1_000_000);
    expect(out.text()).toBe(expected);
    expect(r.stop).toEqual({ kind: 'debug-exit', status: 3 });
    expect(m.interrupts.lapic.tpr).toBe(0x20);
    expect(m.stats().exits.get('mov-to-cr8')).toBe(3);
  });

  it('the checked-in image is what its source assembles to (when nasm is installed)', () => {
    if (spawnSync('nasm', ['-v']).status !== 0) return;
    const out = join(mkdtempSync(join(tmpdir(), 'trapspec-guest-')), 'cr8-tpr.img');
    execFileSync('nasm', ['-f', 'bin', '-o', out, join(DIR, 'cr8-tpr.asm')]);
    expect(readFileSync(out).equals(Buffer.from(image))).toBe(true);
  });
});
