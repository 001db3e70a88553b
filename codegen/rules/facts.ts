import type { CpuModelIR, LayoutIR, SpecIR } from '../ir.ts';
import { REG_NAMES, type LayoutFacts, type RegFacts, type RegName } from './ir.ts';

/**
 * Register facts for the rules: field bit ranges and the masks per layout, computed from the
 * register layouts and the CPU model in one place. A field whose CPUID feature the CPU model
 * lacks counts as reserved must-be-zero (cr-rules.md R47, R64: KVM's __cr4_reserved_bits).
 */
export function regFacts(spec: SpecIR): Map<RegName, RegFacts> {
  const present = featureSet(spec.cpu);
  const out = new Map<RegName, RegFacts>();
  for (const reg of spec.registers) {
    const name = reg.name.toUpperCase() as RegName;
    if (!REG_NAMES.includes(name)) continue;
    const layouts = new Map<string, LayoutFacts>();
    for (const layout of reg.layouts) layouts.set(layout.name, layoutFacts(layout, present));
    out.set(name, {
      name,
      width: reg.width,
      layouts,
      defaultLayout: reg.layouts.length === 1 ? reg.layouts[0]!.name : '',
    });
  }
  return out;
}

export function featureSet(cpu: CpuModelIR): Set<string> {
  return new Set(cpu.features.filter((f) => f.present).map((f) => f.name));
}

function rangeMask(msb: number, lsb: number): bigint {
  return ((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb);
}

function layoutFacts(layout: LayoutIR, present: Set<string>): LayoutFacts {
  const facts: LayoutFacts = { fields: new Map(), reserved: 0n, ignored: 0n, hint: 0n, hardware: 0n };
  for (const f of layout.fields) {
    const m = rangeMask(f.msb, f.lsb);
    const absent = f.feature !== undefined && !present.has(f.feature);
    if (f.kind === 'reserved-mbz' || absent) facts.reserved |= m;
    if (f.kind === 'reserved-ignored') facts.ignored |= m;
    if (f.kind === 'hint') facts.hint |= m;
    if (f.kind === 'hardware') facts.hardware |= m;
    if (f.kind !== 'reserved-mbz' && f.kind !== 'reserved-ignored') facts.fields.set(f.name.toUpperCase(), { msb: f.msb, lsb: f.lsb });
  }
  return facts;
}
