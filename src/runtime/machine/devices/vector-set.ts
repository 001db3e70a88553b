/** A 256-bit set of interrupt vectors (the APIC's IRR, ISR and TMR: eight 32-bit words). */
export class VectorSet {
  private readonly words = new Uint32Array(8);

  add(v: number): void {
    this.words[v >>> 5] = this.words[v >>> 5]! | (1 << (v & 31));
  }

  remove(v: number): void {
    this.words[v >>> 5] = this.words[v >>> 5]! & ~(1 << (v & 31));
  }

  has(v: number): boolean {
    return (this.words[v >>> 5]! & (1 << (v & 31))) !== 0;
  }

  clear(): void {
    this.words.fill(0);
  }

  /** Word i (vectors 32i..32i+31), as the APIC register at base + 0x10·i reads. */
  word(i: number): number {
    return this.words[i]!;
  }

  /** The highest vector in the set, or -1. */
  highest(): number {
    for (let i = 7; i >= 0; i--) {
      const w = this.words[i]!;
      if (w !== 0) return i * 32 + 31 - Math.clz32(w);
    }
    return -1;
  }
}
