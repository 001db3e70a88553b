/**
 * String instructions movs stos lods cmps scas (all element sizes) with REP / REPE / REPNE.
 * Registers are updated per element, so a fault part-way leaves RSI/RDI/RCX describing the
 * remaining work and RIP at the instruction, as on hardware. Source segment honours overrides;
 * the destination is always ES.
 */
import { Mnemonic } from 'iced-x86';
import { Flag, Seg } from '../state.ts';
import { OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { commitFlags, subFlags, subFlags64 } from './flags.ts';
import { addCounter, getCounter } from './operands.ts';

const enum S {
  Movs,
  Stos,
  Lods,
  Cmps,
  Scas,
}

/** Pointer register as an offset of the address size. */
function ptr(cpu: Cpu, r: number, asz: number): number {
  return asz === 8 ? cpu.getRegNum64(r) : getCounter(cpu, r, asz);
}

/** One element; returns false when a REPE/REPNE condition ends the loop. */
function once(cpu: Cpu, d: DecodedInsn, kind: S, s: number, asz: number, delta: number): void {
  switch (kind) {
    case S.Movs: {
      const src = ptr(cpu, 6, asz);
      const dst = ptr(cpu, 7, asz);
      if (s === 8) cpu.write64(Seg.ES, dst, cpu.read64(d.seg, src));
      else cpu.write(Seg.ES, dst, s, cpu.read(d.seg, src, s));
      addCounter(cpu, 6, asz, delta);
      addCounter(cpu, 7, asz, delta);
      return;
    }
    case S.Stos: {
      const dst = ptr(cpu, 7, asz);
      if (s === 8) cpu.write64(Seg.ES, dst, cpu.getReg64(0));
      else cpu.write(Seg.ES, dst, s, cpu.getReg(0, s));
      addCounter(cpu, 7, asz, delta);
      return;
    }
    case S.Lods: {
      const src = ptr(cpu, 6, asz);
      if (s === 8) cpu.setReg64(0, cpu.read64(d.seg, src));
      else cpu.setReg(0, s, cpu.read(d.seg, src, s));
      addCounter(cpu, 6, asz, delta);
      return;
    }
    case S.Cmps: {
      const src = ptr(cpu, 6, asz);
      const dst = ptr(cpu, 7, asz);
      if (s === 8) subFlags64(cpu.read64(d.seg, src), cpu.read64(Seg.ES, dst), 0);
      else subFlags(cpu.read(d.seg, src, s), cpu.read(Seg.ES, dst, s), 0, s);
      commitFlags(cpu);
      addCounter(cpu, 6, asz, delta);
      addCounter(cpu, 7, asz, delta);
      return;
    }
    case S.Scas: {
      const dst = ptr(cpu, 7, asz);
      if (s === 8) subFlags64(cpu.getReg64(0), cpu.read64(Seg.ES, dst), 0);
      else subFlags(cpu.getReg(0, s), cpu.read(Seg.ES, dst, s), 0, s);
      commitFlags(cpu);
      addCounter(cpu, 7, asz, delta);
      return;
    }
  }
}

function stringHandler(kind: S): Handler {
  const compares = kind === S.Cmps || kind === S.Scas;
  return (cpu, d) => {
    // MOVSD/CMPSD also name SSE2 instructions (xmm operands): not supported here.
    if (d.k0 === OpK.Xmm || d.k1 === OpK.Xmm) cpu.unsupported(kind === S.Movs ? 'Movsd(sse)' : 'Cmpsd(sse)');
    const s = d.opSize;
    const asz = d.addrSize;
    const delta = (cpu.flags & Flag.DF) !== 0 ? -s : s;
    if (d.rep === 0) {
      once(cpu, d, kind, s, asz, delta);
      return;
    }
    while (getCounter(cpu, 1, asz) !== 0) {
      once(cpu, d, kind, s, asz, delta);
      addCounter(cpu, 1, asz, -1);
      if (compares) {
        const zf = (cpu.flags & Flag.ZF) !== 0;
        if (d.rep === 1 ? !zf : zf) break;
      }
    }
  };
}

export function registerString(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Movsb, stringHandler(S.Movs));
  m.set(Mnemonic.Movsw, stringHandler(S.Movs));
  m.set(Mnemonic.Movsd, stringHandler(S.Movs));
  m.set(Mnemonic.Movsq, stringHandler(S.Movs));
  m.set(Mnemonic.Stosb, stringHandler(S.Stos));
  m.set(Mnemonic.Stosw, stringHandler(S.Stos));
  m.set(Mnemonic.Stosd, stringHandler(S.Stos));
  m.set(Mnemonic.Stosq, stringHandler(S.Stos));
  m.set(Mnemonic.Lodsb, stringHandler(S.Lods));
  m.set(Mnemonic.Lodsw, stringHandler(S.Lods));
  m.set(Mnemonic.Lodsd, stringHandler(S.Lods));
  m.set(Mnemonic.Lodsq, stringHandler(S.Lods));
  m.set(Mnemonic.Cmpsb, stringHandler(S.Cmps));
  m.set(Mnemonic.Cmpsw, stringHandler(S.Cmps));
  m.set(Mnemonic.Cmpsd, stringHandler(S.Cmps));
  m.set(Mnemonic.Cmpsq, stringHandler(S.Cmps));
  m.set(Mnemonic.Scasb, stringHandler(S.Scas));
  m.set(Mnemonic.Scasw, stringHandler(S.Scas));
  m.set(Mnemonic.Scasd, stringHandler(S.Scas));
  m.set(Mnemonic.Scasq, stringHandler(S.Scas));
}
