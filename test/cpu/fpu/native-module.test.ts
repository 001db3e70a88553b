/**
 * The arithmetic module on its own (no instruction decode, no register stack): the host vectors
 * of + − × ÷ √ (all rounding modes × precision controls), stores to m32/m64 and to integers,
 * loads from m32/m64, FRNDINT, FSCALE, FPREM/FPREM1 and the compares, with every exception
 * masked, replayed by calling fpu/arith.ts, conv.ts and compare.ts directly. Result bits,
 * exception flags and C1 must equal the host's.
 */
import { describe, expect, it } from 'vitest';
import { fx, settledFlags, type Rc } from '../../../src/runtime/cpu/fpu/f80.ts';
import { add, div, mul, remainder, remQ, roundInt, scale, sqrt } from '../../../src/runtime/cpu/fpu/arith.ts';
import { fromReal, intOut, realOut, toInt, toReal } from '../../../src/runtime/cpu/fpu/conv.ts';
import { cmpToCc, compare } from '../../../src/runtime/cpu/fpu/compare.ts';
import { loadVectors, type FpuVector } from './vectors.ts';

const PC = [24, 24, 53, 64];

function prepare(v: FpuVector, usePc: boolean): void {
  fx.pc = usePc ? PC[(v.cw >>> 8) & 3]! : 64;
  fx.rc = ((v.cw >>> 10) & 3) as Rc;
  fx.masks = 0x3f;
  fx.flags = 0;
  fx.up = false;
}

function leBig(b: Uint8Array, n: number): bigint {
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

type Check = (v: FpuVector) => string | null;

/** Result in ST(0) and the flags/C1 against the host. */
function regResult(v: FpuVector, extraCc = 0): string | null {
  const flags = settledFlags() & 0x3f;
  const c1 = (flags & 0x20) !== 0 && fx.up ? 0x200 : 0;
  if (fx.se !== v.st0.se || fx.sig !== v.st0.sig) return `result ${fx.se.toString(16)}:${fx.sig.toString(16)}`;
  if (flags !== (v.fsw & 0x3f) || (c1 | extraCc) !== (v.fsw & (0x200 | extraCcMask(extraCc)))) return `flags ${flags.toString(16)} c1 ${c1}`;
  return null;
}

function extraCcMask(cc: number): number {
  return cc === 0 ? 0 : 0x4700;
}

const binary = (fn: (v: FpuVector) => void): Check => (v) => {
  prepare(v, true);
  fn(v);
  return regResult(v);
};

const CHECKS: Record<string, Check> = {
  fadd: binary((v) => add(v.a.se, v.a.sig, v.b.se, v.b.sig, false)),
  fsub: binary((v) => add(v.a.se, v.a.sig, v.b.se, v.b.sig, true)),
  fsubr: binary((v) => add(v.b.se, v.b.sig, v.a.se, v.a.sig, true)),
  fmul: binary((v) => mul(v.a.se, v.a.sig, v.b.se, v.b.sig)),
  fmul_tiny: binary((v) => mul(v.a.se, v.a.sig, v.b.se, v.b.sig)),
  fdiv: binary((v) => div(v.a.se, v.a.sig, v.b.se, v.b.sig)),
  fdivr: binary((v) => div(v.b.se, v.b.sig, v.a.se, v.a.sig)),
  fsqrt: binary((v) => sqrt(v.a.se, v.a.sig)),
  frndint: (v) => {
    prepare(v, false);
    roundInt(v.a.se, v.a.sig);
    return regResult(v);
  },
  fscale: (v) => {
    prepare(v, false);
    scale(v.a.se, v.a.sig, v.b.se, v.b.sig);
    return regResult(v);
  },
  fst_m32: (v) => store(v, 32),
  fst_m64: (v) => store(v, 64),
  fld_m32: (v) => load(v, 32),
  fld_m64: (v) => load(v, 64),
  fist_m16: (v) => int(v, 16, false),
  fist_m32: (v) => int(v, 32, false),
  fistp_m64: (v) => int(v, 64, false),
  fisttp_m16: (v) => int(v, 16, true),
  fisttp_m32: (v) => int(v, 32, true),
  fisttp_m64: (v) => int(v, 64, true),
  fprem: (v) => rem(v, false),
  fprem1: (v) => rem(v, true),
  fcom: (v) => cmp(v, false),
  fucom: (v) => cmp(v, true),
};

function store(v: FpuVector, bits: 32 | 64): string | null {
  prepare(v, false);
  toReal(v.a.se, v.a.sig, bits);
  const want = leBig(v.memOut, bits / 8);
  if (!realOut.store || realOut.raw !== want) return `stored ${realOut.raw.toString(16)}`;
  const flags = settledFlags() & 0x3f;
  const c1 = (flags & 0x20) !== 0 && fx.up ? 0x200 : 0;
  return flags === (v.fsw & 0x3f) && c1 === (v.fsw & 0x200) ? null : `flags ${flags.toString(16)}`;
}

function load(v: FpuVector, bits: 32 | 64): string | null {
  prepare(v, false);
  fromReal(leBig(v.mem, bits / 8), bits);
  // FLD quiets an SNaN (with IE): the instruction's part, applied here as FLD does.
  if ((fx.se & 0x7fff) === 0x7fff && (fx.sig & (1n << 62n)) === 0n && (fx.sig << 1n) !== 1n << 64n) {
    fx.flags |= 1;
    fx.sig |= 1n << 62n;
  }
  return fx.se === v.st0.se && fx.sig === v.st0.sig && (fx.flags & 0x3f) === (v.fsw & 0x3f) ? null : `loaded ${fx.se.toString(16)}:${fx.sig.toString(16)} flags ${fx.flags}`;
}

function int(v: FpuVector, bits: number, trunc: boolean): string | null {
  prepare(v, false);
  toInt(v.a.se, v.a.sig, bits, trunc);
  const want = leBig(v.memOut, bits / 8);
  const got = BigInt.asUintN(bits, intOut.value);
  const flags = settledFlags() & 0x3f;
  const c1 = (flags & 0x20) !== 0 && fx.up ? 0x200 : 0;
  return got === want && flags === (v.fsw & 0x3f) && c1 === (v.fsw & 0x200) ? null : `int ${got.toString(16)} flags ${flags}`;
}

function rem(v: FpuVector, ieee: boolean): string | null {
  prepare(v, false);
  remainder(v.a.se, v.a.sig, v.b.se, v.b.sig, ieee);
  if (fx.se !== v.st0.se || fx.sig !== v.st0.sig) return `result ${fx.se.toString(16)}:${fx.sig.toString(16)}`;
  if ((settledFlags() & 0x3f) !== (v.fsw & 0x3f)) return `flags ${settledFlags()}`;
  if ((v.fsw & 0x3f & 1) !== 0) return null; // invalid: quotient bits undefined
  const q = remQ.q;
  const cc = remQ.partial ? 0x400 : ((q & 4 ? 0x100 : 0) | (q & 2 ? 0x4000 : 0) | (q & 1 ? 0x200 : 0));
  return cc === (v.fsw & 0x4700) ? null : `cc ${cc.toString(16)}`;
}

function cmp(v: FpuVector, quiet: boolean): string | null {
  prepare(v, false);
  const cc = cmpToCc(compare(v.a.se, v.a.sig, v.b.se, v.b.sig, quiet));
  const flags = settledFlags() & 0x3f;
  return cc === (v.fsw & 0x4500) && flags === (v.fsw & 0x3f) ? null : `cc ${cc.toString(16)} flags ${flags}`;
}

describe('x87 arithmetic module against the host vectors (all exceptions masked)', () => {
  const all = loadVectors().filter((v) => (v.cw & 0x3f) === 0x3f);
  let total = 0;
  for (const [name, check] of Object.entries(CHECKS)) {
    const list = all.filter((v) => v.name === name);
    total += list.length;
    it(`${name}: ${list.length} vectors`, () => {
      expect(list.length).toBeGreaterThan(40);
      const fails: string[] = [];
      for (const v of list) {
        const bad = check(v);
        if (bad !== null) fails.push(`${v.line}\n   got ${bad}`);
      }
      expect(fails.length, fails.slice(0, 6).join('\n')).toBe(0);
    });
  }
  it('covers the bulk of the vector file', () => {
    expect(total).toBeGreaterThan(30000);
  });
});
