/**
 * Data movement and small miscellaneous instructions: mov movzx movsx movsxd lea xchg xadd
 * cmpxchg cmpxchg8b cmpxchg16b bswap cbw/cwde/cdqe cwd/cdq/cqo setcc cmovcc lahf sahf xlat
 * flag instructions (clc stc cmc cld std cli sti) nop/pause/fences ud2.
 */
import { Mnemonic } from 'iced-x86';
import { Vec } from '../fault.ts';
import { Flag, Seg } from '../state.ts';
import { BASE_RIP, OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { addFlags, addFlags64, commitFlags, cond, MASK, subFlags, subFlags64 } from './flags.ts';
import { ea, getCounter, memAddr, rd, rd64, sext, wr, wr64 } from './operands.ts';

const mov: Handler = (cpu, d) => {
  const addr = memAddr(cpu, d);
  if (d.k1 === OpK.SegReg) {
    // MOV r/m, Sreg: memory destination is always 16 bits; a register gets the selector zero-extended.
    const sel = cpu.seg[d.r1]!.selector;
    if (d.k0 === OpK.Gpr) cpu.setReg(d.r0, d.s0 === 8 ? 4 : d.s0, sel);
    else cpu.write(d.seg, addr, 2, sel);
    return;
  }
  if (d.k0 === OpK.SegReg || d.k0 === OpK.Cr || d.k0 === OpK.Dr || d.k1 === OpK.Cr || d.k1 === OpK.Dr) {
    cpu.unsupported('Mov(system)'); // system handlers own these forms (registered by Code)
  }
  const s = d.opSize;
  if (s === 8) wr64(cpu, d, d.k0, d.r0, addr, rd64(cpu, d, d.k1, d.r1, addr));
  else wr(cpu, d, d.k0, d.r0, s, addr, rd(cpu, d, d.k1, d.r1, s, addr));
};

const movzx: Handler = (cpu, d) => {
  const addr = memAddr(cpu, d);
  const v = rd(cpu, d, d.k1, d.r1, d.s1, addr);
  cpu.setReg(d.r0, d.s0 === 8 ? 4 : d.s0, v);
};

const movsx: Handler = (cpu, d) => {
  const addr = memAddr(cpu, d);
  const v = sext(rd(cpu, d, d.k1, d.r1, d.s1, addr), d.s1);
  if (d.s0 === 8) {
    cpu.lo[d.r0] = v >>> 0;
    cpu.hi[d.r0] = v < 0 ? 0xffffffff : 0;
  } else {
    cpu.setReg(d.r0, d.s0, v & MASK[d.s0]!);
  }
};

/** 64-bit effective address as an exact BigInt (LEA with 64-bit addressing). */
function ea64(cpu: Cpu, d: DecodedInsn): bigint {
  let a = BigInt(d.disp);
  if (d.base === BASE_RIP) a += BigInt(cpu.nextIp);
  else if (d.base >= 0) a += cpu.getReg64(d.base);
  if (d.index >= 0) a += cpu.getReg64(d.index) * BigInt(d.scale);
  return BigInt.asUintN(64, a);
}

const lea: Handler = (cpu, d) => {
  if (d.k1 !== OpK.Mem) cpu.raise(Vec.UD);
  if (d.addrSize === 8) {
    const a = ea64(cpu, d);
    if (d.s0 === 8) cpu.setReg64(d.r0, a);
    else cpu.setReg(d.r0, d.s0, Number(a & 0xffffffffn) & MASK[d.s0]!);
  } else {
    const a = ea(cpu, d);
    if (d.s0 === 8) cpu.setReg(d.r0, 4, a);
    else cpu.setReg(d.r0, d.s0, a & MASK[d.s0]!);
  }
};

const xchg: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const a = rd64(cpu, d, d.k0, d.r0, addr);
    const b = rd64(cpu, d, d.k1, d.r1, addr);
    wr64(cpu, d, d.k0, d.r0, addr, b);
    wr64(cpu, d, d.k1, d.r1, addr, a);
  } else {
    const a = rd(cpu, d, d.k0, d.r0, s, addr);
    const b = rd(cpu, d, d.k1, d.r1, s, addr);
    wr(cpu, d, d.k0, d.r0, s, addr, b);
    wr(cpu, d, d.k1, d.r1, s, addr, a);
  }
};

const xadd: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const a = rd64(cpu, d, d.k0, d.r0, addr);
    const b = rd64(cpu, d, d.k1, d.r1, addr);
    const r = addFlags64(a, b, 0);
    // SRC <- DEST then DEST <- SUM (so XADD r,r with one register keeps the sum); a memory
    // destination is written first so a faulting store changes nothing.
    if (d.k0 === OpK.Mem) wr64(cpu, d, d.k0, d.r0, addr, r);
    cpu.setReg64(d.r1, a);
    if (d.k0 !== OpK.Mem) wr64(cpu, d, d.k0, d.r0, addr, r);
  } else {
    const a = rd(cpu, d, d.k0, d.r0, s, addr);
    const b = rd(cpu, d, d.k1, d.r1, s, addr);
    const r = addFlags(a, b, 0, s);
    if (d.k0 === OpK.Mem) wr(cpu, d, d.k0, d.r0, s, addr, r);
    cpu.setReg(d.r1, s, a);
    if (d.k0 !== OpK.Mem) wr(cpu, d, d.k0, d.r0, s, addr, r);
  }
  commitFlags(cpu);
};

const cmpxchg: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const dest = rd64(cpu, d, d.k0, d.r0, addr);
    const acc = cpu.getReg64(0);
    subFlags64(acc, dest, 0);
    if (acc === dest) wr64(cpu, d, d.k0, d.r0, addr, cpu.getReg64(d.r1));
    else {
      if (d.k0 === OpK.Mem) wr64(cpu, d, d.k0, d.r0, addr, dest);
      cpu.setReg64(0, dest);
    }
  } else {
    const dest = rd(cpu, d, d.k0, d.r0, s, addr);
    const acc = cpu.getReg(0, s);
    subFlags(acc, dest, 0, s);
    if (acc === dest) wr(cpu, d, d.k0, d.r0, s, addr, cpu.getReg(d.r1, s));
    else {
      if (d.k0 === OpK.Mem) wr(cpu, d, d.k0, d.r0, s, addr, dest);
      cpu.setReg(0, s, dest);
    }
  }
  commitFlags(cpu);
};

const cmpxchg8b: Handler = (cpu, d) => {
  if (d.k0 !== OpK.Mem) cpu.raise(Vec.UD);
  const addr = ea(cpu, d);
  const lo = cpu.read(d.seg, addr, 4);
  const hi = cpu.read(d.seg, addr + 4, 4);
  if (lo === cpu.lo[0] && hi === cpu.lo[2]) {
    cpu.write(d.seg, addr, 4, cpu.lo[3]!);
    cpu.write(d.seg, addr + 4, 4, cpu.lo[1]!);
    cpu.flags |= Flag.ZF;
  } else {
    cpu.write(d.seg, addr, 4, lo);
    cpu.write(d.seg, addr + 4, 4, hi);
    cpu.setReg(0, 4, lo);
    cpu.setReg(2, 4, hi);
    cpu.flags &= ~Flag.ZF;
  }
};

const cmpxchg16b: Handler = (cpu, d) => {
  if (d.k0 !== OpK.Mem) cpu.raise(Vec.UD);
  const addr = ea(cpu, d);
  if ((addr & 15) !== 0) cpu.raise(Vec.GP, 0);
  const lo = cpu.read64(d.seg, addr);
  const hi = cpu.read64(d.seg, addr + 8);
  if (lo === cpu.getReg64(0) && hi === cpu.getReg64(2)) {
    cpu.write64(d.seg, addr, cpu.getReg64(3));
    cpu.write64(d.seg, addr + 8, cpu.getReg64(1));
    cpu.flags |= Flag.ZF;
  } else {
    cpu.write64(d.seg, addr, lo);
    cpu.write64(d.seg, addr + 8, hi);
    cpu.setReg64(0, lo);
    cpu.setReg64(2, hi);
    cpu.flags &= ~Flag.ZF;
  }
};

const bswap: Handler = (cpu, d) => {
  const r = d.r0;
  if (d.s0 === 8) {
    const lo = cpu.lo[r]!;
    const hi = cpu.hi[r]!;
    cpu.lo[r] = swap32(hi);
    cpu.hi[r] = swap32(lo);
  } else if (d.s0 === 4) {
    cpu.setReg(r, 4, swap32(cpu.lo[r]!));
  } else {
    cpu.setReg(r, 2, 0); // undefined for 16-bit operands; zero as current processors do
  }
};

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** CBW / CWDE / CDQE. */
const cbwFamily = (size: number): Handler => (cpu) => {
  if (size === 2) cpu.setReg(0, 2, sext(cpu.lo[0]! & 0xff, 1) & 0xffff);
  else if (size === 4) cpu.setReg(0, 4, sext(cpu.lo[0]! & 0xffff, 2) >>> 0);
  else cpu.hi[0] = (cpu.lo[0]! & 0x80000000) !== 0 ? 0xffffffff : 0;
};

/** CWD / CDQ / CQO. */
const cwdFamily = (size: number): Handler => (cpu) => {
  if (size === 2) cpu.setReg(2, 2, (cpu.lo[0]! & 0x8000) !== 0 ? 0xffff : 0);
  else if (size === 4) cpu.setReg(2, 4, (cpu.lo[0]! & 0x80000000) !== 0 ? 0xffffffff : 0);
  else {
    const v = (cpu.hi[0]! & 0x80000000) !== 0 ? 0xffffffff : 0;
    cpu.lo[2] = v;
    cpu.hi[2] = v;
  }
};

const setcc: Handler = (cpu, d) => {
  const addr = memAddr(cpu, d);
  wr(cpu, d, d.k0, d.r0, 1, addr, cond(cpu.flags, d.cond) ? 1 : 0);
};

const cmovcc: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  if (s === 8) {
    const v = rd64(cpu, d, d.k1, d.r1, addr);
    if (cond(cpu.flags, d.cond)) cpu.setReg64(d.r0, v);
  } else {
    const v = rd(cpu, d, d.k1, d.r1, s, addr);
    if (cond(cpu.flags, d.cond)) cpu.setReg(d.r0, s, v);
    else if (s === 4) cpu.hi[d.r0] = 0; // a 32-bit destination is zero-extended even when not moved
  }
};

const LAHF_MASK = Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF;

const lahf: Handler = (cpu) => cpu.setReg(16, 1, (cpu.flags & LAHF_MASK) | Flag.FIXED1);
const sahf: Handler = (cpu) => {
  cpu.flags = (cpu.flags & ~LAHF_MASK) | (cpu.getReg(16, 1) & LAHF_MASK);
};

const xlat: Handler = (cpu, d) => {
  const asz = d.addrSize;
  const bx = getCounter(cpu, 3, asz);
  let off = bx + (cpu.lo[0]! & 0xff);
  off = asz === 2 ? off & 0xffff : asz === 4 ? off >>> 0 : off;
  const seg = d.segPrefix >= 0 ? d.segPrefix : Seg.DS;
  cpu.setReg(0, 1, cpu.read(seg, asz === 8 ? cpu.getRegNum64(3) + (cpu.lo[0]! & 0xff) : off, 1));
};

function flagOp(fn: (f: number) => number): Handler {
  return (cpu) => {
    cpu.flags = fn(cpu.flags);
  };
}

/** CLI/STI: protected mode needs CPL <= IOPL (v86: IOPL = 3); else #GP(0). */
function ifCheck(cpu: Cpu): void {
  if (!cpu.protectedMode) return;
  if ((cpu.flags & Flag.VM) !== 0 ? cpu.iopl !== 3 : cpu.cpl > cpu.iopl) cpu.raise(Vec.GP, 0);
}

const cli: Handler = (cpu) => {
  ifCheck(cpu);
  cpu.flags &= ~Flag.IF;
};

const sti: Handler = (cpu) => {
  ifCheck(cpu);
  if ((cpu.flags & Flag.IF) === 0) {
    cpu.interruptShadow = true;
    if (cpu.waitingForIf) cpu.ifRaised();
  }
  cpu.flags |= Flag.IF;
};

const nop: Handler = () => undefined;

/** BOUND r, m: #BR unless lower <= index <= upper (signed, operand size 2 or 4). */
const bound: Handler = (cpu, d) => {
  const s = d.s0;
  const addr = ea(cpu, d);
  const idx = sext(cpu.getReg(d.r0, s), s);
  const lower = sext(cpu.read(d.seg, addr, s), s);
  const upper = sext(cpu.read(d.seg, d.addrSize === 2 ? (addr + s) & 0xffff : (addr + s) >>> 0, s), s);
  if (idx < lower || idx > upper) cpu.raise(Vec.BR);
};
const ud: Handler = (cpu) => cpu.raise(Vec.UD);

export function registerData(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Mov, mov);
  m.set(Mnemonic.Movzx, movzx);
  m.set(Mnemonic.Movsx, movsx);
  m.set(Mnemonic.Movsxd, movsx);
  m.set(Mnemonic.Lea, lea);
  m.set(Mnemonic.Xchg, xchg);
  m.set(Mnemonic.Xadd, xadd);
  m.set(Mnemonic.Cmpxchg, cmpxchg);
  m.set(Mnemonic.Cmpxchg8b, cmpxchg8b);
  m.set(Mnemonic.Cmpxchg16b, cmpxchg16b);
  m.set(Mnemonic.Bswap, bswap);
  m.set(Mnemonic.Cbw, cbwFamily(2));
  m.set(Mnemonic.Cwde, cbwFamily(4));
  m.set(Mnemonic.Cdqe, cbwFamily(8));
  m.set(Mnemonic.Cwd, cwdFamily(2));
  m.set(Mnemonic.Cdq, cwdFamily(4));
  m.set(Mnemonic.Cqo, cwdFamily(8));
  for (const mn of [Mnemonic.Seto, Mnemonic.Setno, Mnemonic.Setb, Mnemonic.Setae, Mnemonic.Sete, Mnemonic.Setne, Mnemonic.Setbe, Mnemonic.Seta, Mnemonic.Sets, Mnemonic.Setns, Mnemonic.Setp, Mnemonic.Setnp, Mnemonic.Setl, Mnemonic.Setge, Mnemonic.Setle, Mnemonic.Setg]) {
    m.set(mn, setcc);
  }
  for (const mn of [Mnemonic.Cmovo, Mnemonic.Cmovno, Mnemonic.Cmovb, Mnemonic.Cmovae, Mnemonic.Cmove, Mnemonic.Cmovne, Mnemonic.Cmovbe, Mnemonic.Cmova, Mnemonic.Cmovs, Mnemonic.Cmovns, Mnemonic.Cmovp, Mnemonic.Cmovnp, Mnemonic.Cmovl, Mnemonic.Cmovge, Mnemonic.Cmovle, Mnemonic.Cmovg]) {
    m.set(mn, cmovcc);
  }
  m.set(Mnemonic.Lahf, lahf);
  m.set(Mnemonic.Sahf, sahf);
  m.set(Mnemonic.Xlatb, xlat);
  m.set(Mnemonic.Clc, flagOp((f) => f & ~Flag.CF));
  m.set(Mnemonic.Stc, flagOp((f) => f | Flag.CF));
  m.set(Mnemonic.Cmc, flagOp((f) => f ^ Flag.CF));
  m.set(Mnemonic.Cld, flagOp((f) => f & ~Flag.DF));
  m.set(Mnemonic.Std, flagOp((f) => f | Flag.DF));
  m.set(Mnemonic.Cli, cli);
  m.set(Mnemonic.Sti, sti);
  for (const mn of [Mnemonic.Nop, Mnemonic.Pause, Mnemonic.Endbr32, Mnemonic.Endbr64, Mnemonic.Lfence, Mnemonic.Mfence, Mnemonic.Sfence, Mnemonic.Prefetchnta, Mnemonic.Prefetcht0, Mnemonic.Prefetcht1, Mnemonic.Prefetcht2, Mnemonic.Prefetchw]) {
    m.set(mn, nop);
  }
  for (const mn of [Mnemonic.Clflush, Mnemonic.Clflushopt, Mnemonic.Clwb]) m.set(mn, nop);
  m.set(Mnemonic.Bound, bound);
  m.set(Mnemonic.Ud2, ud);
  m.set(Mnemonic.Ud0, ud);
  m.set(Mnemonic.Ud1, ud);
}
