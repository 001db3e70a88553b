/**
 * The gcc workloads (test/cpu/core/gcc) run with the block compiler off, eager (threshold 1) and
 * after a few interpreted executions (threshold 3): the same result, the same final registers
 * and flags, and the same retired-instruction count; compiled blocks really ran.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { machine, type Bits } from '../core/harness.ts';

const LOAD: Record<Bits, number> = { 16: 0x1000, 32: 0x10000, 64: 0x10000 };
const STACK: Record<Bits, number> = { 16: 0xf000, 32: 0x80000, 64: 0x80000 };
const SEEDS = readFileSync(new URL('../core/gcc/expected.txt', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(' ').map(Number) as [number, number]);

interface Outcome {
  stop: string;
  regs: string;
  flags: number;
  ip: number;
  instructions: number;
  compiled: number;
  failed: number;
}

function run(bits: Bits, opt: string, seed: number, threshold: number | null): Outcome {
  const m = machine(bits);
  const jit = m.cpu.decoded.jit;
  jit.enabled = threshold !== null;
  if (threshold !== null) jit.threshold = threshold;
  const image = readFileSync(new URL(`../core/gcc/work${bits}${opt === 'O2' ? '' : `-${opt}`}.img`, import.meta.url));
  m.mem.loadBytes(LOAD[bits], new Uint8Array(image));
  m.cpu.decoded.clear();
  m.cpu.ip = LOAD[bits];
  m.cpu.setReg(4, 4, STACK[bits]);
  if (bits === 64) m.cpu.setReg(7, 4, seed);
  else m.cpu.setReg(0, 4, seed);
  const stop = m.cpu.run(20_000_000);
  const regs: string[] = [];
  for (let r = 0; r < 16; r++) regs.push(m.cpu.readGpr(r).toString(16));
  return {
    stop: stop?.kind ?? 'none',
    regs: regs.join(' '),
    flags: m.cpu.getFlags(),
    ip: m.cpu.ip,
    instructions: m.cpu.stats.instructions,
    compiled: jit.compiled,
    failed: jit.failed,
  };
}

describe('block compiler: gcc workloads give the interpreter results', () => {
  for (const bits of [32, 64] as const) {
    for (const opt of ['O2', 'Os', 'O0']) {
      it(`${bits}-bit -${opt}`, () => {
        for (const [seed, want] of SEEDS) {
          const off = run(bits, opt, seed, null);
          expect(off.stop).toBe('halted');
          expect(Number(BigInt(`0x${off.regs.split(' ')[0]}`) & 0xffffffffn)).toBe(want);
          for (const threshold of [1, 3]) {
            const on = run(bits, opt, seed, threshold);
            expect(on.compiled).toBeGreaterThan(10);
            expect(on.failed).toBe(0);
            expect({ ...on, compiled: 0 }).toEqual({ ...off, compiled: 0 });
          }
        }
      });
    }
  }
});
