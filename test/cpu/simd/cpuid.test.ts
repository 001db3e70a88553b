/**
 * What CPUID reports about the SIMD features (spec/cpu/qemu-max.cpu through vmm/cpuid.ts): the
 * implemented extensions are set, AVX (not implemented) is clear in leaf 1 and absent from XCR0's
 * supported components, CLFLUSH's line size is 64 bytes, leaf 0Dh sizes follow XCR0 (standard
 * and compacted), XSAVEOPT/XSAVEC reported and XSAVES not, OSXSAVE mirrors CR4.OSXSAVE.
 */
import { describe, expect, it } from 'vitest';
import { answerCpuid, SPEC_CPU_MODEL } from '../../../src/runtime/vmm/cpuid.ts';

function cpuid(leaf: number, subleaf = 0, cr4 = 0n, xcr0 = 1n) {
  const out = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  answerCpuid(SPEC_CPU_MODEL, leaf, subleaf, cr4, xcr0, out);
  return out;
}

const bit = (v: number, b: number): boolean => ((v >>> b) & 1) === 1;

describe('CPUID for SIMD', () => {
  it('leaf 1: MMX, FXSR, SSE, CLFSH, SSSE3, SSE4.2, POPCNT, XSAVE set; AVX clear; CLFLUSH line 64 bytes', () => {
    const r = cpuid(1);
    for (const b of [19, 23, 24, 25]) expect(bit(r.edx, b), `EDX[${b}]`).toBe(true);
    for (const b of [9, 20, 23, 26]) expect(bit(r.ecx, b), `ECX[${b}]`).toBe(true);
    expect(bit(r.ecx, 28)).toBe(false); // AVX
    expect(bit(r.ecx, 22)).toBe(false); // MOVBE (not implemented, not reported)
    expect((r.ebx >>> 8) & 0xff).toBe(8);
  });
  it('OSXSAVE (leaf 1 ECX[27]) mirrors CR4.OSXSAVE', () => {
    expect(bit(cpuid(1).ecx, 27)).toBe(false);
    expect(bit(cpuid(1, 0, 1n << 18n).ecx, 27)).toBe(true);
  });
  it('leaf 0Dh: x87 and SSE supported (PKRU and AVX not: PKU and AVX are not in the model); sizes for the current XCR0; XSAVEOPT and XSAVEC, no XSAVES', () => {
    const s0 = cpuid(0xd, 0, 0n, 3n);
    expect(s0.eax).toBe(0x3);
    expect(s0.ebx).toBe(576); // legacy region + XSAVE header
    expect(s0.ecx).toBe(576); // every supported component
    const s1 = cpuid(0xd, 1, 0n, 3n);
    expect(s1.eax & 0xf).toBe(3); // XSAVEOPT, XSAVEC; not XGETBV1, not XSAVES
    expect(s1.ebx).toBe(576); // compacted: legacy + header
    expect(cpuid(0xd, 2).eax).toBe(0); // AVX component: not enumerated
    expect(cpuid(0xd, 9)).toMatchObject({ eax: 0, ebx: 0 }); // PKRU: not enumerated
  });
});
