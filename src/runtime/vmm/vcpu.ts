import type { FlushScope } from '../mmu/types.ts';
import type { PhysicalBus } from '../machine/bus.ts';

/**
 * What the monitor sees of the hardware CPU while it handles an exit: the guest's registers
 * (as a VMCS would hold them), the hardware control state it may program, and a few services.
 * The monitor never reaches into the interpreter's internals beyond this.
 */

/** Coarse operating mode, from hardware CR0.PE, EFLAGS.VM, EFER.LMA and CS.L/D. */
export type CpuMode = 'real' | 'v86' | 'protected16' | 'protected32' | 'compat16' | 'compat32' | 'long64';

/** Hardware control registers (what the CPU actually runs with). */
export interface HardwareControl {
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
  /** CR8 / TPR (64-bit mode). */
  cr8: bigint;
  xcr0: bigint;
  /** Nested paging: host-physical root of the nested (guest-physical → host-physical) tables,
   * 4-level format; null when nested paging is off. */
  ncr3: bigint | null;
}

/** The control registers programControl takes (nCR3 only through setControl). */
export type ControlRegName = Exclude<keyof HardwareControl, 'ncr3'>;

/** Which guest actions exit to the monitor. */
export interface Intercepts {
  /** MOV to/from CR0/3/4/8, CLTS, LMSW, SMSW: always true in trapspec. */
  crAccess: boolean;
  /** RDMSR/WRMSR of EFER (0xC0000080). */
  efer: boolean;
  /** Bit n set: hardware exception n exits instead of being delivered (e.g. #PF under shadow). */
  exceptionBitmap: number;
  invlpg: boolean;
  /**
   * VMX-style CR ownership (SDM Vol. 3C §25.3, §26.1.3, §26.3); absent: every CR access exits
   * (SVM-style CR intercepts, trapspec's default). With it, MOV from CR0/CR4 and SMSW never exit.
   */
  crMasks?: CrMasks;
}

/**
 * Guest/host masks and read shadows of CR0 and CR4 (low 32 bits; bits 63:32 are always
 * host-owned with a shadow of 0), and the CR3-target values. The monitor updates `shadow` in
 * place after each exit. Set before the first instruction runs (decoded instructions cache
 * their exits).
 */
export interface CrMasks {
  /** null: every access of CR0 (MOV, LMSW, CLTS, SMSW) exits. */
  cr0: CrMask | null;
  /** null: every MOV to/from CR4 exits. */
  cr4: CrMask | null;
  /** MOV to CR3 of one of these values (at most 4) loads CR3 without an exit. */
  cr3Targets: readonly bigint[];
}

export interface CrMask {
  /** Bit set: host-owned (reads come from `shadow`; a write changing it relative to `shadow` exits). */
  mask: number;
  shadow: number;
}

/** VM-entry interruption types the monitor injects (Vcpu.injectEvent). */
export type InjectedEventType = 'external' | 'nmi' | 'exception';

export interface Vcpu {
  readonly bus: PhysicalBus;
  /** Full 64-bit value of general register n (0 = RAX … 15 = R15). */
  readGpr(n: number): bigint;
  /** Write a general register with `size` bytes; size 4 zero-extends to 64 bits as hardware does. */
  writeGpr(n: number, value: bigint, size: 2 | 4 | 8): void;
  /** Bits 31:0 and 63:32 of general register n, as uint32 numbers (the exit path's readGpr). */
  gprLo(n: number): number;
  gprHi(n: number): number;
  /** writeGpr with the value's halves (uint32 or int32 numbers). */
  writeGprHalves(n: number, lo: number, hi: number, size: 2 | 4 | 8): void;
  readonly cpl: number;
  readonly mode: CpuMode;
  /** RFLAGS (low 32 bits). */
  readonly rflags: number;
  /** Current guest RIP (of the exiting instruction). */
  readonly rip: bigint;
  advanceRip(length: number): void;

  /** The hardware control registers; set() applies a partial update and re-derives the mode. */
  readonly control: Readonly<HardwareControl>;
  setControl(update: Partial<HardwareControl>): void;
  /**
   * Program one register from halves (uint32 or int32 numbers): the bits of the mask
   * `keepLo`/`keepHi` keep their hardware value, the others take the value's; as
   * `setControl({ [reg]: merge })` (RuleEffects.setHardware; the exit path's form, without
   * BigInts or an update object).
   */
  programControl(reg: ControlRegName, lo: number, hi: number, keepLo: number, keepHi: number): void;
  /** Bits 31:0 of hardware CR0 or CR4 as a uint32 number (control.cr0 without a BigInt; CR masks). */
  controlLow(reg: 'cr0' | 'cr4'): number;
  /** Hardware CR2 (the monitor sets it when it injects a #PF). */
  cr2: bigint;

  intercepts: Intercepts;

  /**
   * Deliver an exception to the guest when the monitor resumes it (event injection): delivered
   * through the guest's IVT/IDT as the hardware would, with the error code pushed if given.
   */
  injectException(vector: number, errorCode?: number): void;
  /**
   * VM-entry event injection of any type (VMX interruption types): 'external' (a maskable
   * interrupt the monitor's interrupt controller acknowledged), 'nmi' (vector 2; blocks NMIs
   * until the guest's IRET) or 'exception' (as injectException). Also ends the HLT state.
   */
  injectEvent(type: InjectedEventType, vector: number, errorCode?: number): void;
  /**
   * Interrupt-window exiting: while on, the CPU exits 'interrupt-window' at the first
   * instruction boundary where the guest can take a maskable interrupt (RFLAGS.IF = 1, no STI
   * or MOV SS shadow), also from the HLT state.
   */
  setInterruptWindowExiting(on: boolean): void;
  /** NMI-window exiting: exit 'nmi-window' once NMIs are not blocked (and no MOV SS shadow). */
  setNmiWindowExiting(on: boolean): void;
  /** Put the CPU in the HLT activity state: it runs nothing until an event is injected. */
  enterHalt(): void;
  /** In the HLT activity state. */
  readonly halted: boolean;
  /** RFLAGS.IF = 1 and no STI/MOV SS shadow: a maskable interrupt would be taken now. */
  readonly interruptible: boolean;
  /** Drop hardware TLB entries. */
  flushTlb(scope: FlushScope): void;
  /**
   * A TLB flush the guest asked for, under paging the hardware does from the guest's own tables
   * (nested, direct): as flushTlb, but the hardware skips it when every cached translation came
   * from guest paging-structure frames no guest store has hit since (modelled assist, see
   * watchFrame). The monitor's own table edits use flushTlb.
   */
  flushGuestTlb(scope: FlushScope): void;
  /**
   * Store to guest memory through the current hardware translation (SMSW m16 emulation).
   * Returns false if the access faulted; the fault has then been queued for injection.
   */
  writeLinear16(linear: number, value: number): boolean;

  /**
   * Write watch (a modelled hardware assist; a real VMM write-protects the guest's page-table
   * pages and takes a fault per guest write instead): after watchFrame(pa), a guest store to the
   * 4 KiB physical frame holding `pa` calls onWatchedWrite with the frame's base address, until
   * unwatchAllFrames(). Guest stores are what the CPU executes (instructions, string ops,
   * interrupt frames, descriptor bits); the hardware page walker's A/D updates and writes
   * through `bus` (the monitor's) are not. Returns false when the frame cannot be watched
   * (not RAM).
   */
  watchFrame(pa: number): boolean;
  unwatchAllFrames(): void;
  onWatchedWrite: ((frame: number) => void) | null;
}
