import {
  type ClassDeclarationStructure,
  type GetAccessorDeclarationStructure,
  type InterfaceDeclarationStructure,
  type MethodDeclarationStructure,
  type OptionalKind,
  Scope,
  type StatementStructures,
  StructureKind,
  VariableDeclarationKind,
  type VariableStatementStructure,
} from 'ts-morph';
import type { CpuModelIR, FieldIR, LayoutIR, RegisterIR, SpecIR } from '../ir.ts';
import type { Emitter, GeneratedFile } from '../pipeline.ts';
import { docText, finishTs, hexLiteral, printStructures } from './format.ts';
import {
  bitsText,
  className,
  constPrefix,
  fieldRep,
  fieldWidth,
  isBig,
  kindText,
  layoutMasks,
  moduleName,
  namedFields,
  rangeMask,
} from './register-model.ts';

/**
 * Emits src/generated/registers/<reg>.ts: per register (per layout) guessable constants
 * (`CR0_PG_SHIFT`, `_WIDTH`, `_MASK`), masks with the CPU model applied (`CR0_WRITABLE_MASK`, ...),
 * a `…Fields` interface, and an immutable value class with named getters, `with({...})`, `decode()` and allocation-free static `getX(raw)`/`setX(raw, v)` for hot paths.
 */

export const REGISTERS_DIR = 'src/generated/registers';

function constStmt(name: string, init: string, doc?: string): VariableStatementStructure {
  const s: VariableStatementStructure = {
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    declarations: [{ name, initializer: init }],
  };
  if (doc) s.docs = [docText(doc)];
  return s;
}

interface Ctx {
  reg: RegisterIR;
  layout: LayoutIR;
  cpu: CpuModelIR;
  big: boolean;
  prefix: string;
  cls: string;
  raw: string; // 'bigint' | 'number'
}

function fieldDoc(c: Ctx, f: FieldIR): string {
  return `${c.reg.name}[${bitsText(f)}] ${f.name}: ${f.description} (${kindText(f, c.cpu)}).`;
}

function getExpr(c: Ctx, f: FieldIR, raw: string): string {
  const mask = `${c.prefix}_${f.name}_MASK`;
  const rep = fieldRep(f);
  if (c.big) {
    if (rep === 'boolean') return `(${raw} & ${mask}) !== 0n`;
    const shifted = f.lsb === 0 ? `(${raw} & ${mask})` : `((${raw} & ${mask}) >> ${f.lsb}n)`;
    return rep === 'number' ? `Number${shifted}` : shifted;
  }
  if (rep === 'boolean') return `(${raw} & ${mask}) !== 0`;
  return `(${raw} & ${mask}) >>> ${f.lsb}`;
}

/** Statements of the static setter body: range check, then insert. */
function setStatements(c: Ctx, f: FieldIR): string[] {
  const mask = `${c.prefix}_${f.name}_MASK`;
  const rep = fieldRep(f);
  const w = fieldWidth(f);
  const label = `${c.reg.name}.${f.name}`;
  if (rep === 'boolean') {
    return c.big
      ? [`return value ? raw | ${mask} : raw & ~${mask};`]
      : [`return (value ? raw | ${mask} : raw & ~${mask}) >>> 0;`];
  }
  const out: string[] = [];
  if (rep === 'number') {
    const max = w === 32 ? '0xffffffff' : hexLiteral((1n << BigInt(w)) - 1n, false);
    out.push(
      `if (!Number.isInteger(value) || value < 0 || value > ${max}) throw new RangeError(\`${label}: \${value} is not a ${w}-bit value\`);`,
    );
    if (c.big) out.push(`return (raw & ~${mask}) | ${f.lsb === 0 ? 'BigInt(value)' : `(BigInt(value) << ${f.lsb}n)`};`);
    else out.push(`return ((raw & ~${mask}) | (value << ${f.lsb})) >>> 0;`);
  } else {
    out.push(
      `if (value < 0n || value >> ${w}n !== 0n) throw new RangeError(\`${label}: \${value} is not a ${w}-bit value\`);`,
    );
    out.push(`return (raw & ~${mask}) | ${f.lsb === 0 ? 'value' : `(value << ${f.lsb}n)`};`);
  }
  return out;
}

function layoutStatements(c: Ctx): StatementStructures[] {
  const out: StatementStructures[] = [];
  const fields = namedFields(c.layout);
  const lit = (v: bigint): string => hexLiteral(v, c.big);
  for (const f of [...fields].reverse()) {
    out.push(constStmt(`${c.prefix}_${f.name}_SHIFT`, `${f.lsb}`, fieldDoc(c, f)));
    out.push(constStmt(`${c.prefix}_${f.name}_WIDTH`, `${fieldWidth(f)}`));
    out.push(constStmt(`${c.prefix}_${f.name}_MASK`, lit(rangeMask(f.msb, f.lsb))));
  }
  const m = layoutMasks(c.layout, c.cpu);
  const where = c.reg.layouts.length === 1 ? c.reg.name : `${c.reg.name} (${c.layout.name} layout)`;
  out.push(
    constStmt(
      `${c.prefix}_RESERVED_MASK`,
      lit(m.reserved),
      `${where}: bits that must be zero with ${c.cpu.name} (reserved, or their feature is absent).`,
    ),
    constStmt(
      `${c.prefix}_UNSUPPORTED_MASK`,
      lit(m.unsupported),
      `${where}: fields whose CPUID feature ${c.cpu.name} lacks (part of the reserved mask).`,
    ),
    constStmt(`${c.prefix}_IGNORED_MASK`, lit(m.ignored), `${where}: reserved bits whose writes are ignored (read 0).`),
    constStmt(`${c.prefix}_FIXED_MASK`, lit(m.fixed), `${where}: fields with a fixed value.`),
    constStmt(`${c.prefix}_FIXED_VALUE`, lit(m.fixedValue), `${where}: the value the fixed fields read.`),
    constStmt(`${c.prefix}_RW_MASK`, lit(m.rw), `${where}: read/write fields software can change with ${c.cpu.name}.`),
    constStmt(
      `${c.prefix}_WRITABLE_MASK`,
      lit(m.writable),
      `${where}: bits a write keeps with ${c.cpu.name}: the read/write fields plus the fixed fields (stored as FIXED_VALUE).`,
    ),
    constStmt(`${c.prefix}_HARDWARE_MASK`, lit(m.hardware), `${where}: fields only the CPU sets.`),
    constStmt(`${c.prefix}_HINT_MASK`, lit(m.hint), `${where}: write-only hints, never stored.`),
  );

  const fieldsIface: InterfaceDeclarationStructure = {
    kind: StructureKind.Interface,
    name: `${c.cls}Fields`,
    isExported: true,
    docs: [`The named fields of ${where}.`],
    properties: [...fields]
      .reverse()
      .map((f) => ({ name: f.name, type: fieldRep(f), isReadonly: true, docs: [docText(fieldDoc(c, f))] })),
  };
  out.push(fieldsIface);
  out.push(valueClass(c, fields));
  return out;
}

function valueClass(c: Ctx, fields: FieldIR[]): ClassDeclarationStructure {
  const getters: OptionalKind<GetAccessorDeclarationStructure>[] = [];
  const methods: OptionalKind<MethodDeclarationStructure>[] = [];
  const Cls = c.cls;
  const norm = c.big ? `BigInt.asUintN(${c.reg.width}, raw)` : 'raw >>> 0';
  methods.push(
    {
      name: 'fromRawBits',
      isStatic: true,
      docs: [`Wrap raw register bits as they are: reserved and fixed bits are not checked or forced.`],
      parameters: [{ name: 'raw', type: c.raw }],
      returnType: Cls,
      statements: [`return new ${Cls}(${norm});`],
    },
    {
      name: 'of',
      isStatic: true,
      docs: [`Build a value from named fields; fixed fields take their fixed value, everything else is 0.`],
      parameters: [{ name: 'fields', type: `Partial<${Cls}Fields>` }],
      returnType: Cls,
      statements: [`return new ${Cls}(${c.prefix}_FIXED_VALUE).with(fields);`],
    },
  );
  for (const f of [...fields].reverse()) {
    const rep = fieldRep(f);
    methods.push(
      {
        name: `get${f.name}`,
        isStatic: true,
        docs: [docText(`Read ${f.name} from raw bits (no allocation).`)],
        parameters: [{ name: 'raw', type: c.raw }],
        returnType: rep,
        statements: [`return ${getExpr(c, f, 'raw')};`],
      },
      {
        name: `set${f.name}`,
        isStatic: true,
        docs: [docText(`Raw bits with ${f.name} replaced (no allocation).`)],
        parameters: [
          { name: 'raw', type: c.raw },
          { name: 'value', type: rep },
        ],
        returnType: c.raw,
        statements: setStatements(c, f),
      },
    );
    getters.push({
      name: f.name,
      returnType: rep,
      docs: [docText(fieldDoc(c, f))],
      statements: [`return ${getExpr(c, f, 'this.rawBits')};`],
    });
  }
  methods.push(
    {
      name: 'with',
      docs: ['A copy with the given fields replaced (immutable update).'],
      parameters: [{ name: 'update', type: `Partial<${Cls}Fields>` }],
      returnType: Cls,
      statements: [
        'let raw = this.rawBits;',
        ...[...fields]
          .reverse()
          .map((f) => `if (update.${f.name} !== undefined) raw = ${Cls}.set${f.name}(raw, update.${f.name});`),
        `return new ${Cls}(raw);`,
      ],
    },
    {
      name: 'fields',
      docs: ['All named fields as a plain object.'],
      returnType: `${Cls}Fields`,
      statements: [
        `return { ${[...fields]
          .reverse()
          .map((f) => `${f.name}: this.${f.name}`)
          .join(', ')} };`,
      ],
    },
    {
      name: 'decode',
      isStatic: true,
      docs: [
        'Readable form, low bit first: set 1-bit fields by name (`PE|ET|PG`), wider non-zero fields as `NAME=0x…`, set reserved bits as `reserved=0x…`; `0` when no bit is set.',
      ],
      parameters: [{ name: 'raw', type: c.raw }],
      returnType: 'string',
      statements: decodeStatements(c, fields),
    },
    {
      name: 'decode',
      docs: ['Readable form (see the static decode).'],
      returnType: 'string',
      statements: [`return ${Cls}.decode(this.rawBits);`],
    },
    {
      name: 'toString',
      returnType: 'string',
      statements: [`return \`${c.reg.name}=0x\${this.rawBits.toString(16)} (\${${Cls}.decode(this.rawBits)})\`;`],
    },
    {
      name: 'equals',
      parameters: [{ name: 'other', type: Cls }],
      returnType: 'boolean',
      statements: ['return this.rawBits === other.rawBits;'],
    },
  );
  const layoutNote = c.reg.layouts.length === 1 ? '' : ` — ${c.layout.name} layout: ${c.layout.description}`;
  return {
    kind: StructureKind.Class,
    name: Cls,
    isExported: true,
    docs: [
      docText(`${c.reg.name}: ${c.reg.description}${layoutNote}. An immutable ${c.reg.width}-bit value (${c.raw}).`),
    ],
    ctors: [
      {
        scope: Scope.Private,
        parameters: [
          {
            name: 'rawBits',
            type: c.raw,
            isReadonly: true,
            scope: Scope.Public,
          },
        ],
      },
    ],
    getAccessors: getters,
    methods,
  };
}

function decodeStatements(c: Ctx, fields: FieldIR[]): string[] {
  const zero = c.big ? '0n' : '0';
  const out = ['const parts: string[] = [];'];
  for (const f of fields) {
    const mask = `${c.prefix}_${f.name}_MASK`;
    if (fieldRep(f) === 'boolean') out.push(`if ((raw & ${mask}) !== ${zero}) parts.push('${f.name}');`);
    else
      out.push(
        `if ((raw & ${mask}) !== ${zero}) parts.push(\`${f.name}=0x\${(${getExpr(c, f, 'raw')}).toString(16)}\`);`,
      );
  }
  const res = c.big
    ? `raw & (${c.prefix}_RESERVED_MASK | ${c.prefix}_IGNORED_MASK) & ~${c.prefix}_UNSUPPORTED_MASK`
    : `(raw & (${c.prefix}_RESERVED_MASK | ${c.prefix}_IGNORED_MASK) & ~${c.prefix}_UNSUPPORTED_MASK) >>> 0`;
  out.push(`const reserved = ${res};`);
  out.push(`if (reserved !== ${zero}) parts.push(\`reserved=0x\${reserved.toString(16)}\`);`);
  out.push(`return parts.length === 0 ? '0' : parts.join('|');`);
  return out;
}

function registerStatements(reg: RegisterIR, cpu: CpuModelIR): StatementStructures[] {
  const R = reg.name.toUpperCase();
  const out: StatementStructures[] = [
    constStmt(`${R}_WIDTH`, `${reg.width}`, `${reg.name}: ${reg.description}. Width in bits.`),
  ];
  if (reg.msr !== undefined)
    out.push(constStmt(`${R}_MSR`, `0x${reg.msr.toString(16)}`, `MSR index of ${reg.name} (RDMSR/WRMSR ECX).`));
  if (reg.layouts.length > 1) {
    out.push(
      constStmt(
        `${R}_LAYOUTS`,
        `[${reg.layouts.map((l) => `'${l.name}'`).join(', ')}] as const`,
        `The layouts of ${reg.name}, by mode.`,
      ),
      {
        kind: StructureKind.TypeAlias,
        name: `${reg.name[0]!.toUpperCase()}${reg.name.slice(1).toLowerCase()}Layout`,
        isExported: true,
        type: `(typeof ${R}_LAYOUTS)[number]`,
      },
    );
  }
  for (const layout of reg.layouts) {
    const big = isBig(reg);
    out.push(
      ...layoutStatements({
        reg,
        layout,
        cpu,
        big,
        prefix: constPrefix(reg, layout),
        cls: className(reg, layout),
        raw: big ? 'bigint' : 'number',
      }),
    );
  }
  return out;
}

/** The generated module for one register. */
export async function emitRegister(reg: RegisterIR, cpu: CpuModelIR): Promise<GeneratedFile> {
  const path = `${REGISTERS_DIR}/${moduleName(reg)}`;
  const body = printStructures(path, registerStatements(reg, cpu));
  return { path, contents: await finishTs(reg.file, body) };
}

export async function emitRegisterIndex(spec: SpecIR): Promise<GeneratedFile> {
  const path = `${REGISTERS_DIR}/index.ts`;
  const regs = [...spec.registers].sort((a, b) => (a.name < b.name ? -1 : 1));
  const body = printStructures(
    path,
    regs.map((r) => ({ kind: StructureKind.ExportDeclaration, moduleSpecifier: `./${moduleName(r)}` })),
  );
  const sources = [...new Set(regs.map((r) => r.file))].sort().join(', ');
  return { path, contents: await finishTs(sources, body) };
}

export const registersEmitter: Emitter = {
  name: 'registers',
  owns: [REGISTERS_DIR],
  async emit({ spec }) {
    const files = await Promise.all(spec.registers.map((r) => emitRegister(r, spec.cpu)));
    files.push(await emitRegisterIndex(spec));
    return { files };
  },
};
