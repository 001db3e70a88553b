import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../codegen/load.ts';
import { compareCpuModel } from '../../src/conform/cpu-model-check.ts';
import type { CpuidLeaf } from '../../src/conform/cpuid-guest.ts';

const spec = loadSpec('.');
if ('errors' in spec) throw new Error('spec does not load');
const cpu = spec.spec.cpu;

/** CPUID leaves exactly as the model describes them. */
function leavesOf(): CpuidLeaf[] {
  const leaves = new Map<string, CpuidLeaf>();
  const leaf = (l: number, s: number): CpuidLeaf => {
    const k = `${l}.${s}`;
    let v = leaves.get(k);
    if (v === undefined) leaves.set(k, (v = { leaf: l, subleaf: s, eax: 0, ebx: 0, ecx: 0, edx: 0 }));
    return v;
  };
  for (const f of cpu.features) {
    const l = leaf(f.leaf, f.subleaf);
    const set = f.inverted === true ? !f.present : f.present;
    if (set) l[f.reg] = (l[f.reg] | (1 << f.bit)) >>> 0;
  }
  leaf(0x80000008, 0).eax = cpu.maxPhysAddr | (cpu.maxLinearAddr << 8);
  const v = [...cpu.vendor].map((c) => c.charCodeAt(0));
  const dw = (i: number): number =>
    ((v[i] ?? 0) | ((v[i + 1] ?? 0) << 8) | ((v[i + 2] ?? 0) << 16) | ((v[i + 3] ?? 0) << 24)) >>> 0;
  Object.assign(leaf(0, 0), { ebx: dw(0), edx: dw(4), ecx: dw(8) });
  return [...leaves.values()];
}

describe('CPU model vs an oracle CPUID', () => {
  it('finds nothing when the CPUID is the model', () => {
    expect(compareCpuModel(cpu, leavesOf())).toEqual([]);
  });
  it('names a feature whose bit differs, with its CPUID location', () => {
    const leaves = leavesOf();
    const l1 = leaves.find((l) => l.leaf === 1);
    if (l1 === undefined) throw new Error('no leaf 1');
    l1.ecx ^= 1 << 17; // PCID
    const ext = leaves.find((l) => l.leaf === 0x80000008);
    if (ext !== undefined) ext.eax = (ext.eax & ~0xff) | 36;
    const diffs = compareCpuModel(cpu, leaves);
    const pcid = cpu.features.find((f) => f.name === 'PCID');
    expect(diffs).toEqual([
      {
        what: 'PCID',
        where: '01H:ECX[17]',
        spec: pcid?.present ? 'present' : 'absent',
        oracle: pcid?.present ? 'absent (bit 0)' : 'present (bit 1)',
      },
      { what: 'MAXPHYADDR', where: '80000008H:EAX[7:0]', spec: String(cpu.maxPhysAddr), oracle: '36' },
    ]);
  });
});
