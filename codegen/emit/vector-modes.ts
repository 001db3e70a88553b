import type { GuestRegs } from '../rules/interp.ts';
import type { CpuMode } from '../../src/runtime/vmm/vcpu.ts';

/**
 * The operating modes conformance vectors are generated in, each with a consistent base guest
 * state and a few variants (docs/vectors-schema.md, "Test modes").
 */

/** Test modes: a name, the CPU mode the hardware reports, and a consistent guest state. */
export type VectorMode = 'real' | 'protected' | 'paging32' | 'pae' | 'compat' | 'long64';

export interface ModeSpec {
  mode: VectorMode;
  cpuMode: CpuMode;
  cls: 'real' | 'protected' | 'compat' | 'long64';
  guest: GuestRegs;
  cpls: number[];
  /** Variations that keep the mode consistent (guest register overrides, PDPTE validity). */
  variants: { guest?: Partial<GuestRegs>; pdptesValid?: boolean }[];
}

const CR0_ET = 0x10n;
const CR0_PE = 0x1n;
const CR0_PG = 0x8000_0000n;
const CR4_PSE = 0x10n;
const CR4_PAE = 0x20n;
const CR4_PGE = 0x80n;
const CR4_UMIP = 0x800n;
const CR4_LA57 = 0x1000n;
const CR4_PCIDE = 0x2_0000n;
const CR4_OSXSAVE = 0x4_0000n;
const EFER_SCE = 0x1n;
const EFER_LME = 0x100n;
const EFER_LMA = 0x400n;
const EFER_NXE = 0x800n;

function regs(p: Partial<GuestRegs>): GuestRegs {
  return { CR0: 0n, CR3: 0n, CR4: 0n, CR8: 0n, EFER: 0n, XCR0: 1n, TPR: 0n, ...p };
}

const LEGACY_VARIANTS = [
  {},
  { guest: { EFER: EFER_LME } },
  { guest: { CR4: CR4_PAE } },
  { guest: { CR4: CR4_PAE, EFER: EFER_LME | EFER_NXE } },
  { guest: { CR4: CR4_OSXSAVE | CR4_UMIP, EFER: EFER_SCE } },
  { guest: { CR4: CR4_PAE }, pdptesValid: false },
];
const LONG_VARIANTS = [
  {},
  { guest: { CR4: CR4_PAE | CR4_PCIDE | CR4_PGE } },
  { guest: { CR3: 0x3005n } },
  { guest: { CR4: CR4_PAE | CR4_PCIDE, CR3: 0x3005n } },
  { guest: { CR4: CR4_PAE | CR4_LA57 | CR4_OSXSAVE | CR4_UMIP } },
  { guest: { CR8: 0x5n, TPR: 0x50n, XCR0: 0x7n, EFER: EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE } },
];

export const MODES: readonly ModeSpec[] = [
  { mode: 'real', cpuMode: 'real', cls: 'real', guest: regs({ CR0: 0x6000_0000n | CR0_ET }), cpls: [0], variants: LEGACY_VARIANTS },
  { mode: 'protected', cpuMode: 'protected32', cls: 'protected', guest: regs({ CR0: CR0_PE | CR0_ET }), cpls: [0, 3], variants: LEGACY_VARIANTS },
  {
    mode: 'paging32',
    cpuMode: 'protected32',
    cls: 'protected',
    guest: regs({ CR0: CR0_PG | CR0_PE | CR0_ET, CR3: 0x1000n }),
    cpls: [0, 3],
    variants: [{}, { guest: { CR4: CR4_PGE | CR4_PSE } }, { guest: { CR4: CR4_OSXSAVE | CR4_UMIP } }, { pdptesValid: false }],
  },
  {
    mode: 'pae',
    cpuMode: 'protected32',
    cls: 'protected',
    guest: regs({ CR0: CR0_PG | CR0_PE | CR0_ET, CR3: 0x2000n, CR4: CR4_PAE }),
    cpls: [0, 3],
    variants: [{}, { pdptesValid: false }, { guest: { CR4: CR4_PAE | CR4_PGE } }, { guest: { CR4: CR4_PAE | CR4_PGE }, pdptesValid: false }, { guest: { CR4: CR4_PAE | CR4_OSXSAVE | CR4_UMIP } }],
  },
  {
    mode: 'compat',
    cpuMode: 'compat32',
    cls: 'compat',
    guest: regs({ CR0: CR0_PG | CR0_PE | CR0_ET, CR3: 0x3000n, CR4: CR4_PAE, EFER: EFER_LME | EFER_LMA }),
    cpls: [0, 3],
    variants: LONG_VARIANTS,
  },
  {
    mode: 'long64',
    cpuMode: 'long64',
    cls: 'long64',
    guest: regs({ CR0: CR0_PG | CR0_PE | CR0_ET, CR3: 0x3000n, CR4: CR4_PAE, EFER: EFER_LME | EFER_LMA }),
    cpls: [0, 3],
    variants: LONG_VARIANTS,
  },
];
