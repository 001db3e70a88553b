/**
 * Moves between GPRs/memory and MMX/XMM registers and between MMX and XMM: MOVD/MOVQ (every
 * form: r/m32, r/m64, mm, xmm), MOVQ2DQ, MOVDQ2Q, MOVNTQ, MASKMOVQ, PMOVMSKB, EMMS. Every MMX
 * instruction except EMMS leaves TOP = 0 and all x87 tags valid (mmx.ts).
 */
import { Mnemonic } from 'iced-x86';
import { OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Cr0 } from '../state.ts';
import { ea } from '../core/operands.ts';
import { sseAvail } from './avail.ts';
import { loadMm, mmxCheck } from './mmx.ts';
import { maskedStore } from './mov.ts';
import { simdLinear, storeM64 } from './operands.ts';
import { SLOT_MMD, SLOT_MMS } from './state.ts';

/** The 8-byte source value of a MOVD/MOVQ (zero-extended from 4 bytes), in valLo/valHi. */
let valLo = 0;
let valHi = 0;

function source(cpu: Cpu, d: DecodedInsn): void {
  const k = d.k1;
  const r = d.r1;
  if (k === OpK.Gpr) {
    valLo = cpu.lo[r]!;
    valHi = d.s1 === 8 ? cpu.hi[r]! : 0;
  } else if (k === OpK.Mem) {
    if (d.s1 === 8) {
      valLo = cpu.mem.readLinPair(simdLinear(cpu, d, 8, false, false), cpu.cpl === 3);
      valHi = cpu.mem.pairHi;
    } else {
      valLo = cpu.read(d.seg, ea(cpu, d), 4);
      valHi = 0;
    }
  } else if (k === OpK.Xmm) {
    valLo = cpu.sse.u32[r * 4]!;
    valHi = cpu.sse.u32[r * 4 + 1]!;
  } else {
    valLo = cpu.fpu.readMmxLo(r);
    valHi = cpu.fpu.readMmxHi(r);
  }
}

/** MOVD / MOVQ, all directions. */
const movdq: Handler = (cpu, d) => {
  const mmx = d.k0 === OpK.Mmx || d.k1 === OpK.Mmx;
  if (mmx) mmxCheck(cpu);
  else sseAvail(cpu);
  source(cpu, d);
  const k = d.k0;
  const r = d.r0;
  if (k === OpK.Xmm) {
    cpu.sse.setDwords(r, valLo, valHi, 0, 0);
  } else if (k === OpK.Mmx) {
    cpu.fpu.writeMmx(r, valLo, valHi);
  } else if (k === OpK.Gpr) {
    cpu.lo[r] = valLo;
    cpu.hi[r] = d.s0 === 8 ? valHi : 0;
  } else if (d.s0 === 8) {
    cpu.mem.writeLinPair(simdLinear(cpu, d, 8, true, false), valLo, valHi, cpu.cpl === 3);
  } else {
    cpu.write(d.seg, ea(cpu, d), 4, valLo);
  }
  if (mmx && k !== OpK.Mmx) cpu.fpu.enterMmx();
};

/** SSE2 forms that name both an MMX and an XMM register: SSE checks, then #MF for a pending x87 error. */
function sseMmxCheck(cpu: Cpu): void {
  sseAvail(cpu);
  if (cpu.fpu.pendingUnmasked() && (cpu.hw.cr0Lo & Cr0.NE) !== 0) throw new GuestFault(Vec.MF);
}

/** MOVQ2DQ xmm, mm: xmm ← zero-extended mm. */
const movq2dq: Handler = (cpu, d) => {
  sseMmxCheck(cpu);
  cpu.sse.setDwords(d.r0, cpu.fpu.readMmxLo(d.r1), cpu.fpu.readMmxHi(d.r1), 0, 0);
  cpu.fpu.enterMmx();
};

/** MOVDQ2Q mm, xmm: mm ← low qword of xmm. */
const movdq2q: Handler = (cpu, d) => {
  sseMmxCheck(cpu);
  const u = cpu.sse.u32;
  cpu.fpu.writeMmx(d.r0, u[d.r1 * 4]!, u[d.r1 * 4 + 1]!);
};

/** MOVNTQ m64, mm. */
const movntq: Handler = (cpu, d) => {
  mmxCheck(cpu);
  loadMm(cpu, d.r1, SLOT_MMS);
  storeM64(cpu, d, SLOT_MMS * 4);
  cpu.fpu.enterMmx();
};

/** MASKMOVQ mm1, mm2: the bytes of mm1 whose mm2 byte has bit 7 set, to DS:[rDI]. */
const maskmovq: Handler = (cpu, d) => {
  mmxCheck(cpu);
  loadMm(cpu, d.r1, SLOT_MMD);
  loadMm(cpu, d.r2, SLOT_MMS);
  const b = cpu.sse.u8;
  let any = 0;
  for (let i = 0; i < 8; i++) any |= b[SLOT_MMS * 16 + i]! & 0x80;
  if (any !== 0) maskedStore(cpu, d, SLOT_MMD * 16, SLOT_MMS * 16, 8);
  cpu.fpu.enterMmx();
};

/** PMOVMSKB r32/r64, mm/xmm: the byte sign bits, zero-extended. */
const pmovmskb: Handler = (cpu, d) => {
  const b = cpu.sse.u8;
  let n = 16;
  let base = d.r1 * 16;
  if (d.k1 === OpK.Mmx) {
    mmxCheck(cpu);
    loadMm(cpu, d.r1, SLOT_MMS);
    n = 8;
    base = SLOT_MMS * 16;
  } else {
    sseAvail(cpu);
  }
  let m = 0;
  for (let i = 0; i < n; i++) m |= (b[base + i]! >>> 7) << i;
  cpu.setReg(d.r0, 4, m);
  if (n === 8) cpu.fpu.enterMmx();
};

/** EMMS: all x87 tags empty. */
const emms: Handler = (cpu) => {
  mmxCheck(cpu);
  cpu.fpu.emms();
};

export function registerMovd(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Movd, movdq);
  m.set(Mnemonic.Movq, movdq);
  m.set(Mnemonic.Movq2dq, movq2dq);
  m.set(Mnemonic.Movdq2q, movdq2q);
  m.set(Mnemonic.Movntq, movntq);
  m.set(Mnemonic.Maskmovq, maskmovq);
  m.set(Mnemonic.Pmovmskb, pmovmskb);
  m.set(Mnemonic.Emms, emms);
}
