/**
 * Instruction fetch and the decoded-instruction cache.
 *
 * Entries are keyed by (bitness, physical address of the first byte); each bitness has its own
 * table of 4 KiB pages, so a mode change needs no flush. An instruction that crosses a page
 * boundary is never cached (its second page may be remapped independently). A write to a RAM
 * page that holds cached code (Memory.codePages) drops the entries overlapping the written bytes.
 * On a hit, execution makes no call into WebAssembly.
 */
import { Decoder, DecoderError, DecoderOptions } from 'iced-x86';
import { GuestFault, Vec } from './fault.ts';
import { DecodedInsn } from './decoded.ts';
import { convertInstruction } from './convert.ts';
import type { Cpu } from './cpu.ts';
import { Jit } from './jit/jit.ts';
import { PAGE_CODE } from './memory.ts';

type Page = (DecodedInsn | undefined)[];

function bitIndex(bitness: number): number {
  return bitness === 16 ? 0 : bitness === 32 ? 1 : 2;
}

const NO_PAGE: Page = [];

export class DecodeCache {
  /**
   * The current code page, so a fetch on it skips the TLB: linear base (NaN when none), the
   * decoded page of its physical frame and the CPL it was translated for. Dropped on every TLB
   * flush, control-register/mode change (Cpu.updateMode) and clear(); a decoded entry dropped by
   * a code write reads undefined in the page and goes the slow way.
   */
  fetchBase = NaN;
  fetchCpl = -1;
  fetchPage: Page = NO_PAGE;
  /** Physical page number of fetchPage. */
  fetchPageNo = -1;
  /** The block compiler (jit/): blocks hang on their first DecodedInsn and die with its bytes. */
  readonly jit = new Jit();
  /** ahead() bound to this cache (no closure per compile). */
  readonly aheadFn = (off: number): DecodedInsn | undefined => this.ahead(off);
  private readonly cpu: Cpu;
  private readonly tables: Page[][] = [[], [], []];
  private readonly buf = new Uint8Array(15);
  private current: Page[];
  private readonly ramSize: number;

  constructor(cpu: Cpu) {
    this.cpu = cpu;
    this.current = this.tables[0]!;
    this.ramSize = cpu.bus.ramSize;
  }

  /**
   * The instruction at linear address `lin` (physical `pa` of its first byte, already
   * translated for fetch). Decodes on a miss; may throw #PF for the second page of a
   * page-crossing instruction, #UD for an undecodable one.
   */
  get(lin: number, pa: number): DecodedInsn {
    const table = this.current;
    if (pa < this.ramSize) {
      const page = table[pa >>> 12];
      if (page !== undefined) {
        const hit = page[pa & 0xfff];
        if (hit !== undefined) return hit;
      }
      return this.miss(lin, pa, table, true);
    }
    return this.miss(lin, pa, table, false);
  }

  /** Select the table for the current bitness (Cpu.updateMode); drops the fetch page. */
  selectBitness(bitness: number): void {
    this.current = this.tables[bitIndex(bitness)]!;
    this.fetchBase = NaN;
    this.jit.epoch++;
  }

  /** Forget the current code page (TLB flushes). */
  dropFetchPage(): void {
    this.fetchBase = NaN;
    this.jit.epoch++;
  }

  /** After a translated fetch of `lin` at `pa` (cached instruction decoded): keep its page. */
  rememberFetchPage(lin: number, pa: number, cpl: number): void {
    if (pa >= this.ramSize) return;
    const page = this.current[pa >>> 12];
    if (page === undefined) return;
    this.fetchBase = lin - (lin & 0xfff);
    this.fetchCpl = cpl;
    this.fetchPage = page;
    this.fetchPageNo = pa >>> 12;
  }

  /**
   * The block compiler's look-ahead: the instruction at page offset `off` of the current code page
   * (fetchPage), decoding it when it is not cached yet and certainly lies within the page (no
   * fault possible); undefined otherwise. A decode here counts as a decode miss.
   */
  ahead(off: number): DecodedInsn | undefined {
    const page = this.fetchPage;
    const hit = page[off];
    if (hit !== undefined || off + 15 > 0x1000 || this.fetchPageNo < 0) return hit;
    const pa = this.fetchPageNo * 0x1000 + off;
    if (pa + 15 > this.ramSize) return undefined;
    return this.miss(this.fetchBase + off, pa, this.current, true);
  }

  private miss(lin: number, pa: number, table: Page[], inRam: boolean): DecodedInsn {
    const cpu = this.cpu;
    const mem = cpu.mem;
    cpu.stats.decodeMisses++;
    // Bytes available on the first page.
    const first = Math.min(15, 0x1000 - (lin & 0xfff));
    const buf = this.buf;
    for (let i = 0; i < first; i++) buf[i] = mem.physByte(pa + i);
    let avail = first;
    let insn = this.decode(avail);
    if (insn === null && first < 15) {
      // Needs bytes from the next page: translate it (may fault with the right address).
      const pa2 = mem.fetchPa(lin + first);
      for (let i = first; i < 15; i++) buf[i] = mem.physByte(pa2 + (i - first));
      avail = 15;
      insn = this.decode(avail);
    }
    if (insn === null) throw new GuestFault(Vec.UD);
    const crosses = (lin & 0xfff) + insn.length > 0x1000;
    if (inRam && !crosses && mem.inRam(pa, insn.length)) {
      const p = pa >>> 12;
      let page = table[p];
      if (page === undefined) {
        page = new Array<DecodedInsn | undefined>(4096).fill(undefined);
        table[p] = page;
      }
      page[pa & 0xfff] = insn;
      mem.codePages[p] |= PAGE_CODE;
    }
    return insn;
  }

  /** Decode from this.buf[0..avail); null when more bytes are needed or the bytes are invalid. */
  private decode(avail: number): DecodedInsn | null {
    const bitness = this.cpu.bitness;
    const decoder = new Decoder(bitness, this.buf.subarray(0, avail), DecoderOptions.None);
    decoder.ip = 0n;
    const instr = decoder.decode();
    try {
      if (instr.isInvalid) {
        if (decoder.lastError === DecoderError.NoMoreBytes && avail < 15) return null;
        return convertInstruction(null, this.buf, bitness);
      }
      return convertInstruction(instr, this.buf, bitness);
    } finally {
      instr.free();
      decoder.free();
    }
  }

  /** Drop entries that overlap physical bytes [pa, pa+size). */
  invalidate(pa: number, size: number): void {
    this.jit.invalidate(pa, size);
    const lastPage = (pa + size - 1) >>> 12;
    for (let p = pa >>> 12; p <= lastPage; p++) {
      for (let t = 0; t < 3; t++) {
        const page = this.tables[t]![p];
        if (page === undefined) continue;
        const start = Math.max(0, (p === pa >>> 12 ? pa & 0xfff : 0) - 14);
        const end = p === lastPage ? (pa + size - 1) & 0xfff : 0xfff;
        for (let o = start; o <= end; o++) {
          const e = page[o];
          if (e !== undefined && (p << 12) + o + e.length > pa) page[o] = undefined;
        }
      }
    }
  }

  /** Drop everything (tests, loaders that rewrite memory behind the CPU's back). */
  clear(): void {
    for (const t of this.tables) t.length = 0;
    this.fetchBase = NaN;
    this.jit.clear();
    this.cpu.mem.clearCodePages();
  }
}
