import type { SourcePos } from '../ir.ts';
import type { MaskedReg, PolicyIR, RegOwnership } from './ownership.ts';

/**
 * The checked form of the trap rules (spec/rules/*.rules). The reference interpreter
 * (interp.ts, used to derive conformance vectors) and the handler emitter (emit/handlers.ts)
 * both consume exactly this; neither sees the surface syntax.
 *
 * Values are bigint (registers are up to 64 bits) or boolean. Names are resolved: field
 * accesses are bit ranges, masks are constants computed from the register layouts and the CPU
 * model, `rising(PG)` is lowered to `not old.PG and new.PG`.
 */

export type Access = 'write' | 'read' | 'lmsw' | 'clts' | 'smsw' | 'wrmsr' | 'rdmsr' | 'xsetbv';

/** Register state the rules read and write (the monitor's guest copy). */
export type RegName = 'CR0' | 'CR3' | 'CR4' | 'CR8' | 'EFER' | 'XCR0' | 'TPR';
export const REG_NAMES: readonly RegName[] = ['CR0', 'CR3', 'CR4', 'CR8', 'EFER', 'XCR0', 'TPR'];

/** Mode classes a rule can test (`mode == long64`) or be restricted to (`in long64`). */
export type ModeClass = 'real' | 'v86' | 'protected' | 'compat' | 'long64';
export const MODE_CLASSES: readonly ModeClass[] = ['real', 'v86', 'protected', 'compat', 'long64'];

export type BinOp = '&' | '|' | '^' | '<<' | '>>';
export type CmpOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

export type Expr =
  | { k: 'num'; v: bigint }
  | { k: 'bool'; v: boolean }
  /** A `let` binding or the rule parameter. */
  | { k: 'var'; name: string }
  /** A guest register: `start` = its value when the rule began, `current` = after assignments so far. */
  | { k: 'reg'; reg: RegName; at: 'start' | 'current' }
  | { k: 'cpl' }
  /** ECX at the exit (RDMSR/WRMSR/XSETBV). */
  | { k: 'index' }
  | { k: 'mode'; modes: ModeClass[] }
  /** Bits msb:lsb of e, shifted down; `bool` when a single bit is used as a condition. */
  | { k: 'bits'; e: Expr; msb: number; lsb: number; bool: boolean }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr }
  | { k: 'cmp'; op: CmpOp; a: Expr; b: Expr }
  | { k: 'inv'; e: Expr; width: number }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'not'; e: Expr }
  /** e with bit ranges replaced: each set is (msb, lsb, value); bool values are 0/1. */
  | { k: 'with'; e: Expr; sets: { msb: number; lsb: number; value: Expr }[] }
  /** Effect with a result: the strategy loads and checks the four PAE PDPTEs from this CR3. */
  | { k: 'pdptes'; cr3: Expr };

export type FlushArg =
  | { kind: 'all' }
  | { kind: 'non-global' }
  | { kind: 'pcid'; pcid: Expr }
  | { kind: 'page'; linear: Expr };

export type EffectIR =
  | { name: 'paging_mode_changed' }
  | { name: 'cr3_loaded'; scope: FlushArg }
  | { name: 'flush_tlb'; scope: FlushArg };

export type ActionIR =
  | { k: 'guest'; reg: RegName; msb: number; lsb: number; whole: boolean; e: Expr; pos: SourcePos }
  /** Hardware register := e, except `ownedMask` bits which belong to the paging strategy. */
  | { k: 'hardware'; reg: RegName; e: Expr; ownedMask: bigint; pos: SourcePos }
  | { k: 'effect'; effect: EffectIR; pos: SourcePos }
  | { k: 'result'; e: Expr; pos: SourcePos };

export interface GuardIR {
  /** Stable id: `<rule id>/g<n>` (n from 1, in source order). */
  id: string;
  vector: number;
  /** Exceptions with an error code (#GP) carry it; #UD has none. */
  errorCode: number | undefined;
  mnemonic: string;
  cond: Expr;
  /** Rule numbers cited in the line's comment (R6, P1, ...). */
  cites: string[];
  /** The guard's source text, for vectors and documentation. */
  text: string;
  pos: SourcePos;
}

export type StmtIR =
  | { k: 'guard'; guard: GuardIR }
  | { k: 'let'; name: string; e: Expr; pos: SourcePos }
  | { k: 'action'; when: Expr | undefined; action: ActionIR; cites: string[]; text: string };

export interface RuleIR {
  /** e.g. `write-CR0`, `lmsw-CR0`, `wrmsr-EFER`. */
  id: string;
  access: Access;
  reg: RegName;
  /** Name of the operand parameter, if the rule has one. */
  param: string | undefined;
  /** Modes where the instruction exists; elsewhere the handler raises #UD (CR8: R73). */
  modes: ModeClass[] | undefined;
  stmts: StmtIR[];
  cites: string[];
  file: string;
  pos: SourcePos;
}

export interface RuleSetIR {
  rules: RuleIR[];
  /** CR-ownership policies (`policy` blocks), checked against the rules (ownership.ts). */
  policies: PolicyIR[];
  /** The largest safe guest-owned sets of CR0 and CR4, with the reason for every other bit. */
  ownership: Map<MaskedReg, RegOwnership>;
  /** Spec files the rules came from (relative), for generated headers. */
  files: string[];
}

/** Register facts the rules use, derived from the register layouts and the CPU model. */
export interface RegFacts {
  name: RegName;
  width: 32 | 64;
  /** Per layout name: field name → bit range and single-bit-ness. */
  layouts: Map<string, LayoutFacts>;
  defaultLayout: string;
}

export interface LayoutFacts {
  fields: Map<string, { msb: number; lsb: number }>;
  /** Reserved must-be-zero bits, including bits of features the CPU model lacks. */
  reserved: bigint;
  /** Reserved bits whose writes are dropped. */
  ignored: bigint;
  /** Hint bits (consumed by the write, never stored). */
  hint: bigint;
  /** Bits set only by hardware. */
  hardware: bigint;
}
