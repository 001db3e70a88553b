/**
 * Bit instructions: bt bts btr btc (register and immediate bit offsets; a register offset into
 * memory addresses the bit string relative to the operand), bsf bsr (source 0: ZF = 1 and the
 * destination is left unchanged), tzcnt lzcnt popcnt.
 */
import { Mnemonic } from 'iced-x86';
import { Flag } from '../state.ts';
import { OpK, type Handler, type HandlerTable } from '../decoded.ts';
import { M64 } from './flags.ts';
import { memAddr, rd, rd64, sext, wr, wr64 } from './operands.ts';

const enum B {
  Test,
  Set,
  Reset,
  Complement,
}

function btHandler(kind: B): Handler {
  return (cpu, d) => {
    const s = d.opSize;
    const bits = s * 8;
    let addr = memAddr(cpu, d);
    let bit: number;
    if (d.k1 === OpK.Imm) {
      bit = d.imm & (bits - 1);
    } else if (d.k0 === OpK.Mem) {
      // Register bit offset into a bit string: signed, may address outside the operand.
      const off = s === 8 ? cpu.getRegNum64(d.r1) : sext(cpu.getReg(d.r1, s), s);
      const unit = Math.floor(off / bits);
      addr += unit * s;
      if (d.addrSize === 4) addr >>>= 0;
      else if (d.addrSize === 2) addr &= 0xffff;
      bit = off - unit * bits;
    } else {
      bit = cpu.getReg(d.r1, s === 8 ? 4 : s) & (bits - 1);
    }
    if (s === 8) {
      const v = rd64(cpu, d, d.k0, d.r0, addr);
      const mask = 1n << BigInt(bit);
      const set = (v & mask) !== 0n;
      if (kind !== B.Test) {
        const nv = kind === B.Set ? v | mask : kind === B.Reset ? v & ~mask & M64 : v ^ mask;
        wr64(cpu, d, d.k0, d.r0, addr, nv);
      }
      cpu.flags = set ? cpu.flags | Flag.CF : cpu.flags & ~Flag.CF;
      return;
    }
    const v = rd(cpu, d, d.k0, d.r0, s, addr);
    const mask = (1 << bit) >>> 0;
    const set = (v & mask) !== 0;
    if (kind !== B.Test) {
      const nv = kind === B.Set ? v | mask : kind === B.Reset ? v & ~mask : v ^ mask;
      wr(cpu, d, d.k0, d.r0, s, addr, nv >>> 0);
    }
    cpu.flags = set ? cpu.flags | Flag.CF : cpu.flags & ~Flag.CF;
  };
}

function scan(reverse: boolean): Handler {
  return (cpu, d) => {
    const s = d.opSize;
    const addr = memAddr(cpu, d);
    let idx = -1;
    if (s === 8) {
      const v = rd64(cpu, d, d.k1, d.r1, addr);
      if (v !== 0n) {
        const hi = Number(v >> 32n);
        const lo = Number(v & 0xffffffffn);
        if (reverse) idx = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
        else idx = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 63 - Math.clz32(hi & -hi);
      }
    } else {
      const v = rd(cpu, d, d.k1, d.r1, s, addr);
      if (v !== 0) idx = reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
    }
    if (idx < 0) {
      cpu.flags |= Flag.ZF;
      return;
    }
    cpu.flags &= ~Flag.ZF;
    if (s === 8) cpu.setReg64(d.r0, BigInt(idx));
    else cpu.setReg(d.r0, s, idx);
  };
}

/** TZCNT/LZCNT: count, CF = source was 0, ZF = result is 0. */
function count(leading: boolean): Handler {
  return (cpu, d) => {
    const s = d.opSize;
    const addr = memAddr(cpu, d);
    const bits = s * 8;
    let n: number;
    if (s === 8) {
      const v = rd64(cpu, d, d.k1, d.r1, addr);
      const hi = Number(v >> 32n);
      const lo = Number(v & 0xffffffffn);
      if (leading) n = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
      else n = lo !== 0 ? 31 - Math.clz32(lo & -lo) : hi !== 0 ? 63 - Math.clz32(hi & -hi) : 64;
      cpu.setReg64(d.r0, BigInt(n));
    } else {
      const v = rd(cpu, d, d.k1, d.r1, s, addr);
      if (leading) n = Math.clz32(v) - (32 - bits);
      else n = v === 0 ? bits : 31 - Math.clz32(v & -v);
      cpu.setReg(d.r0, s, n);
    }
    cpu.flags = (cpu.flags & ~(Flag.CF | Flag.ZF)) | (n === bits ? Flag.CF : 0) | (n === 0 ? Flag.ZF : 0);
  };
}

function pop32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const popcnt: Handler = (cpu, d) => {
  const s = d.opSize;
  const addr = memAddr(cpu, d);
  let n: number;
  if (s === 8) {
    const v = rd64(cpu, d, d.k1, d.r1, addr);
    n = pop32(Number(v >> 32n)) + pop32(Number(v & 0xffffffffn));
    cpu.setReg64(d.r0, BigInt(n));
  } else {
    n = pop32(rd(cpu, d, d.k1, d.r1, s, addr));
    cpu.setReg(d.r0, s, n);
  }
  cpu.flags = (cpu.flags & ~(Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF)) | (n === 0 ? Flag.ZF : 0);
};

export function registerBits(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Bt, btHandler(B.Test));
  m.set(Mnemonic.Bts, btHandler(B.Set));
  m.set(Mnemonic.Btr, btHandler(B.Reset));
  m.set(Mnemonic.Btc, btHandler(B.Complement));
  m.set(Mnemonic.Bsf, scan(false));
  m.set(Mnemonic.Bsr, scan(true));
  m.set(Mnemonic.Tzcnt, count(false));
  m.set(Mnemonic.Lzcnt, count(true));
  m.set(Mnemonic.Popcnt, popcnt);
}
