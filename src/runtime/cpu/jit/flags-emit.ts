/**
 * Flag computation as JavaScript source for the block compiler: one expression per status flag
 * (each evaluates to the flag's bit or 0), exactly the values the interpreter's helpers compute
 * (core/flags.ts, core/fast.ts, core/fast64.ts), and jcc conditions on the local `f`.
 *
 * 32-bit values are int32 locals; 64-bit values are pairs of int32 locals (low, high).
 */
import { Flag } from '../state.ts';

export const CF = Flag.CF;
export const PF = Flag.PF;
export const AF = Flag.AF;
export const ZF = Flag.ZF;
export const SF = Flag.SF;
export const OF = Flag.OF;
export const ALL = CF | PF | AF | ZF | SF | OF;

/** Flag bit → expression; a missing entry for a written flag means "cleared". */
export type FlagExprs = Partial<Record<'CF' | 'PF' | 'AF' | 'ZF' | 'SF' | 'OF', string>>;

const ORDER: [keyof FlagExprs, number][] = [
  ['CF', CF],
  ['PF', PF],
  ['AF', AF],
  ['ZF', ZF],
  ['SF', SF],
  ['OF', OF],
];

/** `f = …` updating the flags in `written & live` (nothing when that is empty). */
export function flagStore(e: FlagExprs, written: number, live: number): string {
  const m = written & live;
  if (m === 0) return '';
  const parts: string[] = [];
  for (const [name, bit] of ORDER) {
    if ((m & bit) === 0) continue;
    const x = e[name];
    if (x !== undefined) parts.push(x);
  }
  return `f = (f & ${~m})${parts.map((p) => ` | ${p}`).join('')};`;
}

/** ZF SF PF of an int32 result. */
function szp32(r: string): FlagExprs {
  return { ZF: `(${r} === 0 ? 64 : 0)`, SF: `((${r} >>> 24) & 128)`, PF: `P[${r} & 255]` };
}

function szp64(rl: string, rh: string): FlagExprs {
  return { ZF: `((${rl} | ${rh}) === 0 ? 64 : 0)`, SF: `((${rh} >>> 24) & 128)`, PF: `P[${rl} & 255]` };
}

/** r = a + b (+ carry: then `s` is the unsigned sum as a double). */
export function addFlags32(a: string, b: string, r: string, s: string | null): FlagExprs {
  return {
    ...szp32(r),
    CF: s === null ? `((${r} >>> 0) < (${a} >>> 0) ? 1 : 0)` : `(${s} > 4294967295 ? 1 : 0)`,
    AF: `((${a} ^ ${b} ^ ${r}) & 16)`,
    OF: `((((${a} ^ ${r}) & (${b} ^ ${r})) >>> 20) & 2048)`,
  };
}

/** r = a - b (- borrow: then `s` is the unsigned difference as a double). */
export function subFlags32(a: string, b: string, r: string, s: string | null): FlagExprs {
  return {
    ...szp32(r),
    CF: s === null ? `((${a} >>> 0) < (${b} >>> 0) ? 1 : 0)` : `(${s} < 0 ? 1 : 0)`,
    AF: `((${a} ^ ${b} ^ ${r}) & 16)`,
    OF: `((((${a} ^ ${b}) & (${a} ^ ${r})) >>> 20) & 2048)`,
  };
}

export function logicFlags32(r: string): FlagExprs {
  return szp32(r);
}

/** 64-bit add; `sh` is the unsigned high-half sum (with the low carry) as a double. */
export function addFlags64(al: string, ah: string, bl: string, bh: string, rl: string, rh: string, sh: string): FlagExprs {
  return {
    ...szp64(rl, rh),
    CF: `(${sh} > 4294967295 ? 1 : 0)`,
    AF: `((${al} ^ ${bl} ^ ${rl}) & 16)`,
    OF: `((((${ah} ^ ${rh}) & (${bh} ^ ${rh})) >>> 20) & 2048)`,
  };
}

export function subFlags64(al: string, ah: string, bl: string, bh: string, rl: string, rh: string, sh: string): FlagExprs {
  return {
    ...szp64(rl, rh),
    CF: `(${sh} < 0 ? 1 : 0)`,
    AF: `((${al} ^ ${bl} ^ ${rl}) & 16)`,
    OF: `((((${ah} ^ ${bh}) & (${ah} ^ ${rh})) >>> 20) & 2048)`,
  };
}

export function logicFlags64(rl: string, rh: string): FlagExprs {
  return szp64(rl, rh);
}

/** Flags read by an iced ConditionCode (1 o … 16 g). */
export function condReads(cc: number): number {
  switch (cc) {
    case 1:
    case 2:
      return OF;
    case 3:
    case 4:
      return CF;
    case 5:
    case 6:
      return ZF;
    case 7:
    case 8:
      return CF | ZF;
    case 9:
    case 10:
      return SF;
    case 11:
    case 12:
      return PF;
    case 13:
    case 14:
      return SF | OF;
    default:
      return ZF | SF | OF;
  }
}

/** A JS boolean expression for condition `cc` on the local `f` (core/flags.ts cond()). */
export function condExpr(cc: number): string {
  const sfNeOf = `(((f >>> 7) ^ (f >>> 11)) & 1) !== 0`;
  switch (cc) {
    case 1:
      return '(f & 2048) !== 0';
    case 2:
      return '(f & 2048) === 0';
    case 3:
      return '(f & 1) !== 0';
    case 4:
      return '(f & 1) === 0';
    case 5:
      return '(f & 64) !== 0';
    case 6:
      return '(f & 64) === 0';
    case 7:
      return '(f & 65) !== 0';
    case 8:
      return '(f & 65) === 0';
    case 9:
      return '(f & 128) !== 0';
    case 10:
      return '(f & 128) === 0';
    case 11:
      return '(f & 4) !== 0';
    case 12:
      return '(f & 4) === 0';
    case 13:
      return sfNeOf;
    case 14:
      return `!(${sfNeOf})`;
    case 15:
      return `((f & 64) !== 0 || ${sfNeOf})`;
    case 16:
      return `((f & 64) === 0 && !(${sfNeOf}))`;
    default:
      return 'true';
  }
}
