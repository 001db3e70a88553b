/**
 * The host-recorded x87 vectors (native/gen_fpu_vectors.py → native/fpu-vectors.txt.gz), parsed.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export interface X80 {
  se: number;
  sig: bigint;
}

export interface FpuVector {
  name: string;
  cw: number;
  a: X80;
  b: X80;
  mem: Uint8Array;
  flagsIn: number;
  fsw: number;
  ftw: number;
  st0: X80;
  st1: X80;
  memOut: Uint8Array;
  flagsOut: number;
  line: string;
}

function x80(s: string): X80 {
  const [se, sig] = s.split(':');
  return { se: parseInt(se!, 16), sig: BigInt('0x' + sig!) };
}

function bytes(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

let cache: FpuVector[] | null = null;

export function loadVectors(): FpuVector[] {
  if (cache !== null) return cache;
  const path = fileURLToPath(new URL('./native/fpu-vectors.txt.gz', import.meta.url));
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  const out: FpuVector[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [lhs, rhs] = line.split(' | ');
    const l = lhs!.split(' ');
    const r = rhs!.split(' ');
    out.push({
      name: l[0]!,
      cw: parseInt(l[1]!, 16),
      a: x80(l[2]!),
      b: x80(l[3]!),
      mem: bytes(l[4]!),
      flagsIn: parseInt(l[5]!, 16),
      fsw: parseInt(r[0]!, 16),
      ftw: parseInt(r[1]!, 16),
      st0: x80(r[2]!),
      st1: x80(r[3]!),
      memOut: bytes(r[4]!),
      flagsOut: parseInt(r[5]!, 16),
      line,
    });
  }
  cache = out;
  return out;
}

/** Operation names whose results are approximations on the host (compared within 1 ulp). */
export const TRANSCENDENTAL = new Set(['f2xm1', 'fyl2x', 'fyl2xp1', 'fptan', 'fpatan', 'fsin', 'fcos', 'fsincos']);

/** Opcode bytes per vector name (same as the generator's). */
export function codeOf(line: string): string {
  return line;
}
