/**
 * XSAVE, XSAVEOPT, XSAVEC, XRSTOR (standard and compacted form) for the state components the
 * model enumerates: x87 (0), SSE (1) and PKRU (9) (SDM Vol. 1 ch. 13). #UD without CR4.OSXSAVE,
 * #NM with CR0.TS, #GP(0) for an operand not 64-byte aligned. RFBM = XCR0 AND EDX:EAX.
 *
 * Layout: bytes 0-159 x87 (fpu/state.ts), 24-31 MXCSR/MXCSR_MASK, 160-415 XMM0-15 (XMM0-7
 * outside 64-bit mode), 512-575 the header (XSTATE_BV at 512, XCOMP_BV at 520), PKRU at 2688
 * (standard) or 576 (compacted: the first and only extended component).
 *
 * XINUSE (which components may differ from their initial configuration) is computed from the
 * values: x87 is in use unless FCW=037FH, FSW=0, all tags empty, the pointers and opcode 0 and
 * every register 0; SSE unless every XMM register is 0; PKRU unless it is 0 (the SDM allows a
 * 1 anywhere; XINUSE[i] = 0 only promises the initial configuration). What the host CPU (AMD
 * EPYC) does and this code follows:
 * - XSAVE: saves every RFBM component; XSTATE_BV[i] ← XINUSE[i] for i in RFBM, its other bits
 *   and the rest of the header untouched; MXCSR saved when RFBM[1] or RFBM[2].
 * - XSAVEOPT: as XSAVE but a component not in use is not written (init optimization; the
 *   modified optimization is not used); MXCSR still saved when RFBM[1] or RFBM[2].
 * - XSAVEC: XSTATE_BV ← RFBM AND (XINUSE, with bit 1 also when MXCSR ≠ 1F80H), XCOMP_BV ←
 *   2^63 OR RFBM, bytes 528-575 untouched; saves exactly the XSTATE_BV components (MXCSR with SSE).
 * - XRSTOR: #GP(0) checks first (standard: XSTATE_BV not within XCR0, or header bytes 8-23 not
 *   0; compacted: XCOMP_BV[62:0] not within XCR0, XSTATE_BV not within XCOMP_BV, header bytes
 *   16-63 not 0; MXCSR with a bit outside MXCSR_MASK), then for i in RFBM: XSTATE_BV[i] ? load :
 *   initialise. MXCSR: standard form loads it when RFBM[1] or RFBM[2]; compacted form loads it
 *   with the SSE component and sets 1F80H when initialising it.
 * XSAVES/XRSTORS are not implemented (not reported: CPUID.(0DH,1):EAX[3] = 0, they raise #UD).
 */
import { Mnemonic } from 'iced-x86';
import type { Handler, HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Access } from '../../mmu/types.ts';
import { ea } from '../core/operands.ts';
import { xsaveAvail } from './avail.ts';
import { checkedMxcsr, getXmm, putMxcsr, putXmm, xmmCount } from './fxsave.ts';
import { probeRegion, readRegion, writeRegion } from './region.ts';
import { Mxcsr } from './state.ts';

const X87 = 1;
const SSE = 2;
const AVX = 4;
const PKRU = 1 << 9;
/** Standard-format offset of the PKRU component. */
const PKRU_STD = 2688;
const HEADER = 512;

const IMG = new Uint8Array(PKRU_STD + 64);
const VIEW = new DataView(IMG.buffer);

/** XINUSE, from the values (see the file comment). */
export function xinuse(cpu: Cpu): number {
  const f = cpu.fpu;
  let x87 = f.fcw !== 0x037f || f.fsw !== 0 || f.ftw !== 0xffff || f.fop !== 0 || f.fip !== 0 || f.fdp !== 0 || f.fcs !== 0 || f.fds !== 0;
  for (let p = 0; p < 8 && !x87; p++) x87 = f.se[p] !== 0 || f.sigHi[p] !== 0 || f.sigLo[p] !== 0;
  const u = cpu.sse.u32;
  let sse = 0;
  for (let i = 0; i < 64; i++) sse |= u[i]!;
  return (x87 ? X87 : 0) | (sse !== 0 ? SSE : 0) | (cpu.pkru !== 0 ? PKRU : 0);
}

/** RFBM = XCR0 AND EDX:EAX (only the low dword of XCR0 has components this model supports). */
function rfbm(cpu: Cpu): number {
  return cpu.hw.xcr0Lo & cpu.lo[0]!;
}

/** The operand's linear address for `size` bytes, 64-byte aligned (#GP(0)). */
function areaLinear(cpu: Cpu, d: Parameters<Handler>[1], size: number, write: boolean): number {
  const lin = cpu.mem.linear(d.seg, ea(cpu, d), size, write);
  if ((lin & 63) !== 0) throw new GuestFault(Vec.GP, 0);
  return lin;
}

const enum Kind {
  Xsave,
  Xsaveopt,
  Xsavec,
}

function save(kind: Kind): Handler {
  return (cpu, d) => {
    xsaveAvail(cpu);
    const rf = rfbm(cpu);
    const inuse = xinuse(cpu);
    const compact = kind === Kind.Xsavec;
    const pkruOff = compact ? 576 : PKRU_STD;
    const size = (rf & PKRU) !== 0 ? pkruOff + 8 : 576;
    const lin = areaLinear(cpu, d, size, true);
    probeRegion(cpu, lin, size, Access.Write);
    // Which components are written, and the header.
    let saved = rf;
    let bv: number;
    if (compact) {
      bv = rf & (inuse | (cpu.sse.mxcsr !== Mxcsr.RESET ? SSE : 0));
      saved = bv;
    } else {
      readRegion(cpu, lin, VIEW, HEADER, 4);
      bv = (VIEW.getUint32(HEADER, true) & ~rf) | (rf & inuse);
      if (kind === Kind.Xsaveopt) saved = rf & inuse;
    }
    const wide = d.osz === 8;
    if ((saved & X87) !== 0) {
      cpu.fpu.saveFxLegacy(IMG, 0, wide);
      writeRegion(cpu, lin, VIEW, 0, 24);
      writeRegion(cpu, lin, VIEW, 32, 128);
    }
    const mx = compact ? (saved & SSE) !== 0 : (rf & (SSE | AVX)) !== 0;
    if (mx) {
      putMxcsr(cpu, VIEW);
      writeRegion(cpu, lin, VIEW, 24, 8);
    }
    if ((saved & SSE) !== 0) {
      const n = xmmCount(cpu);
      putXmm(cpu, VIEW, 160, n);
      writeRegion(cpu, lin, VIEW, 160, 16 * n);
    }
    if ((saved & PKRU) !== 0) {
      VIEW.setUint32(pkruOff, cpu.pkru, true);
      VIEW.setUint32(pkruOff + 4, 0, true);
      writeRegion(cpu, lin, VIEW, pkruOff, 8);
    }
    VIEW.setUint32(HEADER, bv, true);
    VIEW.setUint32(HEADER + 4, 0, true);
    if (compact) {
      VIEW.setUint32(HEADER + 8, rf, true);
      VIEW.setUint32(HEADER + 12, 0x80000000, true);
      writeRegion(cpu, lin, VIEW, HEADER, 16);
    } else {
      writeRegion(cpu, lin, VIEW, HEADER, 4);
    }
  };
}

const xrstor: Handler = (cpu, d) => {
  xsaveAvail(cpu);
  const rf = rfbm(cpu);
  const xcr0 = cpu.hw.xcr0Lo;
  // The header decides the form and the size.
  let lin = areaLinear(cpu, d, 576, false);
  readRegion(cpu, lin, VIEW, HEADER, 64);
  const bv = VIEW.getUint32(HEADER, true);
  const bvHi = VIEW.getUint32(HEADER + 4, true);
  const cbv = VIEW.getUint32(HEADER + 8, true);
  const cbvHi = VIEW.getUint32(HEADER + 12, true);
  const compact = (cbvHi & 0x80000000) !== 0;
  let zeroFrom = compact ? 16 : 8;
  const zeroTo = compact ? 64 : 24;
  if (compact) {
    if ((cbv & ~xcr0) !== 0 || (cbvHi & 0x7fffffff) !== 0 || (bv & ~cbv) !== 0 || bvHi !== 0) throw new GuestFault(Vec.GP, 0);
  } else if ((bv & ~xcr0) !== 0 || bvHi !== 0) {
    throw new GuestFault(Vec.GP, 0);
  }
  for (; zeroFrom < zeroTo; zeroFrom += 4) if (VIEW.getUint32(HEADER + zeroFrom, true) !== 0) throw new GuestFault(Vec.GP, 0);
  const load = rf & bv;
  const pkruOff = compact ? 576 : PKRU_STD;
  const size = (load & PKRU) !== 0 ? pkruOff + 8 : 576;
  lin = areaLinear(cpu, d, size, false);
  probeRegion(cpu, lin, size, Access.Read);
  const n = xmmCount(cpu);
  const mxLoad = compact ? (load & SSE) !== 0 : (rf & (SSE | AVX)) !== 0;
  if ((load & X87) !== 0) readRegion(cpu, lin, VIEW, 0, 160);
  else if (mxLoad) readRegion(cpu, lin, VIEW, 24, 8);
  if ((load & SSE) !== 0) readRegion(cpu, lin, VIEW, 160, 16 * n);
  if ((load & PKRU) !== 0) readRegion(cpu, lin, VIEW, pkruOff, 8);
  const mxcsr = mxLoad ? checkedMxcsr(VIEW) : 0;
  // No fault past this point.
  const f = cpu.fpu;
  if ((load & X87) !== 0) f.loadFxLegacy(IMG, 0, d.osz === 8);
  else if ((rf & X87) !== 0) {
    f.init();
    f.se.fill(0);
    f.sigHi.fill(0);
    f.sigLo.fill(0);
  }
  if ((load & SSE) !== 0) getXmm(cpu, VIEW, 160, n);
  else if ((rf & SSE) !== 0) cpu.sse.u32.fill(0, 0, n * 4);
  if (mxLoad) cpu.sse.mxcsr = mxcsr;
  else if (compact && (rf & SSE) !== 0) cpu.sse.mxcsr = Mxcsr.RESET;
  if ((load & PKRU) !== 0) cpu.pkru = VIEW.getUint32(pkruOff, true);
  else if ((rf & PKRU) !== 0) cpu.pkru = 0;
};

export function registerXsave(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Xsave, save(Kind.Xsave));
  m.set(Mnemonic.Xsave64, save(Kind.Xsave));
  m.set(Mnemonic.Xsaveopt, save(Kind.Xsaveopt));
  m.set(Mnemonic.Xsaveopt64, save(Kind.Xsaveopt));
  m.set(Mnemonic.Xsavec, save(Kind.Xsavec));
  m.set(Mnemonic.Xsavec64, save(Kind.Xsavec));
  m.set(Mnemonic.Xrstor, xrstor);
  m.set(Mnemonic.Xrstor64, xrstor);
}
