/**
 * The page walker (SDM Vol. 3A §4.3–§4.8, cr-rules.md R85–R109). One pure function used three
 * ways:
 * - the hardware walk (HardwareMmu on a TLB miss: monitor tables under shadow/passthrough,
 *   the guest's tables under direct);
 * - the monitor's software walk of the guest's tables (shadow pager), with A/D setting as an
 *   option so a probe changes nothing;
 * - the guest dimension of the nested 2-D walk: every guest-physical address it produces (each
 *   table entry and the final address) goes through a GuestPhysicalMap first.
 *
 * Walks are bounded by the number of levels, so loops in tables cannot hang; memory past RAM
 * reads all ones, which ends in a reserved-bit fault or a present mapping of unbacked memory.
 * The walk never throws except what the GuestPhysicalMap throws (NestedPageFault).
 */
import { Access, PfErr } from './types.ts';
import { PagingMode, type WalkConfig } from './paging-config.ts';

/** The memory the walker reads entries from and writes A/D bits to (host-physical). */
export interface TableMemory {
  read32(pa: number): number;
  write32(pa: number, value: number): void;
}

/** Stage 2 of a nested walk: guest-physical → host-physical; throws NestedPageFault. */
export interface GuestPhysicalMap {
  toHost(gpa: number, access: Access): number;
}

/** Entry bits (low dword). */
export const PTE_P = 1 << 0;
export const PTE_W = 1 << 1;
export const PTE_U = 1 << 2;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_PS = 1 << 7;
export const PTE_G = 1 << 8;
/** Bit 63 (XD) in the high dword. */
export const PTE_HI_NX = 0x8000_0000 | 0;

/** Walk option: set A on every entry used and D on the leaf for writes (R101, R102). */
export const WALK_SET_AD = 1;

// Module-local copies of imported constants: hot code reads locals, not import bindings.
const READ: Access = Access.Read;
const WRITE: Access = Access.Write;
const FETCH: Access = Access.Fetch;
const E_P = PfErr.P;
const E_W = PfErr.W;
const E_U = PfErr.U;
const E_RSVD = PfErr.RSVD;
const E_ID = PfErr.ID;
const M_OFF: PagingMode = PagingMode.Off;
const M_LEGACY32: PagingMode = PagingMode.Legacy32;
const M_PAE: PagingMode = PagingMode.Pae;
const M_LEVEL5: PagingMode = PagingMode.Level5;

/** Returned by walk() on success (any other value is a #PF error code). */
export const WALK_OK = -1;

const TWO32 = 2 ** 32;

/** The result of a successful walk. Reused between walks (no allocation). */
export class WalkResult {
  /** Host-physical address of the accessed byte. */
  phys = 0;
  /** Host-physical base of the 4 KiB frame holding it. */
  frame = 0;
  /** Guest-physical address (equals phys when there is no stage 2). */
  gpa = 0;
  /** Size of the page the leaf maps (4 KiB, 2 MiB, 4 MiB, 1 GiB). */
  pageSize = 4096;
  /** Combined rights over all levels (R93). */
  user = false;
  writable = false;
  nx = false;
  /** Leaf G bit (meaningful only with CR4.PGE). */
  global = false;
  /** Leaf D bit after the walk (set by it for a write with WALK_SET_AD). */
  dirty = false;
  /** Host-physical address of the leaf entry. */
  leafAddr = 0;
  /** Entries used, for A/D updates. */
  readonly entryAddr = new Float64Array(5);
  readonly entryLo = new Uint32Array(5);
  entryCount = 0;
}

/** Reserved-bit mask of the high dword for physical-address bits 51:M (M ≥ 32). */
function addrRsvdHi(maxPhyAddr: number): number {
  const m = Math.max(32, Math.min(52, maxPhyAddr));
  return (0xfffff & ~((1 << (m - 32)) - 1)) >>> 0;
}

/** Error-code bits that describe the access (W, U, I/D) — R104. */
export function accessErrorBits(cfg: WalkConfig, access: Access, user: boolean): number {
  let e = 0;
  if (access === WRITE) e |= E_W;
  if (user) e |= E_U;
  if (access === FETCH && (cfg.smep || (cfg.nxe && cfg.mode >= M_PAE))) e |= E_ID;
  return e;
}

/**
 * Rights check over the combined bits (R94–R99). Returns true if the access is allowed.
 * `user` = CPL-3 explicit access; `ac` = EFLAGS.AC for an explicit supervisor access (pass
 * false for implicit supervisor accesses: SMAP then ignores AC).
 */
export function allowed(
  cfg: WalkConfig,
  u: boolean,
  w: boolean,
  nx: boolean,
  access: Access,
  user: boolean,
  ac: boolean,
): boolean {
  if (user) {
    if (!u) return false; // R94
    if (access === WRITE) return w;
    if (access === FETCH) return !nx;
    return true;
  }
  if (access === FETCH) {
    if (nx) return false; // R97
    return !(cfg.smep && u); // R98
  }
  if (cfg.smap && u && !ac) return false; // R99
  if (access === WRITE && cfg.wp && !w) return false; // R96
  return true;
}

/**
 * Walk the tables for `linear`. Returns WALK_OK and fills `out`, or the #PF error code.
 * Order (R92): top-down; the first not-present entry faults with P=0; the first present entry
 * with a reserved bit faults with P=1 RSVD=1; rights are checked after a complete walk; A/D are
 * set only after the rights check passes (R101, R102).
 */
export function walk(
  mem: TableMemory,
  cfg: WalkConfig,
  pdptes: Uint32Array | null,
  linear: number,
  access: Access,
  user: boolean,
  ac: boolean,
  flags: number,
  out: WalkResult,
  stage2: GuestPhysicalMap | null,
): number {
  const errBits = accessErrorBits(cfg, access, user);
  out.entryCount = 0;
  let u = true;
  let w = true;
  let nx = false;
  let base: number; // physical (guest-physical under stage 2) address of the mapped page
  let size: number;
  let leafLo: number;

  if (cfg.mode === M_OFF) {
    out.gpa = linear >>> 0; // R106 (32-bit wrap outside long mode)
    out.phys = stage2 !== null ? stage2.toHost(out.gpa, access) : out.gpa;
    out.frame = out.phys - (out.phys % 4096);
    out.pageSize = 4096;
    out.user = true;
    out.writable = true;
    out.nx = false;
    out.global = false;
    out.dirty = true;
    out.leafAddr = 0;
    return WALK_OK;
  }

  if (cfg.mode === M_LEGACY32) {
    const lin = linear >>> 0;
    // PDE (R85): bits 31:22 index the directory at CR3[31:12].
    let gpa = cfg.root + (lin >>> 22) * 4;
    let hpa = stage2 !== null ? stage2.toHost(gpa, READ) : gpa;
    let lo = mem.read32(hpa) >>> 0;
    if ((lo & PTE_P) === 0) return errBits;
    out.entryAddr[0] = hpa;
    out.entryLo[0] = lo;
    out.entryCount = 1;
    u = (lo & PTE_U) !== 0;
    w = (lo & PTE_W) !== 0;
    if (cfg.pse && (lo & PTE_PS) !== 0) {
      // 4 MiB page (R85, R89): bit 21 reserved; bits 20:13 are PA[39:32] (PSE-36).
      const hiBits = (lo >>> 13) & 0xff;
      const m = Math.min(40, cfg.maxPhyAddr);
      const rsvd = (0xff & ~((1 << (m - 32)) - 1)) & hiBits;
      if ((lo & (1 << 21)) !== 0 || rsvd !== 0) return errBits | E_P | E_RSVD;
      base = (lo & 0xffc0_0000) >>> 0;
      base += hiBits * TWO32;
      size = 4 * 1024 * 1024;
      leafLo = lo;
    } else {
      gpa = ((lo & 0xffff_f000) >>> 0) + ((lin >>> 12) & 0x3ff) * 4;
      hpa = stage2 !== null ? stage2.toHost(gpa, READ) : gpa;
      lo = mem.read32(hpa) >>> 0;
      if ((lo & PTE_P) === 0) return errBits;
      out.entryAddr[1] = hpa;
      out.entryLo[1] = lo;
      out.entryCount = 2;
      u = u && (lo & PTE_U) !== 0;
      w = w && (lo & PTE_W) !== 0;
      base = (lo & 0xffff_f000) >>> 0;
      size = 4096;
      leafLo = lo;
    }
  } else {
    const rsvdAddrHi = addrRsvdHi(cfg.maxPhyAddr);
    // PAE: bits 62:M are reserved; 4/5-level: bits 51:M (62:52 ignored) — R90, R91.
    const rsvdHiCommon =
      (cfg.mode === M_PAE ? (rsvdAddrHi | 0x7ff0_0000) >>> 0 : rsvdAddrHi) |
      (cfg.nxe ? 0 : PTE_HI_NX);
    let level: number; // 4 = PML5 … 1 = PT (PAE starts at 2 after the PDPTE)
    let table: number;
    if (cfg.mode === M_PAE) {
      // PDPTE register (R109): bits 31:30 pick one of the 4 latched entries.
      const idx = (linear >>> 30) & 3;
      let lo: number;
      let hi: number;
      if (pdptes !== null) {
        lo = pdptes[idx * 2];
        hi = pdptes[idx * 2 + 1];
      } else {
        const gpa = cfg.root + idx * 8;
        const hpa = stage2 !== null ? stage2.toHost(gpa, READ) : gpa;
        lo = mem.read32(hpa) >>> 0;
        hi = mem.read32(hpa + 4) >>> 0;
      }
      if ((lo & PTE_P) === 0) return errBits;
      // PDPTE reserved bits 2:1, 8:5, 63:M (R41); normally caught at load time.
      if ((lo & 0x1e6) !== 0 || (hi & ((rsvdAddrHi | 0xfff0_0000) >>> 0)) !== 0) {
        return errBits | E_P | E_RSVD;
      }
      table = ((lo & 0xffff_f000) >>> 0) + (hi & 0xfffff) * TWO32;
      level = 2;
    } else {
      table = cfg.root;
      level = cfg.mode === M_LEVEL5 ? 5 : 4;
    }
    for (;;) {
      const shift = 12 + 9 * (level - 1);
      const idx = shift < 24 ? (linear >>> shift) & 511 : Math.floor(linear / 2 ** shift) & 511;
      const gpa = table + idx * 8;
      const hpa = stage2 !== null ? stage2.toHost(gpa, READ) : gpa;
      const lo = mem.read32(hpa) >>> 0;
      const hi = mem.read32(hpa + 4) >>> 0;
      if ((lo & PTE_P) === 0) return errBits; // R92: not-present beats reserved
      if ((hi & rsvdHiCommon) !== 0) return errBits | E_P | E_RSVD;
      const n = out.entryCount;
      out.entryAddr[n] = hpa;
      out.entryLo[n] = lo;
      out.entryCount = n + 1;
      u = u && (lo & PTE_U) !== 0;
      w = w && (lo & PTE_W) !== 0;
      nx = nx || (cfg.nxe && (hi & PTE_HI_NX) !== 0);
      const addr = ((lo & 0xffff_f000) >>> 0) + (hi & 0xfffff) * TWO32;
      if (level === 1) {
        base = addr;
        size = 4096;
        leafLo = lo;
        break;
      }
      if ((lo & PTE_PS) !== 0) {
        if (level >= 4) return errBits | E_P | E_RSVD; // R88: PS in PML4E/PML5E
        if (level === 3) {
          // 1 GiB page (R87, R91): bits 29:13 reserved.
          if (!cfg.page1gb || (lo & 0x3fff_e000) !== 0) return errBits | E_P | E_RSVD;
          base = addr - (addr % 2 ** 30);
          size = 2 ** 30;
        } else {
          // 2 MiB page (R86, R90, R91): bits 20:13 reserved.
          if ((lo & 0x001f_e000) !== 0) return errBits | E_P | E_RSVD;
          base = addr - (addr % 2 ** 21);
          size = 2 ** 21;
        }
        leafLo = lo;
        break;
      }
      table = addr;
      level--;
    }
  }

  if (!allowed(cfg, u, w, nx, access, user, ac)) return errBits | E_P;

  const gpa = base + (linear & (size - 1));
  out.gpa = gpa;
  out.pageSize = size;
  out.user = u;
  out.writable = w;
  out.nx = nx;
  out.global = (leafLo & PTE_G) !== 0;
  const last = out.entryCount - 1;
  out.leafAddr = out.entryAddr[last];
  // Stage 2 of the final address (its fault leaves the guest's A/D bits untouched).
  out.phys = stage2 !== null ? stage2.toHost(gpa, access) : gpa;
  out.frame = out.phys - (out.phys % 4096);
  let dirty = (leafLo & PTE_D) !== 0;
  if ((flags & WALK_SET_AD) !== 0) {
    for (let i = 0; i <= last; i++) {
      const want = i === last && access === WRITE ? PTE_A | PTE_D : PTE_A;
      const lo = out.entryLo[i];
      if ((lo & want) !== want) {
        const a = out.entryAddr[i];
        mem.write32(a, (mem.read32(a) | want) >>> 0);
        out.entryLo[i] = (lo | want) >>> 0;
      }
    }
    if (access === WRITE) dirty = true;
  }
  out.dirty = dirty;
  return WALK_OK;
}
