import { REG_NAMES, type Expr, type FlushArg, type ModeClass, type RegName, type RuleIR } from './ir.ts';

/**
 * The reference interpreter of the rule IR. The conformance-vector generator derives every
 * expected outcome from this, independently of the TypeScript the handler emitter produces, so
 * a wrong emitter shows up as failing generated tests.
 */

const MASK64 = (1n << 64n) - 1n;

export type GuestRegs = Record<RegName, bigint>;

export interface RuleState {
  guest: GuestRegs;
  cpl: number;
  mode: ModeClass;
  /** ECX at the exit (RDMSR/WRMSR/XSETBV). */
  index: bigint;
  /** What the paging strategy answers when asked to load PAE PDPTEs. */
  pdptesValid: boolean;
}

export type FlushRecord =
  | { kind: 'all' }
  | { kind: 'non-global' }
  | { kind: 'pcid'; pcid: bigint }
  | { kind: 'page'; linear: bigint };

export type EffectRecord =
  | { name: 'paging_mode_changed' }
  | { name: 'cr3_loaded'; scope: FlushRecord }
  | { name: 'flush_tlb'; scope: FlushRecord }
  | { name: 'load_pdptes'; cr3: bigint };

export interface Outcome {
  exception: { vector: number; errorCode: number | undefined; guard: string } | undefined;
  guest: GuestRegs;
  /** Per hardware register the handler set: the value on the bits it decides (mask). */
  hardware: Partial<Record<RegName, { value: bigint; mask: bigint }>>;
  effects: EffectRecord[];
  result: bigint | undefined;
  /** Guards evaluated, in order, and whether each fired (coverage for vector selection). */
  guards: { id: string; fired: boolean }[];
  /** Indices (into rule.stmts) of actions that ran. */
  actions: number[];
}

export function isBoolExpr(e: Expr): boolean {
  switch (e.k) {
    case 'bool':
    case 'mode':
    case 'cmp':
    case 'and':
    case 'or':
    case 'not':
    case 'pdptes':
      return true;
    case 'bits':
      return e.bool;
    default:
      return false;
  }
}

function mask(msb: number, lsb: number): bigint {
  return (((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb)) & MASK64;
}

class Eval {
  readonly vars = new Map<string, bigint | boolean>();
  readonly effects: EffectRecord[] = [];

  constructor(
    readonly start: GuestRegs,
    readonly guest: GuestRegs,
    readonly s: RuleState,
  ) {}

  int(e: Expr): bigint {
    const v = this.val(e);
    return typeof v === 'boolean' ? (v ? 1n : 0n) : v;
  }

  bool(e: Expr): boolean {
    const v = this.val(e);
    return typeof v === 'boolean' ? v : v !== 0n;
  }

  val(e: Expr): bigint | boolean {
    switch (e.k) {
      case 'num':
        return e.v;
      case 'bool':
        return e.v;
      case 'var': {
        const v = this.vars.get(e.name);
        if (v === undefined) throw new Error(`interp: unbound ${e.name}`);
        return v;
      }
      case 'reg':
        return e.at === 'start' ? this.start[e.reg] : this.guest[e.reg];
      case 'cpl':
        return BigInt(this.s.cpl);
      case 'index':
        return this.s.index;
      case 'mode':
        return e.modes.includes(this.s.mode);
      case 'bits': {
        const v = (this.int(e.e) >> BigInt(e.lsb)) & mask(e.msb - e.lsb, 0);
        return e.bool ? v !== 0n : v;
      }
      case 'bin': {
        const a = this.int(e.a);
        const b = this.int(e.b);
        switch (e.op) {
          case '&':
            return a & b;
          case '|':
            return a | b;
          case '^':
            return a ^ b;
          case '<<':
            return (a << b) & MASK64;
          case '>>':
            return a >> b;
        }
        break;
      }
      case 'cmp': {
        const a = this.val(e.a);
        const b = this.val(e.b);
        switch (e.op) {
          case '==':
            return a === b;
          case '!=':
            return a !== b;
          case '<':
            return a < b;
          case '>':
            return a > b;
          case '<=':
            return a <= b;
          case '>=':
            return a >= b;
        }
        break;
      }
      case 'inv':
        return ~this.int(e.e) & mask(e.width - 1, 0);
      case 'and':
        return this.bool(e.a) && this.bool(e.b);
      case 'or':
        return this.bool(e.a) || this.bool(e.b);
      case 'not':
        return !this.bool(e.e);
      case 'with': {
        let v = this.int(e.e);
        for (const set of e.sets) {
          const m = mask(set.msb, set.lsb);
          v = (v & ~m & MASK64) | ((this.int(set.value) << BigInt(set.lsb)) & m);
        }
        return v;
      }
      case 'pdptes': {
        const cr3 = this.int(e.cr3);
        this.effects.push({ name: 'load_pdptes', cr3 });
        return this.s.pdptesValid;
      }
    }
    throw new Error(`interp: unhandled ${(e as { k: string }).k}`);
  }

  flush(f: FlushArg): FlushRecord {
    switch (f.kind) {
      case 'all':
      case 'non-global':
        return { kind: f.kind };
      case 'pcid':
        return { kind: 'pcid', pcid: this.int(f.pcid) };
      case 'page':
        return { kind: 'page', linear: this.int(f.linear) };
    }
  }
}

/** Run one rule on a state; `operand` is the rule parameter (ignored by rules without one). */
export function interpretRule(rule: RuleIR, state: RuleState, operand: bigint): Outcome {
  // state.guest is never written: it serves as the start values; assignments go to a copy.
  const start = state.guest;
  const ev = new Eval(start, { ...start }, state);
  const out: Outcome = {
    exception: undefined,
    guest: ev.guest,
    hardware: {},
    effects: ev.effects,
    result: undefined,
    guards: [],
    actions: [],
  };
  if (rule.param !== undefined) ev.vars.set(rule.param, operand & MASK64);
  if (rule.modes && !rule.modes.includes(state.mode)) {
    out.exception = { vector: 6, errorCode: undefined, guard: `${rule.id}/modes` };
    return out;
  }
  for (let i = 0; i < rule.stmts.length; i++) {
    const st = rule.stmts[i]!;
    if (st.k === 'let') {
      ev.vars.set(st.name, ev.val(st.e));
    } else if (st.k === 'guard') {
      const fired = ev.bool(st.guard.cond);
      out.guards.push({ id: st.guard.id, fired });
      if (fired) {
        out.exception = { vector: st.guard.vector, errorCode: st.guard.errorCode, guard: st.guard.id };
        out.guest = start;
        return out;
      }
    } else {
      if (st.when && !ev.bool(st.when)) continue;
      out.actions.push(i);
      const a = st.action;
      switch (a.k) {
        case 'guest': {
          const v = ev.int(a.e);
          if (a.whole) ev.guest[a.reg] = v & MASK64;
          else {
            const m = mask(a.msb, a.lsb);
            ev.guest[a.reg] = (ev.guest[a.reg] & ~m & MASK64) | ((v << BigInt(a.lsb)) & m);
          }
          break;
        }
        case 'hardware': {
          const m = ~a.ownedMask & MASK64;
          out.hardware[a.reg] = { value: ev.int(a.e) & m, mask: m };
          break;
        }
        case 'result':
          out.result = ev.int(a.e) & MASK64;
          break;
        case 'effect': {
          const eff = a.effect;
          if (eff.name === 'paging_mode_changed') ev.effects.push({ name: eff.name });
          else ev.effects.push({ name: eff.name, scope: ev.flush(eff.scope) });
          break;
        }
      }
    }
  }
  return out;
}

export function zeroRegs(): GuestRegs {
  const r = {} as GuestRegs;
  for (const n of REG_NAMES) r[n] = 0n;
  return r;
}
