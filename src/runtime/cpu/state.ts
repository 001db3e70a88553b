/**
 * The CPU's architectural state: register file, flags, segment descriptor caches, descriptor-table
 * registers, control/debug registers and the MSRs the CPU itself keeps.
 *
 * Layout choices (speed in 32-bit code, exactness in 64-bit code):
 * - General registers are two Uint32Arrays, `lo[n]` = bits 31:0 and `hi[n]` = bits 63:32 of
 *   register n (0 = RAX … 15 = R15). 8/16/32-bit code touches only `lo` with plain numbers; a
 *   32-bit write zero-extends by clearing `hi[n]` (only in 64-bit mode is that observable, but
 *   it is always done, as hardware does). 64-bit operations combine the halves (BigInt on the
 *   slow paths).
 * - RIP is a JS number: below 2^32 outside 64-bit mode; in 64-bit mode the canonical address as a
 *   *signed* number (same convention as linear addresses in src/runtime/mmu/types.ts), which is
 *   exact because canonical addresses have at most 48 (57) significant bits.
 * - EFLAGS is kept eagerly as one number (`CpuState.flags`); read and write it through
 *   `getFlags()`/`setFlags()` so a later lazy-flags scheme stays invisible to other code.
 * - Segment bases are numbers; FS/GS bases in long mode use the signed-canonical convention.
 */
import { ControlRegs } from './control-regs.ts';
import type { PagingRegs } from '../mmu/types.ts';
import { SseState } from './simd/state.ts';

/** Segment register indices into `CpuState.seg`. */
export const enum Seg {
  ES = 0,
  CS = 1,
  SS = 2,
  DS = 3,
  FS = 4,
  GS = 5,
  LDTR = 6,
  TR = 7,
}

/** EFLAGS bits. */
export const Flag = {
  CF: 1 << 0,
  /** Bit 1 always reads as 1. */
  FIXED1: 1 << 1,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  IOPL: 3 << 12,
  NT: 1 << 14,
  RF: 1 << 16,
  VM: 1 << 17,
  AC: 1 << 18,
  VIF: 1 << 19,
  VIP: 1 << 20,
  ID: 1 << 21,
} as const;

/** The six arithmetic status flags. */
export const STATUS_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

/**
 * A segment register with its hidden descriptor cache (SDM Vol. 3A §3.4.3). Also used for LDTR
 * and TR. `limit` is the effective byte limit (already scaled by G).
 */
export class SegmentCache {
  selector = 0;
  base = 0;
  /** Effective byte limit (G already applied): valid offsets are 0..limit (or limit+1.. for expand-down). */
  limit = 0xffff;
  /** Descriptor type field (bits 11:8 of the high dword): e.g. 0x3 data RW accessed, 0xB code XR accessed. */
  type = 0x3;
  /** S bit: 1 = code/data, 0 = system (LDT, TSS, gates). */
  s = true;
  dpl = 0;
  present = true;
  /** D/B: default operand size 32 (CS), 32-bit stack (SS), 4 GiB upper bound (expand-down). */
  db = false;
  /** L: 64-bit code segment (CS only, IA-32e mode). */
  l = false;
  g = false;
  avl = false;
  /** False when a null selector was loaded in protected mode (the segment is unusable). */
  usable = true;

  /** Real-mode / v86 load: base = selector << 4, other fields untouched except selector (v86 sets them fully). */
  loadReal(selector: number): void {
    this.selector = selector & 0xffff;
    this.base = (selector & 0xffff) << 4;
    this.usable = true;
  }

  /** Code segment? (S = 1 and type bit 3.) */
  get isCode(): boolean {
    return this.s && (this.type & 8) !== 0;
  }

  /**
   * Access rights in the VMX layout (SDM Vol. 3C §24.4.1): type 3:0, S 4, DPL 6:5, P 7, AVL 12,
   * L 13, D/B 14, G 15, unusable 16.
   */
  get accessRights(): number {
    return (
      (this.type & 0xf) |
      (this.s ? 1 << 4 : 0) |
      ((this.dpl & 3) << 5) |
      (this.present ? 1 << 7 : 0) |
      (this.avl ? 1 << 12 : 0) |
      (this.l ? 1 << 13 : 0) |
      (this.db ? 1 << 14 : 0) |
      (this.g ? 1 << 15 : 0) |
      (this.usable ? 0 : 1 << 16)
    );
  }

  set accessRights(ar: number) {
    this.type = ar & 0xf;
    this.s = (ar & (1 << 4)) !== 0;
    this.dpl = (ar >> 5) & 3;
    this.present = (ar & (1 << 7)) !== 0;
    this.avl = (ar & (1 << 12)) !== 0;
    this.l = (ar & (1 << 13)) !== 0;
    this.db = (ar & (1 << 14)) !== 0;
    this.g = (ar & (1 << 15)) !== 0;
    this.usable = (ar & (1 << 16)) === 0;
  }

  copyFrom(o: SegmentCache): void {
    this.selector = o.selector;
    this.base = o.base;
    this.limit = o.limit;
    this.type = o.type;
    this.s = o.s;
    this.dpl = o.dpl;
    this.present = o.present;
    this.db = o.db;
    this.l = o.l;
    this.g = o.g;
    this.avl = o.avl;
    this.usable = o.usable;
  }
}

/** GDTR / IDTR. */
export interface TableRegister {
  base: number;
  limit: number;
}

/** MSR numbers the CPU itself keeps (others exit or #GP; see msr.ts, owned by the system side). */
export const Msr = {
  TSC: 0x10,
  APIC_BASE: 0x1b,
  SYSENTER_CS: 0x174,
  SYSENTER_ESP: 0x175,
  SYSENTER_EIP: 0x176,
  EFER: 0xc0000080,
  STAR: 0xc0000081,
  LSTAR: 0xc0000082,
  CSTAR: 0xc0000083,
  SFMASK: 0xc0000084,
  FS_BASE: 0xc0000100,
  GS_BASE: 0xc0000101,
  KERNEL_GS_BASE: 0xc0000102,
  TSC_AUX: 0xc0000103,
} as const;

/** MSR values held by the CPU (FS/GS base live in `seg[Seg.FS/GS].base`). */
export class CpuMsrs {
  kernelGsBase = 0n;
  star = 0n;
  lstar = 0n;
  cstar = 0n;
  sfmask = 0n;
  sysenterCs = 0n;
  sysenterEsp = 0n;
  sysenterEip = 0n;
  /** TSC = instructions retired + tscOffset (deterministic; WRMSR TSC adjusts the offset). */
  tscOffset = 0n;
  apicBase = 0xfee00900n; // BSP, enabled, default base
  /** IA32_TSC_AUX (bits 31:0; RDTSCP returns it in ECX). */
  tscAux = 0;
}

/** CR0 / CR4 / EFER bits the CPU looks at when deriving its mode. */
export const Cr0 = { PE: 1, MP: 2, EM: 4, TS: 8, ET: 16, NE: 32, WP: 1 << 16, AM: 1 << 18, PG: 2 ** 31 } as const;
export const Cr4 = { PSE: 1 << 4, PAE: 1 << 5, PGE: 1 << 7, OSFXSR: 1 << 9, OSXMMEXCPT: 1 << 10, OSXSAVE: 1 << 18, PCIDE: 1 << 17, SMEP: 1 << 20, SMAP: 1 << 21, LA57: 1 << 12 } as const;
export const Efer = { SCE: 1, LME: 1 << 8, LMA: 1 << 10, NXE: 1 << 11 } as const;

/** Initial hardware control registers after reset (SDM Vol. 3A Table 10-1: CR0 = 0x60000010). */
export function resetControl(): ControlRegs {
  return new ControlRegs();
}

/**
 * The architectural state proper. `Cpu` (cpu.ts) extends this with the run loop and helpers;
 * other code should use the helpers in cpu.ts rather than poke fields, except where noted.
 */
export class CpuState {
  /** Bits 31:0 of RAX..R15. */
  readonly lo = new Uint32Array(16);
  /** Bits 63:32 of RAX..R15. */
  readonly hi = new Uint32Array(16);
  /** Instruction pointer (see file comment for the convention). Points at the current instruction while it executes. */
  ip = 0xfff0;
  /** EFLAGS (eager). Use getFlags()/setFlags() from outside the ALU. */
  flags = Flag.FIXED1;

  /** ES CS SS DS FS GS LDTR TR, indexed by `Seg`. */
  readonly seg: SegmentCache[] = [0, 1, 2, 3, 4, 5, 6, 7].map(() => new SegmentCache());
  readonly gdtr: TableRegister = { base: 0, limit: 0xffff };
  readonly idtr: TableRegister = { base: 0, limit: 0x3ff };

  /** Current privilege level (CS.RPL / SS.DPL as hardware keeps it). */
  cpl = 0;

  /** Hardware control registers (what the CPU runs with; the monitor programs them). */
  readonly hw: ControlRegs = resetControl();
  /** The same paging-relevant registers as numbers, kept current in place for the MMU. */
  readonly pagingRegs: PagingRegs = { cr0: 0x60000010, cr3: 0n, cr4: 0, efer: 0, ncr3: null };
  cr2 = 0n;
  /** DR0..DR7 (DR4/DR5 alias DR6/DR7 when CR4.DE = 0; the system side handles that). */
  readonly dr: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0xffff0ff0n, 0x400n];
  readonly msr = new CpuMsrs();
  /** XMM0-15 and MXCSR (simd/state.ts). */
  readonly sse = new SseState();
  /**
   * PKRU (protection-key rights for user pages; XSAVE state component 9, simd/xsave.ts). RDPKRU/
   * WRPKRU and the page-walk checks are issue 22 item 4.
   */
  pkru = 0;

  // ---- derived mode bits (recomputed by Cpu.updateMode()) ----
  /** CR0.PE. */
  protectedMode = false;
  /** CR0.PG: linear addresses go through the MMU. */
  paging = false;
  /** EFER.LMA. */
  longMode = false;
  /** 64-bit mode (LMA and CS.L). */
  mode64 = false;
  /** Decoder bitness / default operand+address size for the current CS: 16, 32 or 64. */
  bitness: 16 | 32 | 64 = 16;
  /** Stack pointer width in bytes: 2 (SS.B=0), 4 (SS.B=1), 8 (64-bit mode). */
  stackSize: 2 | 4 | 8 = 2;

  /** Interrupt shadow after STI / MOV SS / POP SS: external interrupts are blocked for one instruction. */
  interruptShadow = false;
  /** The HLT activity state (Vcpu.enterHalt): no instruction runs until an event is injected (events.ts). */
  halted = false;
  /** NMIs are blocked: an NMI was delivered and its IRET has not completed (SDM Vol. 3A §6.7.1). */
  nmiBlocked = false;
  /** A requested interrupt window is closed by IF = 0: raising IF must re-check it (events.ts). */
  waitingForIf = false;

  getFlags(): number {
    return this.flags;
  }

  /** Raw write of all EFLAGS bits (no privilege rules; bit 1 forced to 1, reserved bits cleared). */
  setFlags(value: number): void {
    this.flags = ((value & 0x3f7fd5) | Flag.FIXED1) >>> 0;
    if (this.waitingForIf && (value & Flag.IF) !== 0) this.ifRaised();
  }

  /** IF became 1 while an interrupt window waited for it (Cpu: look at the windows). */
  ifRaised(): void {
    this.waitingForIf = false;
  }
}
