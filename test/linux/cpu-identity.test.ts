import { describe, expect, it } from 'vitest';
import { answerCpuid, SPEC_CPU_MODEL } from '../../src/runtime/vmm/cpuid.ts';

describe('CPUID identity a Linux guest reads', () => {
  it('leaf 1 reports family 6, model 6, stepping 3 as QEMU -cpu max does (Linux then skips the K7 CLK_CTL MSR)', () => {
    const out = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
    answerCpuid(SPEC_CPU_MODEL, 1, 0, 0n, 1n, out);
    const stepping = out.eax & 0xf;
    const model = (out.eax >> 4) & 0xf;
    const family = (out.eax >> 8) & 0xf;
    expect({ family, model, stepping }).toEqual({ family: 6, model: 6, stepping: 3 });
    expect(out.ecx >>> 31).toBe(1); // hypervisor present, as QEMU reports
    answerCpuid(SPEC_CPU_MODEL, 0, 0, 0n, 1n, out);
    expect(Buffer.from(new Uint32Array([out.ebx, out.edx, out.ecx]).buffer).toString('latin1')).toBe('AuthenticAMD');
  });
});
