/**
 * SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic instructions (legacy encodings): ADD SUB MUL
 * DIV MIN MAX SQRT (PS PD SS SD), CMPccPS/PD/SS/SD, COMISS/SD, UCOMISS/SD, ROUNDPS/PD/SS/SD,
 * DPPS/DPPD, HADDPS/PD, HSUBPS/PD, ADDSUBPS/PD, RCPPS/SS, RSQRTPS/SS. The arithmetic is
 * ./fp (docs/simd-fp.md); this file is operand plumbing: packed forms take xmm/m128 (#GP(0)
 * unless 16-byte aligned), scalar forms xmm/m32 or xmm/m64 (never aligned). The MXCSR flags
 * are ORed in, and an unmasked exception raises #XM (#UD with CR4.OSXMMEXCPT=0) with the
 * destination unchanged.
 */
import { Code, Mnemonic } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import type { Handler, HandlerTable } from '../decoded.ts';
import { STATUS_FLAGS } from '../state.ts';
import { raiseSimdFp, sseAvail } from './avail.ts';
import * as fp from './fp/index.ts';
import { xmmSrc128, xmmSrc32, xmmSrc64 } from './operands.ts';

// fp functions are bound to a local in each handler factory, and these constants are local:
// tsx compiles every use of an imported binding into a getter call.
const FLAGS = 0x3f;
const FAULT = 0x10000;
const F32 = 0;
const F64 = 1;

/** Applies an instruction's fp flag word: MXCSR flags, then #XM/#UD when one is unmasked. */
export function fpDone(cpu: Cpu, flags: number): void {
  cpu.sse.mxcsr |= flags & FLAGS;
  if ((flags & FAULT) !== 0) raiseSimdFp(cpu);
}

/** The source slot of a form: packed xmm/m128 (aligned), scalar xmm/m32 or xmm/m64. */
function source(cpu: Cpu, d: Parameters<Handler>[1], fmt: number, scalar: boolean): number {
  if (!scalar) return xmmSrc128(cpu, d, d.k1, d.r1, true);
  return fmt === F32 ? xmmSrc32(cpu, d, d.k1, d.r1) : xmmSrc64(cpu, d, d.k1, d.r1);
}

function arith(op: number, fmt: number, scalar: boolean): Handler {
  const run = fp.arith;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = source(cpu, d, fmt, scalar);
    const u = cpu.sse.u32;
    fpDone(cpu, run(op, fmt, scalar, u, d.r0 * 4, u, s * 4, cpu.sse.mxcsr));
  };
}

/** CMPccPS/PD/SS/SD: legacy encodings use imm8[2:0] (bits 7:3 are ignored, host-verified). */
function cmp(fmt: number, scalar: boolean): Handler {
  const run = fp.cmp;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = source(cpu, d, fmt, scalar);
    const u = cpu.sse.u32;
    fpDone(cpu, run(d.imm & 7, fmt, scalar, u, d.r0 * 4, u, s * 4, cpu.sse.mxcsr));
  };
}

function round(fmt: number, scalar: boolean): Handler {
  const run = fp.round;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = source(cpu, d, fmt, scalar);
    const u = cpu.sse.u32;
    fpDone(cpu, run(d.imm & 15, fmt, scalar, u, d.r0 * 4, u, s * 4, cpu.sse.mxcsr));
  };
}

/** COMISS/COMISD (signalling) and UCOMISS/UCOMISD: ZF PF CF from the comparison, OF SF AF 0. */
function comi(signalling: boolean, fmt: number): Handler {
  const run = fp.comi;
  const shift = fp.COMI_SHIFT;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = source(cpu, d, fmt, true) * 4;
    const a = d.r0 * 4;
    const u = cpu.sse.u32;
    const mx = cpu.sse.mxcsr;
    const r = run(signalling, u[a]!, u[a + 1]!, u[s]!, u[s + 1]!, fmt, mx);
    const flags = r & FLAGS;
    fpDone(cpu, (flags & ~(mx >>> 7)) !== 0 ? flags | FAULT : flags);
    cpu.flags = (cpu.flags & ~STATUS_FLAGS) | (r >>> shift);
  };
}

function dot(fmt: number): Handler {
  const run = fp.dot;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = xmmSrc128(cpu, d, d.k1, d.r1, true);
    const u = cpu.sse.u32;
    fpDone(cpu, run(d.imm & 0xff, fmt, u, d.r0 * 4, u, s * 4, cpu.sse.mxcsr));
  };
}

function horizontal(sub: boolean, fmt: number): Handler {
  const run = fp.horizontal;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = xmmSrc128(cpu, d, d.k1, d.r1, true);
    const u = cpu.sse.u32;
    fpDone(cpu, run(sub, fmt, u, d.r0 * 4, u, s * 4, cpu.sse.mxcsr));
  };
}

function addsub(fmt: number): Handler {
  const run = fp.addsub;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = xmmSrc128(cpu, d, d.k1, d.r1, true);
    const u = cpu.sse.u32;
    fpDone(cpu, run(fmt, u, d.r0 * 4, u, s * 4, cpu.sse.mxcsr));
  };
}

/** RCPPS/RCPSS/RSQRTPS/RSQRTSS: no exceptions, MXCSR untouched. */
function approx(rsq: boolean, scalar: boolean): Handler {
  const run = fp.approx;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = source(cpu, d, F32, scalar);
    const u = cpu.sse.u32;
    run(rsq, scalar, u, d.r0 * 4, u, s * 4);
  };
}

export function registerFpArith(t: HandlerTable): void {
  const m = t.byMnemonic;
  const ops: [number, Mnemonic, Mnemonic, Mnemonic, Mnemonic][] = [
    [fp.ADD, Mnemonic.Addps, Mnemonic.Addpd, Mnemonic.Addss, Mnemonic.Addsd],
    [fp.SUB, Mnemonic.Subps, Mnemonic.Subpd, Mnemonic.Subss, Mnemonic.Subsd],
    [fp.MUL, Mnemonic.Mulps, Mnemonic.Mulpd, Mnemonic.Mulss, Mnemonic.Mulsd],
    [fp.DIV, Mnemonic.Divps, Mnemonic.Divpd, Mnemonic.Divss, Mnemonic.Divsd],
    [fp.MIN, Mnemonic.Minps, Mnemonic.Minpd, Mnemonic.Minss, Mnemonic.Minsd],
    [fp.MAX, Mnemonic.Maxps, Mnemonic.Maxpd, Mnemonic.Maxss, Mnemonic.Maxsd],
    [fp.SQRT, Mnemonic.Sqrtps, Mnemonic.Sqrtpd, Mnemonic.Sqrtss, Mnemonic.Sqrtsd],
  ];
  for (const [op, ps, pd, ss, sd] of ops) {
    m.set(ps, arith(op, F32, false));
    m.set(pd, arith(op, F64, false));
    m.set(ss, arith(op, F32, true));
    m.set(sd, arith(op, F64, true));
  }
  m.set(Mnemonic.Cmpps, cmp(F32, false));
  m.set(Mnemonic.Cmppd, cmp(F64, false));
  m.set(Mnemonic.Cmpss, cmp(F32, true));
  // CMPSD is also the string compare's mnemonic: register the SSE2 form by its code.
  t.byCode.set(Code.Cmpsd_xmm_xmmm64_imm8, cmp(F64, true));
  m.set(Mnemonic.Comiss, comi(true, F32));
  m.set(Mnemonic.Comisd, comi(true, F64));
  m.set(Mnemonic.Ucomiss, comi(false, F32));
  m.set(Mnemonic.Ucomisd, comi(false, F64));
  m.set(Mnemonic.Roundps, round(F32, false));
  m.set(Mnemonic.Roundpd, round(F64, false));
  m.set(Mnemonic.Roundss, round(F32, true));
  m.set(Mnemonic.Roundsd, round(F64, true));
  m.set(Mnemonic.Dpps, dot(F32));
  m.set(Mnemonic.Dppd, dot(F64));
  m.set(Mnemonic.Haddps, horizontal(false, F32));
  m.set(Mnemonic.Haddpd, horizontal(false, F64));
  m.set(Mnemonic.Hsubps, horizontal(true, F32));
  m.set(Mnemonic.Hsubpd, horizontal(true, F64));
  m.set(Mnemonic.Addsubps, addsub(F32));
  m.set(Mnemonic.Addsubpd, addsub(F64));
  m.set(Mnemonic.Rcpps, approx(false, false));
  m.set(Mnemonic.Rcpss, approx(false, true));
  m.set(Mnemonic.Rsqrtps, approx(true, false));
  m.set(Mnemonic.Rsqrtss, approx(true, true));
}
