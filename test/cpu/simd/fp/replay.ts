/**
 * Parses the host-recorded vectors (native/fp-vectors.txt.gz, from native/gen_fp_vectors.c)
 * and runs one vector through src/runtime/cpu/simd/fp, giving back what the host recorded
 * in the same shape: the 128-bit xmm0 (or 64-bit integer/MMX result), MXCSR, RFLAGS, #XM.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as fp from '../../../../src/runtime/cpu/simd/fp/index.ts';

export interface Vector {
  line: string;
  name: string;
  mxcsr: number;
  a: Uint32Array;
  b: Uint32Array;
  /** Expected result words, little-endian (4 for an xmm image, 2 for a 64-bit result). */
  r: Uint32Array;
  mxout: number;
  rflags: number;
  trap: boolean;
}

function words(hex: string): Uint32Array {
  const n = hex.length / 8;
  const w = new Uint32Array(n);
  for (let i = 0; i < n; i++) w[i] = parseInt(hex.slice((n - 1 - i) * 8, (n - i) * 8), 16) >>> 0;
  return w;
}

export function loadVectors(): Vector[] {
  const text = gunzipSync(readFileSync(new URL('./native/fp-vectors.txt.gz', import.meta.url))).toString('utf8');
  const out: Vector[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    out.push({
      line,
      name: f[0]!,
      mxcsr: parseInt(f[1]!, 16),
      a: words(f[2]!),
      b: words(f[3]!),
      r: words(f[6]!),
      mxout: parseInt(f[7]!, 16),
      rflags: parseInt(f[8]!, 16),
      trap: f[9] === 'T',
    });
  }
  return out;
}

/** The instruction group a vector belongs to (for per-group counts). */
export function group(name: string): string {
  if (name.startsWith('cvt')) return name.replace(/(32|64)$/, '');
  return name.replace(/_.*$/, '').replace(/(ps|pd|ss|sd)$/, '');
}

export interface Outcome {
  r: Uint32Array;
  mxout: number;
  rflags: number;
  trap: boolean;
}

const ARITH: Record<string, number> = { add: fp.ADD, sub: fp.SUB, mul: fp.MUL, div: fp.DIV, min: fp.MIN, max: fp.MAX, sqrt: fp.SQRT };
const CVT: Record<string, [kind: number, n: number, dWords: number, mmxDest: boolean, mmxSrc: boolean]> = {
  cvtps2pd: [fp.PS2PD, 2, 4, false, false],
  cvtpd2ps: [fp.PD2PS, 2, 4, false, false],
  cvtss2sd: [fp.PS2PD, 1, 2, false, false],
  cvtsd2ss: [fp.PD2PS, 1, 1, false, false],
  cvtdq2ps: [fp.DQ2PS, 4, 4, false, false],
  cvtps2dq: [fp.PS2DQ, 4, 4, false, false],
  cvttps2dq: [fp.TPS2DQ, 4, 4, false, false],
  cvtdq2pd: [fp.DQ2PD, 2, 4, false, false],
  cvtpd2dq: [fp.PD2DQ, 2, 4, false, false],
  cvttpd2dq: [fp.TPD2DQ, 2, 4, false, false],
  cvtpi2ps: [fp.DQ2PS, 2, 2, false, true],
  cvtpi2pd: [fp.DQ2PD, 2, 4, false, true],
  cvtps2pi: [fp.PS2DQ, 2, 2, true, false],
  cvttps2pi: [fp.TPS2DQ, 2, 2, true, false],
  cvtpd2pi: [fp.PD2DQ, 2, 2, true, false],
  cvttpd2pi: [fp.TPD2DQ, 2, 2, true, false],
};

/** Runs v through the fp module (RCP/RSQRT excluded: see the bound test). */
export function run(v: Vector): Outcome {
  const d = v.a.slice();
  const s = v.b.slice();
  const mx = v.mxcsr;
  let flags = 0;
  let rflags = 0;
  let r: Uint32Array = d;
  const m = /^([a-z]+?)(ps|pd|ss|sd)(?:_(\w+))?$/.exec(v.name);
  const base = m?.[1] ?? '';
  const fmt = m?.[2] === 'ps' || m?.[2] === 'ss' ? fp.F32 : fp.F64;
  const scalar = m?.[2] === 'ss' || m?.[2] === 'sd';
  const imm = m?.[3] !== undefined ? Number(m[3]) : 0;
  const cvt = CVT[v.name];
  if (cvt !== undefined) {
    const [kind, n, dWords, mmxDest] = cvt;
    if (mmxDest) {
      r = new Uint32Array(2);
      flags = fp.convert(kind, n, r, 0, dWords, s, 0, mx);
      if ((flags & fp.FAULT) !== 0) r = d;
    } else flags = fp.convert(kind, n, d, 0, dWords, s, 0, mx);
  } else if (/^cvtsi2s[sd](32|64)$/.test(v.name)) {
    const is64 = v.name.endsWith('64');
    const f = v.name[7] === 's' ? fp.F32 : fp.F64;
    flags = fp.intToFloat(s[0]!, s[1]!, is64, f, mx);
    if (fp.unmasked(flags, mx) !== 0) flags |= fp.FAULT;
    else {
      d[0] = fp.laneOut[0]!;
      if (f === fp.F64) d[1] = fp.laneOut[1]!;
    }
  } else if (/^cvtt?s[sd]2si(32|64)$/.test(v.name)) {
    const is64 = v.name.endsWith('64');
    const f = v.name.includes('ss2') ? fp.F32 : fp.F64;
    flags = fp.floatToInt(s[0]!, s[1]!, f, is64, v.name.startsWith('cvtt'), mx);
    if (fp.unmasked(flags, mx) !== 0) flags |= fp.FAULT;
    else r = Uint32Array.of(fp.laneOut[0]!, is64 ? fp.laneOut[1]! : 0);
  } else if (/^u?comis[sd]$/.test(v.name)) {
    const f = v.name.endsWith('ss') ? fp.F32 : fp.F64;
    const c = fp.comi(!v.name.startsWith('u'), d[0]!, d[1]!, s[0]!, s[1]!, f, mx);
    flags = c & fp.FLAGS;
    if (fp.unmasked(flags, mx) !== 0) flags |= fp.FAULT;
    else rflags = c >>> fp.COMI_SHIFT;
  } else if (base in ARITH) flags = fp.arith(ARITH[base]!, fmt, scalar, d, 0, s, 0, mx);
  else if (base === 'cmp') flags = fp.cmp(imm, fmt, scalar, d, 0, s, 0, mx);
  else if (base === 'round') flags = fp.round(imm, fmt, scalar, d, 0, s, 0, mx);
  else if (base === 'dp') flags = fp.dot(imm, fmt, d, 0, s, 0, mx);
  else if (base === 'hadd' || base === 'hsub') flags = fp.horizontal(base === 'hsub', fmt, d, 0, s, 0, mx);
  else if (base === 'addsub') flags = fp.addsub(fmt, d, 0, s, 0, mx);
  else throw new Error(`no replay for ${v.name}`);
  return { r, mxout: mx | (flags & fp.FLAGS), rflags, trap: (flags & fp.FAULT) !== 0 };
}

export function hex(w: Uint32Array): string {
  let s = '';
  for (let i = w.length - 1; i >= 0; i--) s += w[i]!.toString(16).padStart(8, '0');
  return s;
}
