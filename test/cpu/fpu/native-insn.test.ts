/**
 * Replays every host-recorded x87 vector through real instructions in the interpreter (32-bit
 * protected mode, memory operand at [EDI]): FSW, stored tag word, ST(0), ST(1), the memory
 * operand and EFLAGS must equal the host's. Transcendental results may differ by 1 ulp.
 */
import { describe, expect, test } from 'vitest';
import { machine, CODE } from '../core/harness.ts';
import { loadVectors, TRANSCENDENTAL, type FpuVector, type X80 } from './vectors.ts';
import { savedTagWord } from '../../../src/runtime/cpu/fpu/ops-control.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** name → opcode hex, from the generator's tables. */
function opcodes(): Map<string, string> {
  const src = readFileSync(fileURLToPath(new URL('./native/gen_fpu_vectors.py', import.meta.url)), 'utf8');
  const m = new Map<string, string>();
  for (const x of src.matchAll(/\('([a-z0-9_]+)', '([0-9a-f]{4})'/g)) m.set(x[1]!, x[2]!);
  return m;
}

const MEM = 0x3000;

function hexOf(v: X80): string {
  return `${v.se.toString(16).padStart(4, '0')}:${v.sig.toString(16).padStart(16, '0')}`;
}

/** Distance in units in the last place between two finite values of one sign (big when not comparable). */
function ulps(x: X80, y: X80): bigint {
  if (x.se === y.se) return x.sig > y.sig ? x.sig - y.sig : y.sig - x.sig;
  if ((x.se ^ y.se) & 0x8000) return 1n << 70n;
  const key = (v: X80): bigint => (BigInt(v.se & 0x7fff) << 63n) | (v.sig & ((1n << 63n) - 1n));
  const d = key(x) - key(y);
  return d < 0n ? -d : d;
}

describe('x87 vectors through instructions', () => {
  const vectors = loadVectors();
  const codes = opcodes();
  const m = machine(32);
  const cpu = m.cpu;
  const byName = new Map<string, FpuVector[]>();
  for (const v of vectors) {
    let l = byName.get(v.name);
    if (l === undefined) byName.set(v.name, (l = []));
    l.push(v);
  }

  function runOne(v: FpuVector): string[] {
    const f = cpu.fpu;
    f.init();
    f.fcw = v.cw;
    f.top = 7;
    f.setPhys(7, v.b.se, Number(v.b.sig >> 32n), Number(v.b.sig & 0xffffffffn));
    f.top = 6;
    f.setPhys(6, v.a.se, Number(v.a.sig >> 32n), Number(v.a.sig & 0xffffffffn));
    m.mem.loadBytes(MEM, v.mem);
    cpu.lo[7] = MEM;
    cpu.setFlags(v.flagsIn);
    cpu.ip = CODE;
    cpu.run(1);
    const bad: string[] = [];
    const st0 = { se: f.se[f.phys(0)]!, sig: (BigInt(f.sigHi[f.phys(0)]!) << 32n) | BigInt(f.sigLo[f.phys(0)]!) };
    const st1 = { se: f.se[f.phys(1)]!, sig: (BigInt(f.sigHi[f.phys(1)]!) << 32n) | BigInt(f.sigLo[f.phys(1)]!) };
    const approx = TRANSCENDENTAL.has(v.name);
    const fswMask = approx ? ~0x0220 : ~0; // PE and C1 follow the last bit of an approximation
    if ((f.fsw & fswMask) !== (v.fsw & fswMask)) bad.push(`fsw ${f.fsw.toString(16)}`);
    if (savedTagWord(f) !== v.ftw) bad.push(`ftw ${savedTagWord(f).toString(16)}`);
    const near = (x: X80, y: X80): boolean => (approx ? ulps(x, y) <= 1n : x.se === y.se && x.sig === y.sig);
    if (!near(st0, v.st0)) bad.push(`st0 ${hexOf(st0)}`);
    if (!near(st1, v.st1)) bad.push(`st1 ${hexOf(st1)}`);
    for (let i = 0; i < 10; i++) if (m.mem.ram[MEM + i] !== v.memOut[i]) {
      bad.push(`mem ${Buffer.from(m.mem.ram.subarray(MEM, MEM + 10)).toString('hex')}`);
      break;
    }
    if ((cpu.getFlags() & 0x8d5) !== v.flagsOut) bad.push(`flags ${(cpu.getFlags() & 0x8d5).toString(16)}`);
    return bad;
  }

  for (const [name, list] of byName) {
    test(`${name}: ${list.length} vectors`, () => {
      const code = codes.get(name);
      expect(code, name).toBeDefined();
      m.mem.loadBytes(CODE, Buffer.from(code!, 'hex'));
      cpu.decoded.clear();
      const fails: string[] = [];
      let nFail = 0;
      for (const v of list) {
        const bad = runOne(v);
        if (bad.length > 0) {
          nFail++;
          if (fails.length < 8) fails.push(`${v.line}\n   got ${bad.join(' ')}`);
        }
      }
      expect(nFail, `${nFail}/${list.length} differ:\n${fails.join('\n')}`).toBe(0);
    });
  }
});
