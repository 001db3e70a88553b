/**
 * The x87 FPU's architectural state (SDM Vol. 1 §8.1): eight 80-bit data registers, the control
 * word (FCW), status word (FSW, with TOP in bits 13:11), tag word (FTW), and the last
 * instruction/operand pointers (FIP/FCS, FDP/FDS, FOP). Held by the CPU as `cpu.fpu`.
 *
 * Registers are kept by *physical* index 0..7 (ST(i) is physical (TOP + i) & 7), each as three
 * typed-array slots: `se[p]` = sign (bit 15) and biased exponent (bits 14:0), `sigHi[p]` /
 * `sigLo[p]` = significand bits 63:32 / 31:0 (bit 63 is the explicit integer bit). The tag word
 * is the full 16-bit form (2 bits per physical register: 0 valid, 1 zero, 2 special, 3 empty),
 * updated whenever a register is written.
 *
 * Interface used by the SIMD code (MMX, FXSAVE/FXRSTOR, XSAVE x87 component):
 * - `readMmxLo(i)`, `readMmxHi(i)`: MMX register i (= physical register i) as two 32-bit halves.
 * - `writeMmx(i, lo, hi)`: write MMX register i; sets bits 79:64 to all ones, and (as every MMX
 *   instruction does, SDM Vol. 1 §9.5.1) TOP = 0 and all tags valid. `enterMmx()` does only the
 *   TOP/tag part (for MMX instructions that write no MMX register, e.g. MOVD r32, mm).
 * - `emms()`: all tags empty (EMMS).
 * - `saveFxLegacy(buf, off, rexW)` / `loadFxLegacy(buf, off, rexW)`: bytes 0..159 of the
 *   FXSAVE image (SDM Vol. 1 Table 10-2/10-3) except MXCSR and MXCSR_MASK (bytes 24..31), which
 *   belong to the SSE state and are left alone. `rexW` selects the 64-bit FIP/FDP layout. The
 *   XSAVE x87 component (bytes 0..159 of the XSAVE legacy region) is the same image: reuse them.
 *   `loadFxLegacy` does not check reserved bits (FXRSTOR's MXCSR #GP is SIMD's).
 * - `pendingUnmasked()`: true when FSW.ES is set (an unmasked x87 exception is pending); the
 *   instruction-level rules are in fpu/exec.ts: `escCheck(cpu)` (#NM when CR0.EM or CR0.TS) and
 *   `waitCheck(cpu)` (WAIT: #NM when CR0.TS and CR0.MP, then #MF when an exception is pending
 *   and CR0.NE = 1).
 */

/** FSW bits. */
export const Sw = {
  IE: 1 << 0,
  DE: 1 << 1,
  ZE: 1 << 2,
  OE: 1 << 3,
  UE: 1 << 4,
  PE: 1 << 5,
  SF: 1 << 6,
  ES: 1 << 7,
  C0: 1 << 8,
  C1: 1 << 9,
  C2: 1 << 10,
  TOP_SHIFT: 11,
  TOP_MASK: 7 << 11,
  C3: 1 << 14,
  B: 1 << 15,
} as const;

/** Condition-code bits of the FSW together. */
export const SW_CC = Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3;
/** The six exception flags. */
export const SW_EXC = 0x3f;

/** FCW fields. */
export const Cw = {
  /** Exception masks IM..PM are bits 5:0 (same positions as the FSW flags). */
  MASKS: 0x3f,
  PC_SHIFT: 8,
  RC_SHIFT: 10,
  /** Infinity control (bit 12): kept, no effect on 387 and later. */
  IC: 1 << 12,
} as const;

/** Tag values (2 bits per physical register). */
export const enum Tag {
  Valid = 0,
  Zero = 1,
  Special = 2,
  Empty = 3,
}

/** The tag a register value has (SDM Vol. 1 §8.1.7). */
export function tagOf(se: number, hi: number, lo: number): Tag {
  const exp = se & 0x7fff;
  if (exp === 0x7fff) return Tag.Special;
  if (exp === 0) return (hi | lo) === 0 ? Tag.Zero : Tag.Special;
  return (hi & 0x80000000) !== 0 ? Tag.Valid : Tag.Special; // unnormal: special
}

export class FpuState {
  readonly se = new Uint16Array(8);
  readonly sigHi = new Uint32Array(8);
  readonly sigLo = new Uint32Array(8);
  /** Control word (FNINIT value 0x037F). */
  fcw = 0x037f;
  /** Status word, TOP included. */
  fsw = 0;
  /** Full tag word (0xFFFF: all empty). */
  ftw = 0xffff;
  /** Last non-control instruction's opcode: 11 bits (first opcode byte's low 3 bits, ModR/M). */
  fop = 0;
  /** Last instruction pointer: offset (signed-canonical number in 64-bit mode) and CS selector. */
  fip = 0;
  fcs = 0;
  /** Last data (memory operand) pointer: offset and segment selector. */
  fdp = 0;
  fds = 0;

  get top(): number {
    return (this.fsw >>> 11) & 7;
  }

  set top(t: number) {
    this.fsw = (this.fsw & ~Sw.TOP_MASK) | ((t & 7) << 11);
  }

  /** Physical index of ST(i). */
  phys(i: number): number {
    return (((this.fsw >>> 11) + i) & 7) >>> 0;
  }

  isEmpty(i: number): boolean {
    return ((this.ftw >>> (2 * this.phys(i))) & 3) === Tag.Empty;
  }

  /** Write physical register p and set its tag from the value. */
  setPhys(p: number, se: number, hi: number, lo: number): void {
    this.se[p] = se;
    this.sigHi[p] = hi;
    this.sigLo[p] = lo;
    this.ftw = (this.ftw & ~(3 << (2 * p))) | (tagOf(se, hi, lo) << (2 * p));
  }

  setEmptyPhys(p: number): void {
    this.ftw |= 3 << (2 * p);
  }

  /** FNINIT state (SDM FINIT/FNINIT: FCW 0x037F, FSW 0, all tags empty, pointers 0): registers unchanged. */
  init(): void {
    this.fcw = 0x037f;
    this.fsw = 0;
    this.ftw = 0xffff;
    this.fop = 0;
    this.fip = 0;
    this.fcs = 0;
    this.fdp = 0;
    this.fds = 0;
  }

  /** Power-up/RESET state: FINIT plus zeroed registers (SDM Vol. 3A Table 9-1: FCW 0x0040). */
  reset(): void {
    this.init();
    this.fcw = 0x0040;
    this.ftw = 0x5555;
    this.se.fill(0);
    this.sigHi.fill(0);
    this.sigLo.fill(0);
  }

  /** An unmasked exception is pending (FSW.ES). */
  pendingUnmasked(): boolean {
    return (this.fsw & Sw.ES) !== 0;
  }

  /** Recompute ES and B from the flags and masks (after FLDCW, FLDENV, FRSTOR, FCLEX). */
  updateSummary(): void {
    const unmasked = this.fsw & ~this.fcw & SW_EXC;
    // SF (stack fault) accompanies IE; ES summarises IE..PE (SF alone does not set it).
    if (unmasked !== 0) this.fsw |= Sw.ES | Sw.B;
    else this.fsw &= ~(Sw.ES | Sw.B);
  }

  // ---- MMX (SDM Vol. 1 §9.5) -----------------------------------------------------------------

  readMmxLo(i: number): number {
    return this.sigLo[i & 7]!;
  }

  readMmxHi(i: number): number {
    return this.sigHi[i & 7]!;
  }

  writeMmx(i: number, lo: number, hi: number): void {
    const p = i & 7;
    this.se[p] = 0xffff;
    this.sigLo[p] = lo;
    this.sigHi[p] = hi;
    this.enterMmx();
  }

  /** TOP = 0, all tags valid (what every MMX instruction does besides EMMS). */
  enterMmx(): void {
    this.fsw &= ~Sw.TOP_MASK;
    this.ftw = 0;
  }

  emms(): void {
    this.ftw = 0xffff;
  }

  // ---- tag word forms ------------------------------------------------------------------------

  /** Abridged tag (FXSAVE): bit p = 1 when physical register p is not empty. */
  abridgedTag(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) if (((this.ftw >>> (2 * p)) & 3) !== Tag.Empty) t |= 1 << p;
    return t;
  }

  /** Full tag word from an abridged one (FXRSTOR): non-empty registers get their tag from their value. */
  setAbridgedTag(t: number): void {
    let ftw = 0;
    for (let p = 0; p < 8; p++) {
      const tag = (t >>> p) & 1 ? tagOf(this.se[p]!, this.sigHi[p]!, this.sigLo[p]!) : Tag.Empty;
      ftw |= tag << (2 * p);
    }
    this.ftw = ftw;
  }

  // ---- FXSAVE legacy region, bytes 0..159 (SDM Vol. 1 Table 10-2, 10-3) ----------------------

  saveFxLegacy(buf: Uint8Array, off: number, rexW: boolean): void {
    const dv = new DataView(buf.buffer, buf.byteOffset + off, 160);
    dv.setUint16(0, this.fcw, true);
    dv.setUint16(2, this.fsw, true);
    dv.setUint8(4, this.abridgedTag());
    dv.setUint8(5, 0);
    dv.setUint16(6, this.fop & 0x7ff, true);
    if (rexW) {
      setU64(dv, 8, this.fip);
      setU64(dv, 16, this.fdp);
    } else {
      dv.setUint32(8, this.fip >>> 0, true);
      dv.setUint16(12, this.fcs, true);
      dv.setUint16(14, 0, true);
      dv.setUint32(16, this.fdp >>> 0, true);
      dv.setUint16(20, this.fds, true);
      dv.setUint16(22, 0, true);
    }
    for (let i = 0; i < 8; i++) {
      const p = this.phys(i);
      const o = 32 + 16 * i;
      dv.setUint32(o, this.sigLo[p]!, true);
      dv.setUint32(o + 4, this.sigHi[p]!, true);
      dv.setUint16(o + 8, this.se[p]!, true);
      for (let k = 10; k < 16; k++) dv.setUint8(o + k, 0);
    }
  }

  loadFxLegacy(buf: Uint8Array, off: number, rexW: boolean): void {
    const dv = new DataView(buf.buffer, buf.byteOffset + off, 160);
    this.fcw = dv.getUint16(0, true);
    this.fsw = dv.getUint16(2, true);
    this.fop = dv.getUint16(6, true) & 0x7ff;
    if (rexW) {
      this.fip = getU64(dv, 8);
      this.fdp = getU64(dv, 16);
      this.fcs = 0;
      this.fds = 0;
    } else {
      this.fip = dv.getUint32(8, true);
      this.fcs = dv.getUint16(12, true);
      this.fdp = dv.getUint32(16, true);
      this.fds = dv.getUint16(20, true);
    }
    for (let i = 0; i < 8; i++) {
      const p = this.phys(i);
      const o = 32 + 16 * i;
      this.sigLo[p] = dv.getUint32(o, true);
      this.sigHi[p] = dv.getUint32(o + 4, true);
      this.se[p] = dv.getUint16(o + 8, true);
    }
    this.setAbridgedTag(dv.getUint8(4));
  }
}

/** A signed-canonical number (|v| < 2^53) as 8 little-endian bytes. */
function setU64(dv: DataView, o: number, v: number): void {
  const lo = v >>> 0;
  const hi = Math.floor(v / 0x100000000) >>> 0;
  dv.setUint32(o, lo, true);
  dv.setUint32(o + 4, hi, true);
}

function getU64(dv: DataView, o: number): number {
  const lo = dv.getUint32(o, true);
  const hi = dv.getUint32(o + 4, true) | 0;
  return hi * 0x100000000 + lo;
}
