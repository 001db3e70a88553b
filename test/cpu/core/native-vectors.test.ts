/**
 * Instruction results recorded on a real x86-64 CPU (native/gen_vectors.py → native/vectors.txt):
 * the interpreter must produce the same RAX/RCX/RDX and the same defined flags.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE, hexBytes, machine } from './harness.ts';

interface Vector {
  code: string;
  rax: bigint;
  rcx: bigint;
  rdx: bigint;
  flagsIn: number;
  out: [bigint, bigint, bigint];
  flagsOut: number;
  mask: number;
}

function load(): Vector[] {
  const text = readFileSync(new URL('./native/vectors.txt', import.meta.url), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [code, a, c, d, f, , ra, rc, rd, fo, mask] = line.split(' ');
      const h = (s: string): bigint => BigInt(`0x${s}`);
      return {
        code: code!,
        rax: h(a!),
        rcx: h(c!),
        rdx: h(d!),
        flagsIn: parseInt(f!, 16),
        out: [h(ra!), h(rc!), h(rd!)],
        flagsOut: parseInt(fo!, 16),
        mask: parseInt(mask!, 16),
      };
    });
}

describe('native x86-64 vectors', () => {
  const vectors = load();
  it(`matches the host CPU on ${vectors.length} recorded instructions`, () => {
    expect(vectors.length).toBeGreaterThan(3000);
    const m = machine(64);
    const mismatches: string[] = [];
    for (const v of vectors) {
      const code = hexBytes(v.code);
      m.mem.loadBytes(CODE, code);
      m.cpu.decoded.clear();
      m.cpu.ip = CODE;
      m.cpu.setReg64(0, v.rax);
      m.cpu.setReg64(1, v.rcx);
      m.cpu.setReg64(2, v.rdx);
      m.cpu.setFlags(v.flagsIn & ~0x200);
      const stop = m.cpu.run(1);
      const got = [m.cpu.readGpr(0), m.cpu.readGpr(1), m.cpu.readGpr(2)];
      const flags = m.cpu.getFlags();
      const bad =
        stop?.kind !== 'max-insns' ||
        m.cpu.ip !== CODE + code.length ||
        got.some((g, i) => g !== v.out[i]) ||
        ((flags ^ v.flagsOut) & v.mask) !== 0;
      if (bad) {
        mismatches.push(
          `${v.code} in rax=${v.rax.toString(16)} rcx=${v.rcx.toString(16)} rdx=${v.rdx.toString(16)} fl=${v.flagsIn.toString(16)}: ` +
            `want ${v.out.map((x) => x.toString(16)).join(' ')} fl=${(v.flagsOut & v.mask).toString(16)} ` +
            `got ${got.map((x) => x.toString(16)).join(' ')} fl=${(flags & v.mask).toString(16)} stop=${stop?.kind}`,
        );
      }
    }
    expect(mismatches.slice(0, 30)).toEqual([]);
  });
});
