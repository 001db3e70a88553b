import type { SourcePos, SpecError } from '../ir.ts';
import type { SPolicy } from './ast.ts';
import type { Access, Expr, RegFacts, RegName, RuleIR } from './ir.ts';

/**
 * CR ownership (VMX guest/host masks and read shadows, SDM Vol. 3C §25.3, §26.1.3), proved from
 * the rules. A bit the guest owns is written by MOV to CR / LMSW / CLTS straight into the
 * hardware register and read back from it, with no exit; a host-owned bit reads from the read
 * shadow, and a write that would change it relative to the shadow exits. Handing a bit to the
 * guest is safe exactly when no rule could have done anything else with it:
 *
 * - no guard of a rule that writes the register looks at the bit (of the operand, the old value
 *   or the value assigned so far) — apart from the CPL checks the hardware makes before any exit;
 * - no effect, and no condition of an effect, depends on it;
 * - the guest value the rule assigns carries the bit as the hardware would (MOV: the operand's
 *   bit; LMSW: bits 3:1 from the source, PE = old or source, bits above 3 unchanged; CLTS: TS=0,
 *   the rest unchanged), and the rule's `hardware` assignment copies the guest bit (not `except`);
 * - every read rule of the register is `result guest REG` behind hardware-made checks only:
 *   with masks, MOV from CR and SMSW never exit, so the read shadow must be able to answer them.
 *
 * Only CR0 and CR4 have masks; bits 63:32 are reserved in both and stay host-owned.
 */

export type MaskedReg = 'CR0' | 'CR4';
export const MASKED_REGS: readonly MaskedReg[] = ['CR0', 'CR4'];

/** Why a bit cannot be guest-owned: the statement that decides it. */
export interface Blocker {
  rule: string;
  file: string;
  line: number;
  text: string;
  why: string;
}

export interface RegOwnership {
  reg: MaskedReg;
  /** The largest safe guest-owned set (low 32 bits). */
  safe: bigint;
  /** Per bit that is not safe, the first statement that forbids it. */
  blocked: Map<number, Blocker>;
  /** Field name of each bit (for reports). */
  names: Map<number, string>;
  /** The register's read rules can be answered from a read shadow. */
  readsShadowable: boolean;
}

export interface PolicyIR {
  /** CLI spelling: `minimal_exits` → `minimal-exits`. */
  name: string;
  description: string;
  /** Guest-owned bits per register (absent: every access of the register exits). */
  owned: Map<MaskedReg, bigint>;
  file: string;
  pos: SourcePos;
}

type Deps = Map<string, bigint>;
const ALL = (1n << 64n) - 1n;
const PARAM = '$param';
const CPL = '$cpl';

function rangeMask(msb: number, lsb: number): bigint {
  return ((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb);
}

function union(...ds: Deps[]): Deps {
  const out: Deps = new Map();
  for (const d of ds) for (const [k, m] of d) out.set(k, (out.get(k) ?? 0n) | m);
  return out;
}

function restrict(d: Deps, mask: bigint): Deps {
  const out: Deps = new Map();
  for (const [k, m] of d) if ((m & mask) !== 0n || k === CPL) out.set(k, k === CPL ? m : m & mask);
  return out;
}

function widen(d: Deps): Deps {
  const out: Deps = new Map();
  for (const k of d.keys()) out.set(k, ALL);
  return out;
}

/** A symbolic single bit of a value: where it comes from. */
type Bit = { k: 'param' } | { k: 'old' } | { k: 'const'; v: 0 | 1 } | { k: 'old-or-param' } | { k: 'unknown' };

function sameBit(a: Bit, b: Bit): boolean {
  return a.k === b.k && (a.k !== 'const' || a.v === (b as { v: number }).v);
}

/** Walks one rule in order, tracking `let` bindings and what the guest register holds so far. */
class RuleWalk {
  private readonly lets = new Map<string, Expr>();
  /** The expression the rule's own register was last assigned (whole), with field assignments applied. */
  private current: Expr;

  constructor(private readonly rule: RuleIR) {
    this.current = { k: 'reg', reg: rule.reg, at: 'start' };
  }

  deps(e: Expr): Deps {
    switch (e.k) {
      case 'num':
      case 'bool':
      case 'index':
      case 'mode':
        return new Map();
      case 'cpl':
        return new Map([[CPL, 1n]]);
      case 'var': {
        const bound = this.lets.get(e.name);
        if (bound !== undefined) return this.deps(bound);
        return new Map([[PARAM, ALL]]);
      }
      case 'reg':
        if (e.at === 'current' && e.reg === this.rule.reg) return this.deps(this.current);
        return new Map([[e.reg, ALL]]);
      case 'bits':
        return restrict(this.deps(e.e), rangeMask(e.msb, e.lsb));
      case 'bin': {
        if (e.op === '&' && e.b.k === 'num') return restrict(this.deps(e.a), e.b.v);
        if (e.op === '&' && e.a.k === 'num') return restrict(this.deps(e.b), e.a.v);
        if (e.op === '<<' || e.op === '>>') return widen(union(this.deps(e.a), this.deps(e.b)));
        return union(this.deps(e.a), this.deps(e.b));
      }
      case 'cmp':
      case 'and':
      case 'or':
        return union(this.deps(e.a), this.deps(e.b));
      case 'not':
      case 'inv':
        return this.deps(e.e);
      case 'with': {
        let cleared = ALL;
        for (const s of e.sets) cleared &= ~rangeMask(s.msb, s.lsb);
        return union(restrict(this.deps(e.e), cleared), ...e.sets.map((s) => this.deps(s.value)));
      }
      case 'pdptes':
        return this.deps(e.cr3);
    }
  }

  /** Bit b of e as a source: the operand's bit, the register's old bit, a constant, or unknown. */
  bit(e: Expr, b: number): Bit {
    switch (e.k) {
      case 'num':
        return { k: 'const', v: ((e.v >> BigInt(b)) & 1n) === 1n ? 1 : 0 };
      case 'bool':
        return b === 0 ? { k: 'const', v: e.v ? 1 : 0 } : { k: 'const', v: 0 };
      case 'var': {
        const bound = this.lets.get(e.name);
        if (bound !== undefined) return this.bit(bound, b);
        return e.name === this.rule.param ? { k: 'param' } : { k: 'unknown' };
      }
      case 'reg':
        if (e.reg !== this.rule.reg) return { k: 'unknown' };
        return e.at === 'start' ? { k: 'old' } : this.bit(this.current, b);
      case 'bits':
        if (e.bool) return b === 0 ? this.bit(e.e, e.lsb) : { k: 'const', v: 0 };
        return b <= e.msb - e.lsb ? this.bit(e.e, b + e.lsb) : { k: 'const', v: 0 };
      case 'bin': {
        const konst = e.b.k === 'num' ? e.b.v : e.a.k === 'num' ? e.a.v : undefined;
        const other = e.b.k === 'num' ? e.a : e.b;
        if (konst === undefined || (e.op !== '&' && e.op !== '|')) return { k: 'unknown' };
        const set = ((konst >> BigInt(b)) & 1n) === 1n;
        if (e.op === '&') return set ? this.bit(other, b) : { k: 'const', v: 0 };
        return set ? { k: 'const', v: 1 } : this.bit(other, b);
      }
      case 'cmp':
        // `x & F != 0` is how a field test is written: the field's own bit.
        if (b === 0 && e.op === '!=' && e.b.k === 'num' && e.b.v === 0n && e.a.k === 'bin' && e.a.op === '&' && e.a.b.k === 'num') {
          const m = e.a.b.v;
          if ((m & (m - 1n)) === 0n && m !== 0n) return this.bit(e.a.a, m.toString(2).length - 1);
        }
        return { k: 'unknown' };
      case 'or': {
        if (b !== 0) return { k: 'const', v: 0 };
        const x = this.bit(e.a, 0);
        const y = this.bit(e.b, 0);
        if ((x.k === 'old' && y.k === 'param') || (x.k === 'param' && y.k === 'old')) return { k: 'old-or-param' };
        return { k: 'unknown' };
      }
      case 'with': {
        for (const s of e.sets) {
          if (b >= s.lsb && b <= s.msb) return this.bit(s.value, b - s.lsb);
        }
        return this.bit(e.e, b);
      }
      default:
        return { k: 'unknown' };
    }
  }

  let(name: string, e: Expr): void {
    this.lets.set(name, e);
  }

  assignGuest(msb: number, lsb: number, whole: boolean, e: Expr): void {
    this.current = whole ? e : { k: 'with', e: this.current, sets: [{ msb, lsb, value: e }] };
  }

  currentBit(b: number): Bit {
    return this.bit(this.current, b);
  }
}

/** What the hardware does with a guest-owned bit b of the written register, per access. */
function hardwareBit(access: Access, reg: RegName, b: number): Bit {
  if (access === 'write') return { k: 'param' };
  if (access === 'lmsw') return b === 0 ? { k: 'old-or-param' } : b <= 3 ? { k: 'param' } : { k: 'old' };
  if (access === 'clts') return reg === 'CR0' && b === 3 ? { k: 'const', v: 0 } : { k: 'old' };
  return { k: 'old' };
}

const WRITES: ReadonlySet<Access> = new Set(['write', 'lmsw', 'clts']);
const READS: ReadonlySet<Access> = new Set(['read', 'smsw']);

/** A guard the CPU makes itself before any exit (system.ts: CPL, and SMSW's UMIP check). */
function hardwareMade(rule: RuleIR, d: Deps): boolean {
  for (const [k, m] of d) {
    if (k === CPL) continue;
    if (rule.access === 'smsw' && k === 'CR4' && m === 1n << 11n) continue; // R35: UMIP
    return false;
  }
  return true;
}

function blocker(rule: RuleIR, pos: SourcePos | undefined, text: string, why: string): Blocker {
  return { rule: rule.id, file: rule.file, line: pos?.line ?? rule.pos.line, text, why };
}

/** The largest safe guest-owned set of CR0 and CR4, with the reason for every other bit. */
export function analyzeOwnership(rules: readonly RuleIR[], facts: Map<RegName, RegFacts>): Map<MaskedReg, RegOwnership> {
  const out = new Map<MaskedReg, RegOwnership>();
  for (const reg of MASKED_REGS) {
    const f = facts.get(reg);
    const names = new Map<number, string>();
    if (f !== undefined) {
      for (const layout of f.layouts.values()) {
        for (const [name, r] of layout.fields) for (let b = r.lsb; b <= r.msb; b++) if (b < 32) names.set(b, name);
      }
    }
    const blocked = new Map<number, Blocker>();
    const block = (b: number, why: Blocker): void => {
      if (!blocked.has(b)) blocked.set(b, why);
    };
    let readsShadowable = true;
    for (const rule of rules) {
      if (rule.reg !== reg) continue;
      const walk = new RuleWalk(rule);
      if (READS.has(rule.access)) {
        for (const s of rule.stmts) {
          if (s.k === 'guard' && !hardwareMade(rule, walk.deps(s.guard.cond))) {
            readsShadowable = false;
            for (let b = 0; b < 32; b++) block(b, blocker(rule, s.guard.pos, s.guard.text, 'a read rule checks more than the hardware does before an exit; reads with masks never exit'));
          }
          if (s.k === 'action' && s.action.k === 'result') {
            const e = s.action.e;
            if (!(e.k === 'reg' && e.reg === reg && e.at === 'current') || s.when !== undefined) {
              readsShadowable = false;
              for (let b = 0; b < 32; b++) block(b, blocker(rule, s.action.pos, s.text, `a read rule returns something other than 'guest ${reg}'; reads with masks never exit`));
            }
          }
        }
        continue;
      }
      if (!WRITES.has(rule.access)) continue;
      let hardwareSet: { mask: bigint; e: Expr; pos: SourcePos; text: string } | undefined;
      for (const s of rule.stmts) {
        if (s.k === 'let') {
          walk.let(s.name, s.e);
          continue;
        }
        if (s.k === 'guard') {
          const d = walk.deps(s.guard.cond);
          if (hardwareMade(rule, d)) continue;
          const mask = (d.get(PARAM) ?? 0n) | (d.get(reg) ?? 0n);
          for (let b = 0; b < 32; b++) if (((mask >> BigInt(b)) & 1n) === 1n) block(b, blocker(rule, s.guard.pos, s.guard.text, 'a guard tests it'));
          continue;
        }
        const a = s.action;
        const when: Deps = s.when === undefined ? new Map() : walk.deps(s.when);
        const whenMask = (when.get(PARAM) ?? 0n) | (when.get(reg) ?? 0n);
        if (a.k === 'effect') {
          const args: Deps = a.effect.name === 'paging_mode_changed' ? new Map() : scopeDeps(walk, a.effect.scope);
          const mask = whenMask | (args.get(PARAM) ?? 0n) | (args.get(reg) ?? 0n);
          for (let b = 0; b < 32; b++) if (((mask >> BigInt(b)) & 1n) === 1n) block(b, blocker(rule, a.pos, s.text, `effect ${a.effect.name} depends on it`));
          continue;
        }
        // An assignment of another register computed from the bit, or any conditional action
        // whose condition tests it, would be skipped by a write that does not exit.
        const own = (a.k === 'guest' || a.k === 'hardware') && a.reg === reg;
        const value: Deps = own || a.k === 'result' ? new Map() : walk.deps(a.e);
        const mask = whenMask | (value.get(PARAM) ?? 0n) | (value.get(reg) ?? 0n);
        for (let b = 0; b < 32; b++) if (((mask >> BigInt(b)) & 1n) === 1n) block(b, blocker(rule, a.pos, s.text, 'an action depends on it'));
        if (a.k === 'guest' && a.reg === reg) walk.assignGuest(a.msb, a.lsb, a.whole, a.e);
        if (a.k === 'hardware' && a.reg === reg) hardwareSet = { mask: a.ownedMask, e: a.e, pos: a.pos, text: s.text };
      }
      for (let b = 0; b < 32; b++) {
        const got = walk.currentBit(b);
        if (!sameBit(got, hardwareBit(rule.access, reg, b))) {
          block(b, blocker(rule, rule.pos, `on ${rule.access} ${reg}`, `the guest value it assigns does not carry the bit as the hardware would (${describe(got)})`));
          continue;
        }
        if (hardwareSet === undefined) {
          block(b, blocker(rule, rule.pos, `on ${rule.access} ${reg}`, `it never assigns the hardware ${reg}`));
        } else if (((hardwareSet.mask >> BigInt(b)) & 1n) === 1n) {
          block(b, blocker(rule, hardwareSet.pos, hardwareSet.text, 'the hardware bit belongs to the paging strategy (except)'));
        } else if (!sameBit(walk.bit(hardwareSet.e, b), got)) {
          block(b, blocker(rule, hardwareSet.pos, hardwareSet.text, 'the hardware value differs from the guest value'));
        }
      }
    }
    let safe = 0n;
    for (let b = 0; b < 32; b++) if (!blocked.has(b)) safe |= 1n << BigInt(b);
    out.set(reg, { reg, safe, blocked, names, readsShadowable });
  }
  return out;
}

function scopeDeps(walk: RuleWalk, scope: { kind: string; pcid?: Expr; linear?: Expr }): Deps {
  if (scope.pcid !== undefined) return walk.deps(scope.pcid);
  if (scope.linear !== undefined) return walk.deps(scope.linear);
  return new Map();
}

function describe(b: Bit): string {
  switch (b.k) {
    case 'param':
      return "the operand's bit";
    case 'old':
      return 'the old value';
    case 'const':
      return `always ${b.v}`;
    case 'old-or-param':
      return 'old or operand';
    case 'unknown':
      return 'computed';
  }
}

/** Resolve and check the policies' `guest owns` lists against the analysis (located errors). */
export function checkPolicies(
  policies: readonly { file: string; policy: SPolicy }[],
  analysis: Map<MaskedReg, RegOwnership>,
  facts: Map<RegName, RegFacts>,
): { policies: PolicyIR[]; errors: SpecError[] } {
  const errors: SpecError[] = [];
  const out: PolicyIR[] = [];
  const seen = new Map<string, SPolicy>();
  for (const { file, policy } of policies) {
    const name = policy.name.replace(/_/g, '-');
    const prev = seen.get(name);
    if (prev !== undefined) {
      errors.push({ pos: policy.pos, message: `policy '${policy.name}' is already defined at ${prev.pos.file}:${prev.pos.line}` });
      continue;
    }
    seen.set(name, policy);
    if (name === 'trap-all') errors.push({ pos: policy.pos, message: "'trap_all' is built in (every access exits); choose another name" });
    const owned = new Map<MaskedReg, bigint>();
    for (const o of policy.owns) {
      if (o.reg !== 'CR0' && o.reg !== 'CR4') {
        errors.push({ pos: o.pos, message: `only CR0 and CR4 have guest/host masks, not '${o.reg}'` });
        continue;
      }
      const reg = o.reg as MaskedReg;
      const range = [...(facts.get(reg)?.layouts.values() ?? [])].map((l) => l.fields.get(o.field.toUpperCase())).find((r) => r !== undefined);
      if (range === undefined) {
        errors.push({ pos: o.pos, message: `${reg} has no field '${o.field}'` });
        continue;
      }
      const a = analysis.get(reg)!;
      let mask = owned.get(reg) ?? 0n;
      for (let b = range.lsb; b <= range.msb; b++) {
        const why = b >= 32 ? undefined : a.blocked.get(b);
        if (b >= 32) {
          errors.push({ pos: o.pos, message: `${reg}.${o.field} cannot be guest-owned: bits 63:32 are always host-owned` });
        } else if (why !== undefined) {
          errors.push({
            pos: o.pos,
            message: `${reg}.${o.field} cannot be guest-owned: ${why.why} in rule '${why.rule}' at ${why.file}:${why.line}: ${why.text}`,
          });
        } else mask |= 1n << BigInt(b);
      }
      owned.set(reg, mask);
    }
    out.push({ name, description: policy.description, owned, file, pos: policy.pos });
  }
  return { policies: out, errors };
}
