/**
 * Stage 2 of nested paging (AMD APM Vol. 2 §15.25): guest-physical → host-physical through the
 * monitor's 4-level nested tables at nCR3, checked against HOST_MAXPHYADDR. Nested walks count
 * as user accesses (§15.25.5); guest page-table reads are reads. A missing or reserved mapping
 * throws NestedPageFault, which the CPU turns into an NPF exit.
 *
 * A small direct-mapped cache of fully-permitted translations keeps the 2-D walk from re-walking
 * the nested tables for every guest table entry; it is dropped with every full TLB flush and nested-root change (an epoch bump).
 */
import { NestedPageFault } from './nested-fault.ts';
import { Access } from './types.ts';
import { HOST_MAXPHYADDR } from '../machine/bus.ts';
import { newWalkConfig, PagingMode, type WalkConfig } from './paging-config.ts';
import { walk, WalkResult, WALK_OK, WALK_SET_AD, type GuestPhysicalMap, type TableMemory } from './walker.ts';

const CACHE_BITS = 8;
const CACHE_MASK = (1 << CACHE_BITS) - 1;

export class NestedMap implements GuestPhysicalMap {
  private readonly cfg: WalkConfig = newWalkConfig();
  private readonly res = new WalkResult();
  private readonly cacheTag = new Float64Array(1 << CACHE_BITS).fill(NaN);
  private readonly cacheFrame = new Float64Array(1 << CACHE_BITS);
  /** Epoch of each cache slot; a slot is valid only in the current epoch (O(1) invalidate). */
  private readonly cacheEpoch = new Float64Array(1 << CACHE_BITS);
  private epoch = 1;
  /** Nested page faults raised (for stats). */
  faults = 0;

  constructor(private readonly mem: TableMemory) {
    this.cfg.mode = PagingMode.Level4;
    this.cfg.maxPhyAddr = HOST_MAXPHYADDR;
    this.cfg.nxe = true;
  }

  /** Point at a nested root (host-physical); a different root drops the cache. */
  setRoot(root: number): void {
    if (root !== this.cfg.root) {
      this.cfg.root = root;
      this.invalidate();
    }
  }

  invalidate(): void {
    this.epoch++;
  }

  toHost(gpa: number, access: Access): number {
    const gfn = Math.floor(gpa / 4096);
    const i = gfn & CACHE_MASK;
    if (this.cacheTag[i] === gfn && this.cacheEpoch[i] === this.epoch) return this.cacheFrame[i] + (gpa & 0xfff);
    const r = walk(this.mem, this.cfg, null, gpa, access, true, false, WALK_SET_AD, this.res, null);
    if (r !== WALK_OK) {
      this.faults++;
      throw new NestedPageFault(gpa, r);
    }
    if (this.res.writable && !this.res.nx && this.res.dirty) {
      this.cacheTag[i] = gfn;
      this.cacheFrame[i] = this.res.frame;
      this.cacheEpoch[i] = this.epoch;
    }
    return this.res.phys;
  }
}
