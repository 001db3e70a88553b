import type { CpuModelIR, FieldIR, LayoutIR, RegisterIR } from '../ir.ts';

/**
 * What the register emitters (TypeScript accessors, Markdown/SVG docs) derive from the IR:
 * names, masks per layout with the CPU model applied, and the value representation.
 */

export function rangeMask(msb: number, lsb: number): bigint {
  return ((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb);
}

export function isReserved(f: FieldIR): boolean {
  return f.kind === 'reserved-mbz' || f.kind === 'reserved-ignored';
}

export function fieldWidth(f: FieldIR): number {
  return f.msb - f.lsb + 1;
}

/** 1-bit fields are booleans; up to 32 bits a number; wider a bigint. */
export type FieldRep = 'boolean' | 'number' | 'bigint';

export function fieldRep(f: FieldIR): FieldRep {
  const w = fieldWidth(f);
  return w === 1 ? 'boolean' : w <= 32 ? 'number' : 'bigint';
}

/** Registers up to 32 bits are held in a number, 64-bit ones in a bigint (README.md). */
export function isBig(reg: RegisterIR): boolean {
  return reg.width > 32;
}

export interface LayoutMasks {
  /** Must be zero with the modelled CPU: reserved-mbz fields plus fields of absent features. */
  reserved: bigint;
  /** Fields whose CPUID feature the CPU model lacks (a subset of `reserved`). */
  unsupported: bigint;
  /** Reserved, writes ignored, reads 0. */
  ignored: bigint;
  fixed: bigint;
  fixedValue: bigint;
  /** Read/write fields of present features: what software changes with a write. */
  rw: bigint;
  /** What a write keeps: rw fields plus fixed fields (which then read their fixed value), as
   * Bochs's CR0 mask E005003Fh and cr-rules §1.1 "writable mask" count it. */
  writable: bigint;
  hardware: bigint;
  hint: bigint;
}

export function featurePresent(cpu: CpuModelIR, name: string | undefined): boolean {
  if (name === undefined) return true;
  return cpu.features.some((f) => f.name === name && f.present);
}

export function layoutMasks(layout: LayoutIR, cpu: CpuModelIR): LayoutMasks {
  const m: LayoutMasks = {
    reserved: 0n,
    unsupported: 0n,
    ignored: 0n,
    fixed: 0n,
    fixedValue: 0n,
    rw: 0n,
    writable: 0n,
    hardware: 0n,
    hint: 0n,
  };
  for (const f of layout.fields) {
    const mask = rangeMask(f.msb, f.lsb);
    if (!featurePresent(cpu, f.feature)) {
      m.unsupported |= mask;
      m.reserved |= mask;
      continue;
    }
    switch (f.kind) {
      case 'rw':
        m.rw |= mask;
        m.writable |= mask;
        break;
      case 'fixed':
        m.fixed |= mask;
        m.writable |= mask;
        m.fixedValue |= (f.fixedValue ?? 0n) << BigInt(f.lsb);
        break;
      case 'reserved-mbz':
        m.reserved |= mask;
        break;
      case 'reserved-ignored':
        m.ignored |= mask;
        break;
      case 'hardware':
        m.hardware |= mask;
        break;
      case 'hint':
        m.hint |= mask;
        break;
    }
  }
  return m;
}

/** `long_pcid` → `LONG_PCID`; the default layout has no infix. */
export function constPrefix(reg: RegisterIR, layout: LayoutIR): string {
  return reg.layouts.length === 1 ? reg.name.toUpperCase() : `${reg.name.toUpperCase()}_${layout.name.toUpperCase()}`;
}

function pascal(s: string): string {
  return s
    .split(/[_-]/)
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1).toLowerCase())
    .join('');
}

/** `CR3` + `long_pcid` → `Cr3LongPcid`; `EFER` → `Efer`. */
export function className(reg: RegisterIR, layout: LayoutIR): string {
  return reg.layouts.length === 1 ? pascal(reg.name) : pascal(reg.name) + pascal(layout.name);
}

/** Output module file name: `cr0.ts`. */
export function moduleName(reg: RegisterIR): string {
  return `${reg.name.toLowerCase()}.ts`;
}

/** Named (non-reserved) fields, low bit first. */
export function namedFields(layout: LayoutIR): FieldIR[] {
  return layout.fields.filter((f) => !isReserved(f)).sort((a, b) => a.lsb - b.lsb);
}

export function bitsText(f: FieldIR): string {
  if (f.rangeText !== undefined) return f.msb === f.lsb ? `${f.msb}` : `${f.msb}:${f.lsb} (${f.rangeText})`;
  return f.msb === f.lsb ? `${f.msb}` : `${f.msb}:${f.lsb}`;
}

export const KIND_TEXT: Record<FieldIR['kind'], string> = {
  rw: 'read/write',
  fixed: 'fixed',
  'reserved-mbz': 'reserved, must be zero',
  'reserved-ignored': 'reserved, writes ignored, reads 0',
  hardware: 'set by hardware only',
  hint: 'write-only hint, never stored',
};

export function kindText(f: FieldIR, cpu: CpuModelIR): string {
  let t = f.kind === 'fixed' ? `fixed ${f.fixedValue ?? 0n}` : KIND_TEXT[f.kind];
  if (f.feature !== undefined) {
    t += featurePresent(cpu, f.feature)
      ? `; requires ${f.feature}`
      : `; requires ${f.feature} (absent in ${cpu.name}: reserved, must be zero)`;
  }
  return t;
}
