import type { FlushScope } from '../mmu/types.ts';
import type { GuestControl } from './paging.ts';
import type { CpuMode } from './vcpu.ts';

/**
 * The boundary between the generated exit handlers (src/generated/handlers/, from
 * spec/rules/*.rules) and the hand-written monitor: everything a rule can read or cause goes
 * through this interface and nothing else. The trap monitor implements it with the paging
 * strategy and the Vcpu (rule-context.ts); tests implement it with recording fakes.
 *
 * A handler is called after the CPU has decoded the instruction and checked #UD and CPL
 * (cr-rules.md R1-R3); it decides guest-visible state, the hardware's non-paging bits and the
 * effects, or raises an exception — in which case it has changed nothing (no state, no effect
 * other than the PDPTE load a guard asked for).
 */

/**
 * The control registers as the guest believes them; GuestControl plus CR8, XCR0 and the local
 * APIC's TPR (which CR8 reads and writes: spec/rules/cr8.rules).
 */
export interface GuestState extends GuestControl {
  cr8: bigint;
  xcr0: bigint;
  tpr: bigint;
  readonly tprLo: number;
  readonly tprHi: number;
  setTpr(lo: number, hi: number): void;
  readonly cr8Lo: number;
  readonly cr8Hi: number;
  readonly xcr0Lo: number;
  readonly xcr0Hi: number;
  /** Assign a register from its halves (int32 or uint32 numbers; the BigInt follows). */
  setCr0(lo: number, hi: number): void;
  setCr3(lo: number, hi: number): void;
  setCr4(lo: number, hi: number): void;
  setEfer(lo: number, hi: number): void;
  setCr8(lo: number, hi: number): void;
  setXcr0(lo: number, hi: number): void;
}

/** Hardware registers a handler programs directly (CR3 is always the strategy's). */
export type HardwareReg = 'cr0' | 'cr4' | 'cr8' | 'efer' | 'xcr0';

export interface RuleEffects {
  /** Current privilege level at the exit. */
  readonly cpl: number;
  readonly mode: CpuMode;
  /** ECX at the exit (RDMSR/WRMSR: the MSR index; XSETBV: the XCR number). */
  readonly index: bigint;
  /** The monitor's guest-visible registers; handlers assign them directly. */
  readonly guest: GuestState;
  /**
   * Program a hardware register with the value of halves `lo`, `hi`: bits in the owned mask
   * (`ownedLo`, `ownedHi`) keep their hardware value (they belong to the paging strategy:
   * CR0.PG/WP, CR4 paging bits, EFER.LME/LMA/NXE — see vmm/paging/hardware-bits.ts), the
   * others take the value. Halves may be int32 or uint32 numbers.
   */
  setHardware(reg: HardwareReg, lo: number, hi: number, ownedLo: number, ownedHi: number): void;
  /**
   * Effect `paging_mode_changed`: the strategy re-derives paging from the guest state. `flush` is
   * the scope of the same exit's `flush_tlb` effect, or null: a handler's effects are a set, and
   * a mode change with its flush reaches the strategy as one call (a CR4.PGE toggle reprograms
   * and flushes once; codegen/emit/handlers.ts flushModePair). `flushTlb` then comes only for a
   * flush without a mode change.
   */
  pagingModeChanged(flush: FlushScope | null): void;
  /** Effect `cr3_loaded(scope)`: the guest loaded CR3 (already in guest.cr3). */
  cr3Loaded(scope: FlushScope): void;
  /** Effect `flush_tlb(scope)`, when it does not come with a mode change (pagingModeChanged). */
  flushTlb(scope: FlushScope): void;
  /** Guard helper `pdptes_ok(cr3)`: load and check the four PAE PDPTEs (R16, R41, R55). */
  loadPdptes(cr3: bigint): boolean;
  /**
   * Raise an exception in the guest instead of completing; returns false for `return`. `site` is
   * the guard's index in the handler's RuleSites.stmts (a constant; exit traces read it).
   */
  raise(vector: number, errorCode: number | undefined, site: number): false;
  /**
   * Written by a handler with conditional actions when it completes: bit n set = the action with
   * RuleSites bit n ran. Handlers without conditional actions leave it alone (a tracer clears it).
   */
  taken: number;
  /** The value (halves, int32 or uint32) a read-type rule (MOV from CR, SMSW, RDMSR) gives the guest. */
  produce(lo: number, hi: number): void;
}

/**
 * A generated handler: true when the instruction completed (RIP advances), false on a fault.
 * The operand comes as its 32-bit halves (uint32 numbers; 0 when the rule has none).
 */
export type RuleHandler = (cx: RuleEffects, opLo: number, opHi: number) => boolean;

/** One guard or action of a rule, where it is in the spec (generated, codegen/emit/handlers.ts). */
export interface RuleSiteStmt {
  /** 1-based line in the rules file. */
  line: number;
  /** The statement's source text (without its comment). */
  text: string;
  kind: 'guard' | 'guest' | 'hardware' | 'effect' | 'result';
  /** Its bit in RuleEffects.taken (a `when` action), or -1 (it runs whenever the rule completes). */
  bit: number;
}

/** Where a generated handler's rule is: the rule head and every guard and action. */
export interface RuleSites {
  /** Rule id, e.g. `write-CR0`. */
  id: string;
  /** The rules file, relative to the project root (`spec/rules/cr0.rules`). */
  file: string;
  line: number;
  /** The rule head, e.g. `on write CR0 (new)`. */
  text: string;
  stmts: readonly RuleSiteStmt[];
}

export const FLUSH_ALL: FlushScope = { kind: 'all' };
export const FLUSH_NON_GLOBAL: FlushScope = { kind: 'non-global' };

/**
 * Number views of 64-bit values for generated handlers (bit tests on 32-bit halves instead of
 * BigInt operations; codegen/emit/handlers.ts). A BigUint64Array store takes the value modulo
 * 2^64 and the Uint32Array reads a half: ~1 ns, where Number(v & 0xffffffffn) costs ~10 ns.
 */
const VIEW64 = new BigUint64Array(1);
const VIEW32 = new Uint32Array(VIEW64.buffer);
// Literal indices (a computed one costs ~7 ns more per read on Node 20): a little-endian host.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('trapspec needs a little-endian host');

/** Bits 31:0 of a value, as an unsigned number. */
export function lo32(v: bigint): number {
  VIEW64[0] = v;
  return VIEW32[0]!;
}

/** The 64-bit value of two 32-bit halves (uint32 or int32 numbers). */
export function join64(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Bits 63:32 of a value (modulo 2^64), as an unsigned number. */
export function hi32(v: bigint): number {
  VIEW64[0] = v;
  return VIEW32[1]!;
}
