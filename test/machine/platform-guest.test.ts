/**
 * The platform devices end to end (test/machine/guests/platform.asm, a multiboot guest): the
 * PIT's IRQ 0 and the RTC's periodic IRQ 8 (through the slave 8259) wake HLT; COM1 receives
 * bytes on IRQ 4 with its FIFO on; all through the 8259 pair behind the local APIC's LINT0.
 * The same run under every paging strategy and the bare monitor, twice (deterministic clock),
 * and through `trapspec run` with the input on stdin.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SerialInput } from '../../src/runtime/machine/devices/uart16550.ts';
import { Machine, type MonitorFactory, type PagingModeName } from '../../src/runtime/machine/machine.ts';
import { bareMonitorFactory } from '../../src/runtime/machine/monitor-factory.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';

const DIR = join('test', 'machine', 'guests');
const IMAGE_PATH = join(DIR, 'platform.img');
const IMAGE = new Uint8Array(readFileSync(IMAGE_PATH));
const EXPECTED = 'pit 10\nrtc 8\nuart hello 6\nmask spurious 0\n';

/** Bytes handed to COM1 one at a time, then end of input. */
function bytesInput(text: string): SerialInput {
  const bytes = [...Buffer.from(text, 'latin1')];
  return {
    ended: false,
    read() {
      const b = bytes.shift();
      if (b === undefined) (this as { ended: boolean }).ended = true;
      return b ?? -1;
    },
  };
}

function run(paging: PagingModeName, monitorFactory?: MonitorFactory) {
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: 16, paging, output: out, monitorFactory, serialInput: bytesInput('hello.') });
  const loaded = m.load(IMAGE, { file: 'platform.img' });
  if (!loaded.ok) throw new Error(`load: ${JSON.stringify(loaded)}`);
  const r = m.run(10_000_000);
  const stats = m.stats();
  return {
    output: out.text(),
    stop: r.stop.kind === 'debug-exit' ? `debug-exit ${r.stop.status}` : JSON.stringify(r.stop),
    instructions: r.instructions,
    virtualNs: m.clock.nowNs(),
    interrupts: Object.fromEntries(stats.interrupts),
    pic: [stats.extra['pic.acknowledged'], stats.extra['pic.spurious']],
    irqs: [stats.extra['irq.0.raised'], stats.extra['irq.4.raised'], stats.extra['irq.8.raised']],
    bytesIn: stats.extra['com1.bytesIn'],
    npf: stats.exits.get('npf') ?? 0,
  };
}

describe('platform guest: PIT, RTC and UART interrupts through the 8259 pair', () => {
  const shadow = run('shadow');

  it('counts 10 PIT ticks, 8 RTC periodic interrupts and echoes the received bytes', () => {
    expect(shadow.output).toBe(EXPECTED);
    expect(shadow.stop).toBe('debug-exit 1');
    // Vectors 0x20 (IRQ 0), 0x24 (IRQ 4, one per byte), 0x28 (IRQ 8) as the PIC's ICW2 set them.
    expect(shadow.interrupts).toEqual({ 'vector 0x20': 10, 'vector 0x24': 6, 'vector 0x28': 8 });
    expect(shadow.pic).toEqual([24, 0]);
    expect(shadow.bytesIn).toBe(6);
    // 10 ms of PIT ticks at 1 kHz, then 8 periods of 1/1024 s and the bytes at 9600 baud.
    expect(shadow.virtualNs).toBeGreaterThan(10_000_000 + 7 * 976_562);
  });

  it.each(['nested', 'direct'] as const)('%s paging gives the same run as shadow', (paging) => {
    // A nested-paging fault exit restarts its instruction, which counts (and takes its
    // nanosecond) twice: the runs agree once those are taken out (a nanosecond taken before an
    // HLT is absorbed by the sleep, which ends at the same deadline).
    const r = run(paging);
    expect(r.output).toBe(shadow.output);
    expect(r.interrupts).toEqual(shadow.interrupts);
    expect(r.instructions - r.npf).toBe(shadow.instructions);
    expect(r.virtualNs).toBeGreaterThanOrEqual(shadow.virtualNs);
    expect(r.virtualNs).toBeLessThanOrEqual(shadow.virtualNs + r.npf);
  });

  it('the bare monitor gives the same run', () => {
    const bare = run('direct', bareMonitorFactory);
    expect(bare.output).toBe(shadow.output);
    expect(bare.instructions).toBe(shadow.instructions);
    expect(bare.virtualNs).toBe(shadow.virtualNs);
  });

  it('is deterministic: a second run gives the same bytes, count and virtual time', () => {
    expect(run('shadow')).toEqual(shadow);
  });

  it('trapspec run feeds stdin to COM1 and reports the device counters in --stats', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', IMAGE_PATH, '--stats'], {
      input: 'hello.',
      encoding: 'latin1',
      timeout: 60_000,
    });
    expect(r.stdout).toBe(EXPECTED);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/pit\.irq0\s+\d+\n/);
    expect(r.stderr).toMatch(/com1\.bytesIn\s+6\n/);
  });

  it('the checked-in image is what its source assembles to (when nasm is installed)', () => {
    if (spawnSync('nasm', ['-v']).status !== 0) return;
    const out = join(mkdtempSync(join(tmpdir(), 'trapspec-guest-')), 'platform.img');
    execFileSync('nasm', ['-f', 'bin', '-o', out, join(DIR, 'platform.asm')]);
    expect(readFileSync(out).equals(Buffer.from(IMAGE))).toBe(true);
  });
});
