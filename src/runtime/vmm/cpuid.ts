import { CPU_MODEL, cpuidLeaf, HAS_FEATURE, type CpuidResult } from '../../generated/cpu-model.ts';

/**
 * CPUID as the trap monitor answers it: the generated CPU model (spec/cpu/*.cpu: vendor,
 * MAXPHYADDR, every feature that decides which control-register bits exist) plus what the spec
 * does not describe because it is not a control-register matter:
 * - leaf 1 EAX: family 6 signature; EDX: the instruction-set basics the interpreter implements
 *   (TSC, MSR, CX8, CMOV) so guests that probe them find them; ECX[27] OSXSAVE mirrors the
 *   guest's CR4.OSXSAVE, as hardware does;
 * - leaf 1 EBX[15:8]: the CLFLUSH line size (8 × 8 = 64 bytes) when CLFSH is reported;
 * - leaf 0Dh: XSAVE area sizes for the components the model enumerates (sub-leaf 0: standard
 *   format for XCR0 / for every supported component; sub-leaf 1 EBX: the compacted size for
 *   XCR0 when XSAVEC is reported);
 * - leaves 15h/16h: the TSC and the core crystal at 1 GHz (TSC = crystal · 1/1; base, maximum and
 *   bus frequency 1000 MHz), the frequencies of the machine's clock (machine/clock.ts TSC_HZ,
 *   devices/lapic-timer.ts APIC_BUS_HZ); leaf 0 reports 16h as the highest basic leaf.
 * Features are therefore consistent with the rules: a CR4/EFER/XCR0 bit is writable exactly
 * when its feature is reported here.
 */

export interface CpuModel {
  readonly name: string;
  readonly vendor: string;
  readonly maxPhysAddr: number;
  /** The static CPUID answer of the model (features, vendor, address sizes). */
  cpuidLeaf(leaf: number, subleaf: number): CpuidResult;
}

/** The model generated from spec/cpu. */
export const SPEC_CPU_MODEL: CpuModel = {
  name: CPU_MODEL.name,
  vendor: CPU_MODEL.vendor,
  maxPhysAddr: CPU_MODEL.maxPhysAddr,
  cpuidLeaf,
};

// Family 6, model 6, stepping 3: what QEMU -cpu max reports under TCG (/proc/cpuinfo in a guest).
// Linux takes family 6 AuthenticAMD for a K7; with model > 8 it programs the K7 CLK_CTL MSR
// (0xC001001B), which neither QEMU nor this CPU has (an "unchecked MSR access error").
const LEAF1_EAX_SIGNATURE = 0x0000_0663;
const LEAF1_EDX_ISA = (1 << 4) | (1 << 5) | (1 << 8) | (1 << 15); // TSC MSR CX8 CMOV
const LEAF1_ECX_OSXSAVE = 1 << 27;
// ECX[31] "hypervisor present", as QEMU -cpu max reports: the guest runs under a monitor. Linux
// then skips probing the (unmodelled) AMD performance-counter MSRs ("PMU not available due to
// virtualization", as under QEMU) instead of failing them ("Failed to access perfctr msr").
const LEAF1_ECX_HYPERVISOR = 1 << 31;
const CR4_OSXSAVE = 1n << 18n;
/** TSC and core-crystal (APIC timer) frequency: machine/clock.ts TSC_HZ, lapic-timer.ts APIC_BUS_HZ. */
const TSC_HZ = 1_000_000_000;
const TSC_MHZ = TSC_HZ / 1_000_000;
const MAX_BASIC_LEAF = 0x16;

/** XSAVE standard-format layout (SDM Vol. 1 §13.4): component → [offset, size]. */
const XSAVE_COMPONENTS: ReadonlyArray<[bit: number, offset: number, size: number]> = [
  [0, 0, 160],
  [1, 160, 256],
  [2, 576, 256],
  [9, 2688, 8],
];
const XSAVE_LEGACY_AND_HEADER = 576;

/** Size of the compacted (XSAVEC) area for `xcr0`: components after the header, packed in bit order. */
function xsaveCompactedSize(xcr0: number): number {
  let size = XSAVE_LEGACY_AND_HEADER;
  for (const [bit, , len] of XSAVE_COMPONENTS) if (bit >= 2 && (xcr0 & (1 << bit)) !== 0) size += len;
  return size;
}

function xsaveSize(xcr0: number): number {
  let size = XSAVE_LEGACY_AND_HEADER;
  for (const [bit, offset, len] of XSAVE_COMPONENTS) if (bit >= 2 && (xcr0 & (1 << bit)) !== 0) size = Math.max(size, offset + len);
  return size;
}

/** Answer CPUID(leaf, subleaf) for a guest whose CR4 and XCR0 are given. Writes into `out`. */
export function answerCpuid(model: CpuModel, leaf: number, subleaf: number, guestCr4: bigint, guestXcr0: bigint, out: CpuidResult): void {
  const r = model.cpuidLeaf(leaf >>> 0, subleaf >>> 0);
  out.eax = r.eax;
  out.ebx = r.ebx;
  out.ecx = r.ecx;
  out.edx = r.edx;
  if (leaf === 0) {
    out.eax = Math.max(out.eax, MAX_BASIC_LEAF);
  } else if (leaf === 0x15) {
    // TSC/crystal ratio EBX/EAX = 1/1, crystal ECX in Hz.
    out.eax = 1;
    out.ebx = 1;
    out.ecx = TSC_HZ;
    out.edx = 0;
  } else if (leaf === 0x16) {
    out.eax = TSC_MHZ;
    out.ebx = TSC_MHZ;
    out.ecx = TSC_MHZ;
    out.edx = 0;
  } else if (leaf === 1) {
    out.eax = LEAF1_EAX_SIGNATURE;
    out.edx = (out.edx | LEAF1_EDX_ISA) >>> 0;
    if (HAS_FEATURE.CLFSH) out.ebx = (out.ebx & ~0xff00) | (8 << 8);
    out.ecx = ((out.ecx & ~LEAF1_ECX_OSXSAVE) | LEAF1_ECX_HYPERVISOR) >>> 0;
    if ((guestCr4 & CR4_OSXSAVE) !== 0n && HAS_FEATURE.XSAVE) out.ecx = (out.ecx | LEAF1_ECX_OSXSAVE) >>> 0;
  } else if (leaf === 0xd && HAS_FEATURE.XSAVE) {
    if (subleaf === 0) {
      // EAX: supported XCR0 bits (from the model); EBX: size for the current XCR0; ECX: maximum.
      out.ebx = xsaveSize(Number(guestXcr0 & 0xffff_ffffn));
      out.ecx = xsaveSize(out.eax);
    } else if (subleaf === 1) {
      out.ebx = HAS_FEATURE.XSAVEC ? xsaveCompactedSize(Number(guestXcr0 & 0xffff_ffffn)) : 0;
    } else if (subleaf >= 2) {
      const c = XSAVE_COMPONENTS.find(([bit]) => bit === subleaf && (r.eax | 1) !== 0);
      const supported = (model.cpuidLeaf(0xd, 0).eax & (1 << subleaf)) !== 0;
      if (c && supported) {
        out.eax = c[2];
        out.ebx = c[1];
      }
    }
  }
}
