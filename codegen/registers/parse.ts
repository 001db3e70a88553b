import { readFileSync } from 'node:fs';
import * as ohm from 'ohm-js';
import type { Node } from 'ohm-js';
import type { SourcePos, SpecError } from '../ir.ts';
import type { RegistersGrammar } from './registers.ohm-bundle.js';
import { LineIndex } from '../diagnostics.ts';
import type {
  BitExprAst,
  BitRangeAst,
  CpuAst,
  FeatureAst,
  FieldAst,
  FieldKindAst,
  FileAst,
  ItemAst,
  LayoutAst,
  Located,
  RegisterAst,
} from './ast.ts';

/** The grammar source (codegen/registers/registers.ohm); exported so other grammars can extend it. */
export const registersGrammarSource = readFileSync(new URL('./registers.ohm', import.meta.url), 'utf8');
export const registersGrammar = ohm.grammar(registersGrammarSource) as RegistersGrammar;

/** The line index of the file being converted (semantic actions run synchronously). */
let lines: LineIndex = new LineIndex('', '');

function at(node: Node): SourcePos {
  return lines.pos(node.source.startIdx);
}

/** Call the `ast` operation on a node (ohm types operations as `any`; this pins the type). */
function ast<T>(node: Node): T {
  const fn: () => T = node['ast'];
  return fn.call(node);
}

function opt<T>(node: Node): T | undefined {
  const child = node.children[0];
  return child === undefined ? undefined : ast<T>(child);
}

function located<T>(node: Node, value: T): Located<T> {
  return { value, pos: at(node) };
}

function unquote(s: string): string {
  return s.slice(1, -1);
}

type CpuItem =
  | { k: 'vendor'; v: Located<string> }
  | { k: 'maxphys'; v: Located<number> }
  | { k: 'maxlin'; v: Located<number> }
  | { k: 'feature'; v: FeatureAst };

const semantics = registersGrammar.createSemantics().addOperation<unknown>('ast', {
  File(items) {
    return items.children.map((c) => ast<ItemAst>(c));
  },
  Cpu(_kw, name, desc, _o, items, _c): CpuAst {
    const cpu: CpuAst = {
      type: 'cpu',
      name: located(name, name.sourceString),
      description: opt<string>(desc) ?? '',
      features: [],
      pos: at(this),
    };
    for (const item of items.children.map((c) => ast<CpuItem>(c))) {
      if (item.k === 'vendor') cpu.vendor = item.v;
      else if (item.k === 'maxphys') cpu.maxPhysAddr = item.v;
      else if (item.k === 'maxlin') cpu.maxLinearAddr = item.v;
      else cpu.features.push(item.v);
    }
    return cpu;
  },
  Vendor(_kw, s): CpuItem {
    return { k: 'vendor', v: located(s, ast<string>(s)) };
  },
  MaxPhys(_kw, n): CpuItem {
    return { k: 'maxphys', v: located(n, Number(ast<bigint>(n))) };
  },
  MaxLin(_kw, n): CpuItem {
    return { k: 'maxlin', v: located(n, Number(ast<bigint>(n))) };
  },
  Feature(_kw, name, loc, inverted, presence, desc): CpuItem {
    const [leafNode, , subleafDigits, , regNode, , bitDigits] = loc.children as Node[];
    const leafText = leafNode!.sourceString;
    const subleaf = subleafDigits!.children[0];
    const v: FeatureAst = {
      name: located(name, name.sourceString),
      leaf: parseInt(leafText.slice(0, -1), 16),
      subleaf: subleaf === undefined ? 0 : parseInt(subleaf.sourceString, 10),
      reg: regNode!.sourceString.toLowerCase() as FeatureAst['reg'],
      bit: located(bitDigits!, parseInt(bitDigits!.sourceString, 10)),
      inverted: inverted.numChildren > 0,
      present: presence.sourceString === 'present',
      description: opt<string>(desc) ?? '',
      pos: at(this),
    };
    return { k: 'feature', v };
  },
  Register(_kw, name, _colon, width, msr, desc, _o, body, _c): RegisterAst {
    const layouts = ast<LayoutAst[] | FieldAst[]>(body);
    const isLayouts = body.children[0]!.ctorName === 'RegisterBody_layouts';
    const pos = at(this);
    return {
      type: 'register',
      name: located(name, name.sourceString),
      width: located(width, Number(ast<bigint>(width))),
      msr: msr.numChildren > 0 ? Number(ast<bigint>(msr.children[0]!)) : undefined,
      description: ast<string>(desc),
      layouts: isLayouts
        ? (layouts as LayoutAst[])
        : [{ name: { value: 'default', pos }, description: '', fields: layouts as FieldAst[], pos }],
      pos,
    };
  },
  Msr(_kw, n) {
    return ast<bigint>(n);
  },
  RegisterBody_layouts(layouts) {
    return layouts.children.map((c) => ast<LayoutAst>(c));
  },
  RegisterBody_fields(fields) {
    return fields.children.map((c) => ast<FieldAst>(c));
  },
  Layout(_kw, name, desc, _o, fields, _c): LayoutAst {
    return {
      name: located(name, name.sourceString),
      description: ast<string>(desc),
      fields: fields.children.map((c) => ast<FieldAst>(c)),
      pos: at(this),
    };
  },
  Field(range, body): FieldAst {
    const b = ast<Omit<FieldAst, 'range' | 'pos'>>(body);
    return { ...b, range: ast<BitRangeAst>(range), pos: at(this) };
  },
  ReservedField(_kw, kind, desc): Omit<FieldAst, 'range' | 'pos'> {
    return {
      description: opt<string>(desc) ?? '',
      kind: { kind: kind.sourceString === 'must_be_zero' ? 'reserved-mbz' : 'reserved-ignored', pos: at(kind) },
    };
  },
  NamedField(name, desc, kind, requires): Omit<FieldAst, 'range' | 'pos'> {
    const k = opt<FieldKindAst>(kind);
    const r = opt<Located<string>>(requires);
    const out: Omit<FieldAst, 'range' | 'pos'> = {
      name: located(name, name.sourceString),
      description: ast<string>(desc),
      kind: k ?? { kind: 'rw', pos: at(name) },
    };
    if (r !== undefined) out.requires = r;
    return out;
  },
  Fixed(_kw, n): FieldKindAst {
    return { kind: 'fixed', value: ast<bigint>(n), pos: at(this), valuePos: at(n) };
  },
  kwKind(_k): FieldKindAst {
    return { kind: this.sourceString as 'rw' | 'hardware' | 'hint', pos: at(this) };
  },
  Requires(_kw, name) {
    return located(name, name.sourceString);
  },
  BitRange_range(msb, _c, lsb): BitRangeAst {
    return { msb: ast<BitExprAst>(msb), lsb: ast<BitExprAst>(lsb), pos: at(this), text: this.sourceString };
  },
  BitRange_single(e): BitRangeAst {
    const b = ast<BitExprAst>(e);
    return { msb: b, lsb: b, pos: at(this), text: this.sourceString };
  },
  BitExpr_minus(name, _m, n): BitExprAst {
    return {
      kind: 'param',
      param: name.sourceString,
      offset: -Number(ast<bigint>(n)),
      pos: at(this),
      text: this.sourceString,
    };
  },
  BitExpr_plus(name, _p, n): BitExprAst {
    return {
      kind: 'param',
      param: name.sourceString,
      offset: Number(ast<bigint>(n)),
      pos: at(this),
      text: this.sourceString,
    };
  },
  BitExpr_param(name): BitExprAst {
    return { kind: 'param', param: name.sourceString, offset: 0, pos: at(this), text: this.sourceString };
  },
  BitExpr_lit(n): BitExprAst {
    return { kind: 'lit', value: Number(ast<bigint>(n)), pos: at(this), text: this.sourceString };
  },
  number_hex(_p, _d) {
    return BigInt(this.sourceString);
  },
  number_bin(_p, _d) {
    return BigInt(this.sourceString);
  },
  number_dec(_d) {
    return BigInt(this.sourceString);
  },
  string(_o, _s, _c) {
    return unquote(this.sourceString);
  },
});

/** Parse one register/CPU spec file. `file` is the path used in diagnostics. */
export function parseRegisterFile(file: string, text: string): { ast: FileAst } | { errors: SpecError[] } {
  const match = registersGrammar.match(text);
  lines = new LineIndex(file, text);
  if (match.failed()) {
    const pos = lines.pos(match.getRightmostFailurePosition());
    return { errors: [{ pos, message: `syntax error: expected ${match.getExpectedText()}` }] };
  }
  const items = ast<ItemAst[]>(semantics(match) as unknown as Node);
  return { ast: { file, items } };
}
