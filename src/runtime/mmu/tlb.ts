/**
 * A direct-mapped software TLB (SDM Vol. 3A §4.10). One slot per 4 KiB linear page number and PCID
 * (large pages are cached as their 4 KiB pieces, remembering the large page for INVLPG). A hit is
 * a tag compare, a context compare and a permission-bit test on typed arrays: no allocation.
 *
 * Contexts implement PCIDs (§4.10.1) and non-global flushes without touching the slots: every
 * PCID has a current context id; flushing a PCID gives it a fresh id, so its old entries stop
 * matching. Global entries carry the global context and match under every PCID (R103); a full flush
 * renews the global context and every PCID's, so it is O(1) too.
 *
 * Permission bits: index = (user ? 3 : ac ? 6 : 0) + access (Read 0, Write 1, Fetch 2), so the
 * caller tests `perm & (1 << index)`. Write bits are only ever set for dirty leaves, so the first
 * write to a clean page misses and the walk sets D (R102).
 */

export function permIndex(access: number, user: boolean, ac: boolean): number {
  return (user ? 3 : ac ? 6 : 0) + access;
}

export class Tlb {
  readonly mask: number;
  /** Linear page number (floor(linear / 4096)), NaN when the slot is empty. */
  readonly tag: Float64Array;
  /** Host-physical base of the 4 KiB frame. */
  readonly frame: Float64Array;
  readonly perm: Uint16Array;
  /** Context id: a PCID's context, or `global` for global entries. */
  readonly ctx: Float64Array;
  /** First page number and size in pages of the (large) page the slot came from. */
  readonly pageFirst: Float64Array;
  readonly pagePages: Float64Array;
  /** Current context id of each PCID. */
  private readonly pcidCtx = new Float64Array(4096);
  private nextCtx = 1;
  private largeCached = false;
  private pcidsUsed = false;
  /** Context of the current PCID (what a hit compares against). */
  current = 0;
  /**
   * Context of global entries (a hit also accepts it). flushAll gives it and every PCID a fresh
   * id, so a full flush is O(1) and leaves the slots alone.
   */
  global = 0;
  /** Every context id below this one was flushed by flushAll (occupancy). */
  private live = 0;
  /** Slot salt of the current PCID: slot = (vpn ^ salt) & mask, so PCIDs do not evict each other. */
  salt = 0;
  private currentPcid = 0;

  constructor(bits = 12) {
    const n = 1 << bits;
    this.mask = n - 1;
    this.tag = new Float64Array(n).fill(NaN);
    this.frame = new Float64Array(n);
    this.perm = new Uint16Array(n);
    this.ctx = new Float64Array(n);
    this.pageFirst = new Float64Array(n);
    this.pagePages = new Float64Array(n);
    this.global = this.nextCtx++;
    for (let p = 0; p < 4096; p++) this.pcidCtx[p] = this.nextCtx++;
    this.current = this.pcidCtx[0];
  }

  /** Switch the current PCID (no flush: R44 and PCID tagging). */
  setPcid(pcid: number): void {
    if (pcid !== 0) this.pcidsUsed = true;
    this.currentPcid = pcid;
    this.current = this.pcidCtx[pcid];
    this.salt = (pcid * 613) & this.mask;
  }

  insert(
    vpn: number,
    frame: number,
    perm: number,
    global: boolean,
    firstVpn: number,
    pages: number,
  ): void {
    const i = (vpn ^ this.salt) & this.mask;
    this.tag[i] = vpn;
    this.frame[i] = frame;
    this.perm[i] = perm;
    this.ctx[i] = global ? this.global : this.current;
    this.pageFirst[i] = firstVpn;
    this.pagePages[i] = pages;
    if (pages > 1) this.largeCached = true;
  }

  /** Everything, global entries included (R19, R57). */
  flushAll(): void {
    this.live = this.nextCtx;
    this.global = this.nextCtx++;
    this.flushNonGlobal();
    this.largeCached = false;
  }

  /** Global entries only (the others stay). */
  flushGlobal(): void {
    this.global = this.nextCtx++;
  }

  /** Has a PCID other than 0 ever been current? */
  get pcidsSeen(): boolean {
    return this.pcidsUsed;
  }

  /** Non-global entries of every PCID (MOV CR3 with PCIDE=0, R42; a superset elsewhere). */
  flushNonGlobal(): void {
    if (this.pcidsUsed) {
      for (let p = 0; p < 4096; p++) this.pcidCtx[p] = this.nextCtx++;
    } else {
      this.pcidCtx[0] = this.nextCtx++;
    }
    this.current = this.pcidCtx[this.currentPcid];
  }

  /** Non-global entries of one PCID (MOV CR3 with PCIDE=1 and bit 63 clear, R43). */
  flushPcid(pcid: number): void {
    this.pcidCtx[pcid & 0xfff] = this.nextCtx++;
    this.current = this.pcidCtx[this.currentPcid];
  }

  /** INVLPG (R107): the page holding `linear`, global or not, including a whole large page. */
  flushPage(linear: number): void {
    const vpn = Math.floor(linear / 4096);
    const i = (vpn ^ this.salt) & this.mask;
    if (this.tag[i] === vpn) this.tag[i] = NaN;
    const tag = this.tag;
    if (this.pcidsUsed) {
      // Global entries may sit in another PCID's slot.
      for (let j = 0; j <= this.mask; j++) if (tag[j] === vpn) tag[j] = NaN;
    }
    if (!this.largeCached) return;
    for (let j = 0; j <= this.mask; j++) {
      const pages = this.pagePages[j];
      if (pages > 1 && tag[j] === tag[j]) {
        const first = this.pageFirst[j];
        if (vpn >= first && vpn < first + pages) tag[j] = NaN;
      }
    }
  }

  /** Number of valid slots (for tests and stats). */
  occupancy(): number {
    let n = 0;
    for (let j = 0; j <= this.mask; j++) if (this.tag[j] === this.tag[j] && this.ctx[j] >= this.live) n++;
    return n;
  }
}
