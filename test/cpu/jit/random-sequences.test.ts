/**
 * Random straight-line sequences of the recorded instructions (test/cpu/core/native/vectors.txt:
 * ALU, shifts, multiply … on RAX/RCX/RDX) mixed with conditional jumps over an instruction, run
 * with the block compiler off and eager: the same registers, flags and retired count. Exercises
 * flag liveness across instructions (a later reader of a flag an earlier one wrote).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE, hexBytes } from '../core/harness.ts';
import { jitMachine, snapshot, type JitMode } from './jit-harness.ts';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const INSNS = readFileSync(new URL('../core/native/vectors.txt', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(' ')[0]!)
  .filter((h, i, all) => all.indexOf(h) === i)
  // No division (#DE depends on the values, fine for both, but it ends most sequences early).
  .filter((h) => !/^(48)?f7f[0-9a-f]|^(48)?f7f|^f6f/.test(h));

/** A Jcc (cc 0..15) over the next two-byte instruction (add eax,ecx). */
function jccOver(cc: number): string {
  return `7${cc.toString(16)}0201c8`;
}

describe('block compiler: random instruction sequences', () => {
  it('match the interpreter on 300 sequences', () => {
    const next = rng(7);
    const bad: string[] = [];
    let compiled = 0;
    for (let n = 0; n < 300; n++) {
      const len = 2 + Math.floor(next() * 12);
      let hex = '';
      for (let i = 0; i < len; i++) {
        hex += next() < 0.2 ? jccOver(Math.floor(next() * 16)) : INSNS[Math.floor(next() * INSNS.length)]!;
      }
      hex += 'f4';
      const regs = [0, 1, 2].map(() => BigInt(Math.floor(next() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(next() * 2 ** 32)));
      const flags = Math.floor(next() * 0x1000) & 0x8d5;
      const snaps = (['off', 'eager'] as JitMode[]).map((mode) => {
        const m = jitMachine(64, mode);
        m.mem.loadBytes(CODE, hexBytes(hex));
        m.cpu.decoded.clear();
        m.cpu.ip = CODE;
        regs.forEach((v, r) => m.cpu.setReg64(r, v));
        m.cpu.setFlags(flags);
        m.cpu.run(1000);
        if (mode === 'eager') {
          compiled += m.cpu.decoded.jit.compiled;
          expect(m.cpu.decoded.jit.failed).toBe(0);
        }
        return snapshot(m, 0);
      });
      if (JSON.stringify(snaps[0]) !== JSON.stringify(snaps[1])) bad.push(`${hex}: ${JSON.stringify(snaps[0])} vs ${JSON.stringify(snaps[1])}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(compiled).toBeGreaterThan(200);
  });
});
