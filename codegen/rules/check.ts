import type { SourcePos, SpecError } from '../ir.ts';
import type { SAction, SExpr, SRule, SStmt } from './ast.ts';
import {
  MODE_CLASSES,
  REG_NAMES,
  type ActionIR,
  type EffectIR,
  type Expr,
  type FlushArg,
  type GuardIR,
  type ModeClass,
  type RegFacts,
  type RegName,
  type RuleIR,
  type StmtIR,
} from './ir.ts';

/**
 * Name resolution and type checking of parsed rules against the register facts. Types are
 * `bool` or `int` (bigint); an int may carry the register whose layout it has, which is what
 * makes `new.PG` or `guest CR4.PAE` meaningful. Errors are collected, never thrown.
 */

type Ty = { t: 'bool' } | { t: 'int'; reg: RegName | undefined };
const BOOL: Ty = { t: 'bool' };
const INT: Ty = { t: 'int', reg: undefined };
const MASK64 = (1n << 64n) - 1n;

const EXCEPTIONS: Record<string, { vector: number; hasCode: boolean }> = {
  GP: { vector: 13, hasCode: true },
  UD: { vector: 6, hasCode: false },
};

/** Which accesses take a parameter, what register they apply to, and what they produce. */
const ACCESS_REGS: Record<string, readonly RegName[]> = {
  write: ['CR0', 'CR3', 'CR4', 'CR8'],
  read: ['CR0', 'CR3', 'CR4', 'CR8'],
  lmsw: ['CR0'],
  clts: ['CR0'],
  smsw: ['CR0'],
  wrmsr: ['EFER'],
  rdmsr: ['EFER'],
  xsetbv: ['XCR0'],
};
const TAKES_PARAM = new Set(['write', 'lmsw', 'wrmsr', 'xsetbv']);
const PRODUCES_RESULT = new Set(['read', 'smsw', 'rdmsr']);

const MASK_CLASSES = ['reserved', 'ignored', 'hint', 'hardware'] as const;
type MaskClass = (typeof MASK_CLASSES)[number];

interface Scope {
  vars: Map<string, Ty>;
  rule: SRule;
  reg: RegName;
}

export class RuleChecker {
  readonly errors: SpecError[] = [];

  constructor(private readonly regs: Map<RegName, RegFacts>, private readonly maxPhysAddr: number) {}

  private err(pos: SourcePos, message: string): void {
    this.errors.push({ pos, message });
  }

  checkRule(rule: SRule, file: string): RuleIR | undefined {
    const before = this.errors.length;
    const reg = rule.reg as RegName;
    const allowed = ACCESS_REGS[rule.access]!;
    if (!allowed.includes(reg)) {
      this.err(rule.regPos, `'${rule.access}' rules apply to ${allowed.join(', ')}, not '${rule.reg}'`);
      return undefined;
    }
    if (!this.regs.has(reg)) {
      this.err(rule.regPos, `unknown register '${rule.reg}' (no layout in spec/registers)`);
      return undefined;
    }
    if (TAKES_PARAM.has(rule.access) && rule.param === undefined)
      this.err(rule.regPos, `'on ${rule.access} ${reg}' needs a parameter name for the operand, e.g. (new)`);
    if (!TAKES_PARAM.has(rule.access) && rule.param !== undefined)
      this.err(rule.regPos, `'on ${rule.access} ${reg}' takes no operand`);
    let modes: ModeClass[] | undefined;
    if (rule.modes) {
      modes = [];
      for (const m of rule.modes) {
        if ((MODE_CLASSES as readonly string[]).includes(m.name)) modes.push(m.name as ModeClass);
        else this.err(m.pos, `unknown mode '${m.name}' (expected one of ${MODE_CLASSES.join(', ')})`);
      }
    }
    const scope: Scope = { vars: new Map(), rule, reg };
    if (rule.param !== undefined) scope.vars.set(rule.param, { t: 'int', reg });
    const id = `${rule.access}-${reg}`;
    const stmts: StmtIR[] = [];
    let guards = 0;
    let acted = false;
    let hasResult = false;
    for (const s of rule.stmts) {
      if (s.t === 'action' && s.action.t === 'result') hasResult = true;
      const out = this.stmt(s, scope, id, () => ++guards);
      if (!out) continue;
      if (out.k === 'guard' && acted)
        this.err(s.pos, 'a fault must come before any assignment or effect (faults leave all state unchanged)');
      if (out.k === 'action') acted = true;
      stmts.push(out);
    }
    if (PRODUCES_RESULT.has(rule.access) && !hasResult)
      this.err(rule.pos, `'on ${rule.access} ${reg}' must say what the guest reads: add 'result <expr>'`);
    if (this.errors.length > before) return undefined;
    return { id, access: rule.access, reg, param: rule.param, modes, stmts, cites: rule.cites, file, pos: rule.pos };
  }

  private stmt(s: SStmt, scope: Scope, ruleId: string, nextGuard: () => number): StmtIR | undefined {
    switch (s.t) {
      case 'fault': {
        const exc = EXCEPTIONS[s.exc];
        if (!exc) {
          this.err(s.excPos, `unknown exception '#${s.exc}' (expected #GP(0) or #UD)`);
          return undefined;
        }
        if (exc.hasCode && s.code === undefined) this.err(s.excPos, `#${s.exc} needs an error code, e.g. #${s.exc}(0)`);
        if (!exc.hasCode && s.code !== undefined) this.err(s.excPos, `#${s.exc} has no error code`);
        const cond = this.cond(s.cond, scope);
        if (!cond) return undefined;
        const guard: GuardIR = {
          id: `${ruleId}/g${nextGuard()}`,
          vector: exc.vector,
          errorCode: exc.hasCode ? (s.code ?? 0) : undefined,
          mnemonic: exc.hasCode ? `#${s.exc}(${s.code ?? 0})` : `#${s.exc}`,
          cond,
          cites: s.cites,
          text: s.text,
          pos: s.pos,
        };
        return { k: 'guard', guard };
      }
      case 'let': {
        if (scope.vars.has(s.name) || this.regs.has(s.name as RegName)) {
          this.err(s.pos, `'${s.name}' is already defined`);
          return undefined;
        }
        const r = this.expr(s.e, scope);
        if (!r) return undefined;
        scope.vars.set(s.name, r.ty);
        return { k: 'let', name: s.name, e: r.e, pos: s.pos };
      }
      case 'action': {
        const when = s.when ? this.cond(s.when, scope) : undefined;
        if (s.when && !when) return undefined;
        const action = this.action(s.action, scope);
        if (!action) return undefined;
        return { k: 'action', when, action, cites: s.cites, text: s.text };
      }
    }
  }

  private action(a: SAction, scope: Scope): ActionIR | undefined {
    switch (a.t) {
      case 'guest': {
        const facts = this.regs.get(a.reg as RegName);
        if (!facts) {
          this.err(a.regPos, `unknown register '${a.reg}'`);
          return undefined;
        }
        const r = this.expr(a.e, scope);
        if (!r) return undefined;
        if (a.field === undefined) {
          if (r.ty.t !== 'int') return this.fail(a.e.pos, `guest ${a.reg} needs a number, got a condition`);
          return { k: 'guest', reg: facts.name, msb: facts.width - 1, lsb: 0, whole: true, e: r.e, pos: a.pos };
        }
        const f = this.field(facts, a.field, undefined, a.regPos);
        if (!f) return undefined;
        return { k: 'guest', reg: facts.name, msb: f.msb, lsb: f.lsb, whole: false, e: this.asInt(r, f, a.e.pos), pos: a.pos };
      }
      case 'hardware': {
        const facts = this.regs.get(a.reg as RegName);
        if (!facts) return this.fail(a.pos, `unknown register '${a.reg}'`);
        const r = this.expr(a.e, scope);
        if (!r) return undefined;
        if (r.ty.t !== 'int') return this.fail(a.e.pos, `hardware ${a.reg} needs a number, got a condition`);
        let owned = 0n;
        for (const x of a.except) {
          const f = this.field(facts, x.name, undefined, x.pos);
          if (f) owned |= rangeMask(f.msb, f.lsb);
        }
        return { k: 'hardware', reg: facts.name, e: r.e, ownedMask: owned, pos: a.pos };
      }
      case 'result': {
        const r = this.expr(a.e, scope);
        if (!r) return undefined;
        if (r.ty.t !== 'int') return this.fail(a.e.pos, 'result needs a number, got a condition');
        return { k: 'result', e: r.e, pos: a.pos };
      }
      case 'effect': {
        const eff = this.effect(a, scope);
        return eff ? { k: 'effect', effect: eff, pos: a.pos } : undefined;
      }
    }
  }

  private effect(a: Extract<SAction, { t: 'effect' }>, scope: Scope): EffectIR | undefined {
    const arity = (n: number): boolean => {
      if (a.args.length === n) return true;
      this.err(a.pos, `effect ${a.name} takes ${n} argument${n === 1 ? '' : 's'}, got ${a.args.length}`);
      return false;
    };
    switch (a.name) {
      case 'paging_mode_changed':
        return arity(0) ? { name: 'paging_mode_changed' } : undefined;
      case 'cr3_loaded':
      case 'flush_tlb': {
        if (!arity(1)) return undefined;
        const scopeArg = this.flushArg(a.args[0]!, scope);
        return scopeArg ? { name: a.name, scope: scopeArg } : undefined;
      }
      default:
        return this.fail(a.pos, `unknown effect '${a.name}' (expected paging_mode_changed, cr3_loaded(scope), flush_tlb(scope))`);
    }
  }

  private flushArg(e: SExpr, scope: Scope): FlushArg | undefined {
    if (e.t === 'ident' && e.name === 'all') return { kind: 'all' };
    if (e.t === 'ident' && e.name === 'non_global') return { kind: 'non-global' };
    if (e.t === 'call' && (e.name === 'pcid' || e.name === 'page') && e.args.length === 1) {
      const r = this.expr(e.args[0]!, scope);
      if (!r) return undefined;
      if (r.ty.t !== 'int') return this.fail(e.args[0]!.pos, `${e.name}(...) needs a number`);
      return e.name === 'pcid' ? { kind: 'pcid', pcid: r.e } : { kind: 'page', linear: r.e };
    }
    return this.fail(e.pos, 'flush scope must be all, non_global, pcid(<expr>) or page(<expr>)');
  }

  private fail(pos: SourcePos, message: string): undefined {
    this.err(pos, message);
    return undefined;
  }

  private cond(e: SExpr, scope: Scope): Expr | undefined {
    const r = this.expr(e, scope);
    if (!r) return undefined;
    if (r.ty.t !== 'bool') return this.fail(e.pos, 'expected a condition, got a number (compare it: `... != 0`)');
    return r.e;
  }

  /** Coerce a value for a field of width msb:lsb: bools go into single-bit fields as 0/1. */
  private asInt(r: { e: Expr; ty: Ty }, f: { msb: number; lsb: number }, pos: SourcePos): Expr {
    if (r.ty.t === 'int') return r.e;
    if (f.msb !== f.lsb) this.err(pos, `a condition can only be stored in a single-bit field`);
    return r.e;
  }

  private field(facts: RegFacts, name: string, layout: string | undefined, pos: SourcePos): { msb: number; lsb: number } | undefined {
    const key = name.toUpperCase();
    if (layout !== undefined) {
      const l = facts.layouts.get(layout);
      if (!l) return this.fail(pos, `${facts.name} has no layout '${layout}' (layouts: ${[...facts.layouts.keys()].join(', ')})`);
      const f = l.fields.get(key);
      return f ?? this.fail(pos, `${facts.name} layout '${layout}' has no field '${name}'`);
    }
    let found: { msb: number; lsb: number } | undefined;
    for (const l of facts.layouts.values()) {
      const f = l.fields.get(key);
      if (!f) continue;
      if (found && (found.msb !== f.msb || found.lsb !== f.lsb))
        return this.fail(pos, `field '${name}' of ${facts.name} has different bits in different layouts; name the layout`);
      found = f;
    }
    return found ?? this.fail(pos, `${facts.name} has no field '${name}'`);
  }

  private mask(facts: RegFacts, cls: MaskClass, layout: string | undefined, pos: SourcePos): bigint | undefined {
    const name = layout ?? facts.defaultLayout;
    const l = facts.layouts.get(name);
    if (!l) {
      if (layout === undefined)
        return this.fail(pos, `${facts.name} has several layouts; say which: .${cls}(${[...facts.layouts.keys()].join('|')})`);
      return this.fail(pos, `${facts.name} has no layout '${layout}' (layouts: ${[...facts.layouts.keys()].join(', ')})`);
    }
    return l[cls];
  }

  /** Type-check and resolve an expression. */
  expr(e: SExpr, scope: Scope): { e: Expr; ty: Ty } | undefined {
    switch (e.t) {
      case 'num':
        return { e: { k: 'num', v: e.v }, ty: INT };
      case 'ident':
        return this.ident(e, scope);
      case 'guestReg': {
        const facts = this.regs.get(e.reg as RegName);
        if (!facts) return this.fail(e.pos, `unknown register '${e.reg}'`);
        return { e: { k: 'reg', reg: facts.name, at: 'current' }, ty: { t: 'int', reg: facts.name } };
      }
      case 'field': {
        const base = this.expr(e.e, scope);
        if (!base) return undefined;
        if (base.ty.t !== 'int' || base.ty.reg === undefined)
          return this.fail(e.pos, `'.${e.name}' needs a register value (this expression has no register layout)`);
        const facts = this.regs.get(base.ty.reg)!;
        if ((MASK_CLASSES as readonly string[]).includes(e.name)) {
          const m = this.mask(facts, e.name as MaskClass, e.layout, e.pos);
          if (m === undefined) return undefined;
          return { e: { k: 'bin', op: '&', a: base.e, b: { k: 'num', v: m } }, ty: base.ty };
        }
        const f = this.field(facts, e.name, e.layout, e.pos);
        if (!f) return undefined;
        const single = f.msb === f.lsb;
        return { e: { k: 'bits', e: base.e, msb: f.msb, lsb: f.lsb, bool: single }, ty: single ? BOOL : INT };
      }
      case 'slice': {
        const base = this.expr(e.e, scope);
        if (!base) return undefined;
        if (base.ty.t !== 'int') return this.fail(e.pos, 'bit slice of a condition');
        if (e.msb < e.lsb || e.msb > 63) return this.fail(e.pos, `bad bit range [${e.msb}:${e.lsb}]`);
        return { e: { k: 'bits', e: base.e, msb: e.msb, lsb: e.lsb, bool: false }, ty: INT };
      }
      case 'not': {
        const x = this.cond(e.e, scope);
        return x ? { e: { k: 'not', e: x }, ty: BOOL } : undefined;
      }
      case 'inv': {
        const x = this.expr(e.e, scope);
        if (!x) return undefined;
        if (x.ty.t !== 'int') return this.fail(e.pos, "'~' needs a number; use 'not' for conditions");
        return { e: { k: 'inv', e: x.e, width: 64 }, ty: INT };
      }
      case 'in': {
        if (!(e.e.t === 'ident' && e.e.name === 'mode')) return this.fail(e.pos, "'in (...)' only tests the mode: mode in (compat, long64)");
        const modes = this.modes(e.names);
        return modes ? { e: { k: 'mode', modes }, ty: BOOL } : undefined;
      }
      case 'with':
        return this.withExpr(e, scope);
      case 'call':
        return this.call(e, scope);
      case 'bin':
        return this.bin(e, scope);
    }
  }

  private modes(names: { name: string; pos: SourcePos }[]): ModeClass[] | undefined {
    const out: ModeClass[] = [];
    for (const n of names) {
      if (!(MODE_CLASSES as readonly string[]).includes(n.name))
        return this.fail(n.pos, `unknown mode '${n.name}' (expected one of ${MODE_CLASSES.join(', ')})`);
      out.push(n.name as ModeClass);
    }
    return out;
  }

  private ident(e: Extract<SExpr, { t: 'ident' }>, scope: Scope): { e: Expr; ty: Ty } | undefined {
    const v = scope.vars.get(e.name);
    if (v) return { e: { k: 'var', name: e.name }, ty: v };
    if (e.name === 'old') return { e: { k: 'reg', reg: scope.reg, at: 'start' }, ty: { t: 'int', reg: scope.reg } };
    if (e.name === 'cpl') return { e: { k: 'cpl' }, ty: INT };
    if (e.name === 'index') {
      if (!['wrmsr', 'rdmsr', 'xsetbv'].includes(scope.rule.access)) return this.fail(e.pos, "'index' (ECX) exists only in wrmsr, rdmsr and xsetbv rules");
      return { e: { k: 'index' }, ty: INT };
    }
    if (e.name === 'maxphyaddr') return { e: { k: 'num', v: BigInt(this.maxPhysAddr) }, ty: INT };
    if (e.name === 'true' || e.name === 'false') return { e: { k: 'bool', v: e.name === 'true' }, ty: BOOL };
    if (e.name === 'mode') return this.fail(e.pos, "'mode' can only be compared: mode == long64, mode in (compat, long64)");
    const facts = this.regs.get(e.name as RegName);
    if (facts) return { e: { k: 'reg', reg: facts.name, at: 'start' }, ty: { t: 'int', reg: facts.name } };
    if (/^[A-Z][A-Z0-9]*$/.test(e.name) && /^(CR|DR|XCR)\d+$|^EFER$/.test(e.name)) return this.fail(e.pos, `unknown register '${e.name}'`);
    return this.fail(e.pos, `unknown name '${e.name}'`);
  }

  private withExpr(e: Extract<SExpr, { t: 'with' }>, scope: Scope): { e: Expr; ty: Ty } | undefined {
    const base = this.expr(e.e, scope);
    if (!base) return undefined;
    if (base.ty.t !== 'int' || base.ty.reg === undefined) return this.fail(e.pos, "'with' needs a register value on its left");
    const facts = this.regs.get(base.ty.reg)!;
    const sets: { msb: number; lsb: number; value: Expr }[] = [];
    const out: Expr = { k: 'with', e: base.e, sets: [] };
    const masked: { k: 'num'; v: bigint }[] = [];
    for (const s of e.sets) {
      const v = this.expr(s.value, scope);
      if (!v) return undefined;
      if ((MASK_CLASSES as readonly string[]).includes(s.name)) {
        if (!(s.value.t === 'num' && s.value.v === 0n)) return this.fail(s.value.pos, `'${s.name}' bits can only be set to 0`);
        const m = this.mask(facts, s.name as MaskClass, undefined, s.pos);
        if (m === undefined) return undefined;
        masked.push({ k: 'num', v: m });
        continue;
      }
      const f = this.field(facts, s.name, undefined, s.pos);
      if (!f) return undefined;
      sets.push({ msb: f.msb, lsb: f.lsb, value: this.asInt(v, f, s.value.pos) });
    }
    let inner: Expr = base.e;
    for (const m of masked) inner = { k: 'bin', op: '&', a: inner, b: { k: 'num', v: ~m.v & MASK64 } };
    if (sets.length === 0) return { e: inner, ty: base.ty };
    return { e: { ...out, e: inner, sets }, ty: base.ty };
  }

  private call(e: Extract<SExpr, { t: 'call' }>, scope: Scope): { e: Expr; ty: Ty } | undefined {
    switch (e.name) {
      case 'rising':
      case 'falling':
      case 'changed': {
        const nv = scope.vars.get('new');
        if (!nv) return this.fail(e.pos, `${e.name}() compares old with 'new': name the operand (new) or 'let new = ...'`);
        if (e.args.length === 0 || (e.name !== 'changed' && e.args.length !== 1))
          return this.fail(e.pos, `${e.name}() takes ${e.name === 'changed' ? 'one or more field names' : 'one field name'}`);
        const facts = this.regs.get(scope.reg)!;
        const oldV: Expr = { k: 'reg', reg: scope.reg, at: 'start' };
        const newV: Expr = { k: 'var', name: 'new' };
        let m = 0n;
        for (const a of e.args) {
          if (a.t !== 'ident') return this.fail(a.pos, `${e.name}() takes field names of ${scope.reg}`);
          const f = this.field(facts, a.name, undefined, a.pos);
          if (!f) return undefined;
          if (e.name !== 'changed' && f.msb !== f.lsb) return this.fail(a.pos, `${e.name}() needs a single-bit field; use changed(${a.name})`);
          m |= rangeMask(f.msb, f.lsb);
        }
        const num = (v: bigint): Expr => ({ k: 'num', v });
        if (e.name === 'changed') {
          // changed(F, G, ...): old and new differ in any of the fields.
          const diff: Expr = { k: 'bin', op: '&', a: { k: 'bin', op: '^', a: oldV, b: newV }, b: num(m) };
          return { e: { k: 'cmp', op: '!=', a: diff, b: num(0n) }, ty: BOOL };
        }
        const bit = (x: Expr): Expr => ({ k: 'cmp', op: '!=', a: { k: 'bin', op: '&', a: x, b: num(m) }, b: num(0n) });
        const [from, to] = e.name === 'rising' ? [oldV, newV] : [newV, oldV];
        return { e: { k: 'and', a: { k: 'not', e: bit(from) }, b: bit(to) }, ty: BOOL };
      }
      case 'pdptes_ok': {
        if (e.args.length !== 1) return this.fail(e.pos, 'pdptes_ok() takes the CR3 value to load from');
        const r = this.expr(e.args[0]!, scope);
        if (!r) return undefined;
        if (r.ty.t !== 'int') return this.fail(e.args[0]!.pos, 'pdptes_ok() needs a CR3 value');
        return { e: { k: 'pdptes', cr3: r.e }, ty: BOOL };
      }
      default:
        return this.fail(e.pos, `unknown function '${e.name}' (expected rising, falling, changed, pdptes_ok)`);
    }
  }

  private bin(e: Extract<SExpr, { t: 'bin' }>, scope: Scope): { e: Expr; ty: Ty } | undefined {
    if ((e.op === '==' || e.op === '!=') && e.a.t === 'ident' && e.a.name === 'mode') {
      if (e.b.t !== 'ident') return this.fail(e.b.pos, 'compare mode with a mode name');
      const modes = this.modes([{ name: e.b.name, pos: e.b.pos }]);
      if (!modes) return undefined;
      const m: Expr = { k: 'mode', modes };
      return { e: e.op === '==' ? m : { k: 'not', e: m }, ty: BOOL };
    }
    const a = this.expr(e.a, scope);
    const b = this.expr(e.b, scope);
    if (!a || !b) return undefined;
    switch (e.op) {
      case 'and':
      case 'or':
        if (a.ty.t !== 'bool') return this.fail(e.a.pos, `'${e.op}' needs conditions; compare numbers first (x != 0)`);
        if (b.ty.t !== 'bool') return this.fail(e.b.pos, `'${e.op}' needs conditions; compare numbers first (x != 0)`);
        return { e: { k: e.op, a: a.e, b: b.e }, ty: BOOL };
      case '==':
      case '!=':
        if (a.ty.t !== b.ty.t) return this.fail(e.pos, `cannot compare a ${a.ty.t === 'bool' ? 'condition' : 'number'} with a ${b.ty.t === 'bool' ? 'condition' : 'number'}`);
        return { e: { k: 'cmp', op: e.op, a: a.e, b: b.e }, ty: BOOL };
      case '<':
      case '>':
      case '<=':
      case '>=':
        if (a.ty.t !== 'int' || b.ty.t !== 'int') return this.fail(e.pos, `'${e.op}' compares numbers`);
        return { e: { k: 'cmp', op: e.op, a: a.e, b: b.e }, ty: BOOL };
      case '&':
      case '|':
      case '^':
      case '<<':
      case '>>': {
        if (a.ty.t !== 'int') return this.fail(e.a.pos, `'${e.op}' needs numbers; use and/or/not for conditions`);
        if (b.ty.t !== 'int') return this.fail(e.b.pos, `'${e.op}' needs numbers; use and/or/not for conditions`);
        const reg = e.op === '&' || e.op === '|' ? (a.ty.reg ?? b.ty.reg) : undefined;
        return { e: { k: 'bin', op: e.op, a: a.e, b: b.e }, ty: { t: 'int', reg } };
      }
      default:
        return this.fail(e.pos, `unknown operator '${e.op}'`);
    }
  }
}

export function rangeMask(msb: number, lsb: number): bigint {
  return (((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb)) & MASK64;
}

export { REG_NAMES };
