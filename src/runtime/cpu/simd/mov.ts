/**
 * SSE data movement on XMM registers: MOVAPS/APD/DQA (aligned), MOVUPS/UPD/DQU/LDDQU
 * (unaligned), MOVNTPS/PD/DQ/DQA (aligned non-temporal: caches are not modelled), MOVSS/MOVSD,
 * MOVHPS/LPS/HPD/LPD, MOVHLPS/LHPS, MOVDDUP/SHDUP/SLDUP, MOVMSKPS/PD, MASKMOVDQU, LDMXCSR/STMXCSR,
 * MOVNTI (a GPR store: no SSE state checks).
 */
import { Code, Mnemonic } from 'iced-x86';
import { OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { GuestFault, Vec } from '../fault.ts';
import { ea, getCounter } from '../core/operands.ts';
import { sseAvail } from './avail.ts';
import { storeM128, storeM64, xmmSrc128, xmmSrc64 } from './operands.ts';
import { MXCSR_MASK } from './state.ts';
import { Access } from '../../mmu/types.ts';

/** Full 128-bit moves: load (k0 = xmm) or store (k0 = mem). */
function move128(aligned: boolean): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    if (d.k0 === OpK.Xmm) {
      const s = xmmSrc128(cpu, d, d.k1, d.r1, aligned);
      cpu.sse.copy(d.r0, s);
    } else {
      storeM128(cpu, d, d.r1, aligned);
    }
  };
}

/** MOVSS: register form merges lane 0; the load zeroes lanes 1-3; the store writes lane 0. */
const movss: Handler = (cpu, d) => {
  sseAvail(cpu);
  const u = cpu.sse.u32;
  if (d.k0 === OpK.Mem) {
    cpu.write(d.seg, ea(cpu, d), 4, u[d.r1 * 4]!);
    return;
  }
  const a = d.r0 * 4;
  if (d.k1 === OpK.Xmm) {
    u[a] = u[d.r1 * 4]!;
    return;
  }
  const v = cpu.read(d.seg, ea(cpu, d), 4);
  u[a] = v;
  u[a + 1] = 0;
  u[a + 2] = 0;
  u[a + 3] = 0;
};

/** MOVSD (SSE2): as MOVSS with the low qword. */
const movsd: Handler = (cpu, d) => {
  sseAvail(cpu);
  const u = cpu.sse.u32;
  if (d.k0 === OpK.Mem) {
    storeM64(cpu, d, d.r1 * 4);
    return;
  }
  const a = d.r0 * 4;
  if (d.k1 === OpK.Xmm) {
    const b = d.r1 * 4;
    u[a] = u[b]!;
    u[a + 1] = u[b + 1]!;
    return;
  }
  const s = xmmSrc64(cpu, d, d.k1, d.r1) * 4;
  u[a] = u[s]!;
  u[a + 1] = u[s + 1]!;
  u[a + 2] = 0;
  u[a + 3] = 0;
};

/** MOVHPS/MOVHPD (high = 1) and MOVLPS/MOVLPD (high = 0): m64 ↔ one qword, the other kept. */
function moveHalf(high: boolean): Handler {
  const off = high ? 2 : 0;
  return (cpu, d) => {
    sseAvail(cpu);
    const u = cpu.sse.u32;
    if (d.k0 === OpK.Mem) {
      storeM64(cpu, d, d.r1 * 4 + off);
      return;
    }
    const s = xmmSrc64(cpu, d, d.k1, d.r1) * 4;
    const a = d.r0 * 4 + off;
    u[a] = u[s]!;
    u[a + 1] = u[s + 1]!;
  };
}

/** MOVHLPS (low ← src high) and MOVLHPS (high ← src low). */
function moveHl(toLow: boolean): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    const u = cpu.sse.u32;
    const a = d.r0 * 4 + (toLow ? 0 : 2);
    const b = d.r1 * 4 + (toLow ? 2 : 0);
    const x = u[b]!;
    const y = u[b + 1]!;
    u[a] = x;
    u[a + 1] = y;
  };
}

/** MOVDDUP: both qwords ← source low qword (xmm/m64). */
const movddup: Handler = (cpu, d) => {
  sseAvail(cpu);
  const u = cpu.sse.u32;
  const s = xmmSrc64(cpu, d, d.k1, d.r1) * 4;
  const lo = u[s]!;
  const hi = u[s + 1]!;
  const a = d.r0 * 4;
  u[a] = lo;
  u[a + 1] = hi;
  u[a + 2] = lo;
  u[a + 3] = hi;
};

/** MOVSHDUP (odd = 1) / MOVSLDUP (odd = 0): dword pairs ← the odd / even source dword. */
function moveDup(odd: number): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    const u = cpu.sse.u32;
    const s = xmmSrc128(cpu, d, d.k1, d.r1, true) * 4;
    const x = u[s + odd]!;
    const y = u[s + 2 + odd]!;
    const a = d.r0 * 4;
    u[a] = x;
    u[a + 1] = x;
    u[a + 2] = y;
    u[a + 3] = y;
  };
}

/** MOVMSKPS / MOVMSKPD: sign bits of the dwords / qwords into a GPR (zero-extended). */
function moveMask(lanes: 4 | 2): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    const u = cpu.sse.u32;
    const b = d.r1 * 4;
    const m = lanes === 4 ? (u[b]! >>> 31) | ((u[b + 1]! >>> 31) << 1) | ((u[b + 2]! >>> 31) << 2) | ((u[b + 3]! >>> 31) << 3) : (u[b + 1]! >>> 31) | ((u[b + 3]! >>> 31) << 1);
    cpu.setReg(d.r0, 4, m);
  };
}

/**
 * MASKMOVDQU xmm1, xmm2: the bytes of xmm1 whose mask byte (xmm2) has bit 7 set are stored at
 * DS:[rDI] (segment overridable, address size). Segmentation and every page of the 16 bytes are
 * checked before any byte is written; an all-zero mask stores nothing and faults on nothing
 * (the SDM leaves that implementation-specific; this is what AMD and recent Intel CPUs do).
 */
const maskmovdqu: Handler = (cpu, d) => {
  sseAvail(cpu);
  const b = cpu.sse.u8;
  const src = d.r1 * 16;
  const mask = d.r2 * 16;
  let any = 0;
  for (let i = 0; i < 16; i++) any |= b[mask + i]! & 0x80;
  if (any === 0) return;
  maskedStore(cpu, d, src, mask, 16);
};

/** MASKMOVDQU/MASKMOVQ's store of `n` bytes from byte index `src` under mask bytes at `mask`. */
export function maskedStore(cpu: Cpu, d: DecodedInsn, src: number, mask: number, n: number): void {
  const b = cpu.sse.u8;
  const off = getCounter(cpu, 7, d.addrSize);
  const lin = cpu.mem.linear(d.seg, off, n, true);
  const user = cpu.cpl === 3;
  cpu.mem.translate(lin, Access.Write, user);
  if (((lin & 0xfff) + n) > 0x1000) cpu.mem.translate(lin - (lin & 0xfff) + 0x1000, Access.Write, user);
  for (let i = 0; i < n; i++) if ((b[mask + i]! & 0x80) !== 0) cpu.mem.writeLin(lin + i, 1, b[src + i]!, user);
}

/** LDMXCSR m32: #GP(0) for a bit outside MXCSR_MASK. */
const ldmxcsr: Handler = (cpu, d) => {
  sseAvail(cpu);
  const v = cpu.read(d.seg, ea(cpu, d), 4);
  if ((v & ~MXCSR_MASK) !== 0) throw new GuestFault(Vec.GP, 0);
  cpu.sse.mxcsr = v;
};

const stmxcsr: Handler = (cpu, d) => {
  sseAvail(cpu);
  cpu.write(d.seg, ea(cpu, d), 4, cpu.sse.mxcsr);
};

/** MOVNTI m32/m64, r: a plain GPR store (SSE2; not affected by CR0/CR4). */
const movnti: Handler = (cpu, d) => {
  const off = ea(cpu, d);
  if (d.s0 === 8) {
    const lin = cpu.mem.linear(d.seg, off, 8, true);
    cpu.mem.writeLinPair(lin, cpu.lo[d.r1]!, cpu.hi[d.r1]!, cpu.cpl === 3);
  } else {
    cpu.write(d.seg, off, 4, cpu.lo[d.r1]!);
  }
};

export function registerMove(t: HandlerTable): void {
  const m = t.byMnemonic;
  for (const mn of [Mnemonic.Movaps, Mnemonic.Movapd, Mnemonic.Movdqa]) m.set(mn, move128(true));
  for (const mn of [Mnemonic.Movups, Mnemonic.Movupd, Mnemonic.Movdqu, Mnemonic.Lddqu]) m.set(mn, move128(false));
  for (const mn of [Mnemonic.Movntps, Mnemonic.Movntpd, Mnemonic.Movntdq, Mnemonic.Movntdqa]) m.set(mn, move128(true));
  m.set(Mnemonic.Movss, movss);
  t.byCode.set(Code.Movsd_xmm_xmmm64, movsd);
  t.byCode.set(Code.Movsd_xmmm64_xmm, movsd);
  m.set(Mnemonic.Movhps, moveHalf(true));
  m.set(Mnemonic.Movhpd, moveHalf(true));
  m.set(Mnemonic.Movlps, moveHalf(false));
  m.set(Mnemonic.Movlpd, moveHalf(false));
  m.set(Mnemonic.Movhlps, moveHl(true));
  m.set(Mnemonic.Movlhps, moveHl(false));
  m.set(Mnemonic.Movddup, movddup);
  m.set(Mnemonic.Movshdup, moveDup(1));
  m.set(Mnemonic.Movsldup, moveDup(0));
  m.set(Mnemonic.Movmskps, moveMask(4));
  m.set(Mnemonic.Movmskpd, moveMask(2));
  m.set(Mnemonic.Maskmovdqu, maskmovdqu);
  m.set(Mnemonic.Ldmxcsr, ldmxcsr);
  m.set(Mnemonic.Stmxcsr, stmxcsr);
  m.set(Mnemonic.Movnti, movnti);
}
