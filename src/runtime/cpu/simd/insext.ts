/**
 * Inserts and extracts: PINSRB/W/D/Q, PEXTRB/W/D/Q (XMM; PINSRW/PEXTRW also MMX), EXTRACTPS,
 * INSERTPS. The lane index is the imm8 modulo the lane count; a GPR destination is zero-extended.
 */
import { Mnemonic } from 'iced-x86';
import { OpK, type Handler, type HandlerTable } from '../decoded.ts';
import { ea } from '../core/operands.ts';
import { sseAvail } from './avail.ts';
import { loadMm, mmxCheck } from './mmx.ts';
import { simdLinear, xmmSrc32 } from './operands.ts';
import { SLOT_MMS } from './state.ts';

/** PINSRB/W/D (size 1/2/4): lane imm of the destination ← r32 / m8/m16/m32. */
function pinsr(size: 1 | 2 | 4): Handler {
  return (cpu, d) => {
    const mmx = d.k0 === OpK.Mmx;
    if (mmx) mmxCheck(cpu);
    else sseAvail(cpu);
    const v = d.k1 === OpK.Gpr ? cpu.lo[d.r1]! : cpu.read(d.seg, ea(cpu, d), size);
    const x = cpu.sse;
    if (mmx) {
      const i = d.imm & 3;
      const lo = cpu.fpu.readMmxLo(d.r0);
      const hi = cpu.fpu.readMmxHi(d.r0);
      const sh = (i & 1) * 16;
      const m = ~(0xffff << sh);
      if (i < 2) cpu.fpu.writeMmx(d.r0, ((lo & m) | ((v & 0xffff) << sh)) >>> 0, hi);
      else cpu.fpu.writeMmx(d.r0, lo, ((hi & m) | ((v & 0xffff) << sh)) >>> 0);
      return;
    }
    if (size === 1) x.u8[d.r0 * 16 + (d.imm & 15)] = v;
    else if (size === 2) x.u16[d.r0 * 8 + (d.imm & 7)] = v;
    else x.u32[d.r0 * 4 + (d.imm & 3)] = v;
  };
}

/** PINSRQ xmm, r/m64, imm8. */
const pinsrq: Handler = (cpu, d) => {
  sseAvail(cpu);
  let lo: number;
  let hi: number;
  if (d.k1 === OpK.Gpr) {
    lo = cpu.lo[d.r1]!;
    hi = cpu.hi[d.r1]!;
  } else {
    lo = cpu.mem.readLinPair(simdLinear(cpu, d, 8, false, false), cpu.cpl === 3);
    hi = cpu.mem.pairHi;
  }
  const a = d.r0 * 4 + (d.imm & 1) * 2;
  cpu.sse.u32[a] = lo;
  cpu.sse.u32[a + 1] = hi;
};

/** PEXTRB/W/D (size 1/2/4) and EXTRACTPS (size 4): lane imm → r32/r64 (zero-extended) or m8/m16/m32. */
function pextr(size: 1 | 2 | 4): Handler {
  return (cpu, d) => {
    const x = cpu.sse;
    let v: number;
    if (d.k1 === OpK.Mmx) {
      mmxCheck(cpu);
      loadMm(cpu, d.r1, SLOT_MMS);
      v = x.u16[SLOT_MMS * 8 + (d.imm & 3)]!;
    } else {
      sseAvail(cpu);
      v = size === 1 ? x.u8[d.r1 * 16 + (d.imm & 15)]! : size === 2 ? x.u16[d.r1 * 8 + (d.imm & 7)]! : x.u32[d.r1 * 4 + (d.imm & 3)]!;
    }
    if (d.k0 === OpK.Gpr) {
      cpu.lo[d.r0] = v;
      cpu.hi[d.r0] = 0;
    } else {
      cpu.write(d.seg, ea(cpu, d), size, v);
    }
    if (d.k1 === OpK.Mmx) cpu.fpu.enterMmx();
  };
}

/** PEXTRQ r/m64, xmm, imm8. */
const pextrq: Handler = (cpu, d) => {
  sseAvail(cpu);
  const u = cpu.sse.u32;
  const a = d.r1 * 4 + (d.imm & 1) * 2;
  if (d.k0 === OpK.Gpr) {
    cpu.lo[d.r0] = u[a]!;
    cpu.hi[d.r0] = u[a + 1]!;
  } else {
    cpu.mem.writeLinPair(simdLinear(cpu, d, 8, true, false), u[a]!, u[a + 1]!, cpu.cpl === 3);
  }
};

/**
 * INSERTPS xmm1, xmm2/m32, imm8: dword imm[7:6] of xmm2 (or the m32) into lane imm[5:4], then the
 * lanes whose imm[3:0] bit is set are zeroed.
 */
const insertps: Handler = (cpu, d) => {
  sseAvail(cpu);
  const imm = d.imm;
  const s = xmmSrc32(cpu, d, d.k1, d.r1);
  const u = cpu.sse.u32;
  const v = u[s * 4 + (d.k1 === OpK.Xmm ? (imm >> 6) & 3 : 0)]!;
  const a = d.r0 * 4;
  u[a + ((imm >> 4) & 3)] = v;
  for (let i = 0; i < 4; i++) if (((imm >> i) & 1) !== 0) u[a + i] = 0;
};

export function registerInsExt(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Pinsrb, pinsr(1));
  m.set(Mnemonic.Pinsrw, pinsr(2));
  m.set(Mnemonic.Pinsrd, pinsr(4));
  m.set(Mnemonic.Pinsrq, pinsrq);
  m.set(Mnemonic.Pextrb, pextr(1));
  m.set(Mnemonic.Pextrw, pextr(2));
  m.set(Mnemonic.Pextrd, pextr(4));
  m.set(Mnemonic.Extractps, pextr(4));
  m.set(Mnemonic.Pextrq, pextrq);
  m.set(Mnemonic.Insertps, insertps);
}
