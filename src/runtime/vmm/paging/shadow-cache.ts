/**
 * When the shadow tree may outlive a guest flush (shadow.ts; KVM keeps shadow pages the same
 * way, with write-protected guest page tables).
 *
 * The shadow tree is a pure function of (a) the guest paging-structure entries each fill and
 * prefetch read, (b) the guest's paging bits (mode, root, WP, PSE, NXE, SMEP, SMAP) and, for PAE,
 * the latched PDPTEs, and (c) the guest A/D bits, which only the monitor sets (and never clears)
 * while the tree lives. So if no guest store hit a frame holding an entry the tree was derived
 * from, and (b) is unchanged, emptying the tree and refilling it on demand would give the same
 * entries: a guest CR3 load of the same root, a PGE toggle or any other non-INVLPG flush can keep
 * it, and the hardware TLB, which caches only the tree's translations, too (SDM 4.10.4.1).
 *
 * The watch is a modelled hardware assist (Vcpu.watchFrame): the CPU reports a guest store to a
 * watched 4 KiB frame. A real VMM would write-protect those frames in its shadow tables and take
 * a page-fault exit plus an emulated store per guest write to them; here that cost is hidden
 * (one callback for the first write, then the watch is dropped until the next rebuild).
 *
 * Staleness is global (one written frame drops the whole tree at the next flush): the tree is
 * rebuilt lazily and the bench guest's demand paging writes entries right after they are read,
 * so per-frame tracking did not pay for its bookkeeping.
 */
import { PagingMode, type WalkConfig } from '../../mmu/paging-config.ts';
import type { WalkResult } from '../../mmu/walker.ts';
import type { Vcpu } from '../vcpu.ts';

export class ShadowCache {
  /** A guest store hit a watched frame since the tree was built, or a frame could not be watched. */
  private stale = true;
  // The key the tree was built for.
  private mode = -1;
  private root = -1;
  private wp = false;
  private pse = false;
  private nxe = false;
  private smep = false;
  private smap = false;
  private readonly pdptes = new Uint32Array(8);
  private vcpu: Vcpu | null = null;
  private readonly onWrite = (): void => this.written();
  readonly counters = { kept: 0, watchHits: 0, unwatchable: 0 };

  /** Take the vcpu's write watch. */
  attach(vcpu: Vcpu): void {
    this.vcpu = vcpu;
    vcpu.onWatchedWrite = this.onWrite;
    vcpu.unwatchAllFrames();
    this.stale = true;
  }

  private written(): void {
    this.counters.watchHits++;
    this.stale = true;
    // Further stores to the (now irrelevant) frames need not report.
    this.vcpu?.unwatchAllFrames();
  }

  /**
   * May the tree built for the recorded key be kept for `cfg` (just configured from the guest
   * registers) and `pdptes` (latched, PAE only)? Counts a keep.
   */
  canKeep(cfg: WalkConfig, pdptes: Uint32Array): boolean {
    if (
      this.stale ||
      cfg.mode !== this.mode ||
      cfg.root !== this.root ||
      cfg.wp !== this.wp ||
      cfg.pse !== this.pse ||
      cfg.nxe !== this.nxe ||
      cfg.smep !== this.smep ||
      cfg.smap !== this.smap
    ) {
      return false;
    }
    if (cfg.mode === PagingMode.Pae) {
      const mine = this.pdptes;
      for (let i = 0; i < 8; i++) if (pdptes[i] !== mine[i]) return false;
    }
    this.counters.kept++;
    return true;
  }

  /** No watched write since canKeep or built for the same key (counts a keep). */
  stillClean(): boolean {
    if (this.stale) return false;
    this.counters.kept++;
    return true;
  }

  /** The tree is being emptied or destroyed: nothing derived is left to watch. */
  dropped(vcpu: Vcpu): void {
    vcpu.unwatchAllFrames();
    this.stale = true;
  }

  /**
   * An empty tree now stands for `cfg` and `pdptes`. Nothing is watched yet: every fill watches
   * the frames of the entries it read (the root table's included); PAE PDPTEs are not read from
   * memory by fills but latched (R109), and canKeep compares them instead.
   */
  built(cfg: WalkConfig, pdptes: Uint32Array): void {
    this.mode = cfg.mode;
    this.root = cfg.root;
    this.wp = cfg.wp;
    this.pse = cfg.pse;
    this.nxe = cfg.nxe;
    this.smep = cfg.smep;
    this.smap = cfg.smap;
    this.pdptes.set(pdptes);
    this.stale = false;
  }

  /** A shadow entry is about to be derived from the entries of `walk`: watch their frames. */
  derivedFrom(vcpu: Vcpu, walk: WalkResult): void {
    if (this.stale) return;
    for (let k = 0; k < walk.entryCount; k++) this.watch(vcpu, walk.entryAddr[k]!);
  }

  private watch(vcpu: Vcpu, pa: number): void {
    if (vcpu.watchFrame(pa)) return;
    this.counters.unwatchable++;
    this.stale = true;
  }

  into(out: Record<string, number>): void {
    out['shadow.treesKept'] = this.counters.kept;
    out['shadow.watchHits'] = this.counters.watchHits;
    out['shadow.unwatchable'] = this.counters.unwatchable;
  }
}
