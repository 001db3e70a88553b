/**
 * State shared by the emitters while one block is compiled: which registers and segments the
 * block touches (the prologue loads them into locals, the epilogue writes them back), the mode
 * the code is generated for and the position of the instruction being emitted.
 */
export class EmitCtx {
  /** Registers read or written (loaded into locals L<n>/H<n> at entry). */
  readonly regs = new Set<number>();
  /** Registers written (stored back at exit and on a fault). */
  readonly written = new Set<number>();
  /** Segments with memory operands (their bases/limits are loaded at entry). */
  readonly segs = new Set<number>();
  usesMem = false;
  /** Calls an interpreter handler in place (an exit site, insn-emit.ts). */
  usesExitSite = false;
  /** Uses the stack at the mode's natural width (the entry checks cpu.stackSize). */
  usesStack = false;
  /** Index, offset from the block start, and offset of the next instruction. */
  k = 0;
  off = 0;
  next = 0;

  constructor(readonly b64: boolean) {}

  /** Low half (bits 31:0) of a register as an int32 expression. */
  lo(r: number): string {
    this.regs.add(r);
    return `L${r}`;
  }

  hi(r: number): string {
    this.regs.add(r);
    return `H${r}`;
  }

  /** Write a 32-bit result (zero-extends, as the interpreter always does). */
  set32(r: number, v: string): string {
    this.regs.add(r);
    this.written.add(r);
    return `L${r} = ${v}; H${r} = 0;`;
  }

  set64(r: number, vl: string, vh: string): string {
    this.regs.add(r);
    this.written.add(r);
    return `L${r} = ${vl}; H${r} = ${vh};`;
  }

  /** RIP of the instruction at block offset `off` (no wrap: the entry checks the CS limit). */
  ipAt(off: number): string {
    return off === 0 ? 'ip0' : `(ip0 + ${off})`;
  }
}
