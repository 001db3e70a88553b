import { type StatementStructures, StructureKind, VariableDeclarationKind } from 'ts-morph';
import type { SpecIR } from '../ir.ts';
import type { GeneratedFile } from '../pipeline.ts';
import { docText, finishTs, printStructures } from './format.ts';
import type { EffectIR, Expr, RegName, RuleIR, RuleSetIR, StmtIR } from '../rules/ir.ts';
import { isBoolExpr } from '../rules/interp.ts';
import { bitMask, ExprCompiler, GUEST_FIELD, hex, MASK64, MODE_VALUES, u64 } from './handler-expr.ts';

/**
 * Emits src/generated/handlers/<rules file>.ts (one exported function per rule) and
 * src/generated/handlers/index.ts (dispatch tables by exit kind). A handler is straight-line
 * code: guards first (each `return cx.raise(...)`), then guest assignments, hardware
 * programming and effects through RuleEffects (src/runtime/vmm/effects.ts). It takes the
 * operand as two 32-bit halves and computes on halves wherever an expression is bitwise over
 * the operand, guest registers and constants (View, handler-expr.ts); the rest is BigInt code.
 */

export const HANDLERS_DIR = 'src/generated/handlers';
export function handlerName(rule: RuleIR): string {
  const reg = rule.reg.charAt(0) + rule.reg.slice(1).toLowerCase();
  return `${rule.access}${reg}`;
}


/**
 * A handler's effects reach the strategy as a set where they can (RuleEffects.pagingModeChanged):
 * a rule's one `flush_tlb` before its one `paging_mode_changed` becomes the `flush` argument of the
 * mode change, and a plain `flushTlb` only when the mode did not change. The indices in
 * `rule.stmts` of that pair, or null.
 */
function flushModePair(rule: RuleIR): { flush: number; mode: number } | null {
  const at = (name: EffectIR['name']): number[] =>
    rule.stmts.flatMap((st, i) => (st.k === 'action' && st.action.k === 'effect' && st.action.effect.name === name ? [i] : []));
  const flushes = at('flush_tlb');
  const modes = at('paging_mode_changed');
  if (flushes.length !== 1 || modes.length !== 1 || flushes[0]! > modes[0]!) return null;
  return { flush: flushes[0]!, mode: modes[0]! };
}

/** How an effect statement is emitted: on its own, or as one half of flushModePair. */
type EffectRole = 'alone' | 'paired-flush' | 'paired-mode';

/**
 * Where a statement came from, for exit traces (RuleSites in src/runtime/vmm/effects.ts): a guard
 * names its index in the rule's site table as raise()'s third argument; a conditional action sets
 * its bit in the handler's `taken` word, stored in `cx.taken` when the handler completes. Both are
 * constants or a register OR in code that runs anyway: nothing is built or looked up unless a
 * tracer reads them.
 */
interface StmtSite {
  /** Index in the rule's site table. */
  site: number;
  /** Bit in `taken` (conditional actions), or -1. */
  bit: number;
}

function takenMark(bit: number): string {
  return `taken |= 0x${(2 ** bit).toString(16)};`;
}

function compileStmt(st: StmtIR, c: ExprCompiler, where: StmtSite, role: EffectRole = 'alone'): string[] {
  switch (st.k) {
    case 'guard': {
      const g = st.guard;
      const code = g.errorCode === undefined ? 'undefined' : String(g.errorCode);
      return [`// ${g.id}: ${g.text}${g.cites.length ? ` (${g.cites.join(', ')})` : ''}`, `if (${c.bool(g.cond)}) return cx.raise(${g.vector}, ${code}, ${where.site});`];
    }
    case 'let': {
      // Both forms; compileRule drops the one nothing reads.
      const big = `const ${c.local(st.name)} = ${isBoolExpr(st.e) ? c.bool(st.e) : c.int(st.e)};`;
      return [...(c.letHalves(st.name, st.e) ?? []), big];
    }
    case 'action': {
      const a = st.action;
      let body: string;
      switch (a.k) {
        case 'guest': {
          const f = GUEST_FIELD[a.reg];
          const setter = `set${f.charAt(0).toUpperCase()}${f.slice(1)}`;
          // A field assignment is the register `with` the field: one view covers both.
          const value: Expr = a.whole ? a.e : { k: 'with', e: { k: 'reg', reg: a.reg, at: 'current' }, sets: [{ msb: a.msb, lsb: a.lsb, value: a.e }] };
          const h = c.viewHalves(value);
          if (h) body = `g.${setter}(${h.lo}, ${h.hi});`;
          else if (a.whole) body = `g.${f} = ${c.int(a.e)};`;
          else {
            const m = bitMask(a.msb, a.lsb);
            const keepMask = ~m & MASK64;
            const keep = `(g.${f} & ${hex(keepMask)})`;
            if (a.e.k === 'num') {
              const v = (a.e.v << BigInt(a.lsb)) & m;
              body = `g.${f} = ${u64(v === 0n ? keep : `${keep} | ${hex(v)}`, keepMask)};`;
            } else {
              const v = isBoolExpr(a.e) ? `(${c.bool(a.e)} ? ${hex(m)} : 0n)` : `((${c.int(a.e)} << ${a.lsb}n) & ${hex(m)})`;
              body = `g.${f} = ${u64(`${keep} | ${v}`, keepMask)};`;
            }
          }
          break;
        }
        case 'hardware': {
          const h = c.halves(a.e);
          const owned = `0x${(a.ownedMask & 0xffff_ffffn).toString(16)}, 0x${(a.ownedMask >> 32n).toString(16)}`;
          const call = `cx.setHardware('${GUEST_FIELD[a.reg]}', ${h.lo}, ${h.hi}, ${owned});`;
          body = h.pre ? `{ ${h.pre} ${call} }` : call;
          break;
        }
        case 'result': {
          const h = c.halves(a.e);
          const call = `cx.produce(${h.lo}, ${h.hi});`;
          body = h.pre ? `{ ${h.pre} ${call} }` : call;
          break;
        }
        case 'effect': {
          const eff = a.effect;
          const comment = `// ${st.text}`;
          if (role === 'paired-flush' && eff.name === 'flush_tlb') {
            const scope = c.flush(eff.scope);
            if (!st.when) return [comment, `const flush = ${scope};`];
            return [comment, `const flush = ${c.bool(st.when)} ? ${scope} : null;`, `if (flush !== null) ${takenMark(where.bit)}`];
          }
          if (role === 'paired-mode') {
            const call = 'cx.pagingModeChanged(flush);';
            return st.when ? [comment, `if (${c.bool(st.when)}) { ${takenMark(where.bit)} ${call} } else if (flush !== null) cx.flushTlb(flush);`] : [comment, call];
          }
          body =
            eff.name === 'paging_mode_changed'
              ? 'cx.pagingModeChanged(null);'
              : eff.name === 'cr3_loaded'
                ? `cx.cr3Loaded(${c.flush(eff.scope)});`
                : `cx.flushTlb(${c.flush(eff.scope)});`;
          break;
        }
      }
      const comment = `// ${st.text}`;
      return st.when ? [comment, `if (${c.bool(st.when)}) { ${takenMark(where.bit)} ${body} }`] : [comment, body];
    }
  }
}

/** One row of a rule's site table (RuleSites.stmts at run time). */
interface SiteRow {
  line: number;
  text: string;
  kind: 'guard' | 'guest' | 'hardware' | 'effect' | 'result';
  bit: number;
}

/** The site of each guard and action (lets have none), and the bits of the conditional ones. */
function ruleSites(rule: RuleIR): { where: (StmtSite | undefined)[]; rows: SiteRow[] } {
  const rows: SiteRow[] = [];
  let bits = 0;
  const where = rule.stmts.map((st): StmtSite | undefined => {
    if (st.k === 'let') return undefined;
    const site = rows.length;
    if (st.k === 'guard') {
      rows.push({ line: st.guard.pos.line, text: st.guard.text, kind: 'guard', bit: -1 });
      return { site, bit: -1 };
    }
    const bit = st.when ? bits++ : -1;
    if (bit > 30) throw new Error(`${rule.file}:${rule.pos.line}: rule ${rule.id} has more than 31 conditional actions (the exit trace's taken word)`);
    rows.push({ line: st.action.pos.line, text: st.text, kind: st.action.k, bit });
    return { site, bit };
  });
  return { where, rows };
}

function compileRule(rule: RuleIR): { name: string; body: string; rows: SiteRow[] } {
  const assigned = new Set<RegName>();
  for (const st of rule.stmts) if (st.k === 'action' && st.action.k === 'guest') assigned.add(st.action.reg);
  const c = new ExprCompiler(rule.param, assigned);
  let lines: string[] = [];
  const pair = flushModePair(rule);
  const sites = ruleSites(rule);
  const conditional = sites.rows.some((r) => r.bit >= 0);
  rule.stmts.forEach((st, i) =>
    lines.push(...compileStmt(st, c, sites.where[i] ?? { site: -1, bit: -1 }, i === pair?.flush ? 'paired-flush' : i === pair?.mode ? 'paired-mode' : 'alone')),
  );
  // Drop `let` forms nothing reads (each `let` is emitted on halves and as BigInt).
  const isCode = (l: string): boolean => !l.startsWith('//');
  const refs = (name: string, except: number): boolean => lines.some((l, i) => i !== except && isCode(l) && new RegExp(`\\b${name}\\b`).test(l));
  for (let n = -1; n !== lines.length; ) {
    n = lines.length;
    lines = lines.filter((l, i) => {
      const m = /^const (v_\w+) = /.exec(l);
      return m === null || refs(m[1]!, i);
    });
  }
  const prologue: string[] = ['const g = cx.guest;'];
  if (c.usesMode || rule.modes) prologue.push('const mode = cx.mode;');
  const code = lines.filter(isCode).join('\n');
  for (const r of [...c.startRegs].sort()) {
    const name = `start_${GUEST_FIELD[r]}`;
    if (new RegExp(`\\b${name}\\b`).test(code)) prologue.push(`const ${name} = g.${GUEST_FIELD[r]};`);
  }
  for (const l of c.leaves.values()) {
    if (new RegExp(`\\b${l.lo}\\b`).test(code)) prologue.push(`const ${l.lo} = ${l.loInit};`);
    if (new RegExp(`\\b${l.hi}\\b`).test(code)) prologue.push(`const ${l.hi} = ${l.hiInit};`);
  }
  if (rule.modes) {
    const vals = rule.modes.flatMap((m) => MODE_VALUES[m]);
    prologue.push(`// Only in ${rule.modes.join(', ')} (elsewhere #UD).`, `if (!(${vals.map((v) => `mode === '${v}'`).join(' || ')})) return cx.raise(6, undefined, -1);`);
  }
  // The conditional actions that ran, for exit traces (one register OR each, one store at the end).
  if (conditional) prologue.push('let taken = 0;');
  const epilogue = conditional ? ['cx.taken = taken;', 'return true;'] : ['return true;'];
  return { name: handlerName(rule), body: [...prologue, ...lines, ...epilogue].join('\n'), rows: sites.rows };
}

/** A rule's site table as TypeScript source (RuleSites). */
function sitesLiteral(rule: RuleIR, rows: SiteRow[]): string {
  const head = `on ${rule.access} ${rule.reg}${rule.param ? ` (${rule.param})` : ''}`;
  const stmts = rows.map((r) => `{ line: ${r.line}, text: ${JSON.stringify(r.text)}, kind: '${r.kind}', bit: ${r.bit} }`);
  return `{ id: '${rule.id}', file: '${rule.file}', line: ${rule.pos.line}, text: ${JSON.stringify(head)}, stmts: [${stmts.join(', ')}] }`;
}

function fileBase(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.rules$/, '');
}

/** The exit kinds the dispatch table maps to rules. */
function dispatchStatements(rules: RuleIR[], spec: SpecIR): StatementStructures[] {
  const by = (access: string): RuleIR[] => rules.filter((r) => r.access === access);
  const crTable = (access: string): string =>
    `{ ${by(access)
      .map((r) => `${Number(r.reg.slice(2))}: ${handlerName(r)}`)
      .join(', ')} }`;
  const msrIndex = (reg: RegName): number => {
    const r = spec.registers.find((x) => x.name.toUpperCase() === reg);
    if (r?.msr === undefined) throw new Error(`register ${reg} has no msr index`);
    return r.msr;
  };
  const msrTable = (access: string): string =>
    `new Map<number, RuleHandler>([${by(access)
      .map((r) => `[0x${msrIndex(r.reg).toString(16)}, ${handlerName(r)}]`)
      .join(', ')}])`;
  const single = (access: string): string => {
    const r = by(access)[0];
    return r ? handlerName(r) : 'undefined';
  };
  const v = (name: string, type: string, init: string, doc: string): StatementStructures => ({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [doc],
    declarations: [{ name, type, initializer: init }],
  });
  return [
    v('CR_WRITE', 'Readonly<Record<number, RuleHandler | undefined>>', crTable('write'), 'MOV to CRn, by n (operand: the source value).'),
    v('CR_READ', 'Readonly<Record<number, RuleHandler | undefined>>', crTable('read'), 'MOV from CRn, by n (result via RuleEffects.produce).'),
    v('LMSW', 'RuleHandler | undefined', single('lmsw'), 'LMSW (operand: the 16-bit source).'),
    v('CLTS', 'RuleHandler | undefined', single('clts'), 'CLTS.'),
    v('SMSW', 'RuleHandler | undefined', single('smsw'), 'SMSW (result: the value to store; the operand size decides how much).'),
    v('WRMSR', 'ReadonlyMap<number, RuleHandler>', msrTable('wrmsr'), 'WRMSR, by MSR index (operand: EDX:EAX).'),
    v('RDMSR', 'ReadonlyMap<number, RuleHandler>', msrTable('rdmsr'), 'RDMSR, by MSR index (result: EDX:EAX).'),
    v('XSETBV', 'RuleHandler | undefined', single('xsetbv'), 'XSETBV (operand: EDX:EAX; index: ECX).'),
    v(
      'RULE_IDS',
      'Readonly<Record<string, RuleHandler>>',
      `{ ${rules.map((r) => `'${r.id}': ${handlerName(r)}`).join(', ')} }`,
      'Every handler by rule id (as cited in conformance vectors).',
    ),
    v(
      'RULE_SITES',
      'ReadonlyMap<RuleHandler, RuleSites>',
      `new Map<RuleHandler, RuleSites>([${rules.map((r) => `[${handlerName(r)}, ${handlerName(r)}Sites]`).join(', ')}])`,
      'Each handler\'s site table (exit traces: where its guards and actions are in spec/rules).',
    ),
  ];
}

export async function emitHandlers(set: RuleSetIR, spec: SpecIR): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  const imports: StatementStructures[] = [];
  for (const file of set.files) {
    const rules = set.rules.filter((r) => r.file === file);
    if (rules.length === 0) continue;
    const base = fileBase(file);
    const compiled = rules.map(compileRule);
    const all = compiled.map((x) => x.body).join('\n');
    const fx = ['FLUSH_ALL', 'FLUSH_NON_GLOBAL', 'hi32', 'join64', 'lo32'].filter((n) => new RegExp(`\\b${n}\\b(?!\\s*=)`).test(all));
    const statements: StatementStructures[] = [
      { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../../runtime/vmm/effects.ts', namedImports: [...fx, 'type RuleEffects', 'type RuleSites'] },
    ];
    for (const [i, rule] of rules.entries()) {
      const { name, body } = compiled[i]!;
      statements.push({
        kind: StructureKind.Function,
        name,
        isExported: true,
        docs: [docText(`on ${rule.access} ${rule.reg}${rule.param ? ` (${rule.param})` : ''} — ${file}:${rule.pos.line}${rule.cites.length ? ` (${rule.cites.join(', ')})` : ''}`)],
        parameters: [
          { name: 'cx', type: 'RuleEffects' },
          { name: 'op_lo', type: 'number' },
          { name: 'op_hi', type: 'number' },
        ],
        returnType: 'boolean',
        statements: body,
      });
      statements.push({
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: [`Where ${name}'s guards and actions are in ${file} (exit traces: raise()'s site index, cx.taken's bits).`],
        declarations: [{ name: `${name}Sites`, type: 'RuleSites', initializer: sitesLiteral(rule, compiled[i]!.rows) }],
      });
    }
    const text = printStructures(`${HANDLERS_DIR}/${base}.ts`, statements);
    files.push({ path: `${HANDLERS_DIR}/${base}.ts`, contents: await finishTs(file, text) });
    imports.push({ kind: StructureKind.ImportDeclaration, moduleSpecifier: `./${base}.ts`, namedImports: rules.flatMap((r) => [handlerName(r), `${handlerName(r)}Sites`]) });
  }
  const index: StatementStructures[] = [
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../../runtime/vmm/effects.ts', namedImports: ['type RuleHandler', 'type RuleSites'] },
    ...imports,
    ...dispatchStatements(set.rules, spec),
  ];
  files.push({ path: `${HANDLERS_DIR}/index.ts`, contents: await finishTs(set.files.join(', '), printStructures(`${HANDLERS_DIR}/index.ts`, index)) });
  return files;
}
