/**
 * Decimal-adjust instructions (legacy modes only): daa das aaa aas aam aad, and salc.
 * Flags the SDM leaves undefined: OF cleared (daa/das), SF/ZF/PF left (aaa/aas).
 */
import { Mnemonic } from 'iced-x86';
import { Vec } from '../fault.ts';
import { Flag } from '../state.ts';
import type { Handler, HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { szp } from './flags.ts';

const SZP = Flag.SF | Flag.ZF | Flag.PF;

function al(cpu: Cpu): number {
  return cpu.lo[0]! & 0xff;
}

const daa: Handler = (cpu) => {
  const old = al(cpu);
  const oldCf = (cpu.flags & Flag.CF) !== 0;
  let v = old;
  let cf = false;
  let af = false;
  if ((old & 0xf) > 9 || (cpu.flags & Flag.AF) !== 0) {
    v += 6;
    cf = oldCf || v > 0xff;
    af = true;
  }
  if (old > 0x99 || oldCf) {
    v += 0x60;
    cf = true;
  }
  v &= 0xff;
  cpu.setReg(0, 1, v);
  cpu.flags = (cpu.flags & ~(SZP | Flag.CF | Flag.AF | Flag.OF)) | szp(v, 1) | (cf ? Flag.CF : 0) | (af ? Flag.AF : 0);
};

const das: Handler = (cpu) => {
  const old = al(cpu);
  const oldCf = (cpu.flags & Flag.CF) !== 0;
  let v = old;
  let cf = false;
  let af = false;
  if ((old & 0xf) > 9 || (cpu.flags & Flag.AF) !== 0) {
    cf = oldCf || v < 6;
    v -= 6;
    af = true;
  }
  if (old > 0x99 || oldCf) {
    v -= 0x60;
    cf = true;
  }
  v &= 0xff;
  cpu.setReg(0, 1, v);
  cpu.flags = (cpu.flags & ~(SZP | Flag.CF | Flag.AF | Flag.OF)) | szp(v, 1) | (cf ? Flag.CF : 0) | (af ? Flag.AF : 0);
};

function asciiAdjust(sub: boolean): Handler {
  return (cpu) => {
    let ax = cpu.lo[0]! & 0xffff;
    const adjust = (ax & 0xf) > 9 || (cpu.flags & Flag.AF) !== 0;
    if (adjust) {
      ax = sub ? (((ax & 0xff00) - 0x100) & 0xff00) | ((ax - 6) & 0xff) : (ax + 0x106) & 0xffff;
    }
    cpu.setReg(0, 2, ax & 0xff0f);
    cpu.flags = adjust ? cpu.flags | Flag.AF | Flag.CF : cpu.flags & ~(Flag.AF | Flag.CF);
  };
}

const aam: Handler = (cpu, d) => {
  const base = d.imm & 0xff;
  if (base === 0) cpu.raise(Vec.DE);
  const a = al(cpu);
  const v = a % base;
  cpu.setReg(0, 2, (Math.floor(a / base) << 8) | v);
  cpu.flags = (cpu.flags & ~SZP) | szp(v, 1);
};

const aad: Handler = (cpu, d) => {
  const base = d.imm & 0xff;
  const v = (al(cpu) + ((cpu.lo[0]! >>> 8) & 0xff) * base) & 0xff;
  cpu.setReg(0, 2, v);
  cpu.flags = (cpu.flags & ~SZP) | szp(v, 1);
};

const salc: Handler = (cpu) => cpu.setReg(0, 1, (cpu.flags & Flag.CF) !== 0 ? 0xff : 0);

export function registerBcd(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Daa, daa);
  m.set(Mnemonic.Das, das);
  m.set(Mnemonic.Aaa, asciiAdjust(false));
  m.set(Mnemonic.Aas, asciiAdjust(true));
  m.set(Mnemonic.Aam, aam);
  m.set(Mnemonic.Aad, aad);
  m.set(Mnemonic.Salc, salc);
}
