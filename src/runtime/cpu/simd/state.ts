/**
 * The SSE register file: XMM0-15 and MXCSR, held by the CPU as `cpu.sse` (CpuState).
 *
 * One ArrayBuffer of 16-byte *slots* seen through every lane view a handler needs (u8 … f64),
 * little-endian like the host and the guest: slot n's byte j is `u8[n * 16 + j]`, its dword j
 * `u32[n * 4 + j]`, its double j `f64[n * 2 + j]`. Slots 0-15 are XMM0-15; the slots after them
 * are scratch space for handlers (a memory source operand, a temporary result, MMX operands), so
 * an instruction never allocates: handlers take slot numbers, whatever the operand kind.
 */

/** Slots 0..15 are XMM0..XMM15. */
export const XMM_COUNT = 16;
/** Scratch: a memory source operand loaded by simd/operands.ts (xmmSrc*). */
export const SLOT_MEM = 16;
/** Scratch: a temporary result (shuffles, packs: read every source lane before writing). */
export const SLOT_TMP = 17;
/** Scratch: MMX destination operand (low 8 bytes). */
export const SLOT_MMD = 18;
/** Scratch: MMX source operand (low 8 bytes). */
export const SLOT_MMS = 19;
/** Scratch for handlers of their own (e.g. string compares, FXSAVE staging). */
export const SLOT_AUX = 20;
const SLOTS = 22;

/** MXCSR bits (SDM Vol. 1 §10.2.3). */
export const Mxcsr = {
  IE: 1 << 0,
  DE: 1 << 1,
  ZE: 1 << 2,
  OE: 1 << 3,
  UE: 1 << 4,
  PE: 1 << 5,
  /** The six exception flags. */
  FLAGS: 0x3f,
  DAZ: 1 << 6,
  /** Exception masks IM..PM are bits 12:7 (flag bit << 7). */
  MASKS: 0x3f << 7,
  /** Rounding control, bits 14:13: 0 nearest, 1 down, 2 up, 3 toward zero. */
  RC_SHIFT: 13,
  RC: 3 << 13,
  FZ: 1 << 15,
  /** Power-up / reset value: every exception masked, round to nearest. */
  RESET: 0x1f80,
} as const;

/**
 * MXCSR_MASK as FXSAVE stores it: the MXCSR bits this CPU supports (DAZ included). LDMXCSR,
 * FXRSTOR and XRSTOR raise #GP(0) for a set bit outside it (SDM Vol. 1 §11.6.6). The host (AMD)
 * reports 0x2FFFF (bit 17 = MM, misaligned-SSE mode), a feature the model does not report
 * (CPUID.80000001H:ECX[7] MisAlignSse clear), so the model's mask is Intel's 0xFFFF.
 */
export const MXCSR_MASK = 0xffff;

export class SseState {
  readonly buffer = new ArrayBuffer(SLOTS * 16);
  readonly u8 = new Uint8Array(this.buffer);
  readonly i8 = new Int8Array(this.buffer);
  readonly u16 = new Uint16Array(this.buffer);
  readonly i16 = new Int16Array(this.buffer);
  readonly u32 = new Uint32Array(this.buffer);
  readonly i32 = new Int32Array(this.buffer);
  readonly f32 = new Float32Array(this.buffer);
  readonly f64 = new Float64Array(this.buffer);
  /** MXCSR (bits 31:16 always 0). */
  mxcsr: number = Mxcsr.RESET;

  /** Power-up / INIT: XMM registers zero, MXCSR 0x1F80 (SDM Vol. 3A Table 10-1). */
  reset(): void {
    this.u32.fill(0);
    this.mxcsr = Mxcsr.RESET;
  }

  /** Copy slot `from` to slot `to` (16 bytes). */
  copy(to: number, from: number): void {
    const u = this.u32;
    const a = to * 4;
    const b = from * 4;
    u[a] = u[b]!;
    u[a + 1] = u[b + 1]!;
    u[a + 2] = u[b + 2]!;
    u[a + 3] = u[b + 3]!;
  }

  /** Dword `lane` (0..3) of XMM `reg` as an unsigned number (tests, debuggers). */
  dword(reg: number, lane: number): number {
    return this.u32[reg * 4 + lane]!;
  }

  /** Set XMM `reg` from four dwords, low first. */
  setDwords(reg: number, d0: number, d1: number, d2: number, d3: number): void {
    const u = this.u32;
    const a = reg * 4;
    u[a] = d0;
    u[a + 1] = d1;
    u[a + 2] = d2;
    u[a + 3] = d3;
  }
}
