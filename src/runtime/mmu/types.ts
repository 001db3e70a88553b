/**
 * The contract between the CPU (which issues memory accesses by linear address) and the MMU
 * (which turns them into host-physical addresses). Linear addresses are JS numbers: below 2^32
 * outside long mode; in long mode the canonical 48-bit (57-bit with LA57) address as a *signed*
 * integer, so 0xFFFF_8000_0000_1000 is -(2^47) + 0x1000. That keeps every canonical address exact
 * in a double.
 */

export const enum Access {
  Read = 0,
  Write = 1,
  Fetch = 2,
}

/** #PF error-code bits (SDM Vol. 3A §4.7). */
export const PfErr = {
  P: 1 << 0,
  W: 1 << 1,
  U: 1 << 2,
  RSVD: 1 << 3,
  ID: 1 << 4,
  PK: 1 << 5,
} as const;

/** What a TLB flush drops (SDM Vol. 3A §4.10.4). */
export type FlushScope =
  | { kind: 'all' } // including global entries
  | { kind: 'non-global' } // MOV to CR3 without PCID no-flush
  | { kind: 'pcid'; pcid: number } // non-global entries of one PCID
  | { kind: 'page'; linear: number }; // INVLPG: one page, global or not

/**
 * The hardware paging registers the MMU reads. Values are the *hardware* (shadow) registers,
 * which under shadow paging differ from what the guest believes.
 */
export interface PagingRegs {
  cr0: number; // low 32 bits of CR0 (PG, WP)
  cr3: bigint;
  cr4: number; // low 32 bits of CR4 (PSE, PAE, PGE, PCIDE, SMEP, SMAP, LA57)
  efer: number; // NXE, LMA
  /** Nested paging root (host-physical), or null when off. */
  ncr3: bigint | null;
}

/** The MMU as the CPU uses it. Throws GuestFault(#PF) (src/runtime/cpu/fault.ts) on a fault. */
export interface Translator {
  /**
   * Linear → host-physical. `user` is true for CPL-3 accesses (not for implicit supervisor
   * accesses such as descriptor-table reads). `ac` is EFLAGS.AC, for SMAP.
   */
  translate(linear: number, access: Access, user: boolean, ac: boolean): number;
  flush(scope: FlushScope): void;
  /**
   * Optional (HardwareMmu): watch the guest paging-structure frames cached translations come
   * from, through the CPU's write watch (a modelled hardware assist, see cpu/memory.ts).
   */
  watchSources?(watch: FrameWatch): void;
  /**
   * Optional (HardwareMmu): true when a flush of `scope` the guest asked for may be skipped,
   * because every cached translation still equals what a walk would give (no watched source
   * frame written since it was cached; SDM 4.10.4). May drop entries itself (e.g. global ones).
   */
  canSkipFlush?(scope: FlushScope): boolean;
  /**
   * Optional (HardwareMmu): the CPU has just changed CR4.PGE alone in the registers. True: the
   * MMU applied it keeping every cached translation (the TLB is clean, PCIDE=0), so the CPU
   * keeps its fetch page and its compiled blocks' TLB view; false: the MMU will notice the
   * change itself, as any other.
   */
  pgeToggled?(): boolean;
}

/** A set of watched 4 KiB physical frames (cpu/memory.ts): guest stores to them call onWrite. */
export interface FrameWatch {
  /** Watch the frame holding `pa`; false when it cannot be watched (not RAM). */
  watch(pa: number): boolean;
  unwatchAll(): void;
  /** Set by the user of the watch: a guest store hit a watched frame (its base address). */
  onWrite: ((frame: number) => void) | null;
}
