import type { Expr, RuleIR } from './ir.ts';

/** Direct sub-expressions of an expression. */
export function exprChildren(e: Expr): Expr[] {
  switch (e.k) {
    case 'bits':
    case 'not':
    case 'inv':
      return [e.e];
    case 'bin':
    case 'cmp':
    case 'and':
    case 'or':
      return [e.a, e.b];
    case 'with':
      return [e.e, ...e.sets.map((s) => s.value)];
    case 'pdptes':
      return [e.cr3];
    default:
      return [];
  }
}

/** Every expression of a rule (guards, lets, conditions, assigned values, effect arguments). */
export function ruleExprs(rule: RuleIR): Expr[] {
  const out: Expr[] = [];
  for (const st of rule.stmts) {
    if (st.k === 'guard') out.push(st.guard.cond);
    else if (st.k === 'let') out.push(st.e);
    else {
      if (st.when) out.push(st.when);
      const a = st.action;
      if (a.k !== 'effect') out.push(a.e);
      else if (a.effect.name !== 'paging_mode_changed') {
        const sc = a.effect.scope;
        if (sc.kind === 'pcid') out.push(sc.pcid);
        if (sc.kind === 'page') out.push(sc.linear);
      }
    }
  }
  return out;
}

/** Visit every node of every expression of a rule, depth first. */
export function visitRule(rule: RuleIR, visit: (e: Expr) => void): void {
  const walk = (e: Expr): void => {
    visit(e);
    for (const c of exprChildren(e)) walk(c);
  };
  for (const e of ruleExprs(rule)) walk(e);
}
