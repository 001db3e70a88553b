/**
 * A decoded instruction as the interpreter keeps it: a plain JS object copied once out of
 * iced-x86's (WASM-backed) Instruction, so executing a cached instruction makes no call into
 * WebAssembly. Every field is initialised in the constructor so all instances share one hidden
 * class (monomorphic handler code).
 */
import type { Cpu } from './cpu.ts';
import type { JitBlock } from './jit/block.ts';
import type { CrAccessExit } from '../vmm/exit.ts';
import type { CrExitHandler } from '../vmm/monitor.ts';

/** Executes one instruction. RIP (cpu.ip) still points at it; set cpu.nextIp to branch. */
export type Handler = (cpu: Cpu, insn: DecodedInsn) => void;

/** Handlers keyed by iced-x86 `Code` (exact form) and by `Mnemonic` (all forms). */
export interface HandlerTable {
  byCode: Map<number, Handler>;
  byMnemonic: Map<number, Handler>;
}

/** Operand kinds after conversion. */
export const enum OpK {
  None = 0,
  /** General register: `r` = 0..15 (RAX..R15), or 16..19 for AH, CH, DH, BH. */
  Gpr = 1,
  /** Memory operand described by seg/base/index/scale/disp (there is at most one per instruction). */
  Mem = 2,
  /** Immediate: `imm` (low 32 bits, already sign-/zero-extended to the operand size) and `immHi`. */
  Imm = 3,
  /** Segment register: `r` = Seg index (ES=0 … GS=5). */
  SegReg = 4,
  /** Control register: `r` = CR number. */
  Cr = 5,
  /** Debug register: `r` = DR number. */
  Dr = 6,
  /** Near branch target: relative displacement in `rel`. */
  Branch = 7,
  /** Far pointer immediate: `farSel`, `farOff`. */
  FarPtr = 8,
  /** Implicit string source [seg:(E/R)SI] (segment in `seg`, overridable). */
  StrSrc = 9,
  /** Implicit string destination ES:[(E/R)DI]. */
  StrDst = 10,
  /** Anything else: handlers treat as unsupported. */
  Other = 11,
  /** x87 register ST(i): `r` = i. */
  St = 12,
  /** XMM register: `r` = 0..15 (simd/). */
  Xmm = 13,
  /** MMX register: `r` = 0..7 (simd/). */
  Mmx = 14,
}

/** Memory base value meaning "RIP-relative" (disp is relative to the next instruction). */
export const BASE_RIP = 16;

export class DecodedInsn {
  handler: Handler;
  /** Length in bytes. */
  length = 0;
  /** iced-x86 Mnemonic / Code values. */
  mnemonic = 0;
  code = 0;
  /** Operand size in bytes of operand 0 (or the instruction's natural size when op0 is not a value). */
  opSize: 1 | 2 | 4 | 8 = 4;
  /** Operand-size attribute from mode and prefixes (0x66, REX.W): 2, 4 or 8. */
  osz: 2 | 4 | 8 = 4;
  /** Address size in bytes (after 0x67). */
  addrSize: 2 | 4 | 8 = 4;
  opCount = 0;
  k0: OpK = OpK.None;
  k1: OpK = OpK.None;
  k2: OpK = OpK.None;
  /** Register numbers for Gpr/SegReg/Cr/Dr operands. */
  r0 = 0;
  r1 = 0;
  r2 = 0;
  /** Sizes in bytes of operands 0..2 (memory: the memory operand's size; 0 if not a sized value). */
  s0 = 0;
  s1 = 0;
  s2 = 0;
  /** Memory operand: effective segment (Seg index, override applied), base/index GPR or -1, scale, displacement. */
  seg = 3;
  base = -1;
  index = -1;
  scale = 1;
  /** Signed displacement (64-bit moffs: the signed-canonical value). */
  disp = 0;
  /** Immediate, low 32 bits as an unsigned number, extended to the operand size. */
  imm = 0;
  /** Bits 63:32 of the (extended) immediate, unsigned. */
  immHi = 0;
  /** Second immediate (ENTER's nesting level). */
  imm2 = 0;
  /** Near branch: target = (address of next instruction + rel) truncated to the operand size. */
  rel = 0;
  farSel = 0;
  farOff = 0;
  /** 0 none, 1 REP/REPE, 2 REPNE. */
  rep = 0;
  lock = false;
  /** Segment override prefix (Seg index) or -1. */
  segPrefix = -1;
  /** iced ConditionCode (0 none, 1 o … 16 g) for jcc/setcc/cmovcc/loopcc. */
  cond = 0;
  /** Raw bytes as hex (for --trace and #UD reports). */
  bytes = '';
  /** Disassembly, filled on first use by the tracer. */
  text = '';
  /** x87 FOP (fpu/exec.ts), computed from `bytes` on first execution; -1 until then. */
  fop = -1;
  /** Executions counted by the run loop towards block compilation (jit/jit.ts). */
  heat = 0;
  /** The compiled block starting at this instruction, or null (jit/jit.ts). */
  block: JitBlock | null = null;
  /**
   * A control-register exit of this instruction, made on its first execution and given to the
   * monitor again each time (system.ts): its fields depend only on the instruction and, for the
   * operand size, on `exitSize` (the GPR size of the mode it was made in). Monitors read exits
   * and never change them.
   */
  exit: CrAccessExit | null = null;
  exitSize = 0;
  /** The counter slot of `exit` (NamedExitCounts.slots, crExitSlot), set with it. */
  exitSlot = -1;
  /** The monitor's handler for `exit` (Monitor.crExitHandler), or null: call the monitor. */
  exitFn: CrExitHandler | null = null;
  /**
   * The same for an exit under CR masks (Intercepts.crMasks): kept apart from `exit`, which a
   * compiled block's exit site hands to the monitor without running the instruction's mask check.
   */
  maskedExit: CrAccessExit | null = null;
  maskedExitSize = 0;
  maskedExitSlot = -1;
  maskedExitFn: CrExitHandler | null = null;

  constructor(handler: Handler) {
    this.handler = handler;
  }
}
