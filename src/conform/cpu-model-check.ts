import type { CpuModelIR } from '../../codegen/ir.ts';
import type { CpuidLeaf } from './cpuid-guest.ts';

/**
 * Compares the spec's CPU model (spec/cpu/*.cpu) with the CPUID a real oracle reports, feature by
 * feature, so a control-register bit the model reserves but the oracle implements (or the other
 * way round) is named before it shows up as a disagreement.
 */

export interface CpuModelDiff {
  what: string;
  /** CPUID location in the SDM's notation, e.g. 01H:ECX[17]. */
  where: string;
  spec: string;
  oracle: string;
}

/** CPUID bits that decide control-register behaviour but have no feature line in the model. */
const UNMODELLED: readonly {
  name: string;
  leaf: number;
  reg: keyof Omit<CpuidLeaf, 'leaf' | 'subleaf'>;
  bit: number;
  why: string;
}[] = [
  {
    name: 'AltMovCr8',
    leaf: 0x80000001,
    reg: 'ecx',
    bit: 4,
    why: 'LOCK MOV CR0 = MOV CR8 outside 64-bit mode (R2, R73)',
  },
];

function loc(leaf: number, subleaf: number, reg: string, bit: number, withSub: boolean): string {
  const l = `${leaf.toString(16).toUpperCase().padStart(2, '0')}H`;
  return `${l}${withSub ? `.${subleaf}` : ''}:${reg.toUpperCase()}[${bit}]`;
}

export function compareCpuModel(cpu: CpuModelIR, leaves: readonly CpuidLeaf[]): CpuModelDiff[] {
  const get = (leaf: number, subleaf: number): CpuidLeaf | undefined =>
    leaves.find((l) => l.leaf === leaf && (l.subleaf === subleaf || (leaf !== 7 && leaf !== 0xd)));
  const out: CpuModelDiff[] = [];
  for (const f of cpu.features) {
    const l = get(f.leaf, f.subleaf);
    if (l === undefined) continue;
    const set = ((l[f.reg] >>> f.bit) & 1) === 1;
    const present = f.inverted === true ? !set : set;
    if (present !== f.present) {
      out.push({
        what: f.name,
        where: loc(f.leaf, f.subleaf, f.reg, f.bit, f.leaf === 7 || f.leaf === 0xd),
        spec: f.present ? 'present' : 'absent',
        oracle: `${present ? 'present' : 'absent'} (bit ${set ? 1 : 0})`,
      });
    }
  }
  const ext = get(0x80000008, 0);
  if (ext !== undefined) {
    if ((ext.eax & 0xff) !== cpu.maxPhysAddr) {
      out.push({
        what: 'MAXPHYADDR',
        where: '80000008H:EAX[7:0]',
        spec: String(cpu.maxPhysAddr),
        oracle: String(ext.eax & 0xff),
      });
    }
    if (((ext.eax >>> 8) & 0xff) !== cpu.maxLinearAddr) {
      out.push({
        what: 'linear address width',
        where: '80000008H:EAX[15:8]',
        spec: String(cpu.maxLinearAddr),
        oracle: String((ext.eax >>> 8) & 0xff),
      });
    }
  }
  const l0 = get(0, 0);
  if (l0 !== undefined) {
    const vendor = [l0.ebx, l0.edx, l0.ecx]
      .map((r) => String.fromCharCode(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, r >>> 24))
      .join('');
    if (vendor !== cpu.vendor) out.push({ what: 'vendor', where: '00H:EBX,EDX,ECX', spec: cpu.vendor, oracle: vendor });
  }
  for (const u of UNMODELLED) {
    const l = get(u.leaf, 0);
    if (l !== undefined && ((l[u.reg] >>> u.bit) & 1) === 1) {
      out.push({
        what: u.name,
        where: loc(u.leaf, 0, u.reg, u.bit, false),
        spec: `not modelled (${u.why})`,
        oracle: 'present',
      });
    }
  }
  return out;
}

export function formatCpuModelDiffs(cpu: CpuModelIR, diffs: readonly CpuModelDiff[]): string {
  if (diffs.length === 0) return `CPU model ${cpu.name} (${cpu.file}) matches the oracle's CPUID\n`;
  const lines = [`CPU model ${cpu.name} (${cpu.file}) vs the oracle's CPUID: ${diffs.length} differences`];
  for (const d of diffs)
    lines.push(`  ${d.what.padEnd(20)} ${d.where.padEnd(22)} spec: ${d.spec}; oracle: ${d.oracle}`);
  return `${lines.join('\n')}\n`;
}
