/**
 * SIMD results recorded on a real x86-64 CPU (native/gen_simd.py → native/states.txt and
 * native/vectors.txt): every recorded instruction, run by the interpreter from the same state,
 * must leave the same XMM0/1/2/8/9, MM0/1, RAX/RCX/RDX, status flags, MXCSR and 32 bytes of
 * memory. Vectors marked `b` are replayed in 32-bit protected mode too (GPRs compared on their
 * low dwords there).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { CODE, hexBytes, machine, type Bits } from '../core/harness.ts';
import type { Cpu } from '../../../src/runtime/cpu/cpu.ts';

const FIELDS = ['x0', 'x1', 'x2', 'x8', 'x9', 'm0', 'm1', 'rax', 'rcx', 'rdx', 'fl', 'mx', 'mem'] as const;
type Field = (typeof FIELDS)[number];
type State = Record<Field, bigint>;
const XMM: Partial<Record<Field, number>> = { x0: 0, x1: 1, x2: 2, x8: 8, x9: 9 };
const GPR: Partial<Record<Field, number>> = { rax: 0, rcx: 1, rdx: 2 };
const MEM = 0x3000;
const STATUS = 0x8d5n;

function text(name: string): string {
  return readFileSync(new URL(`./native/${name}`, import.meta.url), 'utf8');
}

const states: State[] = text('states.txt')
  .trim()
  .split('\n')
  .map((line) => {
    const parts = line.split(' ');
    return Object.fromEntries(FIELDS.map((f, i) => [f, BigInt(`0x${parts[i]}`)])) as State;
  });

interface Vector {
  code: string;
  modes: string;
  state: number;
  out: State;
}

const vectors: Vector[] = text('vectors.txt')
  .trim()
  .split('\n')
  .map((line) => {
    const [code, modes, idx, ...diff] = line.split(' ');
    const state = Number(idx);
    const out = { ...states[state]! };
    for (const kv of diff) {
      const [k, v] = kv.split('=') as [Field, string];
      out[k] = BigInt(`0x${v}`);
    }
    return { code: code!, modes: modes!, state, out };
  });

function setXmm(cpu: Cpu, r: number, v: bigint): void {
  for (let i = 0; i < 4; i++) cpu.sse.u32[r * 4 + i] = Number((v >> BigInt(32 * i)) & 0xffffffffn);
}

function getXmm(cpu: Cpu, r: number): bigint {
  let v = 0n;
  for (let i = 3; i >= 0; i--) v = (v << 32n) | BigInt(cpu.sse.u32[r * 4 + i]!);
  return v;
}

function load(cpu: Cpu, s: State): void {
  for (const [f, r] of Object.entries(XMM)) setXmm(cpu, r, s[f as Field]);
  cpu.fpu.init();
  cpu.fpu.writeMmx(0, Number(s.m0 & 0xffffffffn), Number(s.m0 >> 32n));
  cpu.fpu.writeMmx(1, Number(s.m1 & 0xffffffffn), Number(s.m1 >> 32n));
  for (const [f, r] of Object.entries(GPR)) cpu.setReg64(r, s[f as Field]);
  cpu.setReg64(3, BigInt(MEM));
  cpu.setReg64(7, BigInt(MEM));
  cpu.setFlags(Number(s.fl) & ~0x200);
  cpu.sse.mxcsr = Number(s.mx);
  for (let i = 0; i < 32; i++) cpu.mem.ram[MEM + i] = Number((s.mem >> BigInt(8 * i)) & 0xffn);
}

function observe(cpu: Cpu): State {
  let mem = 0n;
  for (let i = 31; i >= 0; i--) mem = (mem << 8n) | BigInt(cpu.mem.ram[MEM + i]!);
  const mm = (i: number): bigint => (BigInt(cpu.fpu.readMmxHi(i)) << 32n) | BigInt(cpu.fpu.readMmxLo(i));
  return {
    x0: getXmm(cpu, 0),
    x1: getXmm(cpu, 1),
    x2: getXmm(cpu, 2),
    x8: getXmm(cpu, 8),
    x9: getXmm(cpu, 9),
    m0: mm(0),
    m1: mm(1),
    rax: cpu.readGpr(0),
    rcx: cpu.readGpr(1),
    rdx: cpu.readGpr(2),
    fl: BigInt(cpu.getFlags()),
    mx: BigInt(cpu.sse.mxcsr),
    mem,
  };
}

function disasm(hex: string): string {
  const d = new Decoder(64, hexBytes(hex), DecoderOptions.None);
  const insn = d.decode();
  const s = new Formatter(FormatterSyntax.Nasm).format(insn);
  insn.free();
  d.free();
  return s;
}

function replay(bits: Bits): string[] {
  const m = machine(bits);
  m.cpu.setControl({ cr4: bits === 64 ? 0x620n : 0x600n });
  m.cpu.intercepts.exceptionBitmap = 0xffffffff;
  const bad: string[] = [];
  for (const v of vectors) {
    if (bits === 32 && v.modes !== 'b') continue;
    m.mem.loadBytes(CODE, hexBytes(v.code));
    m.cpu.decoded.clear();
    m.cpu.ip = CODE;
    m.monitor.exits.length = 0;
    load(m.cpu, states[v.state]!);
    const stop = m.cpu.run(1);
    const got = observe(m.cpu);
    const diffs: string[] = [];
    if (stop?.kind !== 'max-insns' || m.monitor.exits.length > 0) diffs.push(`stop ${stop?.kind} ${JSON.stringify(m.monitor.exits[0] ?? null)}`);
    for (const f of FIELDS) {
      let want = v.out[f];
      let have = got[f];
      if (f === 'fl') {
        want &= STATUS;
        have &= STATUS;
      } else if (bits === 32 && GPR[f] !== undefined) {
        want &= 0xffffffffn;
        have &= 0xffffffffn;
      }
      if (want !== have) diffs.push(`${f} want ${want.toString(16)} got ${have.toString(16)}`);
    }
    if (diffs.length > 0) bad.push(`${disasm(v.code)} [${v.code}] state ${v.state}: ${diffs.join('; ')}`);
  }
  return bad;
}

describe('native SIMD vectors', () => {
  it(`match the host CPU in 64-bit mode (${vectors.length} vectors)`, () => {
    expect(vectors.length).toBeGreaterThan(5000);
    const bad = replay(64);
    expect(bad.slice(0, 30)).toEqual([]);
  });
  it(`match the host CPU in 32-bit mode (${vectors.filter((v) => v.modes === 'b').length} vectors)`, () => {
    const bad = replay(32);
    expect(bad.slice(0, 30)).toEqual([]);
  });
});
