import type { SourcePos } from '../ir.ts';

/**
 * The register DSL as written (before checking): bit positions may still be symbolic
 * (`MAXPHYADDR-1`), names are unresolved. The checker turns this into the IR.
 */

export interface Located<T> {
  value: T;
  pos: SourcePos;
}

/** A bit position: a literal, or a CPU-model parameter plus an offset (`MAXPHYADDR-1`). */
export type BitExprAst =
  | { kind: 'lit'; value: number; pos: SourcePos; text: string }
  | { kind: 'param'; param: string; offset: number; pos: SourcePos; text: string };

export interface BitRangeAst {
  msb: BitExprAst;
  lsb: BitExprAst;
  pos: SourcePos;
  /** Source text of the range, e.g. `MAXPHYADDR-1:12`. */
  text: string;
}

export type FieldKindAst =
  | { kind: 'rw' | 'hardware' | 'hint' | 'reserved-mbz' | 'reserved-ignored'; pos: SourcePos }
  | { kind: 'fixed'; value: bigint; pos: SourcePos; valuePos: SourcePos };

export interface FieldAst {
  range: BitRangeAst;
  /** Undefined for reserved fields. */
  name?: Located<string>;
  description: string;
  kind: FieldKindAst;
  requires?: Located<string>;
  pos: SourcePos;
}

export interface LayoutAst {
  name: Located<string>;
  description: string;
  fields: FieldAst[];
  pos: SourcePos;
}

export interface RegisterAst {
  type: 'register';
  name: Located<string>;
  width: Located<number>;
  msr?: number;
  description: string;
  /** A register without `layout` blocks has one layout named 'default'. */
  layouts: LayoutAst[];
  pos: SourcePos;
}

export interface FeatureAst {
  name: Located<string>;
  leaf: number;
  subleaf: number;
  reg: 'eax' | 'ebx' | 'ecx' | 'edx';
  bit: Located<number>;
  inverted: boolean;
  present: boolean;
  description: string;
  pos: SourcePos;
}

export interface CpuAst {
  type: 'cpu';
  name: Located<string>;
  description: string;
  vendor?: Located<string>;
  maxPhysAddr?: Located<number>;
  maxLinearAddr?: Located<number>;
  features: FeatureAst[];
  pos: SourcePos;
}

export type ItemAst = CpuAst | RegisterAst;

export interface FileAst {
  file: string;
  items: ItemAst[];
}
