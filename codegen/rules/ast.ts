import type { SourcePos } from '../ir.ts';
import type { Access } from './ir.ts';

/** Surface syntax of a rules file, as parsed (names unresolved). */

export type SExpr = { pos: SourcePos } & (
  | { t: 'num'; v: bigint }
  | { t: 'ident'; name: string }
  | { t: 'guestReg'; reg: string }
  | { t: 'call'; name: string; args: SExpr[] }
  | { t: 'field'; e: SExpr; name: string; layout: string | undefined }
  | { t: 'slice'; e: SExpr; msb: number; lsb: number }
  | { t: 'bin'; op: string; a: SExpr; b: SExpr }
  | { t: 'not'; e: SExpr }
  | { t: 'inv'; e: SExpr }
  | { t: 'in'; e: SExpr; names: { name: string; pos: SourcePos }[] }
  | { t: 'with'; e: SExpr; sets: { name: string; value: SExpr; pos: SourcePos }[] }
);

export type SAction =
  | { t: 'guest'; reg: string; field: string | undefined; e: SExpr; pos: SourcePos; regPos: SourcePos }
  | { t: 'hardware'; reg: string; e: SExpr; except: { name: string; pos: SourcePos }[]; pos: SourcePos }
  | { t: 'effect'; name: string; args: SExpr[]; pos: SourcePos }
  | { t: 'result'; e: SExpr; pos: SourcePos };

export type SStmt =
  | { t: 'fault'; exc: string; code: number | undefined; cond: SExpr; pos: SourcePos; excPos: SourcePos; text: string; cites: string[] }
  | { t: 'let'; name: string; e: SExpr; pos: SourcePos }
  | { t: 'action'; when: SExpr | undefined; action: SAction; pos: SourcePos; text: string; cites: string[] };

export interface SRule {
  access: Access;
  reg: string;
  regPos: SourcePos;
  param: string | undefined;
  modes: { name: string; pos: SourcePos }[] | undefined;
  stmts: SStmt[];
  cites: string[];
  pos: SourcePos;
}

/** `policy NAME "description" { guest owns CR0.TS, ... }`: bits a CR-ownership policy hands to the guest. */
export interface SPolicy {
  name: string;
  description: string;
  owns: { reg: string; field: string; pos: SourcePos }[];
  pos: SourcePos;
}
