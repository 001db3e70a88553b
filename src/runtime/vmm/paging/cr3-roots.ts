/**
 * CR3 loads by root for --stats: a load of a guest root not seen before (a new address space)
 * or of one seen before (a switch back to a known one). What a shadow pager that keeps trees
 * per address space would reuse (issue 26); counted where CR3 loads exit (shadow paging).
 */
export class Cr3Roots {
  private readonly seen = new Set<number>();
  private newRoots = 0;
  private knownRoots = 0;

  /** One guest CR3 load (the value's low and high halves; a root is below 2^52). */
  loaded(cr3Lo: number, cr3Hi: number): void {
    const key = (cr3Hi & 0xf_ffff) * 2 ** 32 + ((cr3Lo & ~0xfff) >>> 0);
    const before = this.seen.size;
    this.seen.add(key);
    if (this.seen.size !== before) this.newRoots++;
    else this.knownRoots++;
  }

  into(out: Record<string, number>): void {
    out['cr3.newRoot'] = this.newRoots;
    out['cr3.knownRoot'] = this.knownRoots;
  }
}
