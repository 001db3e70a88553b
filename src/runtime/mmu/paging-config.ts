/**
 * The paging structure a walk uses and the control bits that shape it, decoded once from
 * CR0/CR4/EFER (SDM Vol. 3A §4.1.1, cr-rules.md "Operating modes").
 */

export const enum PagingMode {
  Off = 0,
  Legacy32 = 1, // 32-bit paging: CR3 → PDE → PTE, 4-byte entries
  Pae = 2, // PAE: latched PDPTEs → PDE → PTE, 8-byte entries
  Level4 = 3, // 4-level: PML4 → PDPT → PD → PT
  Level5 = 4, // 5-level (CR4.LA57): PML5 → PML4 → ...
}

/** CR0 bits the MMU reads. */
export const CR0_WP = 1 << 16;
export const CR0_PG = 1 << 31;
/** CR4 bits the MMU reads. */
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_PGE = 1 << 7;
export const CR4_LA57 = 1 << 12;
export const CR4_PCIDE = 1 << 17;
export const CR4_SMEP = 1 << 20;
export const CR4_SMAP = 1 << 21;
/** EFER bits the MMU reads. */
export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
export const EFER_NXE = 1 << 11;
/** EFLAGS.AC (SMAP override for explicit supervisor data accesses). */
export const EFLAGS_AC = 1 << 18;

/** Everything a walk needs besides the memory and the root. Mutable and reused (no allocation). */
export interface WalkConfig {
  mode: PagingMode;
  /** Physical address of the top-level table (CR3 base), or of the PDPT for PAE. */
  root: number;
  pse: boolean;
  wp: boolean;
  nxe: boolean;
  smep: boolean;
  smap: boolean;
  /** MAXPHYADDR the reserved-bit checks use (R89–R91). */
  maxPhyAddr: number;
  /** 1 GiB pages supported (CPUID Page1GB, R87). */
  page1gb: boolean;
}

export function newWalkConfig(): WalkConfig {
  return {
    mode: PagingMode.Off,
    root: 0,
    pse: false,
    wp: false,
    nxe: false,
    smep: false,
    smap: false,
    maxPhyAddr: 40,
    page1gb: true,
  };
}

/** Which paging mode CR0/CR4/EFER select (LMA decides long mode, R80). */
export function pagingModeOf(cr0: number, cr4: number, efer: number): PagingMode {
  if ((cr0 & CR0_PG) === 0) return PagingMode.Off;
  if ((cr4 & CR4_PAE) === 0) return PagingMode.Legacy32;
  if ((efer & EFER_LMA) === 0) return PagingMode.Pae;
  return (cr4 & CR4_LA57) !== 0 ? PagingMode.Level5 : PagingMode.Level4;
}

/** Table base from CR3 for a mode: 31:12 (32-bit), 31:5 (PAE), M-1:12 (4/5-level). */
export function rootOf(mode: PagingMode, cr3: bigint, maxPhyAddr: number): number {
  const pae = mode === PagingMode.Pae;
  // The same CR3 is converted again and again (every flush and shadow exit, once with the host's
  // and once with the guest's MAXPHYADDR): remember the last two.
  if (cr3 === memoCr3[0] && pae === memoPae[0] && maxPhyAddr === memoMax[0]) return memoRoot[0]!;
  if (cr3 === memoCr3[1] && pae === memoPae[1] && maxPhyAddr === memoMax[1]) return memoRoot[1]!;
  const mask = (1n << BigInt(maxPhyAddr)) - 1n;
  const root = pae ? Number(cr3 & mask & ~0x1fn) : Number(cr3 & mask & ~0xfffn);
  memoCr3[1] = memoCr3[0]!;
  memoPae[1] = memoPae[0]!;
  memoMax[1] = memoMax[0]!;
  memoRoot[1] = memoRoot[0]!;
  memoCr3[0] = cr3;
  memoPae[0] = pae;
  memoMax[0] = maxPhyAddr;
  memoRoot[0] = root;
  return root;
}

const memoCr3: bigint[] = [-1n, -1n];
const memoPae: boolean[] = [false, false];
const memoMax: number[] = [-1, -1];
const memoRoot: number[] = [0, 0];

/** Fill `cfg` from control-register values (in place). */
export function configure(
  cfg: WalkConfig,
  cr0: number,
  cr3: bigint,
  cr4: number,
  efer: number,
  maxPhyAddr: number,
): void {
  cfg.mode = pagingModeOf(cr0, cr4, efer);
  cfg.maxPhyAddr = maxPhyAddr;
  cfg.root = rootOf(cfg.mode, cr3, maxPhyAddr);
  cfg.pse = (cr4 & CR4_PSE) !== 0;
  cfg.wp = (cr0 & CR0_WP) !== 0;
  cfg.nxe = (efer & EFER_NXE) !== 0;
  cfg.smep = (cr4 & CR4_SMEP) !== 0;
  cfg.smap = (cr4 & CR4_SMAP) !== 0;
  if (cfg.mode === PagingMode.Off) {
    // R106: no paging, no rights (the nested dimension still applies).
    cfg.wp = cfg.nxe = cfg.smep = cfg.smap = false;
  }
}
