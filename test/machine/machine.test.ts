import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/runtime/machine/machine.ts';
import { bareMonitorFactory } from '../../src/runtime/machine/monitor-factory.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';

/** Flat real-mode loop: inc ax; out 0xE9, al; jmp short back (3 instructions per byte). */
const LOOP = Uint8Array.from([0x40, 0xe6, 0xe9, 0xeb, 0xfb]);

describe('Machine', () => {
  it('refuses to run before an image is loaded (a caller bug)', () => {
    const m = new Machine({ memMiB: 1, paging: 'shadow', output: new CapturedOutput() });
    expect(() => m.run(10)).toThrow(/before load/);
  });

  it('resumes where a max-insns stop left off, counting instructions across runs', () => {
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 1, paging: 'shadow', output: out });
    expect(m.load(LOOP, { file: 'loop.img' }).ok).toBe(true);
    expect(m.vcpu.mode).toBe('real');
    const first = m.run(30);
    expect(first).toMatchObject({ stop: { kind: 'max-insns' }, instructions: 30 });
    expect(out.bytes()).toEqual(Uint8Array.from({ length: 10 }, (_, i) => i + 1));
    const second = m.run(3);
    expect(second.instructions).toBe(3);
    expect(out.bytes().length).toBe(11);
    expect(m.stats().instructions).toBe(33);
    expect(m.stats().exits.get('io-out')).toBe(11);
  });

  it('runs the same with a different monitor factory and paging mode', () => {
    const out = new CapturedOutput();
    const m = new Machine({ memMiB: 1, paging: 'direct', output: out, monitorFactory: bareMonitorFactory });
    m.load(LOOP, { file: 'loop.img' });
    m.run(9);
    expect(out.bytes()).toEqual(Uint8Array.from([1, 2, 3]));
    expect(m.guestControl()).toBeUndefined(); // the bare monitor keeps no copy of its own
  });

  it('reports a load error as a value and leaves the machine unloaded', () => {
    const m = new Machine({ memMiB: 1, paging: 'nested', output: new CapturedOutput() });
    const r = m.load(new Uint8Array(0), { file: 'empty.img' });
    expect(r).toEqual({ ok: false, error: { location: 'empty.img', message: 'image is empty' } });
    expect(() => m.run(1)).toThrow(/before load/);
  });
});
