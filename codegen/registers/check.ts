import type { CpuFeatureIR, CpuModelIR, FieldIR, LayoutIR, RegisterIR, SourcePos, SpecError, SpecIR } from '../ir.ts';
import { Diagnostics } from '../diagnostics.ts';
import type { BitExprAst, CpuAst, FieldAst, FileAst, RegisterAst } from './ast.ts';

/**
 * The register checker: turns parsed files into the IR, reporting every problem it can find in
 * one pass (each with file:line:col). Checks: one CPU model; duplicate register, layout, field and
 * feature names; unknown features and bit parameters; reversed or out-of-range bit ranges;
 * overlapping fields; bits not accounted for; fixed values wider than their field.
 */

const DEFAULT_MAX_LINEAR = 48;

/** `17` or `28:19`. */
export function rangeLabel(msb: number, lsb: number): string {
  return msb === lsb ? `${msb}` : `${msb}:${lsb}`;
}

function bitsLabel(msb: number, lsb: number): string {
  return msb === lsb ? `bit ${msb}` : `bits ${msb}:${lsb}`;
}

function checkCpu(cpus: CpuAst[], file: string | undefined, d: Diagnostics): CpuModelIR | undefined {
  const first = cpus[0];
  if (first === undefined) {
    d.error(
      { file: file ?? 'spec/cpu', line: 1, column: 1 },
      'no cpu model declared (expected a `cpu` block in spec/cpu/*.cpu)',
    );
    return undefined;
  }
  for (const extra of cpus.slice(1)) {
    d.error(
      extra.name.pos,
      `duplicate cpu model '${extra.name.value}': the spec holds exactly one (first at ${where(first.name.pos)})`,
    );
  }
  const features: CpuFeatureIR[] = [];
  const seen = new Map<string, SourcePos>();
  for (const f of first.features) {
    const prev = seen.get(f.name.value);
    if (prev) {
      d.error(f.name.pos, `duplicate feature '${f.name.value}' (first declared at ${where(prev)})`);
      continue;
    }
    seen.set(f.name.value, f.name.pos);
    if (f.bit.value > 31) d.error(f.bit.pos, `CPUID bit ${f.bit.value} is out of range (0..31)`);
    const ir: CpuFeatureIR = {
      name: f.name.value,
      leaf: f.leaf,
      subleaf: f.subleaf,
      reg: f.reg,
      bit: f.bit.value,
      present: f.present,
      pos: f.pos,
    };
    if (f.inverted) ir.inverted = true;
    if (f.description) ir.description = f.description;
    features.push(ir);
  }
  if (!first.vendor) d.error(first.name.pos, `cpu model '${first.name.value}' has no vendor`);
  if (!first.maxPhysAddr) d.error(first.name.pos, `cpu model '${first.name.value}' has no maxphyaddr`);
  else if (first.maxPhysAddr.value < 32 || first.maxPhysAddr.value > 52)
    d.error(first.maxPhysAddr.pos, `maxphyaddr ${first.maxPhysAddr.value} is out of range (32..52)`);
  const model: CpuModelIR = {
    name: first.name.value,
    vendor: first.vendor?.value ?? '',
    maxPhysAddr: first.maxPhysAddr?.value ?? 0,
    maxLinearAddr: first.maxLinearAddr?.value ?? DEFAULT_MAX_LINEAR,
    features,
    file: first.pos.file,
  };
  if (first.description) model.description = first.description;
  return model;
}

function where(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/** Resolve a bit position; parameters come from the CPU model. */
function resolveBit(e: BitExprAst, params: ReadonlyMap<string, number>, d: Diagnostics): number | undefined {
  if (e.kind === 'lit') return e.value;
  const v = params.get(e.param);
  if (v === undefined) {
    d.error(e.pos, `unknown bit parameter '${e.param}' (known: ${[...params.keys()].join(', ')})`);
    return undefined;
  }
  return v + e.offset;
}

interface Placed {
  msb: number;
  lsb: number;
  field: FieldAst;
  label: string;
}

function checkFields(
  reg: RegisterAst,
  fields: FieldAst[],
  headPos: SourcePos,
  headLabel: string,
  params: ReadonlyMap<string, number>,
  features: ReadonlyMap<string, CpuFeatureIR>,
  cpuFile: string,
  d: Diagnostics,
): FieldIR[] {
  const width = reg.width.value;
  const placed: Placed[] = [];
  const names = new Map<string, SourcePos>();
  const out: FieldIR[] = [];
  // Every bit range we could resolve (overlapping or not) counts as covered for the gap check;
  // a range we could not resolve makes the gap check meaningless, so it is skipped.
  const covered: Array<[number, number]> = [];
  let extentKnown = true;
  for (const f of fields) {
    const label = f.name?.value ?? 'reserved';
    if (f.name) {
      const prev = names.get(f.name.value);
      if (prev) d.error(f.name.pos, `duplicate field '${f.name.value}' in ${headLabel} (first at line ${prev.line})`);
      else names.set(f.name.value, f.name.pos);
    }
    const msb = resolveBit(f.range.msb, params, d);
    const lsb = resolveBit(f.range.lsb, params, d);
    if (msb === undefined || lsb === undefined) {
      extentKnown = false;
      continue;
    }
    if (msb < lsb) {
      d.error(f.range.pos, `bit range ${f.range.text} is reversed (${msb}:${lsb}): write the high bit first`);
      extentKnown = false;
      continue;
    }
    if (lsb < width) covered.push([Math.min(msb, width - 1), Math.max(lsb, 0)]);
    if (lsb < 0) {
      d.error(f.range.lsb.pos, `bit ${lsb} is out of range for a ${width}-bit register`);
      continue;
    }
    if (msb >= width) {
      d.error(
        f.range.msb.pos,
        `bit ${msb} is out of range for the ${width}-bit register ${reg.name.value} (bits ${width - 1}:0)`,
      );
      continue;
    }
    const clash = placed.find((p) => p.lsb <= msb && lsb <= p.msb);
    if (clash) {
      d.error(
        f.range.pos,
        `field ${label} (${bitsLabel(msb, lsb)}) overlaps field ${clash.label} (${bitsLabel(clash.msb, clash.lsb)}) at line ${clash.field.pos.line}`,
      );
      continue;
    }
    placed.push({ msb, lsb, field: f, label });
    const fieldWidth = msb - lsb + 1;
    const kind = f.kind;
    if (kind.kind === 'fixed' && kind.value >> BigInt(fieldWidth) !== 0n) {
      d.error(kind.valuePos, `fixed value ${kind.value} does not fit in the ${fieldWidth}-bit field ${label}`);
    }
    if (f.requires && !features.has(f.requires.value)) {
      d.error(f.requires.pos, `unknown feature '${f.requires.value}' (not declared in the cpu model ${cpuFile})`);
    }
    const ir: FieldIR = {
      name: f.name?.value ?? `RES_${msb === lsb ? msb : `${msb}_${lsb}`}`,
      msb,
      lsb,
      kind: kind.kind,
      description: f.description,
      pos: f.pos,
    };
    if (kind.kind === 'fixed') ir.fixedValue = kind.value;
    if (f.requires) ir.feature = f.requires.value;
    if (f.range.msb.kind === 'param' || f.range.lsb.kind === 'param') ir.rangeText = f.range.text;
    out.push(ir);
  }
  // Bits not accounted for, as ranges from the top.
  const gaps: string[] = [];
  let bit = width - 1;
  const sorted = [...covered].sort((a, b) => b[0] - a[0]);
  for (const [hi, lo] of sorted) {
    if (hi < bit) gaps.push(rangeLabel(bit, hi + 1));
    bit = Math.min(bit, lo - 1);
  }
  if (bit >= 0) gaps.push(rangeLabel(bit, 0));
  if (gaps.length > 0 && extentKnown) {
    const one = gaps.length === 1 && !gaps[0]!.includes(':');
    d.error(
      headPos,
      `${headLabel}: ${one ? 'bit' : 'bits'} ${gaps.join(', ')} ${one ? 'is' : 'are'} not accounted for (name them or declare them reserved)`,
    );
  }
  return out.sort((a, b) => b.lsb - a.lsb);
}

/** Check parsed files and build the IR. Errors from every file are collected. */
export function checkRegisterFiles(files: readonly FileAst[]): { spec: SpecIR } | { errors: SpecError[] } {
  const d = new Diagnostics();
  const cpus: CpuAst[] = [];
  const regs: RegisterAst[] = [];
  for (const f of files) {
    for (const item of f.items) {
      if (item.type === 'cpu') cpus.push(item);
      else regs.push(item);
    }
  }
  const cpu = checkCpu(cpus, regs[0]?.pos.file, d);
  const params = new Map<string, number>();
  if (cpu) {
    params.set('MAXPHYADDR', cpu.maxPhysAddr);
    params.set('MAXLINADDR', cpu.maxLinearAddr);
  }
  const features = new Map((cpu?.features ?? []).map((f) => [f.name, f] as const));
  const registers: RegisterIR[] = [];
  const regNames = new Map<string, SourcePos>();
  for (const r of regs) {
    const prev = regNames.get(r.name.value);
    if (prev) d.error(r.name.pos, `duplicate register '${r.name.value}' (first declared at ${where(prev)})`);
    else regNames.set(r.name.value, r.name.pos);
    const width = r.width.value;
    if (width !== 32 && width !== 64) {
      d.error(r.width.pos, `register width ${width} is not supported (32 or 64)`);
      continue;
    }
    const layouts: LayoutIR[] = [];
    const layoutNames = new Map<string, SourcePos>();
    for (const l of r.layouts) {
      const lp = layoutNames.get(l.name.value);
      if (lp)
        d.error(
          l.name.pos,
          `duplicate layout '${l.name.value}' in register ${r.name.value} (first at line ${lp.line})`,
        );
      else layoutNames.set(l.name.value, l.name.pos);
      const isDefault = l.name.value === 'default' && r.layouts.length === 1;
      const headLabel = isDefault ? `register ${r.name.value}` : `register ${r.name.value} layout ${l.name.value}`;
      const fields = checkFields(
        r,
        l.fields,
        isDefault ? r.name.pos : l.name.pos,
        headLabel,
        params,
        features,
        cpu?.file ?? 'spec/cpu',
        d,
      );
      layouts.push({ name: l.name.value, description: l.description, fields, pos: l.pos });
    }
    const reg: RegisterIR = {
      name: r.name.value,
      width,
      description: r.description,
      layouts,
      file: r.pos.file,
      pos: r.pos,
    };
    if (r.msr !== undefined) reg.msr = r.msr;
    registers.push(reg);
  }
  if (!d.ok || !cpu) return { errors: d.errors };
  return { spec: { cpu, registers } };
}
