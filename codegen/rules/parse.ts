import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ohm from 'ohm-js';
import type { Node } from 'ohm-js';
import type { RulesGrammar } from './rules.ohm-bundle.js';
import type { SourcePos, SpecError } from '../ir.ts';
import { LineIndex } from '../diagnostics.ts';
import type { Access } from './ir.ts';
import type { SAction, SExpr, SPolicy, SRule, SStmt } from './ast.ts';

/**
 * The rules grammar, loaded once from its own file (codegen/rules/rules.ohm). After editing the
 * grammar run `npx ohm generateBundles --withTypes codegen/rules/rules.ohm` and delete the `.js`
 * bundle: the `.d.ts` types the semantic actions below.
 */
const grammar = ohm.grammar(readFileSync(fileURLToPath(new URL('./rules.ohm', import.meta.url)), 'utf8')) as RulesGrammar;

/** Rule numbers cited in a line's `# ...` comment (R6, R37a, P1). */
export function citesOf(line: string): string[] {
  const at = line.search(/#\s/);
  if (at < 0) return [];
  return [...line.slice(at).matchAll(/\b([RP]\d+[a-z]?)\b/g)].map((m) => m[1]!);
}

/** The statement's code without its trailing comment. */
function codeOf(line: string): string {
  const at = line.search(/#\s/);
  return (at < 0 ? line : line.slice(0, at)).trim();
}

function parseNumber(text: string): bigint {
  return BigInt(text.replace(/_/g, ''));
}

/** Parse one rules file into its surface AST, or report the syntax error with its position. */
export function parseRulesFile(file: string, text: string): { rules: SRule[]; policies: SPolicy[] } | { errors: SpecError[] } {
  const idx = new LineIndex(file, text);
  const match = grammar.match(text);
  if (match.failed()) {
    const at = match.getRightmostFailurePosition();
    return { errors: [{ pos: idx.pos(at), message: `syntax error: expected ${match.getExpectedText()}` }] };
  }
  const pos = (n: Node): SourcePos => idx.pos(n.source.startIdx);
  const lineOf = (n: Node): string => idx.line(pos(n).line);
  const sem = grammar.createSemantics();

  const ex = (n: Node): SExpr => n['expr']() as SExpr;
  const bin = (a: Node, op: string, b: Node, n: Node): SExpr => ({ t: 'bin', op, a: ex(a), b: ex(b), pos: pos(n) });
  const names = (list: Node): { name: string; pos: SourcePos }[] =>
    list.asIteration().children.map((c: Node) => ({ name: c.sourceString, pos: pos(c) }));

  sem.addOperation<unknown>('expr', {
    Expr(e) {
      return ex(e);
    },
    WithExpr_with(e, _w, sets) {
      return {
        t: 'with',
        e: ex(e),
        sets: sets.asIteration().children.map((s: Node) => ({
          name: s.child(0).sourceString,
          value: ex(s.child(2)),
          pos: pos(s),
        })),
        pos: pos(this),
      };
    },
    OrExpr_or(a, _o, b) {
      return bin(a, 'or', b, this);
    },
    AndExpr_and(a, _o, b) {
      return bin(a, 'and', b, this);
    },
    NotExpr_not(_n, e) {
      return { t: 'not', e: ex(e), pos: pos(this) };
    },
    CmpExpr_cmp(a, op, b) {
      return bin(a, op.sourceString, b, this);
    },
    CmpExpr_in(e, _in, _o, list, _c) {
      return { t: 'in', e: ex(e), names: names(list), pos: pos(this) };
    },
    BitOr_or(a, _o, b) {
      return bin(a, '|', b, this);
    },
    BitXor_xor(a, _o, b) {
      return bin(a, '^', b, this);
    },
    BitAnd_and(a, _o, b) {
      return bin(a, '&', b, this);
    },
    Shift_shift(a, op, b) {
      return bin(a, op.sourceString, b, this);
    },
    Unary_inv(_t, e) {
      return { t: 'inv', e: ex(e), pos: pos(this) };
    },
    Postfix_masklayout(e, _d, name, _o, layout, _c) {
      return { t: 'field', e: ex(e), name: name.sourceString, layout: layout.sourceString, pos: pos(name) };
    },
    Postfix_field(e, _d, name) {
      return { t: 'field', e: ex(e), name: name.sourceString, layout: undefined, pos: pos(name) };
    },
    Postfix_slice(e, _o, msb, _c, lsb, _e) {
      return { t: 'slice', e: ex(e), msb: Number(parseNumber(msb.sourceString)), lsb: Number(parseNumber(lsb.sourceString)), pos: pos(this) };
    },
    Postfix_bit(e, _o, bit, _c) {
      const b = Number(parseNumber(bit.sourceString));
      return { t: 'slice', e: ex(e), msb: b, lsb: b, pos: pos(this) };
    },
    Primary_paren(_o, e, _c) {
      return ex(e);
    },
    Primary_guest(_g, reg) {
      return { t: 'guestReg', reg: reg.sourceString, pos: pos(reg) };
    },
    Primary_call(name, _o, args, _c) {
      return { t: 'call', name: name.sourceString, args: args.asIteration().children.map(ex), pos: pos(this) };
    },
    Primary_num(n) {
      return { t: 'num', v: parseNumber(n.sourceString), pos: pos(this) };
    },
    Primary_ident(n) {
      return { t: 'ident', name: n.sourceString, pos: pos(this) };
    },
  });

  sem.addOperation<unknown>('action', {
    Action(a) {
      return a['action']();
    },
    GuestAssign(_g, reg, _d, field, _eq, e) {
      const f = field.children[0];
      return { t: 'guest', reg: reg.sourceString, field: f?.sourceString, e: ex(e), pos: pos(this), regPos: pos(reg) } satisfies SAction;
    },
    HwAssign(_h, reg, _eq, e, except) {
      const ex0 = except.children[0];
      return {
        t: 'hardware',
        reg: reg.sourceString,
        e: ex(e),
        except: ex0 ? names(ex0.child(1)) : [],
        pos: pos(this),
      } satisfies SAction;
    },
    Effect(_e, name, args) {
      const a = args.children[0];
      return { t: 'effect', name: name.sourceString, args: a ? a.child(1).asIteration().children.map(ex) : [], pos: pos(name) } satisfies SAction;
    },
    Result(_r, e) {
      return { t: 'result', e: ex(e), pos: pos(this) } satisfies SAction;
    },
  });

  sem.addOperation<unknown>('stmt', {
    Stmt(s) {
      return s['stmt']();
    },
    Fault(_f, exc, _w, cond) {
      const code = exc.child(3).children[0];
      const line = lineOf(this);
      return {
        t: 'fault',
        exc: exc.child(1).sourceString,
        code: code ? Number(parseNumber(code.sourceString)) : undefined,
        cond: ex(cond),
        pos: pos(this),
        excPos: pos(exc),
        text: codeOf(line),
        cites: citesOf(line),
      } satisfies SStmt;
    },
    Let(_l, name, _eq, e) {
      return { t: 'let', name: name.sourceString, e: ex(e), pos: pos(this) } satisfies SStmt;
    },
    When(_w, cond, _c, action) {
      const line = lineOf(this);
      return { t: 'action', when: ex(cond), action: action['action']() as SAction, pos: pos(this), text: codeOf(line), cites: citesOf(line) } satisfies SStmt;
    },
    Action(a) {
      const line = lineOf(this);
      return { t: 'action', when: undefined, action: a['action']() as SAction, pos: pos(this), text: codeOf(line), cites: citesOf(line) } satisfies SStmt;
    },
  });

  sem.addOperation<unknown>('rule', {
    Rule(_on, access, reg, param, modes, _o, stmts, _c) {
      const p = param.children[0];
      const m = modes.children[0];
      return {
        access: access.sourceString as Access,
        reg: reg.sourceString,
        regPos: pos(reg),
        param: p ? p.child(1).sourceString : undefined,
        modes: m ? names(m.child(1)) : undefined,
        stmts: stmts.children.map((s: Node) => s['stmt']() as SStmt),
        cites: citesOf(lineOf(this)),
        pos: pos(this),
      } satisfies SRule;
    },
  });

  sem.addOperation<unknown>('policy', {
    Policy(_p, name, description, _o, owns, _c) {
      return {
        name: name.sourceString,
        description: description.sourceString.slice(1, -1),
        owns: owns.children.flatMap((o: Node) =>
          o.child(2).asIteration().children.map((f: Node) => ({ reg: f.child(0).sourceString, field: f.child(2).sourceString, pos: pos(f) })),
        ),
        pos: pos(this),
      } satisfies SPolicy;
    },
  });

  const root = sem(match);
  const rules: SRule[] = [];
  const policies: SPolicy[] = [];
  for (const item of root.child(0).children as Node[]) {
    if (item.ctorName === 'Policy') policies.push(item['policy']() as SPolicy);
    else rules.push(item['rule']() as SRule);
  }
  return { rules, policies };
}
