/**
 * target.xml for qXfer:features:read: the register tables of registers.ts as a gdb target
 * description (gdb manual, "Target Descriptions" and "i386 Features"): org.gnu.gdb.i386.core,
 * .sse and .linux as gdb defines them, and the system registers in a feature of their own
 * (org.trapspec.i386.system; gdb shows them under their names: `p $cr3`, `info registers cr0`).
 */
import { REGISTERS, type Arch, type RegDef } from './registers.ts';

const FEATURE_NAMES: Record<RegDef['feature'], string> = {
  core: 'org.gnu.gdb.i386.core',
  sse: 'org.gnu.gdb.i386.sse',
  linux: 'org.gnu.gdb.i386.linux',
  system: 'org.trapspec.i386.system',
};

const EFLAGS_BITS: [string, number][] = [
  ['CF', 0], ['', 1], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11],
  ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
];
const MXCSR_BITS: [string, number][] = [
  ['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6], ['IM', 7], ['DM', 8], ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['FZ', 15],
];

function flags(id: string, bits: [string, number][]): string {
  return `<flags id="${id}" size="4">${bits.map(([n, b]) => `<field name="${n}" start="${b}" end="${b}"/>`).join('')}</flags>`;
}

const VEC128 =
  '<vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/>' +
  '<vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/>' +
  '<vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/>' +
  '<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>' +
  '<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>' +
  '<field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union>';

const cache = new Map<Arch, string>();

/** The description of `arch`: register numbers are the table order (the `g` layout). */
export function targetXml(arch: Arch): string {
  const hit = cache.get(arch);
  if (hit !== undefined) return hit;
  const regs = REGISTERS[arch];
  const parts = ['<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">'];
  parts.push(`<architecture>${arch === 'amd64' ? 'i386:x86-64' : 'i386'}</architecture>`);
  for (const feature of ['core', 'sse', 'linux', 'system'] as const) {
    parts.push(`<feature name="${FEATURE_NAMES[feature]}">`);
    if (feature === 'core') parts.push(flags('i386_eflags', EFLAGS_BITS));
    if (feature === 'sse') parts.push(VEC128, flags('i386_mxcsr', MXCSR_BITS));
    regs.forEach((r, n) => {
      if (r.feature !== feature) return;
      parts.push(`<reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${n}"${r.group ? ` group="${r.group}"` : ''}/>`);
    });
    parts.push('</feature>');
  }
  parts.push('</target>');
  const xml = parts.join('');
  cache.set(arch, xml);
  return xml;
}
