/**
 * The recorded host-CPU results (test/cpu/core/native: vectors.txt and random-vectors.txt) with
 * each instruction compiled by the block compiler: the instruction is followed by a NOP so it
 * forms a block, compilation is eager, and the result must still match the host CPU.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE, hexBytes, machine, type Machine } from '../core/harness.ts';

const NOP = 0x90;
const M64 = (1n << 64n) - 1n;

function eager(m: Machine): void {
  m.cpu.decoded.jit.enabled = true;
  m.cpu.decoded.jit.threshold = 1;
}

/** Load `hex` + NOP at CODE and run both instructions; true when a compiled block ran them. */
function runWithNop(m: Machine, hex: string): { ok: boolean; compiled: boolean } {
  const code = hexBytes(hex);
  const withNop = new Uint8Array(code.length + 2);
  withNop.set(code);
  withNop[code.length] = NOP;
  withNop[code.length + 1] = 0xf4; // HLT: not compiled, ends the block
  m.mem.loadBytes(CODE, withNop);
  m.cpu.decoded.clear();
  m.cpu.ip = CODE;
  const before = m.cpu.decoded.jit.compiled;
  const stop = m.cpu.run(2);
  return { ok: stop?.kind === 'max-insns' && m.cpu.ip === CODE + code.length + 1, compiled: m.cpu.decoded.jit.compiled > before };
}

describe('block compiler against the host CPU', () => {
  it('native vectors: same registers and defined flags when compiled', () => {
    const lines = readFileSync(new URL('../core/native/vectors.txt', import.meta.url), 'utf8').trim().split('\n');
    const m = machine(64);
    eager(m);
    const bad: string[] = [];
    let compiled = 0;
    for (const line of lines) {
      const [code, a, c, d, f, , ra, rc, rd, fo, mask] = line.split(' ');
      const h = (s: string): bigint => BigInt(`0x${s}`);
      m.cpu.setReg64(0, h(a!));
      m.cpu.setReg64(1, h(c!));
      m.cpu.setReg64(2, h(d!));
      m.cpu.setFlags(parseInt(f!, 16) & ~0x200);
      const r = runWithNop(m, code!);
      if (r.compiled) compiled++;
      const got = [m.cpu.readGpr(0), m.cpu.readGpr(1), m.cpu.readGpr(2)];
      const want = [h(ra!), h(rc!), h(rd!)];
      const fm = parseInt(mask!, 16);
      if (!r.ok || got.some((g, i) => g !== want[i]) || ((m.cpu.getFlags() ^ parseInt(fo!, 16)) & fm) !== 0) {
        bad.push(`${code}: got ${got.map((g) => g.toString(16)).join(' ')} flags ${m.cpu.getFlags().toString(16)} ok=${r.ok}`);
      }
    }
    expect(bad.slice(0, 20)).toEqual([]);
    // Most of the recorded instructions are ALU/shift forms the compiler handles.
    expect(compiled).toBeGreaterThan(1200);
    expect(m.cpu.decoded.jit.failed).toBe(0);
  });

  it('random vectors (registers and [rbx+disp] memory forms): same registers, flags and memory when compiled', () => {
    const lines = readFileSync(new URL('../core/native/random-vectors.txt', import.meta.url), 'utf8').trim().split('\n');
    const m = machine(64, 4);
    eager(m);
    const MEM_BASE = 0x200000;
    const MEM_SIZE = 0x2000;
    const splitmix = (x0: bigint): bigint => {
      const x = (x0 + 0x9e3779b97f4a7c15n) & M64;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
      return z ^ (z >> 31n);
    };
    const regValue = (seed: number, r: number): bigint => {
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
    };
    const fill = (seed: number): Uint8Array => {
      let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
      const out = new Uint8Array(MEM_SIZE);
      for (let i = 0; i < MEM_SIZE; i++) {
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        out[i] = x & 0xff;
      }
      return out;
    };
    const bad: string[] = [];
    let compiled = 0;
    let compiledMem = 0;
    for (const line of lines) {
      if (line.startsWith('S ')) continue; // string instructions are not compiled
      const memory = line.startsWith('M ');
      const [hex, seedText, flagsInText, , flagsOutText, maskText, changedText, memText] = (memory ? line.slice(2) : line).split(' ');
      const seed = Number(seedText);
      const expected: bigint[] = [];
      for (let r = 0; r < 16; r++) {
        const v = r === 4 ? 0x8000n : memory && r === 3 ? BigInt(MEM_BASE + 0x1000) : regValue(seed, r);
        expected.push(v);
        m.cpu.setReg64(r, v);
      }
      let window: Uint8Array | null = null;
      if (memory) {
        window = fill(seed);
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
      const r = runWithNop(m, hex!);
      if (r.compiled) {
        compiled++;
        if (memory) compiledMem++;
      }
      const diffs: string[] = [];
      for (let i = 0; i < 16; i++) {
        if (i !== 4 && m.cpu.readGpr(i) !== expected[i]) diffs.push(`r${i}=${m.cpu.readGpr(i).toString(16)} want ${expected[i]!.toString(16)}`);
      }
      const mask = parseInt(maskText!, 16);
      if (((m.cpu.getFlags() ^ parseInt(flagsOutText!, 16)) & mask) !== 0) diffs.push(`flags=${m.cpu.getFlags().toString(16)}`);
      if (window !== null) {
        for (let i = 0; i < MEM_SIZE; i++) {
          if (m.mem.read8(MEM_BASE + i) !== window[i]) {
            diffs.push(`mem[${(MEM_BASE + i).toString(16)}]`);
            break;
          }
        }
      }
      if (!r.ok) diffs.push(`ip=${m.cpu.ip.toString(16)}`);
      if (diffs.length > 0) bad.push(`${hex} seed ${seed}: ${diffs.join(' ')}`);
    }
    expect(bad.slice(0, 20)).toEqual([]);
    expect(compiled).toBeGreaterThan(300);
    expect(compiledMem).toBeGreaterThan(100);
    expect(m.cpu.decoded.jit.failed).toBe(0);
  });
});
