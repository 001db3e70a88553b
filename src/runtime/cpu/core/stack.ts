/**
 * Stack instructions: push pop (register, memory, immediate, segment-register push) pushf popf
 * pusha popa enter leave. Operand size: 64-bit mode 8 (2 with 0x66), otherwise the operand-size
 * attribute; the stack-pointer width follows SS.B (cpu.stackSize).
 */
import { Mnemonic } from 'iced-x86';
import { Vec } from '../fault.ts';
import { Flag, Seg } from '../state.ts';
import { OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { ea } from './operands.ts';

/** Operand size of a stack operation. */
export function stackOpSize(cpu: Cpu, d: DecodedInsn): number {
  if (cpu.mode64) return d.osz === 2 ? 2 : 8;
  return d.osz;
}

/** Push 8 bytes given as dwords. */
export function push8(cpu: Cpu, lo: number, hi: number): void {
  const sp = cpu.getSp() - 8;
  const lin = cpu.mem.linear(Seg.SS, sp, 8, true);
  cpu.mem.writeLinPair(lin, lo, hi, cpu.cpl === 3);
  cpu.setSp(sp);
}

/** Pop 8 bytes: returns the low dword, the high one in cpu.mem.pairHi. */
export function pop8(cpu: Cpu): number {
  const sp = cpu.getSp();
  const lin = cpu.mem.linear(Seg.SS, sp, 8, false);
  const lo = cpu.mem.readLinPair(lin, cpu.cpl === 3);
  cpu.setSp(sp + 8);
  return lo;
}

/** Push a value of `size` (2, 4 or 8: then `hi` is the high dword). */
export function pushSized(cpu: Cpu, size: number, lo: number, hi: number): void {
  if (size === 8) push8(cpu, lo, hi);
  else cpu.push(lo, size);
}

const push: Handler = (cpu, d) => {
  const size = stackOpSize(cpu, d);
  let lo: number;
  let hi = 0;
  if (d.k0 === OpK.Gpr) {
    lo = cpu.lo[d.r0]!;
    hi = cpu.hi[d.r0]!;
  } else if (d.k0 === OpK.Imm) {
    lo = d.imm;
    hi = d.immHi;
  } else if (d.k0 === OpK.SegReg) {
    lo = cpu.seg[d.r0]!.selector;
  } else {
    const addr = ea(cpu, d);
    if (size === 8) {
      const v = cpu.read64(d.seg, addr);
      lo = Number(v & 0xffffffffn);
      hi = Number(v >> 32n);
    } else {
      lo = cpu.read(d.seg, addr, size);
    }
  }
  if (size === 2) lo &= 0xffff;
  pushSized(cpu, size, lo, hi);
};

const pop: Handler = (cpu, d) => {
  if (d.k0 === OpK.SegReg) cpu.unsupported('Pop(sreg)'); // system side (segment load)
  const size = stackOpSize(cpu, d);
  const sp = cpu.getSp();
  let lo: number;
  let hi = 0;
  if (size === 8) {
    lo = pop8(cpu);
    hi = cpu.mem.pairHi;
  } else {
    lo = cpu.pop(size);
  }
  if (d.k0 === OpK.Gpr) {
    if (size === 8) {
      cpu.lo[d.r0] = lo;
      cpu.hi[d.r0] = hi;
    } else {
      cpu.setReg(d.r0, size, lo);
    }
    return;
  }
  // Memory destination: the address is computed after SP is incremented; undo SP on a fault.
  try {
    const addr = ea(cpu, d);
    if (size === 8) cpu.write64(d.seg, addr, (BigInt(hi) << 32n) | BigInt(lo));
    else cpu.write(d.seg, addr, size, lo);
  } catch (e) {
    cpu.setSp(sp);
    throw e;
  }
};

/** Flags changeable by POPF at CPL 0 (VM, VIF, VIP are never changed by POPF; RF is cleared). */
const POPF_BASE =
  Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT | Flag.AC | Flag.ID;

const pushf: Handler = (cpu, d) => {
  if ((cpu.flags & Flag.VM) !== 0 && cpu.protectedMode && cpu.iopl !== 3) cpu.raise(Vec.GP, 0);
  const size = stackOpSize(cpu, d);
  const image = cpu.getFlags() & ~(Flag.VM | Flag.RF);
  pushSized(cpu, size, size === 2 ? image & 0xffff : image, 0);
};

const popf: Handler = (cpu, d) => {
  const v86 = cpu.protectedMode && (cpu.flags & Flag.VM) !== 0;
  if (v86 && cpu.iopl !== 3) cpu.raise(Vec.GP, 0);
  const size = stackOpSize(cpu, d);
  const value = size === 8 ? pop8(cpu) : cpu.pop(size);
  let mask = POPF_BASE;
  if (!cpu.protectedMode || (!v86 && cpu.cpl === 0)) mask |= Flag.IF | Flag.IOPL;
  else if (v86 || cpu.cpl <= cpu.iopl) mask |= Flag.IF;
  if (size === 2) mask &= 0xffff;
  cpu.setFlags(((cpu.flags & ~mask) | (value & mask)) & ~Flag.RF);
};

const pusha: Handler = (cpu, d) => {
  const size = d.osz === 2 ? 2 : 4;
  const spOld = cpu.getSp();
  // Probe the whole frame first so a fault leaves SP and memory as they were.
  const low = cpu.stackSize === 4 ? (spOld - 8 * size) >>> 0 : (spOld - 8 * size) & 0xffff;
  cpu.mem.linear(Seg.SS, low, 8 * size, true);
  const vals = [0, 1, 2, 3, 4, 5, 6, 7].map((r) => (r === 4 ? spOld : cpu.lo[r]!));
  try {
    for (let r = 0; r < 8; r++) cpu.push(vals[r]! & (size === 2 ? 0xffff : 0xffffffff), size);
  } catch (e) {
    cpu.setSp(spOld);
    throw e;
  }
};

const popa: Handler = (cpu, d) => {
  const size = d.osz === 2 ? 2 : 4;
  const vals: number[] = [];
  for (let i = 0; i < 8; i++) vals.push(cpu.peek(i * size, size));
  for (let i = 0; i < 8; i++) {
    const r = 7 - i;
    if (r !== 4) cpu.setReg(r, size, vals[i]!);
  }
  cpu.setSp(cpu.stackSize === 4 ? (cpu.getSp() + 8 * size) >>> 0 : (cpu.getSp() + 8 * size) & 0xffff);
};

function getBp(cpu: Cpu): number {
  if (cpu.stackSize === 8) return cpu.getRegNum64(5);
  return cpu.stackSize === 4 ? cpu.lo[5]! : cpu.lo[5]! & 0xffff;
}

function setBp(cpu: Cpu, v: number, opSize: number): void {
  if (opSize === 8) {
    cpu.lo[5] = v >>> 0;
    cpu.hi[5] = Math.floor(v / 0x100000000) >>> 0;
  } else {
    cpu.setReg(5, opSize, opSize === 2 ? v & 0xffff : v >>> 0);
  }
}

const enter: Handler = (cpu, d) => {
  const size = stackOpSize(cpu, d);
  const alloc = d.imm & 0xffff;
  const level = d.imm2 & 31;
  const sp0 = cpu.getSp();
  const bp0 = { lo: cpu.lo[5]!, hi: cpu.hi[5]! };
  try {
    pushSized(cpu, size, cpu.lo[5]!, cpu.hi[5]!);
    const frame = cpu.getSp();
    if (level > 0) {
      let bp = getBp(cpu);
      for (let i = 1; i < level; i++) {
        bp = cpu.stackSize === 8 ? bp - size : cpu.stackSize === 4 ? (bp - size) >>> 0 : (bp - size) & 0xffff;
        if (size === 8) {
          const v = cpu.read64(Seg.SS, bp);
          push8(cpu, Number(v & 0xffffffffn), Number(v >> 32n));
        } else {
          cpu.push(cpu.read(Seg.SS, bp, size), size);
        }
      }
      pushSized(cpu, size, frame >>> 0, Math.floor(frame / 0x100000000) >>> 0);
    }
    const newSp = cpu.getSp() - alloc;
    const spAfter = cpu.stackSize === 8 ? newSp : cpu.stackSize === 4 ? newSp >>> 0 : newSp & 0xffff;
    setBp(cpu, frame, size);
    cpu.setSp(spAfter);
  } catch (e) {
    cpu.setSp(sp0);
    cpu.lo[5] = bp0.lo;
    cpu.hi[5] = bp0.hi;
    throw e;
  }
};

const leave: Handler = (cpu, d) => {
  const size = stackOpSize(cpu, d);
  const bp = getBp(cpu);
  const v = size === 8 ? cpu.read64(Seg.SS, bp) : BigInt(cpu.read(Seg.SS, bp, size));
  cpu.setSp(bp);
  cpu.setSp(cpu.stackSize === 8 ? bp + size : cpu.stackSize === 4 ? (bp + size) >>> 0 : (bp + size) & 0xffff);
  if (size === 8) cpu.setReg64(5, v);
  else cpu.setReg(5, size, Number(v));
};

export function registerStack(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Push, push);
  m.set(Mnemonic.Pop, pop);
  m.set(Mnemonic.Pushf, pushf);
  m.set(Mnemonic.Pushfd, pushf);
  m.set(Mnemonic.Pushfq, pushf);
  m.set(Mnemonic.Popf, popf);
  m.set(Mnemonic.Popfd, popf);
  m.set(Mnemonic.Popfq, popf);
  m.set(Mnemonic.Pusha, pusha);
  m.set(Mnemonic.Pushad, pusha);
  m.set(Mnemonic.Popa, popa);
  m.set(Mnemonic.Popad, popa);
  m.set(Mnemonic.Enter, enter);
  m.set(Mnemonic.Leave, leave);
}
