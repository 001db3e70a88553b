/**
 * The hardware MMU: TLB in front of the page walker, over the hardware paging registers
 * (PagingRegs, kept current in place by the CPU). Implements the Translator contract.
 *
 * - Hits cost a few typed-array loads and no allocation.
 * - Misses walk with A/D setting (R101, R102) and throw GuestFault(#PF) on a fault (CR2 is the
 *   CPU's job when it delivers it).
 * - Register changes are noticed without being told: CR0/CR4/EFER on every access, CR3 and nCR3
 *   (bigints) on the next miss or flush() — whoever changes hardware CR3 flushes, as MOV CR3 does
 *   (R42) and as every paging strategy does. A CR3 change with PCIDE=0 drops non-global
 *   entries; with PCIDE=1 it switches the current PCID (entries stay tagged, R44); a change of a
 *   paging bit of
 *   CR0/CR4/EFER (PG, WP, PSE, PAE, PGE, PCIDE, SMEP, SMAP, LA57, NXE, LMA) or of nCR3 drops
 *   everything (R19, R20, R57–R59: flushing more than required is always allowed).
 * - flush(scope) implements the invalidations the monitor and the CPU request.
 * - PAE: the four PDPTEs are latched on the first walk after a flush or register change (R109).
 * - Reserved-bit width: walks of monitor-owned tables (root at or above MONITOR_BASE, and the
 *   nested tables) use HOST_MAXPHYADDR; walks of guest tables (direct mode, the guest dimension of
 *   nested paging) use the guest model's GUEST_MAXPHYADDR, so no guest entry can name monitor
 *   memory. The hardware accepts a monitor root above 4 GiB in CR3 in every paging mode (the
 *   emulated host's CR3 is wide; only the root, entries are architectural).
 * - Flush skipping (watchSources/canSkipFlush, a modelled assist like the CPU's write watch; a
 *   real CPU flushes): from an empty TLB on, every walk of guest tables watches the frames of the
 *   entries it used (and the PDPT it latches). While no guest store hit one (`clean`), every
 *   cached translation equals what a walk would give now, so a guest MOV CR3 of the same value
 *   or a PGE toggle (PCIDE=0) need not drop them; turning PGE off still drops global entries,
 *   which may come from another CR3's tables.
 */
import { GuestFault, Vec } from '../cpu/fault.ts';
import { GUEST_MAXPHYADDR, HOST_MAXPHYADDR, MONITOR_BASE, type PhysicalBus } from '../machine/bus.ts';
import { NestedMap } from './nested-map.ts';
import {
  configure,
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_NXE,
  newWalkConfig,
  PagingMode,
  type WalkConfig,
} from './paging-config.ts';
import { Tlb } from './tlb.ts';
import { Access, type FlushScope, type FrameWatch, type PagingRegs, type Translator } from './types.ts';
import { walk, WalkResult, WALK_OK, WALK_SET_AD } from './walker.ts';

const CR0_PAGING_BITS = CR0_PG | CR0_WP;
// Module-local copies of imported values: hot code reads locals, not import bindings.
const M_PAE: PagingMode = PagingMode.Pae;
const walkFn = walk;
const MONITOR_BASE_ = MONITOR_BASE;
const GUEST_M = GUEST_MAXPHYADDR;
const HOST_M = HOST_MAXPHYADDR;
const CR4_PAGING_BITS = CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_LA57;
const EFER_PAGING_BITS = EFER_NXE | EFER_LMA;

export interface MmuStats {
  misses: number;
  walkFaults: number;
  flushAll: number;
  flushNonGlobal: number;
  flushPcid: number;
  flushPage: number;
  /** Flushes the MMU did itself on noticing a register change. */
  flushImplicit: number;
  /** Guest flushes skipped, and PGE toggles that kept the TLB, because it was clean. */
  flushSkipped: number;
  pgeKept: number;
  /** Guest stores to watched source frames (each ends a clean period). */
  sourceWrites: number;
}

export class HardwareMmu implements Translator {
  readonly tlb = new Tlb();
  private readonly cfg: WalkConfig = newWalkConfig();
  private readonly res = new WalkResult();
  private readonly nested: NestedMap;
  private readonly pdptes = new Uint32Array(8);
  private pdptesValid = false;
  // Snapshot of the registers the derived state was computed from.
  private cr0 = -1;
  private cr3 = -1n;
  private cr4 = -1;
  private efer = -1;
  private ncr3: bigint | null = null;
  private pge = false;
  private pagingOff = true;
  private nestedOn = false;
  private pcide = false;
  /** Source frames of cached translations (null: not watching, never clean). */
  private sources: FrameWatch | null = null;
  /** Every cached translation came from watched, unwritten frames (see file comment). */
  private clean = false;
  /** The #PF error code of the last probe() that returned -1. */
  faultCode = 0;
  private readonly counters: MmuStats = {
    misses: 0,
    walkFaults: 0,
    flushAll: 0,
    flushNonGlobal: 0,
    flushPcid: 0,
    flushPage: 0,
    flushImplicit: 0,
    flushSkipped: 0,
    pgeKept: 0,
    sourceWrites: 0,
  };

  constructor(
    private readonly bus: PhysicalBus,
    private readonly regs: PagingRegs,
  ) {
    this.nested = new NestedMap(bus);
    this.resync();
  }

  translate(linear: number, access: Access, user: boolean, ac: boolean): number {
    const pa = this.probe(linear, access, user, ac);
    if (pa < 0) throw new GuestFault(Vec.PF, this.faultCode, linear);
    return pa;
  }

  /**
   * translate() without the throw: -1 on a #PF (its error code in `faultCode`). For callers
   * that turn the fault into a return value (compiled blocks: a JavaScript throw costs about a
   * microsecond in V8, a demand-paging guest takes two per page). A nested-paging fault
   * (NestedPageFault) still throws.
   */
  probe(linear: number, access: Access, user: boolean, ac: boolean): number {
    const r = this.regs;
    // CR3 and nCR3 (bigints, slower to compare) are checked on misses and flushes only.
    if (r.cr0 !== this.cr0 || r.cr4 !== this.cr4 || r.efer !== this.efer) this.resync();
    if (this.pagingOff) {
      if (r.ncr3 === null) return linear >>> 0; // R106, no nested paging
      this.resync();
    }
    const vpn = Math.floor(linear / 4096);
    const tlb = this.tlb;
    const i = (vpn ^ tlb.salt) & tlb.mask;
    if (tlb.tag[i] === vpn) {
      const c = tlb.ctx[i];
      // Permission bit (tlb.ts permIndex, inlined): (user ? 3 : ac ? 6 : 0) + access.
      if ((c === tlb.current || c === tlb.global) && (tlb.perm[i] & (1 << ((user ? 3 : ac ? 6 : 0) + access))) !== 0) {
        return tlb.frame[i] + (linear & 0xfff);
      }
    }
    return this.miss(linear, vpn, access, user, ac);
  }

  private miss(linear: number, vpn: number, access: Access, user: boolean, ac: boolean): number {
    this.counters.misses++;
    const r = this.regs;
    if (r.cr3 !== this.cr3 || r.ncr3 !== this.ncr3) {
      this.resync();
      // The hit path used the old CR3's context: look again under the new one.
      const tlb = this.tlb;
      const i = (vpn ^ tlb.salt) & tlb.mask;
      if (tlb.tag[i] === vpn) {
        const c = tlb.ctx[i];
        if ((c === tlb.current || c === tlb.global) && (tlb.perm[i] & (1 << ((user ? 3 : ac ? 6 : 0) + access))) !== 0) {
          return tlb.frame[i] + (linear & 0xfff);
        }
      }
    }
    const stage2 = this.nestedOn ? this.nested : null;
    const cfg = this.cfg;
    if (cfg.mode === M_PAE && !this.pdptesValid) this.latchPdptes();
    const res = this.res;
    const code = walkFn(
      this.bus,
      cfg,
      cfg.mode === M_PAE ? this.pdptes : null,
      linear,
      access,
      user,
      ac,
      WALK_SET_AD,
      res,
      stage2,
    );
    if (code !== WALK_OK) {
      this.counters.walkFaults++;
      this.faultCode = code;
      return -1;
    }
    // Rights for every access kind (walker.ts allowed(), R94–R99, folded into bits); writes only
    // once the leaf is dirty. Bit index = (user ? 3 : ac ? 6 : 0) + access.
    const u = res.user;
    const dirty = res.dirty;
    const supWrite = dirty && (!cfg.wp || res.writable);
    let perm = 0;
    if (u) perm |= 0b1000 | (dirty && res.writable ? 0b1_0000 : 0) | (res.nx ? 0 : 0b10_0000);
    if (!(cfg.smap && u)) perm |= 0b1 | (supWrite ? 0b10 : 0);
    if (!res.nx && !(cfg.smep && u)) perm |= 0b100 | 0b1_0000_0000;
    perm |= 0b100_0000 | (supWrite ? 0b1000_0000 : 0);
    const pages = res.pageSize / 4096;
    const first = vpn - (((vpn % pages) + pages) % pages);
    this.tlb.insert(vpn, res.frame, perm, this.pge && res.global, first, pages);
    if (this.clean) this.watchWalk(res);
    return res.phys;
  }

  /** Watch the frames of the entries a walk used (a frame outside RAM ends the clean period). */
  private watchWalk(res: WalkResult): void {
    const w = this.sources!;
    for (let k = 0; k < res.entryCount; k++) {
      if (!w.watch(res.entryAddr[k]!)) {
        this.dirty();
        return;
      }
    }
  }

  /** PDPTE registers (R109): read at CR3[31:5] (through stage 2 under nested paging). */
  private latchPdptes(): void {
    const root = this.cfg.root;
    for (let k = 0; k < 4; k++) {
      const gpa = root + k * 8;
      const hpa = this.nestedOn ? this.nested.toHost(gpa, Access.Read) : gpa;
      this.pdptes[k * 2] = this.bus.read32(hpa) >>> 0;
      this.pdptes[k * 2 + 1] = this.bus.read32(hpa + 4) >>> 0;
      if (this.clean && !this.sources!.watch(hpa)) this.dirty();
    }
    this.pdptesValid = true;
  }

  private resync(): void {
    const r = this.regs;
    if (
      ((r.cr0 ^ this.cr0) & CR0_PAGING_BITS) === 0 &&
      ((r.cr4 ^ this.cr4) & CR4_PAGING_BITS) === 0 &&
      ((r.efer ^ this.efer) & EFER_PAGING_BITS) === 0 &&
      r.cr3 === this.cr3 &&
      r.ncr3 === this.ncr3
    ) {
      // Only bits no translation depends on (CR0.TS from CLTS, CR4.OSFXSR, ...): nothing to redo.
      this.cr0 = r.cr0;
      this.cr4 = r.cr4;
      this.efer = r.efer;
      return;
    }
    if (this.pgeToggled()) return;
    const pagingChanged =
      ((r.cr0 ^ this.cr0) & CR0_PAGING_BITS) !== 0 ||
      ((r.cr4 ^ this.cr4) & CR4_PAGING_BITS) !== 0 ||
      ((r.efer ^ this.efer) & EFER_PAGING_BITS) !== 0 ||
      r.ncr3 !== this.ncr3;
    const cr3Changed = r.cr3 !== this.cr3;
    this.cr0 = r.cr0;
    this.cr3 = r.cr3;
    this.cr4 = r.cr4;
    this.efer = r.efer;
    this.ncr3 = r.ncr3;
    this.nestedOn = r.ncr3 !== null;
    if (this.nestedOn) this.nested.setRoot(Number(BigInt.asUintN(52, r.ncr3 ?? 0n) & ~0xfffn));
    configure(this.cfg, r.cr0, r.cr3, r.cr4, r.efer, HOST_M);
    if (this.nestedOn || this.cfg.root < MONITOR_BASE_) {
      configure(this.cfg, r.cr0, r.cr3, r.cr4, r.efer, GUEST_M);
    }
    this.pagingOff = this.cfg.mode === PagingMode.Off && !this.nestedOn;
    this.pge = (r.cr4 & CR4_PGE) !== 0;
    const pcide = (r.cr4 & CR4_PCIDE) !== 0 && this.cfg.mode >= PagingMode.Level4;
    this.pcide = pcide;
    // R109: the PDPTE registers are reloaded by CR3 loads and paging-bit changes, not by other
    // CR0/CR4 writes (CLTS, TS, ...).
    if (pagingChanged || cr3Changed) this.pdptesValid = false;
    if (pagingChanged) {
      this.counters.flushImplicit++;
      this.tlb.flushAll();
      this.nested.invalidate();
      this.emptied();
    } else if (cr3Changed && !pcide) {
      this.counters.flushImplicit++;
      this.tlb.flushNonGlobal();
      this.nonGlobalFlushed();
    }
    this.tlb.setPcid(pcide ? Number(r.cr3 & 0xfffn) : 0);
  }

  /**
   * Tell the MMU the registers may have changed (e.g. CR3 loaded with the PCID no-flush hint, so
   * no flush follows). flush() does this implicitly.
   */
  registersChanged(): void {
    const r = this.regs;
    if (r.cr0 !== this.cr0 || r.cr3 !== this.cr3 || r.cr4 !== this.cr4 || r.efer !== this.efer || r.ncr3 !== this.ncr3) {
      this.resync();
    }
  }

  flush(scope: FlushScope): void {
    this.registersChanged();
    const c = this.counters;
    switch (scope.kind) {
      case 'all':
        c.flushAll++;
        this.tlb.flushAll();
        this.nested.invalidate();
        this.pdptesValid = false;
        this.emptied();
        break;
      case 'non-global':
        c.flushNonGlobal++;
        this.tlb.flushNonGlobal();
        this.pdptesValid = false;
        this.nonGlobalFlushed();
        break;
      case 'pcid':
        c.flushPcid++;
        this.tlb.flushPcid(scope.pcid);
        this.pdptesValid = false;
        break;
      case 'page':
        c.flushPage++;
        this.tlb.flushPage(scope.linear);
        break;
    }
  }

  /** Watch the source frames of cached translations from now on (clean from the next full flush). */
  watchSources(watch: FrameWatch): void {
    this.sources = watch;
    watch.onWrite = () => {
      this.counters.sourceWrites++;
      this.dirty();
    };
    this.clean = false;
  }

  /**
   * A CR4.PGE toggle alone (PCIDE=0) with a clean TLB keeps it: every entry is what a walk gives
   * (the walk config does not read PGE); PGE off drops the global entries, which may come from
   * another CR3's tables. Applied here, true, when the registers differ from the snapshot by PGE
   * alone; false otherwise (resync handles the change). The CPU calls it as it changes PGE
   * (Translator.pgeToggled), so no resync follows the toggle.
   */
  pgeToggled(): boolean {
    const r = this.regs;
    if (
      !this.clean ||
      this.pcide ||
      ((r.cr4 ^ this.cr4) & CR4_PAGING_BITS) !== CR4_PGE ||
      ((r.cr0 ^ this.cr0) & CR0_PAGING_BITS) !== 0 ||
      ((r.efer ^ this.efer) & EFER_PAGING_BITS) !== 0 ||
      r.cr3 !== this.cr3 ||
      r.ncr3 !== this.ncr3
    ) {
      return false;
    }
    const pgeWas = this.pge;
    this.cr0 = r.cr0;
    this.cr4 = r.cr4;
    this.efer = r.efer;
    this.pge = (r.cr4 & CR4_PGE) !== 0;
    this.counters.pgeKept++;
    if (pgeWas) this.tlb.flushGlobal();
    return true;
  }

  canSkipFlush(scope: FlushScope): boolean {
    const implicit = this.counters.flushImplicit;
    this.registersChanged();
    // A register change flushed already (the caller's flush also resets the CPU's fetch page).
    if (!this.clean || this.counters.flushImplicit !== implicit || this.pcide) return false;
    if (scope.kind === 'non-global') {
      this.counters.flushSkipped++;
      return true;
    }
    if (scope.kind === 'all') {
      // Global entries may come from another CR3's tables: drop them, keep the rest.
      if (this.pge) this.tlb.flushGlobal();
      this.counters.flushSkipped++;
      return true;
    }
    return false;
  }

  /** The TLB is empty: a new clean period starts. */
  private emptied(): void {
    const w = this.sources;
    if (w === null) return;
    w.unwatchAll();
    this.clean = true;
  }

  /** Non-global entries dropped: empty when there can be no global or other-PCID entries. */
  private nonGlobalFlushed(): void {
    if (!this.pge && !this.tlb.pcidsSeen) this.emptied();
  }

  /** A source frame was written (or cannot be watched): no skipping until the TLB is empty. */
  private dirty(): void {
    this.clean = false;
    this.sources?.unwatchAll();
  }

  stats(): MmuStats {
    return { ...this.counters };
  }
}
