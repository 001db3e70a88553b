/**
 * Random register-only 64-bit instructions (native/gen_candidates.ts) with results recorded on a
 * real x86-64 CPU (native/run_candidates.py): all 15 general registers (RSP excluded), the
 * flags iced-x86 does not declare undefined, and (memory forms, "M" lines: [RBX + disp] into an
 * 8 KiB window at 0x200000 filled from the seed; "S" lines: string instructions with REP
 * prefixes and either DF) every byte of the window must match.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE, hexBytes, machine } from './harness.ts';

const M64 = (1n << 64n) - 1n;

function splitmix(x: bigint): bigint {
  x = (x + 0x9e3779b97f4a7c15n) & M64;
  let z = x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

function regValue(seed: number, r: number): bigint {
  const v = splitmix(BigInt(seed) * 16n + BigInt(r));
  switch (Number(v & 3n)) {
    case 0:
      return v;
    case 1:
      return (v >> 8n) & 0xffn;
    case 2:
      return (v >> 8n) & 0xffffffffn;
    default:
      return -((v >> 8n) & 0xffn) & M64;
  }
}

const MEM_BASE = 0x200000;
const MEM_SIZE = 0x2000;

/** The window's initial bytes (xorshift32 from the seed, as run_candidates.py fills it). */
function fill(seed: number): Uint8Array {
  let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
  const out = new Uint8Array(MEM_SIZE);
  for (let i = 0; i < MEM_SIZE; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('random instructions against the host CPU', () => {
  const lines = readFileSync(new URL('./native/random-vectors.txt', import.meta.url), 'utf8').trim().split('\n');
  it(`matches ${lines.length} recorded executions`, () => {
    expect(lines.length).toBeGreaterThan(1000);
    const m = machine(64, 4);
    const bad: string[] = [];
    let memoryForms = 0;
    for (const line of lines) {
      const string = line.startsWith('S ');
      const memory = string || line.startsWith('M ');
      const [hex, seedText, flagsInText, , flagsOutText, maskText, changedText, memText] = (memory ? line.slice(2) : line).split(' ');
      const seed = Number(seedText);
      const code = hexBytes(hex!);
      m.mem.loadBytes(CODE, code);
      m.cpu.decoded.clear();
      m.cpu.ip = CODE;
      const expected: bigint[] = [];
      for (let r = 0; r < 16; r++) {
        let v = r === 4 ? 0x8000n : memory && r === 3 ? BigInt(MEM_BASE + 0x1000) : regValue(seed, r);
        if (string && r === 6) v = BigInt(MEM_BASE + 0x800 + (seed % 64));
        if (string && r === 7) v = BigInt(MEM_BASE + 0x1000 + ((7 * seed) % 64));
        if (string && r === 1) v = BigInt(seed % 24);
        expected.push(v);
        m.cpu.setReg64(r, v);
      }
      let window: Uint8Array | null = null;
      if (memory) {
        memoryForms++;
        window = fill(seed);
        if (string) {
          window.copyWithin(0x1000, 0x800, 0x900);
          window[0x1000 + (seed % 40)]! ^= 0x5a;
        }
        m.mem.loadBytes(MEM_BASE, window);
        if (memText !== '-') {
          for (const kv of memText!.split(',')) {
            const [a, v] = kv.split('=');
            window[parseInt(a!, 16) - MEM_BASE] = parseInt(v!, 16);
          }
        }
      }
      if (changedText !== '-') {
        for (const kv of changedText!.split(',')) {
          const [r, v] = kv.split('=');
          expected[Number(r)] = BigInt(`0x${v}`);
        }
      }
      m.cpu.setFlags(parseInt(flagsInText!, 16) & ~0x200);
      const stop = m.cpu.run(1);
      const mask = parseInt(maskText!, 16);
      const diffs: string[] = [];
      for (let r = 0; r < 16; r++) {
        if (r !== 4 && m.cpu.readGpr(r) !== expected[r]) diffs.push(`r${r}=${m.cpu.readGpr(r).toString(16)} want ${expected[r]!.toString(16)}`);
      }
      const fl = m.cpu.getFlags();
      if (((fl ^ parseInt(flagsOutText!, 16)) & mask) !== 0) {
        diffs.push(`flags=${(fl & mask).toString(16)} want ${(parseInt(flagsOutText!, 16) & mask).toString(16)}`);
      }
      if (window !== null) {
        for (let i = 0; i < MEM_SIZE; i++) {
          const b = m.mem.read8(MEM_BASE + i);
          if (b !== window[i]) {
            diffs.push(`mem[${(MEM_BASE + i).toString(16)}]=${b.toString(16)} want ${window[i]!.toString(16)}`);
            break;
          }
        }
      }
      if (stop?.kind !== 'max-insns' || m.cpu.ip !== CODE + code.length) diffs.push(`stop=${stop?.kind} ip=${m.cpu.ip.toString(16)}`);
      if (diffs.length > 0) bad.push(`${hex} seed ${seed}: ${diffs.join(' ')}`);
    }
    expect(memoryForms).toBeGreaterThan(500);
    expect(bad.slice(0, 30)).toEqual([]);
  });
});
