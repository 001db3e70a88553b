/**
 * Shadow paging (cr-semantics.md "How a shadow-paging monitor splits the state", cr-rules.md §10).
 *
 * - Guest CR0.PG=0: the hardware runs on passthrough identity tables (passthrough.ts), 32-bit or
 *   PAE format after the guest's CR4.PAE, with CR0.PG=1 and WP=1.
 * - Guest CR0.PG=1: the hardware runs on shadow tables (shadow-tables.ts) that start empty:
 *   PAE format for 32-bit and PAE guests, 4-level (5-level with LA57) for long-mode guests;
 *   hardware CR0.WP=1,
 *   CR4.PAE=1, EFER.NXE=1, CR4.SMEP/SMAP as the guest's; no global pages, no PCIDs.
 * - Hardware #PF exits (exception bitmap bit 14). The monitor walks the guest's tables with the
 *   guest's CR0/CR4/EFER (and latched PDPTEs, R109): a guest fault is injected with the guest's
 *   own error code and CR2; otherwise the guest's A bits (and D for a write) are set and a 4 KiB
 *   shadow leaf is installed with the guest's combined rights, except:
 *   - D emulation (R102): read-only while the guest leaf is clean; the first write faults and
 *     sets D;
 *   - guest CR0.WP=0 (R96) under hardware WP=1: a supervisor write to a guest-read-only page
 *     installs "writable, supervisor-only" (and not executable when the guest has SMEP); a later
 *     user access faults and is re-filled from the guest tables.
 * - When guest edits become visible: shadow entries are built only on faults, so a guest edit is
 *   seen (a) immediately for a page not yet shadowed, and (b) after INVLPG of that page, a CR3
 *   load, or a paging-mode change for pages already shadowed — exactly the architecture's TLB
 *   rule (R108: the TLB may keep stale translations until those flushes; not-present entries are
 *   never cached, a re-walk on fault picks up P 0→1 and rights increases).
 * - Guest CR3 loads, paging-mode changes and every flush other than INVLPG drop the whole tree
 *   (flushing more than required is allowed) — unless the tree is clean (shadow-cache.ts): the
 *   tree is a pure function of the guest entries it was filled from and of the guest's paging
 *   bits, so when none of those entries' frames was written by the guest (write watch,
 *   Vcpu.watchFrame) and the root, PDPTEs and paging bits are the same, a rebuild would give the
 *   same tree; it is kept, and the hardware TLB is not flushed (SDM 4.10.4: after the flush no
 *   cached translation is inconsistent with the paging structures). INVLPG drops the page, or
 *   the aligned range of the largest guest page shadowed since the last drop.
 */
import { Cr3Roots } from './cr3-roots.ts';
import { MONITOR_BASE, GUEST_MAXPHYADDR } from '../../machine/bus.ts';
import { configure, EFLAGS_AC, newWalkConfig, PagingMode, type WalkConfig } from '../../mmu/paging-config.ts';
import { Access, PfErr, type FlushScope } from '../../mmu/types.ts';
import { walk, WalkResult, WALK_OK, WALK_SET_AD } from '../../mmu/walker.ts';
import type { ExceptionExit, NestedPageFaultExit } from '../exit.ts';
import type { ExitOutcome } from '../monitor.ts';
import type { GuestControl, PagingStrategy } from '../paging.ts';
import type { Vcpu } from '../vcpu.ts';
import {
  CR0_OWNED,
  CR0_PG,
  CR0_WP,
  CR4_OWNED,
  CR4_LA57,
  CR4_PAE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  EFER_OWNED,
  FlushCounters,
  interceptPageFaults,
  linearToU64,
  PF_VECTOR,
  programHardware,
} from './hardware-bits.ts';
import type { PagingDeps } from './monitor-memory.ts';
import { PassthroughTables } from './passthrough.ts';
import { readPdptes } from './pdptes.ts';
import { ShadowCache } from './shadow-cache.ts';
import { ShadowTables, type ShadowFormat } from './shadow-tables.ts';

const RESUME: ExitOutcome = { kind: 'resume' };
const MONITOR_BASE_ = MONITOR_BASE;
const GUEST_M = GUEST_MAXPHYADDR;
const SP = 1;
const SW = 2;
const SU = 4;
const SA = 0x20;
const SD = 0x40;

/** Pages around a fill that are prefetched when the guest already marked them accessed. */
const PREFETCH_WINDOW = 16;

/** Consecutive fills of the same page and access after which the monitor gives up. */
const MAX_REFILLS = 4;

const FLUSH_ALL: FlushScope = { kind: 'all' };
/** CR4 bits configure() reads (a change of others, e.g. PGE, leaves the walk config as is). */
const CR4_WALK_BITS = Number(CR4_PSE | CR4_PAE | CR4_LA57 | CR4_SMEP | CR4_SMAP);
const CR4_PAE_LO = Number(CR4_PAE);

function formatOf(mode: PagingMode): ShadowFormat {
  return mode === PagingMode.Level5 ? 'long5' : mode === PagingMode.Level4 ? 'long' : 'pae';
}

function stop(detail: string): ExitOutcome {
  return { kind: 'stop', reason: { kind: 'monitor-error', detail } };
}

export class ShadowPaging implements PagingStrategy {
  readonly name = 'shadow' as const;
  private readonly passthrough: PassthroughTables;
  private tables: ShadowTables | null = null;
  /**
   * With the guest's paging off: whether the hardware runs on the PAE passthrough tables (null:
   * the hardware is not on passthrough tables).
   */
  private offPae: boolean | null = null;
  private readonly guestCfg: WalkConfig = newWalkConfig();
  /**
   * The guest register halves guestCfg was configured from (cfgValid false: never). configure()
   * reads only bits 31:0 of CR0, CR4 (CR4_WALK_BITS) and EFER, and all of CR3.
   */
  private cfgValid = false;
  private cfgCr0 = 0;
  private cfgCr3Lo = 0;
  private cfgCr3Hi = 0;
  private cfgCr4Walk = 0;
  private cfgEfer = 0;
  /**
   * The guest registers (as 32-bit halves) the tree was last found clean and right for
   * (reprogram's fast path; the handlers of one exit often ask twice, e.g. flush_tlb then
   * paging_mode_changed). keptValid false: none.
   */
  private keptValid = false;
  private keptCr0Lo = 0;
  private keptCr0Hi = 0;
  private keptCr3Lo = 0;
  private keptCr3Hi = 0;
  private keptCr4Lo = 0;
  private keptCr4Hi = 0;
  private keptEferLo = 0;
  private keptEferHi = 0;
  private readonly res = new WalkResult();
  private readonly probe = new WalkResult();
  private readonly pdptes = new Uint32Array(8);
  /** PDPTEs latched for the current PAE paging (R109). */
  private pdptesLoaded = false;
  /** loadPdptes ran since the last CR3 load (the guard of this very instruction). */
  private pdptesFresh = false;
  /** Largest guest page size shadowed since the tree was last dropped (INVLPG range). */
  private largestPage = 4096;
  private lastFill = NaN;
  private lastFillCode = -1;
  private refills = 0;
  private readonly flushes = new FlushCounters();
  private readonly roots = new Cr3Roots();
  /** Whether the tree may be kept across a guest flush (write watch, key). */
  private readonly cache = new ShadowCache();
  private readonly counters = {
    pageFaults: 0,
    fills: 0,
    prefetched: 0,
    injected: 0,
    dirtyFaults: 0,
    wpEmulated: 0,
    treesDropped: 0,
  };

  constructor(private readonly deps: PagingDeps) {
    this.passthrough = new PassthroughTables(deps.memory);
  }

  attach(vcpu: Vcpu, guest: GuestControl): void {
    interceptPageFaults(vcpu, true);
    vcpu.intercepts.invlpg = true;
    this.cache.attach(vcpu);
    this.offPae = null; // program the hardware whatever ran before
    this.reprogram(vcpu, guest);
  }

  /**
   * With the exit's flush (a PGE toggle's flush_tlb(all)): with guest paging on, a flush other
   * than INVLPG is a reprogram (flush), so the one reprogram here does both; otherwise the flush
   * follows it.
   */
  pagingModeChanged(vcpu: Vcpu, guest: GuestControl, flush: FlushScope | null): void {
    this.flushes.count({ kind: 'all' }, 'mode');
    this.reprogram(vcpu, guest);
    if (flush === null) return;
    if (this.tables === null || flush.kind === 'page') this.flush(vcpu, guest, flush);
    else this.flushes.count(flush, 'flush');
  }

  cr3Loaded(vcpu: Vcpu, guest: GuestControl, flush: FlushScope): void {
    this.flushes.count(flush, 'cr3');
    this.roots.loaded(guest.cr3Lo, guest.cr3Hi);
    // R41: the handler's guard loaded the PDPTEs just before (pdptesFresh); if not, latch now.
    const mode = this.guestMode(guest);
    if (mode === PagingMode.Pae && !this.pdptesFresh) this.latchPdptes(vcpu, guest.cr3);
    this.pdptesFresh = false;
    if (mode !== PagingMode.Off) this.reprogram(vcpu, guest);
  }

  flush(vcpu: Vcpu, guest: GuestControl, scope: FlushScope): void {
    this.flushes.count(scope, 'flush');
    this.lastFill = NaN; // a re-fill after a flush is progress, not a loop
    if (this.tables === null || this.guestMode(guest) === PagingMode.Off) {
      vcpu.flushTlb(scope); // R107/P21: INVLPG with paging off is legal and changes nothing
      return;
    }
    if (scope.kind === 'page') {
      const size = this.largestPage;
      const start = scope.linear - (((scope.linear % size) + size) % size);
      this.tables.zapRange(start, size);
      vcpu.flushTlb(size === 4096 ? scope : { kind: 'all' });
      return;
    }
    this.reprogram(vcpu, guest);
  }

  loadPdptes(vcpu: Vcpu, _guest: GuestControl, cr3: bigint): boolean {
    if (!readPdptes(vcpu.bus, cr3, this.pdptes)) return false;
    this.keptValid = false; // the PDPTEs may differ from the tree's: let canKeep compare them
    this.pdptesLoaded = true;
    this.pdptesFresh = true;
    return true;
  }

  private latchPdptes(vcpu: Vcpu, cr3: bigint): void {
    // Without a guard having loaded them (should not happen): take them unchecked; the walk
    // reports a reserved PDPTE as a reserved-bit #PF.
    const base = Number(cr3 & 0xffff_ffe0n);
    for (let i = 0; i < 8; i++) this.pdptes[i] = vcpu.bus.read32(base + i * 4) >>> 0;
    this.keptValid = false;
    this.pdptesLoaded = true;
  }

  private guestMode(guest: GuestControl): PagingMode {
    // Reconfigure only when a bit configure() reads changed (every exit asks; a PGE toggle
    // changes none). Number compares of the halves: no BigInt operation on this path.
    const cr4Walk = guest.cr4Lo & CR4_WALK_BITS;
    if (
      !this.cfgValid ||
      guest.cr0Lo !== this.cfgCr0 ||
      cr4Walk !== this.cfgCr4Walk ||
      guest.cr3Lo !== this.cfgCr3Lo ||
      guest.cr3Hi !== this.cfgCr3Hi ||
      guest.eferLo !== this.cfgEfer
    ) {
      configure(this.guestCfg, guest.cr0Lo, guest.cr3, guest.cr4Lo, guest.eferLo, GUEST_M);
      this.cfgValid = true;
      this.cfgCr0 = guest.cr0Lo;
      this.cfgCr3Lo = guest.cr3Lo;
      this.cfgCr3Hi = guest.cr3Hi;
      this.cfgCr4Walk = cr4Walk;
      this.cfgEfer = guest.eferLo;
    }
    return this.guestCfg.mode;
  }

  /**
   * Drop the shadow tree and program the hardware for the guest's current paging state; or,
   * when the tree is clean and built for this very state, keep it (and the hardware TLB).
   */
  private reprogram(vcpu: Vcpu, guest: GuestControl): void {
    this.lastFill = NaN;
    const tables = this.tables;
    // keptValid implies the hardware runs on `tables`: only this strategy programs the hardware
    // CR3 once attached, and every change of tree or root clears it (no read-back of the
    // hardware CR3 here: its getter cost about as much as the rest of this check, issue 7).
    if (
      tables !== null &&
      this.keptValid &&
      (guest.cr4Lo & CR4_WALK_BITS) === this.keptCr4Lo &&
      guest.cr3Lo === this.keptCr3Lo &&
      guest.cr0Lo === this.keptCr0Lo &&
      guest.eferLo === this.keptEferLo &&
      guest.cr4Hi === this.keptCr4Hi &&
      guest.cr3Hi === this.keptCr3Hi &&
      guest.cr0Hi === this.keptCr0Hi &&
      guest.eferHi === this.keptEferHi &&
      this.cache.stillClean()
    ) {
      this.pdptesFresh = false;
      return;
    }
    const mode = this.guestMode(guest);
    if (mode === PagingMode.Off && tables === null && this.offPae === ((guest.cr4Lo & CR4_PAE_LO) !== 0)) {
      // Paging still off, on the same passthrough tables (a PGE, WP or PE change): the identity
      // tables and the hardware's paging bits stay, and the rule's own flush_tlb has flushed.
      this.pdptesFresh = false;
      this.pdptesLoaded = false;
      return;
    }
    this.offPae = null;
    if (tables !== null && mode !== PagingMode.Off && tables.format === formatOf(mode)) {
      if (mode === PagingMode.Pae && !this.pdptesLoaded) this.latchPdptes(vcpu, guest.cr3);
      if (this.runsOn(vcpu, tables) && this.cache.canKeep(this.guestCfg, this.pdptes)) {
        this.pdptesFresh = false;
        this.kept(guest);
        return;
      }
    }
    this.keptValid = false;
    this.largestPage = 4096;
    this.cache.dropped(vcpu);
    if (tables !== null) {
      this.counters.treesDropped++;
      if (mode !== PagingMode.Off && tables.format === formatOf(mode)) {
        // Same format: empty the tree in place (its root stays the hardware CR3), and program
        // the hardware only when a bit it runs with would change.
        this.pdptesFresh = false;
        if (mode !== PagingMode.Pae) this.pdptesLoaded = false;
        else if (!this.pdptesLoaded) this.latchPdptes(vcpu, guest.cr3);
        tables.reset();
        if (!this.programmedFor(vcpu, guest, tables)) this.programTables(vcpu, guest, tables);
        vcpu.flushTlb(FLUSH_ALL);
        this.cache.built(this.guestCfg, this.pdptes);
        this.kept(guest);
        return;
      }
      tables.destroy();
      this.tables = null;
    }
    this.pdptesFresh = false;
    if (mode === PagingMode.Off) {
      this.pdptesLoaded = false;
      const pae = (guest.cr4Lo & CR4_PAE_LO) !== 0; // the format the fast path above compares
      const root = this.passthrough.root(pae ? 'pae' : '32-bit');
      programHardware(vcpu, {
        cr0: CR0_PG | CR0_WP,
        cr4: pae ? CR4_PAE : CR4_PSE,
        efer: 0n,
        cr3: BigInt(root),
        ncr3: null,
      });
      this.offPae = pae;
    } else {
      if (mode !== PagingMode.Pae) this.pdptesLoaded = false;
      else if (!this.pdptesLoaded) this.latchPdptes(vcpu, guest.cr3);
      const format = formatOf(mode);
      this.tables = new ShadowTables(this.deps.memory, format);
      this.programTables(vcpu, guest, this.tables);
    }
    vcpu.flushTlb(FLUSH_ALL);
    if (this.tables !== null) {
      this.cache.built(this.guestCfg, this.pdptes);
      this.kept(guest);
    }
  }

  /** The tree is clean and right for these guest registers. */
  private kept(guest: GuestControl): void {
    this.keptValid = true;
    this.keptCr0Lo = guest.cr0Lo;
    this.keptCr0Hi = guest.cr0Hi;
    this.keptCr3Lo = guest.cr3Lo;
    this.keptCr3Hi = guest.cr3Hi;
    this.keptCr4Lo = guest.cr4Lo & CR4_WALK_BITS; // the tree depends on no other CR4 bit (guestMode)
    this.keptCr4Hi = guest.cr4Hi;
    this.keptEferLo = guest.eferLo;
    this.keptEferHi = guest.eferHi;
  }

  private wantCr4(guest: GuestControl, format: ShadowFormat): bigint {
    return CR4_PAE | (guest.cr4 & (CR4_SMEP | CR4_SMAP)) | (format === 'long5' ? CR4_LA57 : 0n);
  }

  private wantEfer(guest: GuestControl): bigint {
    return EFER_NXE | ((guest.efer & EFER_LMA) !== 0n ? EFER_LME | EFER_LMA : 0n);
  }

  /** The hardware already runs on `tables` with the bits programTables would set. */
  private programmedFor(vcpu: Vcpu, guest: GuestControl, tables: ShadowTables): boolean {
    const c = vcpu.control;
    return (
      c.ncr3 === null &&
      c.cr3 === tables.rootBig &&
      (c.cr0 & CR0_OWNED) === ((CR0_PG | CR0_WP) & CR0_OWNED) &&
      (c.cr4 & CR4_OWNED) === (this.wantCr4(guest, tables.format) & CR4_OWNED) &&
      (c.efer & EFER_OWNED) === (this.wantEfer(guest) & EFER_OWNED)
    );
  }

  private programTables(vcpu: Vcpu, guest: GuestControl, tables: ShadowTables): void {
    programHardware(vcpu, {
      cr0: CR0_PG | CR0_WP,
      cr4: this.wantCr4(guest, tables.format),
      efer: this.wantEfer(guest),
      cr3: tables.rootBig,
      ncr3: null,
    });
  }

  /**
   * The hardware still runs on `tables` (keep path; programmedFor() without BigInt arithmetic):
   * the tree's key (shadow-cache.ts) fixes everything programTables derives from the guest, and
   * only the strategy programs the owned bits (the handlers keep them), so the root suffices.
   */
  private runsOn(vcpu: Vcpu, tables: ShadowTables): boolean {
    const c = vcpu.control;
    return c.cr3 === tables.rootBig && c.ncr3 === null;
  }

  handlePageFault(exit: ExceptionExit, vcpu: Vcpu, guest: GuestControl): ExitOutcome {
    this.counters.pageFaults++;
    const code = exit.errorCode ?? 0;
    const linear = exit.faultAddress;
    if ((code & PfErr.RSVD) !== 0) return stop(`reserved bit in a monitor table at 0x${linear.toString(16)}`);
    const mode = this.guestMode(guest);
    if (mode === PagingMode.Off || this.tables === null) {
      return stop(`page fault under passthrough tables at 0x${linear.toString(16)}`);
    }
    const access = (code & PfErr.ID) !== 0 ? Access.Fetch : (code & PfErr.W) !== 0 ? Access.Write : Access.Read;
    const user = (code & PfErr.U) !== 0;
    // EFLAGS.AC lifts SMAP for explicit supervisor accesses; a supervisor-mode access at CPL 3 is
    // implicit (R99) and never gets it.
    let ac = !user && vcpu.cpl < 3 && (vcpu.rflags & EFLAGS_AC) !== 0;

    if (linear === this.lastFill && code === this.lastFillCode) {
      this.refills++;
      if (this.refills >= MAX_REFILLS - 1) ac = false; // retry without the AC exemption
      if (this.refills >= MAX_REFILLS) {
        return stop(`shadow fill does not satisfy the hardware at 0x${linear.toString(16)} (error ${code})`);
      }
    } else {
      this.refills = 0;
    }

    const res = this.res;
    const cfg = this.guestCfg;
    const r = walk(vcpu.bus, cfg, mode === PagingMode.Pae ? this.pdptes : null, linear, access, user, ac, WALK_SET_AD, res, null);
    if (r !== WALK_OK) {
      // The guest's own fault: its error code, its CR2 (R104, R105).
      this.counters.injected++;
      this.lastFill = NaN;
      vcpu.cr2 = linearToU64(linear);
      vcpu.injectException(PF_VECTOR, r);
      return RESUME;
    }
    if (res.frame >= MONITOR_BASE_) return stop(`guest mapping names monitor memory at 0x${linear.toString(16)}`);
    let u = res.user;
    let w = res.writable && res.dirty;
    let nx = res.nx;
    if ((code & PfErr.P) !== 0 && access === Access.Write && res.writable) this.counters.dirtyFaults++;
    if (!cfg.wp && !user && access === Access.Write && !res.writable) {
      // Guest CR0.WP=0 with hardware WP=1: writable, supervisor-only (R96).
      this.counters.wpEmulated++;
      w = true;
      u = false;
      if (cfg.smep) nx = true; // a supervisor fetch must still fault when the guest page is user
    }
    this.cache.derivedFrom(vcpu, res);
    this.tables.setLeaf(linear, res.frame, SP | SA | (w ? SW | SD : 0) | (u ? SU : 0), nx);
    if (res.pageSize > this.largestPage) this.largestPage = res.pageSize;
    this.counters.fills++;
    this.lastFill = linear;
    this.lastFillCode = code;
    vcpu.flushTlb({ kind: 'page', linear });
    this.prefetch(vcpu, mode, linear);
    return RESUME;
  }

  /**
   * Shadow the neighbours of a fill whose guest entries are all present and already accessed
   * (KVM's PTE prefetch): a TLB may cache such translations at any time (SDM 4.10.2.3), and no
   * guest A/D bit changes, so the guest cannot tell. Rights as the guest's, writable only when
   * dirty; anything unusual (reserved bits, clean A, beyond MONITOR_BASE) is left to a fault.
   */
  private prefetch(vcpu: Vcpu, mode: PagingMode, linear: number): void {
    const tables = this.tables;
    if (tables === null) return;
    const page = Math.floor(linear / 4096);
    const first = page - (((page % PREFETCH_WINDOW) + PREFETCH_WINDOW) % PREFETCH_WINDOW);
    const pr = this.probe;
    const pdptes = mode === PagingMode.Pae ? this.pdptes : null;
    // The window is aligned and inside one shadow page table (the fill just created it).
    const base = tables.leafSlot(linear, false) - (page - first) * 8;
    const mem = this.deps.memory;
    const fill = this.res;
    if (fill.pageSize === 4096 && !fill.nx && fill.entryCount >= 2) {
      this.prefetchSiblings(vcpu, tables, page, first, base);
      return;
    }
    for (let p = first; p < first + PREFETCH_WINDOW; p++) {
      if (p === page) continue;
      const lin = p * 4096;
      const slot = base + (p - first) * 8;
      if ((mem.read32(slot) & SP) !== 0) continue;
      // Supervisor read with AC: only presence and reserved bits can fail; no A/D written.
      if (walk(vcpu.bus, this.guestCfg, pdptes, lin, Access.Read, false, true, 0, pr, null) !== WALK_OK) continue;
      let accessed = true;
      for (let k = 0; k < pr.entryCount; k++) if ((pr.entryLo[k] & SA) === 0) accessed = false;
      if (!accessed || pr.frame >= MONITOR_BASE_) continue;
      const w = pr.writable && pr.dirty;
      this.cache.derivedFrom(vcpu, pr);
      tables.setLeafAt(slot, pr.frame, SP | SA | (w ? SW | SD : 0) | (pr.user ? SU : 0), pr.nx);
      if (pr.pageSize > this.largestPage) this.largestPage = pr.pageSize;
      this.counters.prefetched++;
    }
  }

  /**
   * prefetch() when the fill was a 4 KiB page without NX: the window's guest PTEs sit in the
   * fill's guest page table, under the same (present, accessed) upper entries, so each neighbour
   * is one PTE read instead of a walk. Same result as the walk: a PTE is taken only when present,
   * accessed and free of anything a walk could reject (any bit of the high dword but XD, or XD
   * with EFER.NXE clear); everything else is left to a fault.
   */
  private prefetchSiblings(vcpu: Vcpu, tables: ShadowTables, page: number, first: number, base: number): void {
    const fill = this.res;
    const last = fill.entryCount - 1;
    let upperU = true;
    let upperW = true;
    for (let k = 0; k < last; k++) {
      const lo = fill.entryLo[k];
      upperU = upperU && (lo & SU) !== 0;
      upperW = upperW && (lo & SW) !== 0;
    }
    const legacy = this.guestCfg.mode === PagingMode.Legacy32;
    const esz = legacy ? 4 : 8;
    const nxe = this.guestCfg.nxe;
    const bus = vcpu.bus;
    const mem = this.deps.memory;
    const leafAddr = fill.leafAddr;
    for (let p = first; p < first + PREFETCH_WINDOW; p++) {
      if (p === page) continue;
      const slot = base + (p - first) * 8;
      if ((mem.read32(slot) & SP) !== 0) continue;
      const at = leafAddr + (p - page) * esz;
      const lo = bus.read32(at) >>> 0;
      if ((lo & (SP | SA)) !== (SP | SA)) continue;
      let nx = false;
      if (!legacy) {
        const hi = bus.read32(at + 4) >>> 0;
        if ((hi & 0x7fff_ffff) !== 0) continue;
        if (hi !== 0) {
          if (!nxe) continue;
          nx = true;
        }
      }
      const u = upperU && (lo & SU) !== 0;
      const w = upperW && (lo & SW) !== 0 && (lo & SD) !== 0;
      tables.setLeafAt(slot, (lo & 0xffff_f000) >>> 0, SP | SA | (w ? SW | SD : 0) | (u ? SU : 0), nx);
      this.counters.prefetched++;
    }
  }

  handleNestedFault(exit: NestedPageFaultExit): ExitOutcome {
    return stop(`nested page fault at 0x${exit.guestPhysical.toString(16)} under shadow paging`);
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = {
      'shadow.pageFaults': this.counters.pageFaults,
      'shadow.fills': this.counters.fills,
      'shadow.prefetched': this.counters.prefetched,
      'shadow.pfInjected': this.counters.injected,
      'shadow.dirtyFaults': this.counters.dirtyFaults,
      'shadow.wpEmulated': this.counters.wpEmulated,
      'shadow.treesDropped': this.counters.treesDropped,
      'shadow.tablePagesLive': (this.tables?.livePages ?? 0) + this.passthrough.pages,
    };
    this.cache.into(out);
    this.flushes.into(out);
    this.roots.into(out);
    return out;
  }
}
