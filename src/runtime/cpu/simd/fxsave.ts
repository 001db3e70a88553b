/**
 * FXSAVE / FXRSTOR (SDM Vol. 1 §10.5, Vol. 2 FXSAVE Tables 3-53/3-56): the 512-byte image at a
 * 16-byte aligned m512 (#GP(0) otherwise): bytes 0-159 the x87 state (fpu/state.ts
 * saveFxLegacy/loadFxLegacy; REX.W selects the 64-bit FIP/FDP layout), 24-31 MXCSR and
 * MXCSR_MASK, 160-287 XMM0-7 and, in 64-bit mode, 288-415 XMM8-15. Bytes 416-511 are neither
 * written nor read (the host CPU leaves them alone too; 464-511 are software's).
 *
 * With CR4.OSFXSR=0 the SSE part (MXCSR, XMM) is neither saved nor restored (the SDM leaves that
 * implementation-dependent; this is what QEMU does). FXRSTOR raises #GP(0) for an MXCSR image
 * with a bit outside MXCSR_MASK, before any state changes. #UD with CR0.EM, #NM with CR0.TS.
 */
import { Mnemonic } from 'iced-x86';
import type { Handler, HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Cr4 } from '../state.ts';
import { Access } from '../../mmu/types.ts';
import { fxsrAvail } from './avail.ts';
import { simdLinear } from './operands.ts';
import { probeRegion, readRegion, writeRegion } from './region.ts';
import { MXCSR_MASK } from './state.ts';

/** Staging image (one per process: instructions do not nest). */
const IMG = new Uint8Array(512);
const VIEW = new DataView(IMG.buffer);

/** XMM registers FXSAVE/XSAVE cover in the current mode. */
export function xmmCount(cpu: Cpu): number {
  return cpu.mode64 ? 16 : 8;
}

/** Copy MXCSR/MXCSR_MASK into bytes 24-31 of `v`. */
export function putMxcsr(cpu: Cpu, v: DataView): void {
  v.setUint32(24, cpu.sse.mxcsr, true);
  v.setUint32(28, MXCSR_MASK, true);
}

/** Copy XMM0..n-1 into bytes 160.. of `v` (at `off`). */
export function putXmm(cpu: Cpu, v: DataView, off: number, n: number): void {
  const u = cpu.sse.u32;
  for (let i = 0; i < n * 4; i++) v.setUint32(off + 4 * i, u[i]!, true);
}

export function getXmm(cpu: Cpu, v: DataView, off: number, n: number): void {
  const u = cpu.sse.u32;
  for (let i = 0; i < n * 4; i++) u[i] = v.getUint32(off + 4 * i, true);
}

/** The MXCSR image at byte 24, checked against MXCSR_MASK (#GP(0)). */
export function checkedMxcsr(v: DataView): number {
  const m = v.getUint32(24, true);
  if ((m & ~MXCSR_MASK) !== 0) throw new GuestFault(Vec.GP, 0);
  return m;
}

const fxsave: Handler = (cpu, d) => {
  fxsrAvail(cpu);
  const lin = simdLinear(cpu, d, 512, true, true);
  const sse = (cpu.hw.cr4Lo & Cr4.OSFXSR) !== 0;
  const n = xmmCount(cpu);
  const end = sse ? 160 + 16 * n : 160;
  probeRegion(cpu, lin, end, Access.Write);
  cpu.fpu.saveFxLegacy(IMG, 0, d.osz === 8);
  if (sse) {
    putMxcsr(cpu, VIEW);
    putXmm(cpu, VIEW, 160, n);
    writeRegion(cpu, lin, VIEW, 0, end);
  } else {
    writeRegion(cpu, lin, VIEW, 0, 24);
    writeRegion(cpu, lin, VIEW, 32, 128);
  }
};

const fxrstor: Handler = (cpu, d) => {
  fxsrAvail(cpu);
  const lin = simdLinear(cpu, d, 512, false, true);
  const sse = (cpu.hw.cr4Lo & Cr4.OSFXSR) !== 0;
  const n = xmmCount(cpu);
  const end = sse ? 160 + 16 * n : 160;
  probeRegion(cpu, lin, end, Access.Read);
  readRegion(cpu, lin, VIEW, 0, end);
  const mxcsr = sse ? checkedMxcsr(VIEW) : 0;
  cpu.fpu.loadFxLegacy(IMG, 0, d.osz === 8);
  if (sse) {
    cpu.sse.mxcsr = mxcsr;
    getXmm(cpu, VIEW, 160, n);
  }
};

export function registerFxsave(t: HandlerTable): void {
  t.byMnemonic.set(Mnemonic.Fxsave, fxsave);
  t.byMnemonic.set(Mnemonic.Fxsave64, fxsave);
  t.byMnemonic.set(Mnemonic.Fxrstor, fxrstor);
  t.byMnemonic.set(Mnemonic.Fxrstor64, fxrstor);
}
