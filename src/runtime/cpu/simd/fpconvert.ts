/**
 * SSE/SSE2 floating-point conversions (legacy encodings): CVTSI2SS/SD (r/m32, r/m64),
 * CVT(T)SS2SI/CVT(T)SD2SI (r32, r64), CVTPS2PD/PD2PS/SS2SD/SD2SS, CVTDQ2PS/PS2DQ/TPS2DQ,
 * CVTDQ2PD/PD2DQ/TPD2DQ, and the MMX forms CVTPI2PS/PS2PI/TPS2PI/PI2PD/PD2PI/TPD2PI.
 * Arithmetic in ./fp; alignment: only the m128 sources (CVTPD2PS, CVTDQ2PS, CVT(T)PS2DQ,
 * CVT(T)PD2DQ, CVT(T)PD2PI) must be 16-byte aligned; m64/m32 sources never.
 * The MMX forms check SSE availability, then #MF for a pending x87 exception (SDM Vol. 3A
 * Table 23-? "Legacy SIMD/MMX with FP exception"); naming an MMX register puts the x87 unit in
 * MMX state (TOP = 0, all tags valid), a memory source does not.
 */
import { Code, Mnemonic } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import { OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Cr0 } from '../state.ts';
import { ea } from '../core/operands.ts';
import { sseAvail } from './avail.ts';
import { fpDone } from './fparith.ts';

// fp functions are bound to a local in each handler factory, and these constants are local:
// tsx compiles every use of an imported binding into a getter call.
const FLAGS = 0x3f;
const FAULT = 0x10000;
const F32 = 0;
const F64 = 1;
import * as fp from './fp/index.ts';
import { loadMm, storeMm } from './mmx.ts';
import { simdLinear, xmmSrc128, xmmSrc32, xmmSrc64 } from './operands.ts';
import { SLOT_MMD, SLOT_MMS } from './state.ts';

/** The SSE forms that name an MMX register: SSE checks, then #MF for a pending x87 error. */
function sseMmxCheck(cpu: Cpu): void {
  sseAvail(cpu);
  if (cpu.fpu.pendingUnmasked() && (cpu.hw.cr0Lo & Cr0.NE) !== 0) throw new GuestFault(Vec.MF);
}

/** Packed/scalar conversions between XMM lanes: `src` 16 (aligned m128), 8 or 4 bytes. */
function lanes(kind: number, n: number, dWords: number, src: 16 | 8 | 4): Handler {
  const run = fp.convert;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = src === 16 ? xmmSrc128(cpu, d, d.k1, d.r1, true) : src === 8 ? xmmSrc64(cpu, d, d.k1, d.r1) : xmmSrc32(cpu, d, d.k1, d.r1);
    const u = cpu.sse.u32;
    fpDone(cpu, run(kind, n, u, d.r0 * 4, dWords, u, s * 4, cpu.sse.mxcsr));
  };
}

/** CVTPI2PS (f32, keeps the upper qword) / CVTPI2PD (f64): xmm ← mm/m64 as two int32. */
function fromMmx(kind: number, dWords: number): Handler {
  const run = fp.convert;
  return (cpu, d) => {
    let s: number;
    if (d.k1 === OpK.Mmx) {
      sseMmxCheck(cpu);
      loadMm(cpu, d.r1, SLOT_MMS);
      s = SLOT_MMS;
    } else {
      sseAvail(cpu);
      s = xmmSrc64(cpu, d, d.k1, d.r1);
    }
    const u = cpu.sse.u32;
    const flags = run(kind, 2, u, d.r0 * 4, dWords, u, s * 4, cpu.sse.mxcsr);
    if (d.k1 === OpK.Mmx) cpu.fpu.enterMmx();
    fpDone(cpu, flags);
  };
}

/** CVT(T)PS2PI (xmm/m64) / CVT(T)PD2PI (xmm/m128, aligned): mm ← two int32. */
function toMmx(kind: number, src: 16 | 8): Handler {
  const run = fp.convert;
  return (cpu, d) => {
    sseMmxCheck(cpu);
    const s = src === 16 ? xmmSrc128(cpu, d, d.k1, d.r1, true) : xmmSrc64(cpu, d, d.k1, d.r1);
    const u = cpu.sse.u32;
    const flags = run(kind, 2, u, SLOT_MMD * 4, 2, u, s * 4, cpu.sse.mxcsr);
    fpDone(cpu, flags);
    storeMm(cpu, d.r0, SLOT_MMD);
  };
}

/** The integer source of CVTSI2SS/SD (r/m32 or r/m64) in intLo/intHi. */
let intLo = 0;
let intHi = 0;
function intSource(cpu: Cpu, d: DecodedInsn, is64: boolean): void {
  if (d.k1 === OpK.Gpr) {
    intLo = cpu.lo[d.r1]!;
    intHi = is64 ? cpu.hi[d.r1]! : 0;
  } else if (is64) {
    intLo = cpu.mem.readLinPair(simdLinear(cpu, d, 8, false, false), cpu.cpl === 3);
    intHi = cpu.mem.pairHi;
  } else {
    intLo = cpu.read(d.seg, ea(cpu, d), 4);
    intHi = 0;
  }
}

/** CVTSI2SS / CVTSI2SD: lane 0 ← the signed integer, rounded under MXCSR.RC. */
function fromInt(fmt: number, is64: boolean): Handler {
  const run = fp.intToFloat;
  const out = fp.laneOut;
  return (cpu, d) => {
    sseAvail(cpu);
    intSource(cpu, d, is64);
    const mx = cpu.sse.mxcsr;
    const flags = run(intLo, intHi, is64, fmt, mx);
    fpDone(cpu, (flags & ~(mx >>> 7) & FLAGS) !== 0 ? flags | FAULT : flags);
    const u = cpu.sse.u32;
    u[d.r0 * 4] = out[0]!;
    if (fmt === F64) u[d.r0 * 4 + 1] = out[1]!;
  };
}

/** CVT(T)SS2SI / CVT(T)SD2SI: r32/r64 ← lane 0 (integer indefinite on NaN/overflow). */
function toInt(fmt: number, is64: boolean, truncate: boolean): Handler {
  const run = fp.floatToInt;
  const out = fp.laneOut;
  return (cpu, d) => {
    sseAvail(cpu);
    const s = (fmt === F32 ? xmmSrc32(cpu, d, d.k1, d.r1) : xmmSrc64(cpu, d, d.k1, d.r1)) * 4;
    const u = cpu.sse.u32;
    const mx = cpu.sse.mxcsr;
    const flags = run(u[s]!, u[s + 1]!, fmt, is64, truncate, mx);
    fpDone(cpu, (flags & ~(mx >>> 7) & FLAGS) !== 0 ? flags | FAULT : flags);
    cpu.lo[d.r0] = out[0]!;
    cpu.hi[d.r0] = is64 ? out[1]! : 0;
  };
}

export function registerFpConvert(t: HandlerTable): void {
  const m = t.byMnemonic;
  const c = t.byCode;
  c.set(Code.Cvtsi2ss_xmm_rm32, fromInt(F32, false));
  c.set(Code.Cvtsi2ss_xmm_rm64, fromInt(F32, true));
  c.set(Code.Cvtsi2sd_xmm_rm32, fromInt(F64, false));
  c.set(Code.Cvtsi2sd_xmm_rm64, fromInt(F64, true));
  c.set(Code.Cvtss2si_r32_xmmm32, toInt(F32, false, false));
  c.set(Code.Cvtss2si_r64_xmmm32, toInt(F32, true, false));
  c.set(Code.Cvttss2si_r32_xmmm32, toInt(F32, false, true));
  c.set(Code.Cvttss2si_r64_xmmm32, toInt(F32, true, true));
  c.set(Code.Cvtsd2si_r32_xmmm64, toInt(F64, false, false));
  c.set(Code.Cvtsd2si_r64_xmmm64, toInt(F64, true, false));
  c.set(Code.Cvttsd2si_r32_xmmm64, toInt(F64, false, true));
  c.set(Code.Cvttsd2si_r64_xmmm64, toInt(F64, true, true));
  m.set(Mnemonic.Cvtps2pd, lanes(fp.PS2PD, 2, 4, 8));
  m.set(Mnemonic.Cvtpd2ps, lanes(fp.PD2PS, 2, 4, 16));
  m.set(Mnemonic.Cvtss2sd, lanes(fp.PS2PD, 1, 2, 4));
  m.set(Mnemonic.Cvtsd2ss, lanes(fp.PD2PS, 1, 1, 8));
  m.set(Mnemonic.Cvtdq2ps, lanes(fp.DQ2PS, 4, 4, 16));
  m.set(Mnemonic.Cvtps2dq, lanes(fp.PS2DQ, 4, 4, 16));
  m.set(Mnemonic.Cvttps2dq, lanes(fp.TPS2DQ, 4, 4, 16));
  m.set(Mnemonic.Cvtdq2pd, lanes(fp.DQ2PD, 2, 4, 8));
  m.set(Mnemonic.Cvtpd2dq, lanes(fp.PD2DQ, 2, 4, 16));
  m.set(Mnemonic.Cvttpd2dq, lanes(fp.TPD2DQ, 2, 4, 16));
  m.set(Mnemonic.Cvtpi2ps, fromMmx(fp.DQ2PS, 2));
  m.set(Mnemonic.Cvtpi2pd, fromMmx(fp.DQ2PD, 4));
  m.set(Mnemonic.Cvtps2pi, toMmx(fp.PS2DQ, 8));
  m.set(Mnemonic.Cvttps2pi, toMmx(fp.TPS2DQ, 8));
  m.set(Mnemonic.Cvtpd2pi, toMmx(fp.PD2DQ, 16));
  m.set(Mnemonic.Cvttpd2pi, toMmx(fp.TPD2DQ, 16));
}
