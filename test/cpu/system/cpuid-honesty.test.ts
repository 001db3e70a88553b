/**
 * CPUID honesty (issue 22 item 5): every feature bit the CPU model's CPUID reports is a feature
 * that works, and every feature it leaves out is refused. Derived from the generated model
 * (src/generated/cpu-model.ts CPU_FEATURES) and from the CPUID the trap monitor answers
 * (src/runtime/vmm/cpuid.ts, which adds leaf-1 ISA bits): for each reported bit its probe
 * (feature-probes.ts) runs on the CPU under the trap monitor and must complete; for each absent
 * feature it must fault (#UD, or #GP on the control-register write). A bit without a probe fails
 * with "add a probe for …", so changing spec/cpu/qemu-max.cpu and regenerating keeps this true
 * or fails it loudly.
 */
import { describe, expect, it } from 'vitest';
import { CPU_FEATURES, type CpuidResult } from '../../../src/generated/cpu-model.ts';
import { answerCpuid, SPEC_CPU_MODEL } from '../../../src/runtime/vmm/cpuid.ts';
import { PROBES, runProbe } from './feature-probes.ts';

type Reg = keyof CpuidResult;
/** The CPUID registers that hold feature flags (not signatures, sizes or counts). */
const FEATURE_REGS: ReadonlyArray<[leaf: number, subleaf: number, reg: Reg]> = [
  [1, 0, 'ecx'],
  [1, 0, 'edx'],
  [7, 0, 'ebx'],
  [7, 0, 'ecx'],
  [7, 0, 'edx'],
  [7, 1, 'eax'],
  [0xd, 0, 'eax'],
  [0xd, 1, 'eax'],
  [0x8000_0001, 0, 'ecx'],
  [0x8000_0001, 0, 'edx'],
];
/** Leaf-1 bits cpuid.ts reports besides the model's features (the interpreter's core ISA). */
const ISA_BITS: Record<string, string> = { '1.0.edx.5': 'MSR', '1.0.edx.8': 'CX8', '1.0.edx.15': 'CMOV' };
/** Bits that report state, not a feature: CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE (0 here). */
// Bits that report state, not a feature: OSXSAVE (mirrors CR4.OSXSAVE) and the hypervisor-present
// bit (1.ECX[31], as QEMU sets it: the guest does run under a monitor).
const STATE_BITS = new Set(['1.0.ecx.27', '1.0.ecx.31']);

const hex = (n: number): string => `${n.toString(16).toUpperCase()}H`;

/** Every bit the CPUID answer sets, named by the model's feature or ISA_BITS (null: unnamed). */
function reportedBits(): Array<{ where: string; name: string | null }> {
  const out: Array<{ where: string; name: string | null }> = [];
  const r: CpuidResult = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  for (const [leaf, subleaf, reg] of FEATURE_REGS) {
    answerCpuid(SPEC_CPU_MODEL, leaf, subleaf, 0n, 1n, r);
    for (let bit = 0; bit < 32; bit++) {
      if (((r[reg] >>> bit) & 1) === 0) continue;
      const key = `${leaf}.${subleaf}.${reg}.${bit}`;
      if (STATE_BITS.has(key)) continue;
      const f = CPU_FEATURES.find((x) => x.leaf === leaf && x.subleaf === subleaf && x.reg === reg && x.bit === bit);
      if (f?.inverted) continue; // an inverted bit reports an absent feature: probed below
      out.push({ where: `${hex(leaf)}${subleaf ? `.${subleaf}` : ''}:${reg.toUpperCase()}[${bit}]`, name: f?.name ?? ISA_BITS[key] ?? null });
    }
  }
  return out;
}

describe('CPUID honesty: what the model reports works', () => {
  const reported = reportedBits();

  it('every reported bit names a feature', () => {
    expect(reported.filter((b) => b.name === null).map((b) => `add a name and a probe for CPUID ${b.where}`)).toEqual([]);
  });

  it('the model reports no bit its features do not name', () => {
    // Reported present features of the model are all in `reported` (not lost by the CPUID path).
    const names = new Set(reported.map((b) => b.name));
    expect(CPU_FEATURES.filter((f) => f.present && !names.has(f.name)).map((f) => f.name)).toEqual([]);
  });

  it.each(reported.filter((b) => b.name !== null).map((b) => [b.name!, b.where]))('%s (%s) works', (name) => {
    const probe = PROBES[name];
    expect(probe, `add a probe for ${name} (test/cpu/system/feature-probes.ts)`).toBeDefined();
    const { result, m } = runProbe(probe!.mode, probe!.present);
    expect(result, `${name}: the reported feature faulted`).toBe(probe!.presentResult ?? 'ok');
    expect(probe!.check?.(m) ?? null).toBeNull();
  });
});

describe('CPUID honesty: what the model leaves out is refused', () => {
  const absent = CPU_FEATURES.filter((f) => !f.present);

  it.each(absent.map((f) => [f.name, f.description]))('%s is refused (%s)', (name) => {
    const probe = PROBES[name];
    expect(probe, `add a probe for ${name} (test/cpu/system/feature-probes.ts)`).toBeDefined();
    const { result } = runProbe(probe!.mode, probe!.absent ?? probe!.present);
    expect(probe!.absentVectors ?? [6], `${name}: the absent feature worked (${String(result)})`).toContain(result);
  });
});
