/**
 * 8- and 16-bit forms for the block compiler: ADD ADC SUB SBB AND OR XOR CMP TEST, INC DEC NEG
 * NOT and MOV on byte/word registers (AL..BH, AX..R15W) and memory. Values are non-negative
 * numbers below 2^8 / 2^16; flags as core/flags.ts addFlags/subFlags/logicFlags compute them.
 * Partial register writes keep the other bits (and bits 63:32), as Cpu.setReg does.
 */
import { Mnemonic } from 'iced-x86';
import { OpK, type DecodedInsn } from '../decoded.ts';
import type { EmitCtx } from './ctx.ts';
import { ALL, CF, type FlagExprs } from './flags-emit.ts';
import type { InsnPlan } from './insn-emit.ts';
import { emitLoad, emitRmw, memSupported } from './mem-emit.ts';

export type NarrowOp = 'add' | 'adc' | 'sub' | 'sbb' | 'and' | 'or' | 'xor';

/** A byte/word register (AH..BH as 16..19), zero-extended. */
export function narrowReg(ctx: EmitCtx, r: number, s: number): string {
  if (s === 2) return `(${ctx.lo(r)} & 65535)`;
  if (r >= 16) return `((${ctx.lo(r - 16)} >>> 8) & 255)`;
  return `(${ctx.lo(r)} & 255)`;
}

/** Write a byte/word register, keeping its other bits. */
export function setNarrow(ctx: EmitCtx, r: number, s: number, v: string): string {
  const reg = r >= 16 ? r - 16 : r;
  ctx.regs.add(reg);
  ctx.written.add(reg);
  if (s === 2) return `L${reg} = (L${reg} & -65536) | (${v} & 65535);`;
  if (r >= 16) return `L${reg} = (L${reg} & -65281) | ((${v} & 255) << 8);`;
  return `L${reg} = (L${reg} & -256) | (${v} & 255);`;
}

function opN(op: NarrowOp, a: string, b: string, sz: number): [string, FlagExprs, number] {
  const m = sz === 1 ? 255 : 65535;
  const sign = sz === 1 ? 128 : 32768;
  const szp: FlagExprs = {
    ZF: '(r === 0 ? 64 : 0)',
    SF: sz === 1 ? '(r & 128)' : '((r >>> 8) & 128)',
    PF: 'P[r & 255]',
  };
  switch (op) {
    case 'add':
    case 'adc':
      return [
        `const s = ${a} + ${b}${op === 'adc' ? ' + (f & 1)' : ''}; const r = s & ${m};`,
        { ...szp, CF: `(s > ${m} ? 1 : 0)`, AF: `((${a} ^ ${b} ^ r) & 16)`, OF: `(((${a} ^ r) & (${b} ^ r) & ${sign}) !== 0 ? 2048 : 0)` },
        op === 'adc' ? CF : 0,
      ];
    case 'sub':
    case 'sbb':
      return [
        `const s = ${a} - ${b}${op === 'sbb' ? ' - (f & 1)' : ''}; const r = s & ${m};`,
        { ...szp, CF: '(s < 0 ? 1 : 0)', AF: `((${a} ^ ${b} ^ r) & 16)`, OF: `(((${a} ^ ${b}) & (${a} ^ r) & ${sign}) !== 0 ? 2048 : 0)` },
        op === 'sbb' ? CF : 0,
      ];
    default: {
      const o = op === 'and' ? '&' : op === 'or' ? '|' : '^';
      return [`const r = ${a} ${o} ${b};`, szp, 0];
    }
  }
}

/** Register or immediate source of size `sz`. */
function srcN(ctx: EmitCtx, d: DecodedInsn, sz: number): string | null {
  if (d.k1 === OpK.Gpr && d.s1 === sz) return narrowReg(ctx, d.r1, sz);
  if (d.k1 === OpK.Imm) return `${d.imm & (sz === 1 ? 0xff : 0xffff)}`;
  return null;
}

export function aluNarrow(ctx: EmitCtx, d: DecodedInsn, op: NarrowOp, writes: boolean): InsnPlan | null {
  const sz = d.s0;
  if (d.k0 === OpK.Gpr) {
    let pre = '';
    let b: string | null;
    let mem = false;
    if (d.k1 === OpK.Mem) {
      if (d.s1 !== sz || !memSupported(ctx, d)) return null;
      pre = emitLoad(ctx, d, sz, 'm', 'mh') + ' ';
      b = 'm';
      mem = true;
    } else {
      b = srcN(ctx, d, sz);
    }
    if (b === null) return null;
    pre += `const a = ${narrowReg(ctx, d.r0, sz)};`;
    const [code, flags, fr] = opN(op, 'a', b, sz);
    return { pre: `${pre} ${code}`, flags, fw: ALL, fr, post: writes ? setNarrow(ctx, d.r0, sz, 'r') : '', mem, branch: null };
  }
  if (d.k0 !== OpK.Mem || !memSupported(ctx, d)) return null;
  const b = srcN(ctx, d, sz);
  if (b === null) return null;
  const [code, flags, fr] = opN(op, 'm', b, sz);
  if (!writes) return { pre: `${emitLoad(ctx, d, sz, 'm', 'mh')} ${code}`, flags, fw: ALL, fr, post: '', mem: true, branch: null };
  const [load, store] = emitRmw(ctx, d, sz, 'm', 'mh', 'r', '0');
  return { pre: `${load} ${code} ${store}`, flags, fw: ALL, fr, post: '', mem: true, branch: null };
}

export function unaryNarrow(ctx: EmitCtx, d: DecodedInsn, mn: number): InsnPlan | null {
  const sz = d.s0;
  let code: string;
  let flags: FlagExprs = {};
  let fw = ALL;
  if (mn === Mnemonic.Not) [code, fw] = [`const r = ~a & ${sz === 1 ? 255 : 65535};`, 0];
  else if (mn === Mnemonic.Neg) [code, flags] = opN('sub', '0', 'a', sz);
  else {
    [code, flags] = opN(mn === Mnemonic.Inc ? 'add' : 'sub', 'a', '1', sz);
    fw = ALL & ~CF;
  }
  if (d.k0 === OpK.Gpr) {
    return { pre: `const a = ${narrowReg(ctx, d.r0, sz)}; ${code}`, flags, fw, fr: 0, post: setNarrow(ctx, d.r0, sz, 'r'), mem: false, branch: null };
  }
  if (d.k0 !== OpK.Mem || !memSupported(ctx, d)) return null;
  const [load, store] = emitRmw(ctx, d, sz, 'a', 'ah', 'r', '0');
  return { pre: `${load} ${code} ${store}`, flags, fw, fr: 0, post: '', mem: true, branch: null };
}

/** MOV into a byte/word register from a register, immediate or memory. */
export function movNarrowReg(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  const sz = d.s0;
  let pre: string;
  let mem = false;
  if (d.k1 === OpK.Mem) {
    if (d.s1 !== sz || !memSupported(ctx, d)) return null;
    pre = `${emitLoad(ctx, d, sz, 'm', 'mh')} const v = m;`;
    mem = true;
  } else {
    const b = srcN(ctx, d, sz);
    if (b === null) return null;
    pre = `const v = ${b};`;
  }
  return { pre, flags: {}, fw: 0, fr: 0, post: setNarrow(ctx, d.r0, sz, 'v'), mem, branch: null };
}
