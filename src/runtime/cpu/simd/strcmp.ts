/**
 * SSE4.2 packed string compares PCMPESTRI, PCMPESTRM, PCMPISTRI, PCMPISTRM, every imm8 mode
 * (SDM Vol. 2B §4.1 "Imm8 Control Byte Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI /
 * PCMPISTRM"):
 * - imm8[1:0] element format: unsigned bytes, unsigned words, signed bytes, signed words;
 * - imm8[3:2] aggregation: equal any, ranges, equal each, equal ordered;
 * - imm8[5:4] polarity: positive, negative, masked positive, masked negative;
 * - imm8[6] output: index of the least/most significant result bit (ECX; n when none), or the
 *   result as a bit mask / expanded element mask in XMM0.
 * xmm1 is operand 1 (the set, ranges or needle), xmm2/m128 operand 2 (the string); the lengths
 * are explicit (|EAX|, |EDX|, or RAX/RDX with REX.W, saturated to n) or implicit (up to the first
 * zero element). The memory operand need not be aligned. Flags: CF = result ≠ 0, ZF = operand 2
 * shorter than n, SF = operand 1 shorter than n, OF = result bit 0, AF = PF = 0.
 */
import { Mnemonic } from 'iced-x86';
import type { Handler, HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { Flag, STATUS_FLAGS } from '../state.ts';
import { sseAvail } from './avail.ts';
import { xmmSrc128 } from './operands.ts';
import type { SseState } from './state.ts';

/** Element `i` of slot `s` in the format of imm8[1:0]. */
function elem(x: SseState, s: number, i: number, fmt: number): number {
  switch (fmt) {
    case 0:
      return x.u8[s * 16 + i]!;
    case 1:
      return x.u16[s * 8 + i]!;
    case 2:
      return x.i8[s * 16 + i]!;
    default:
      return x.i16[s * 8 + i]!;
  }
}

/** Implicit length: index of the first zero element, or n. */
function implicitLen(x: SseState, s: number, n: number, fmt: number): number {
  for (let i = 0; i < n; i++) if (elem(x, s, i, fmt) === 0) return i;
  return n;
}

/** Explicit length from register r (64-bit with REX.W): |value| saturated to n. */
function explicitLen(cpu: Cpu, r: number, wide: boolean, n: number): number {
  const lo = cpu.lo[r]!;
  if (wide) {
    const hi = cpu.hi[r]!;
    if (hi === 0) return lo >= n ? n : lo;
    if (hi === 0xffffffff && lo !== 0) {
      const abs = 0x100000000 - lo;
      return abs >= n ? n : abs;
    }
    return n;
  }
  const v = lo | 0;
  const abs = v < 0 ? -v : v;
  return abs >= n ? n : abs;
}

/** The aggregated, polarity-applied result (IntRes2) as a bit mask over n elements. */
function compare(x: SseState, a: number, b: number, la: number, lb: number, imm: number): number {
  const fmt = imm & 3;
  const n = (imm & 1) !== 0 ? 8 : 16;
  const agg = (imm >> 2) & 3;
  let res = 0;
  for (let j = 0; j < n; j++) {
    let bit = 0;
    if (agg === 0) {
      // Equal any: string element j is one of the set's valid elements.
      if (j < lb) {
        const v = elem(x, b, j, fmt);
        for (let i = 0; i < la; i++) {
          if (elem(x, a, i, fmt) === v) {
            bit = 1;
            break;
          }
        }
      }
    } else if (agg === 1) {
      // Ranges: string element j lies in one of the (low, high) pairs of operand 1.
      if (j < lb) {
        const v = elem(x, b, j, fmt);
        for (let i = 0; i + 1 < la; i += 2) {
          if (v >= elem(x, a, i, fmt) && v <= elem(x, a, i + 1, fmt)) {
            bit = 1;
            break;
          }
        }
      }
    } else if (agg === 2) {
      // Equal each: both invalid → true, one invalid → false.
      if (j >= la && j >= lb) bit = 1;
      else if (j < la && j < lb) bit = elem(x, a, j, fmt) === elem(x, b, j, fmt) ? 1 : 0;
    } else {
      // Equal ordered: the needle (operand 1) matches the string from position j; a needle
      // element past its end matches anything, a string element past its end matches nothing.
      bit = 1;
      for (let i = 0; i < n - j && i < la; i++) {
        const k = j + i;
        if (k >= lb || elem(x, a, i, fmt) !== elem(x, b, k, fmt)) {
          bit = 0;
          break;
        }
      }
    }
    res |= bit << j;
  }
  const all = (1 << n) - 1;
  switch ((imm >> 4) & 3) {
    case 1:
      res = ~res & all;
      break;
    case 3:
      res = (res ^ ((1 << lb) - 1)) & all;
      break;
  }
  return res;
}

function flags(cpu: Cpu, res: number, la: number, lb: number, n: number): void {
  let f = cpu.flags & ~STATUS_FLAGS;
  if (res !== 0) f |= Flag.CF;
  if (lb < n) f |= Flag.ZF;
  if (la < n) f |= Flag.SF;
  if ((res & 1) !== 0) f |= Flag.OF;
  cpu.flags = f;
}

function strcmp(explicit: boolean, index: boolean): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    const x = cpu.sse;
    const imm = d.imm & 0xff;
    const n = (imm & 1) !== 0 ? 8 : 16;
    const b = xmmSrc128(cpu, d, d.k1, d.r1, false);
    const a = d.r0;
    const wide = d.osz === 8;
    const la = explicit ? explicitLen(cpu, 0, wide, n) : implicitLen(x, a, n, imm & 3);
    const lb = explicit ? explicitLen(cpu, 2, wide, n) : implicitLen(x, b, n, imm & 3);
    const res = compare(x, a, b, la, lb, imm);
    if (index) {
      let i = n;
      if (res !== 0) i = (imm & 0x40) !== 0 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
      cpu.lo[1] = i;
      cpu.hi[1] = 0;
    } else if ((imm & 0x40) === 0) {
      x.setDwords(0, res, 0, 0, 0);
    } else if (n === 16) {
      for (let i = 0; i < 16; i++) x.u8[i] = (res >> i) & 1 ? 0xff : 0;
    } else {
      for (let i = 0; i < 8; i++) x.u16[i] = (res >> i) & 1 ? 0xffff : 0;
    }
    flags(cpu, res, la, lb, n);
  };
}

export function registerStrcmp(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Pcmpestri, strcmp(true, true));
  m.set(Mnemonic.Pcmpestri64, strcmp(true, true));
  m.set(Mnemonic.Pcmpestrm, strcmp(true, false));
  m.set(Mnemonic.Pcmpestrm64, strcmp(true, false));
  m.set(Mnemonic.Pcmpistri, strcmp(false, true));
  m.set(Mnemonic.Pcmpistrm, strcmp(false, false));
}
