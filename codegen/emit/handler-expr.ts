import type { Expr, FlushArg, ModeClass, RegName } from '../rules/ir.ts';
import { isBoolExpr } from '../rules/interp.ts';

/**
 * The expression compiler of the handler emitter (handlers.ts): rule IR expressions to
 * TypeScript, on 32-bit halves wherever an expression is bitwise over the operand, guest
 * registers and constants (View), BigInt code otherwise.
 */
export const MASK64 = (1n << 64n) - 1n;

export const GUEST_FIELD: Record<RegName, string> = { CR0: 'cr0', CR3: 'cr3', CR4: 'cr4', CR8: 'cr8', EFER: 'efer', XCR0: 'xcr0', TPR: 'tpr' };

export const MODE_VALUES: Record<ModeClass, string[]> = {
  real: ['real'],
  v86: ['v86'],
  protected: ['protected16', 'protected32'],
  compat: ['compat16', 'compat32'],
  long64: ['long64'],
};


export function hex(v: bigint): string {
  return v === 0n ? '0n' : `0x${v.toString(16)}n`;
}

export function bitMask(msb: number, lsb: number): bigint {
  return (((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb)) & MASK64;
}

/**
 * Speed (issue 7): V8 computes `x & m` on 64-bit machine integers, without allocating a BigInt,
 * only when it knows the result fits in 64 bits: true for a mask below 2^63, not for one with
 * bit 63 set (reserved-bit masks, "keep" masks of field assignments), which costs ~10 ns and an
 * allocation. `BigInt.asUintN(64, …)` around such an expression says so; it never changes the
 * value, since every operand, guest register and mask is already within 0 … 2^64-1.
 */
export function u64(expr: string, mask: bigint): string {
  return mask > 0x7fff_ffff_ffff_ffffn ? `BigInt.asUintN(64, ${expr})` : expr;
}

/**
 * Number views (issue 7). A bit test of a 64-bit value (`(operand & 0x80000000n) !== 0n`) costs
 * a few ns as BigInt code, making a BigInt ~10-35 ns; the same work on the value's two 32-bit
 * halves as numbers costs a fraction of that. The operand arrives as halves (`op_lo`, `op_hi`),
 * a guest register's are its number mirrors (GuestState `cr4Lo`/`cr4Hi`). So tests, guest
 * assignments (`g.setCr4(lo, hi)`), hardware programming (`cx.setHardware('cr4', lo, hi, …)`)
 * and results (`cx.produce(lo, hi)`) are emitted on halves when the expression has a view;
 * otherwise as BigInt code (the operand then joined where used, `join64(op_lo, op_hi)`).
 */
type Half = { c: number } | { s: string };
interface View {
  lo: Half;
  hi: Half;
}
type ViewOp = '&' | '|' | '^';

function isConst(h: Half, c: number): boolean {
  return 'c' in h && h.c === c;
}

function halfCode(h: Half): string {
  return 'c' in h ? `0x${h.c.toString(16)}` : h.s;
}

function combineHalf(op: ViewOp, a: Half, b: Half): Half {
  if ('c' in a && 'c' in b) return { c: (op === '&' ? a.c & b.c : op === '|' ? a.c | b.c : a.c ^ b.c) >>> 0 };
  if (op === '&') {
    if (isConst(a, 0) || isConst(b, 0)) return { c: 0 };
    if (isConst(a, 0xffff_ffff)) return b;
    if (isConst(b, 0xffff_ffff)) return a;
  } else {
    if (isConst(a, 0)) return b;
    if (isConst(b, 0)) return a;
  }
  return { s: `(${halfCode(a)} ${op} ${halfCode(b)})` };
}

function constView(v: bigint): View {
  return { lo: { c: Number(v & 0xffff_ffffn) }, hi: { c: Number((v >> 32n) & 0xffff_ffffn) } };
}

function maskView(v: View, mask: bigint): View {
  const m = constView(mask);
  return { lo: combineHalf('&', v.lo, m.lo), hi: combineHalf('&', v.hi, m.hi) };
}

/** `v !== 0` (or `v === 0` when `zero`) over the halves. */
function testView(v: View, zero: boolean): string {
  const halves = [v.lo, v.hi].filter((h) => !isConst(h, 0));
  if (halves.some((h) => 'c' in h)) return zero ? 'false' : 'true';
  if (halves.length === 0) return zero ? 'true' : 'false';
  const parts = halves.map((h) => `${halfCode(h)} ${zero ? '===' : '!=='} 0`);
  return `(${parts.join(zero ? ' && ' : ' || ')})`;
}

/**
 * The variables holding the halves of a guest register's start value (its number mirrors
 * `g.cr4Lo`/`g.cr4Hi`, guest-regs.ts, read in the prologue before any assignment). The operand's
 * halves are the handler's parameters `op_lo`/`op_hi`.
 */
interface Leaf {
  lo: string;
  hi: string;
  loInit: string;
  hiInit: string;
}

/** Compiles rule expressions to TypeScript source. */
export class ExprCompiler {
  /** Registers read at their start value (snapshotted before any assignment). */
  readonly startRegs = new Set<RegName>();
  /** Values whose number halves the tests use (declared in the prologue when referenced). */
  readonly leaves = new Map<string, Leaf>();
  /** `let` locals computed on halves (`v_x_lo`, `v_x_hi`). */
  readonly letViews = new Map<string, View>();
  usesMode = false;

  /**
   * `assigned`: the registers the rule assigns. Only those need a snapshot of their start value;
   * another register's start value is its value anywhere in the handler.
   */
  constructor(
    private readonly param: string | undefined,
    private readonly assigned: ReadonlySet<RegName>,
  ) {}

  local(name: string): string {
    // The operand as a BigInt where an expression has no view (rare: PDPTE loads, shifts).
    return name === this.param ? 'join64(op_lo, op_hi)' : `v_${name}`;
  }

  /** An int-valued expression. */
  int(e: Expr): string {
    return isBoolExpr(e) ? `(${this.bool(e)} ? 1n : 0n)` : this.raw(e);
  }

  /** A bool-valued expression. */
  bool(e: Expr): string {
    return isBoolExpr(e) ? this.raw(e) : `(${this.raw(e)} !== 0n)`;
  }

  private leaf(prefix: string, loInit: string, hiInit: string): View {
    let l = this.leaves.get(prefix);
    if (!l) {
      l = { lo: `${prefix}_lo`, hi: `${prefix}_hi`, loInit, hiInit };
      this.leaves.set(prefix, l);
    }
    return { lo: { s: l.lo }, hi: { s: l.hi } };
  }

  /** The halves of an int expression as number code, when it is built from what has a view. */
  private view(e: Expr): View | undefined {
    switch (e.k) {
      case 'num':
        return constView(e.v);
      case 'var':
        if (e.name === this.param) return { lo: { s: 'op_lo' }, hi: { s: 'op_hi' } };
        return this.letViews.get(e.name);
      case 'reg': {
        const f = GUEST_FIELD[e.reg];
        // The current value: read the mirrors where it is used (after earlier assignments).
        if (e.at !== 'start') return { lo: { s: `g.${f}Lo` }, hi: { s: `g.${f}Hi` } };
        return this.leaf(f, `g.${f}Lo`, `g.${f}Hi`);
      }
      case 'bits': {
        if (e.bool) return undefined;
        const v = this.view(e.e);
        if (!v) return undefined;
        if (e.lsb === 0) return maskView(v, bitMask(e.msb, 0));
        // A field within one half, shifted down.
        if ((e.lsb < 32) !== (e.msb < 32)) return undefined;
        const h = e.lsb < 32 ? v.lo : v.hi;
        const sh = e.lsb % 32;
        const m = Number(bitMask(e.msb - e.lsb, 0));
        const lo: Half = 'c' in h ? { c: ((h.c >>> sh) & m) >>> 0 } : { s: `((${h.s} >>> ${sh}) & 0x${m.toString(16)})` };
        return { lo, hi: { c: 0 } };
      }
      case 'bin': {
        if (e.op !== '&' && e.op !== '|' && e.op !== '^') return undefined;
        const a = this.view(e.a);
        const b = a && this.view(e.b);
        if (!a || !b) return undefined;
        return { lo: combineHalf(e.op, a.lo, b.lo), hi: combineHalf(e.op, a.hi, b.hi) };
      }
      case 'inv': {
        if (e.width !== 64) return undefined;
        const v = this.view(e.e);
        return v && { lo: combineHalf('^', v.lo, { c: 0xffff_ffff }), hi: combineHalf('^', v.hi, { c: 0xffff_ffff }) };
      }
      case 'with': {
        const base = this.view(e.e);
        if (!base) return undefined;
        let clear = 0n;
        const parts: View[] = [];
        for (const st of e.sets) {
          const m = bitMask(st.msb, st.lsb);
          clear |= m;
          if (st.value.k === 'num') parts.push(constView((st.value.v << BigInt(st.lsb)) & m));
          else if (isBoolExpr(st.value)) parts.push(this.boolBit(st.value, st.lsb));
          else return undefined;
        }
        let v = maskView(base, ~clear & MASK64);
        for (const p of parts) v = { lo: combineHalf('|', v.lo, p.lo), hi: combineHalf('|', v.hi, p.hi) };
        return v;
      }
      default:
        return undefined;
    }
  }

  /** A bool as bit `bit` of a 64-bit value, on halves. */
  private boolBit(b: Expr, bit: number): View {
    const c = `(${this.bool(b)} ? 0x${(2 ** (bit % 32)).toString(16)} : 0)`;
    return bit < 32 ? { lo: { s: c }, hi: { c: 0 } } : { lo: { c: 0 }, hi: { s: c } };
  }

  /** The halves of an int expression with a view (else undefined). */
  viewHalves(e: Expr): { lo: string; hi: string } | undefined {
    const v = this.view(e);
    return v && { lo: halfCode(v.lo), hi: halfCode(v.hi) };
  }

  /** The halves of an int expression as number code: its view, or the BigInt's halves. */
  halves(e: Expr): { lo: string; hi: string; pre?: string } {
    const v = this.view(e);
    // Halves may come out as negative int32 (`x | 0x80000000`): the receivers take them `>>> 0`.
    if (v) return { lo: halfCode(v.lo), hi: halfCode(v.hi) };
    return { pre: `const v64 = ${this.int(e)};`, lo: 'lo32(v64)', hi: 'hi32(v64)' };
  }

  /** `let` of an int with a view: its halves as locals. */
  letHalves(name: string, e: Expr): string[] | undefined {
    if (isBoolExpr(e)) return undefined;
    const v = this.view(e);
    if (!v) return undefined;
    const l = `${this.local(name)}_lo`;
    const h = `${this.local(name)}_hi`;
    this.letViews.set(name, { lo: { s: l }, hi: { s: h } });
    return [`const ${l} = ${halfCode(v.lo)};`, `const ${h} = ${halfCode(v.hi)};`];
  }

  /** A bit test `(e & mask) !== 0` (or `=== 0`) on number halves, if e has a view. */
  private viewTest(e: Expr, mask: bigint, zero: boolean): string | undefined {
    const v = this.view(e);
    return v && testView(maskView(v, mask), zero);
  }

  private raw(e: Expr): string {
    switch (e.k) {
      case 'num':
        return hex(e.v);
      case 'bool':
        return String(e.v);
      case 'var':
        return this.local(e.name);
      case 'reg':
        if (e.at === 'start' && this.assigned.has(e.reg)) {
          this.startRegs.add(e.reg);
          return `start_${GUEST_FIELD[e.reg]}`;
        }
        return `g.${GUEST_FIELD[e.reg]}`;
      case 'cpl':
        return 'BigInt(cx.cpl)';
      case 'index':
        return 'cx.index';
      case 'mode': {
        this.usesMode = true;
        const vals = e.modes.flatMap((m) => MODE_VALUES[m]);
        return `(${vals.map((v) => `mode === '${v}'`).join(' || ')})`;
      }
      case 'bits': {
        const m = bitMask(e.msb, e.lsb);
        if (e.bool) return this.viewTest(e.e, m, false) ?? `(${u64(`(${this.int(e.e)} & ${hex(m)})`, m)} !== 0n)`;
        if (e.lsb === 0) return u64(`(${this.int(e.e)} & ${hex(m)})`, m);
        return `((${this.int(e.e)} >> ${e.lsb}n) & ${hex(bitMask(e.msb - e.lsb, 0))})`;
      }
      case 'bin':
        if (e.op === '<<') return `((${this.int(e.a)} << ${this.int(e.b)}) & ${hex(MASK64)})`;
        if (e.op === '&' && e.b.k === 'num') return u64(`(${this.int(e.a)} & ${this.int(e.b)})`, e.b.v);
        return `(${this.int(e.a)} ${e.op} ${this.int(e.b)})`;
      case 'cmp': {
        const op = e.op === '==' ? '===' : e.op === '!=' ? '!==' : e.op;
        // CPL against a constant: compare numbers (no BigInt on the exit path).
        if (e.a.k === 'cpl' && e.b.k === 'num') return `(cx.cpl ${op} ${e.b.v.toString()})`;
        // x == 0 / x != 0 on number halves.
        if (e.op === '==' || e.op === '!=') {
          const other = e.b.k === 'num' && e.b.v === 0n ? e.a : e.a.k === 'num' && e.a.v === 0n ? e.b : undefined;
          const test = other && !isBoolExpr(other) ? this.viewTest(other, MASK64, e.op === '==') : undefined;
          if (test !== undefined) return test;
        }
        if (isBoolExpr(e.a)) return `(${this.bool(e.a)} ${op} ${this.bool(e.b)})`;
        if (e.op === '==' || e.op === '!=') {
          // Equality on halves: (a_lo ^ b_lo) | (a_hi ^ b_hi) is 0 exactly when equal (int32 or uint32 alike).
          const a = this.view(e.a);
          const b = a && this.view(e.b);
          if (a && b) return testView({ lo: combineHalf('^', a.lo, b.lo), hi: combineHalf('^', a.hi, b.hi) }, e.op === '==');
        }
        return `(${this.int(e.a)} ${op} ${this.int(e.b)})`;
      }
      case 'inv':
        return `(${this.int(e.e)} ^ ${hex(bitMask(e.width - 1, 0))})`;
      case 'and':
        return `(${this.bool(e.a)} && ${this.bool(e.b)})`;
      case 'or':
        return `(${this.bool(e.a)} || ${this.bool(e.b)})`;
      case 'not': {
        // Negate comparisons and bit tests directly: `(x & m) === 0n` rather than `!((x & m) !== 0n)`.
        const x = e.e;
        if (x.k === 'cmp' && (x.op === '!=' || x.op === '==')) return this.raw({ ...x, op: x.op === '!=' ? '==' : '!=' });
        if (x.k === 'bits' && x.bool) {
          const m = bitMask(x.msb, x.lsb);
          return this.viewTest(x.e, m, true) ?? `(${u64(`(${this.int(x.e)} & ${hex(m)})`, m)} === 0n)`;
        }
        return `!${this.bool(e.e)}`;
      }
      case 'with': {
        let clear = 0n;
        const parts: string[] = [];
        for (const s of e.sets) {
          const m = bitMask(s.msb, s.lsb);
          clear |= m;
          if (s.value.k === 'num') {
            const v = (s.value.v << BigInt(s.lsb)) & m;
            if (v !== 0n) parts.push(hex(v));
          } else if (isBoolExpr(s.value)) {
            parts.push(`(${this.bool(s.value)} ? ${hex(1n << BigInt(s.lsb))} : 0n)`);
          } else {
            parts.push(`((${this.int(s.value)} << ${s.lsb}n) & ${hex(m)})`);
          }
        }
        const keep = ~clear & MASK64;
        const base = `(${this.int(e.e)} & ${hex(keep)})`;
        return u64(parts.length === 0 ? base : `(${[base, ...parts].join(' | ')})`, keep);
      }
      case 'pdptes':
        return `cx.loadPdptes(${this.int(e.cr3)})`;
    }
  }

  flush(f: FlushArg): string {
    switch (f.kind) {
      case 'all':
        return 'FLUSH_ALL';
      case 'non-global':
        return 'FLUSH_NON_GLOBAL';
      case 'pcid': {
        const v = this.view(f.pcid);
        if (v && isConst(v.hi, 0)) return `{ kind: 'pcid', pcid: ${halfCode(v.lo)} }`;
        return `{ kind: 'pcid', pcid: Number(${this.int(f.pcid)}) }`;
      }
      case 'page':
        return `{ kind: 'page', linear: Number(BigInt.asIntN(64, ${this.int(f.linear)})) }`;
    }
  }
}
