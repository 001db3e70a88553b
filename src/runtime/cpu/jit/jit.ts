/**
 * The block compiler's runtime side: the switch and threshold, hotness counting hooks for the run
 * loop, the blocks per code page (dropped when a write hits their bytes), and what compiled
 * code needs at entry (the TLB and the translation mode).
 *
 * Switch: `TRAPSPEC_JIT=0` in the environment turns it off for every CPU;
 * `TRAPSPEC_JIT_THRESHOLD=N` sets the executions before a block start is compiled (default 50;
 * 1 compiles eagerly). Per CPU: `cpu.decoded.jit.enabled` / `.threshold`.
 */
import type { Cpu } from '../cpu.ts';
import { identityTranslator } from '../identity-translator.ts';
import type { DecodedInsn } from '../decoded.ts';
import { HardwareMmu } from '../../mmu/hardware-mmu.ts';
import { Access } from '../../mmu/types.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Flag, Seg } from '../state.ts';
import { NestedPageFault } from '../../mmu/nested-fault.ts';
import { Tlb } from '../../mmu/tlb.ts';
import { JitBlock } from './block.ts';
import { compileBlock } from './compile.ts';

/** Translation modes for compiled memory accesses. */
export const XLATE_NONE = 0;
export const XLATE_TLB = 1;
export const XLATE_SLOW = 2;

/** heat value of an instruction that does not start a compilable block. */
const NEVER = -0x40000000;
const DEFAULT_THRESHOLD = 50;

function envEnabled(): boolean {
  const v = typeof process !== 'undefined' ? process.env.TRAPSPEC_JIT : undefined;
  return v === undefined || (v !== '0' && v !== 'off' && v !== 'false');
}

function envThreshold(): number {
  const v = typeof process !== 'undefined' ? process.env.TRAPSPEC_JIT_THRESHOLD : undefined;
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_THRESHOLD;
}

const EMPTY_TLB = new Tlb(0);

export class Jit {
  enabled = envEnabled();
  /** Executions of an instruction before a block starting there is compiled. */
  threshold = envThreshold();
  /** Instructions started by the block that just threw or returned a fault (run loop bookkeeping). */
  started = 0;
  /** A #PF a block's slow path returned instead of throwing (the block then returns -1). */
  fault: GuestFault | null = null;
  /** Faults handed over that way (stats, tests). */
  returnedFaults = 0;
  /** Exit-site handler calls from compiled code (stats, tests; compile.ts). */
  exitSiteCalls = 0;
  /** Of those, the ones after which the block went on past a TLB flush (resumeAfterExit). */
  exitSiteResumes = 0;
  /** Bumped by mode changes and TLB flushes (DecodeCache); compiled code leaves after a slow path when it moved. */
  epoch = 0;
  /** The TLB compiled code reads (set by prepare). */
  tlb: Tlb = EMPTY_TLB;
  /** Blocks compiled and dropped (stats, tests). */
  compiled = 0;
  dropped = 0;
  /** Compilations that failed (a compiler bug; tests assert 0) and the last error. */
  failed = 0;
  lastError = '';
  private readonly byPage = new Map<number, JitBlock[]>();
  private cr0 = NaN;
  private cr4 = NaN;
  private efer = NaN;

  /**
   * Called once per entry of a block with memory operands: how its accesses translate. Makes the
   * hardware MMU notice CR0/CR4/EFER changes first (its own translate does that on every access).
   */
  prepare(cpu: Cpu): number {
    // Alignment checking on: every access takes the slow path, whose Memory.linear checks it.
    if (cpu.mem.acArmed && (cpu.flags & Flag.AC) !== 0) {
      this.tlb = EMPTY_TLB;
      return XLATE_SLOW;
    }
    if (!cpu.mem.translating) return XLATE_NONE;
    const mmu = cpu.mmu;
    if (mmu instanceof HardwareMmu) {
      const r = cpu.pagingRegs;
      if (r.cr0 !== this.cr0 || r.cr4 !== this.cr4 || r.efer !== this.efer) {
        mmu.registersChanged();
        this.cr0 = r.cr0;
        this.cr4 = r.cr4;
        this.efer = r.efer;
      }
      this.tlb = mmu.tlb;
      return XLATE_TLB;
    }
    this.tlb = EMPTY_TLB;
    return mmu === identityTranslator ? XLATE_NONE : XLATE_SLOW;
  }

  /**
   * After an exit site moved the epoch (a TLB flush or mode change in the handler): may the
   * block go on at `ip`? Only if the mode is the one it was compiled for and its code page
   * still translates, without a fault, to the same physical page; the fetch page is then
   * remembered as the run loop's fetch would (a CR4.PGE toggle under nested paging flushes the
   * TLB, and the block need not return to the run loop for that).
   */
  resumeAfterExit(cpu: Cpu, blk: JitBlock, ip: number, bitness: number): boolean {
    const mmu = cpu.mmu;
    if (cpu.bitness !== bitness) return false;
    const lin = cpu.mode64 ? ip : (cpu.seg[Seg.CS]!.base + ip) >>> 0;
    let pa = lin;
    if (cpu.mem.translating) {
      if (!(mmu instanceof HardwareMmu)) return false;
      try {
        pa = mmu.probe(lin, Access.Fetch, cpu.cpl === 3, false);
      } catch (e) {
        if (e instanceof NestedPageFault) return false; // the run loop's fetch takes it
        throw e;
      }
    }
    if (pa < 0 || Math.floor(pa / 4096) !== Math.floor(blk.startPa / 4096)) return false;
    cpu.decoded.rememberFetchPage(lin, pa, cpu.cpl);
    this.exitSiteResumes++;
    return true;
  }

  /**
   * cpu.read for compiled code's slow path, except that a #PF from the page walk is left in
   * `fault` (0 returned) instead of thrown: a V8 throw costs about a microsecond, and a
   * demand-paging guest's store faults twice per page under shadow paging. Segment faults, page
   * crossings and other MMUs take the interpreter's path (and throw).
   */
  read(cpu: Cpu, seg: number, offset: number, size: number): number {
    const mem = cpu.mem;
    const lin = mem.linear(seg, offset, size, false);
    const mmu = cpu.mmu;
    if (!mem.translating || (lin & 0xfff) + size > 0x1000 || !(mmu instanceof HardwareMmu)) {
      return mem.readLin(lin, size, cpu.cpl === 3);
    }
    const pa = mmu.probe(lin, Access.Read, cpu.cpl === 3, (cpu.flags & Flag.AC) !== 0);
    if (pa < 0) {
      this.fault = new GuestFault(Vec.PF, mmu.faultCode, lin);
      this.returnedFaults++;
      return 0;
    }
    return mem.readPa(pa, size);
  }

  /** cpu.write for compiled code's slow path; a #PF is left in `fault` as for read(). */
  write(cpu: Cpu, seg: number, offset: number, size: number, value: number): void {
    const mem = cpu.mem;
    const lin = mem.linear(seg, offset, size, true);
    const mmu = cpu.mmu;
    if (!mem.translating || (lin & 0xfff) + size > 0x1000 || !(mmu instanceof HardwareMmu)) {
      mem.writeLin(lin, size, value, cpu.cpl === 3);
      return;
    }
    const pa = mmu.probe(lin, Access.Write, cpu.cpl === 3, (cpu.flags & Flag.AC) !== 0);
    if (pa < 0) {
      this.fault = new GuestFault(Vec.PF, mmu.faultCode, lin);
      this.returnedFaults++;
      return;
    }
    mem.writePhys(pa, size, value);
  }

  /**
   * Compile the block starting at `head` (page offset `off`, instructions from `at`, physical
   * page number `pageNo`). On failure the head is marked so it is not tried again.
   */
  compile(head: DecodedInsn, at: (off: number) => DecodedInsn | undefined, pageNo: number, off: number, bitness: number): void {
    if (bitness === 16) {
      head.heat = NEVER;
      return;
    }
    let code: ReturnType<typeof compileBlock>;
    try {
      code = compileBlock(at, off, bitness);
    } catch (e) {
      // A compiler bug (generated source that does not parse): keep interpreting, count it.
      this.failed++;
      this.lastError = e instanceof Error ? e.message : String(e);
      head.heat = NEVER;
      return;
    }
    if (code === null) {
      head.heat = NEVER;
      return;
    }
    const start = pageNo * 4096 + off;
    const blk = new JitBlock(code.fn, head, start, start + code.bytes, code.count, code.loops, code.insns);
    head.block = blk;
    this.compiled++;
    let list = this.byPage.get(pageNo);
    if (list === undefined) {
      list = [];
      this.byPage.set(pageNo, list);
    }
    list.push(blk);
  }

  /** A write to physical bytes [pa, pa+size): drop the blocks whose bytes it touches. */
  invalidate(pa: number, size: number): void {
    const last = (pa + size - 1) >>> 12;
    const end = pa + size;
    for (let p = pa >>> 12; p <= last; p++) {
      const list = this.byPage.get(p);
      if (list === undefined) continue;
      let w = 0;
      for (let i = 0; i < list.length; i++) {
        const b = list[i]!;
        if (b.startPa < end && pa < b.endPa) this.drop(b);
        else list[w++] = b;
      }
      list.length = w;
      if (w === 0) this.byPage.delete(p);
    }
  }

  /** Drop every block (decode cache cleared). */
  clear(): void {
    for (const list of this.byPage.values()) for (const b of list) this.drop(b);
    this.byPage.clear();
  }

  private drop(b: JitBlock): void {
    b.valid = false;
    if (b.head.block === b) b.head.block = null;
    b.head.heat = 0;
    this.dropped++;
  }
}
