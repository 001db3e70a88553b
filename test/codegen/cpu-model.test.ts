import { describe, expect, it } from 'vitest';
import { CPU_FEATURES, CPU_MODEL, cpuidLeaf, HAS_FEATURE } from '../../src/generated/cpu-model.ts';

function vendorOf(r: { ebx: number; edx: number; ecx: number }): string {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(r.ebx, 0);
  b.writeUInt32LE(r.edx, 4);
  b.writeUInt32LE(r.ecx, 8);
  return b.toString('latin1');
}

describe('generated CPU model (spec/cpu/qemu-max.cpu)', () => {
  it('matches QEMU -cpu max (TCG) where CR4/EFER bits depend on it, except what trapspec does not model', () => {
    expect([CPU_MODEL.vendor, CPU_MODEL.maxPhysAddr, CPU_MODEL.maxLinearAddr]).toEqual(['AuthenticAMD', 40, 48]);
    for (const f of ['DE', 'PSE', 'PAE', 'MCE', 'PGE', 'FXSR', 'SSE', 'UMIP', 'FSGSBASE', 'PCID', 'XSAVE', 'SMEP', 'SMAP', 'SEP', 'RDTSCP'] as const)
      expect(HAS_FEATURE[f], f).toBe(true);
    for (const f of ['VMX', 'SMX', 'CET_SS', 'PKS', 'UINTR', 'KL', 'LASS'] as const) expect(HAS_FEATURE[f], f).toBe(false);
    // QEMU max has these; trapspec drops them (the model says why): docs/system-cpu.md.
    for (const f of ['VME', 'LA57', 'PKU', 'XSTATE_PKRU', 'SVM'] as const) expect(HAS_FEATURE[f], f).toBe(false);
  });

  it('says why each absent feature is absent', () => {
    for (const f of CPU_FEATURES.filter((x) => !x.present)) expect(f.description.length, f.name).toBeGreaterThan(10);
  });

  it('answers CPUID from the model', () => {
    expect(vendorOf(cpuidLeaf(0))).toBe('AuthenticAMD');
    expect(cpuidLeaf(0).eax).toBe(0xd);
    const l1 = cpuidLeaf(1);
    expect((l1.edx >>> 6) & 1).toBe(1); // PAE
    expect((l1.ecx >>> 5) & 1).toBe(0); // VMX
    expect((l1.ecx >>> 17) & 1).toBe(1); // PCID
    expect(cpuidLeaf(1, 7)).toEqual(l1); // leaf 1 ignores the subleaf
    expect((cpuidLeaf(7, 0).ebx >>> 7) & 1).toBe(1); // SMEP
    expect(cpuidLeaf(7, 1).ebx).toBe(0); // subleaf 1 holds none of the leaf-7.0 bits
    expect(cpuidLeaf(0xd, 0).eax).toBe(0x3); // x87 SSE (AVX, PKRU absent)
    expect(cpuidLeaf(0x8000_0008).eax).toBe(40 | (48 << 8));
    expect((cpuidLeaf(0x8000_0008).ebx >>> 20) & 1).toBe(1); // EferLmsleUnsupported (inverted)
    expect((cpuidLeaf(0x8000_0001).edx >>> 29) & 1).toBe(1); // LM
  });
});
