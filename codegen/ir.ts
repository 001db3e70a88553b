/**
 * The checked intermediate form of a spec: what the parser/checker produce and every emitter
 * consumes. Register layouts (spec/registers/*) and trap rules (spec/rules/*) both end up here.
 * Positions point back into the spec so any later error can still say file:line:col.
 */

export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/**
 * The kind of a field, as the manual states it (SystemRDL-style access properties):
 * - rw: read/write
 * - fixed: reads a constant, writes ignored (CR0.ET = 1)
 * - reserved-mbz: reserved, must be zero (writing 1 faults)
 * - reserved-ignored: reserved, writes dropped, reads 0
 * - hardware: set only by hardware; software writes ignored or checked (EFER.LMA)
 * - hint: a write-only flag consumed by the write and never stored (CR3[63] with PCIDE)
 */
export type FieldKind = 'rw' | 'fixed' | 'reserved-mbz' | 'reserved-ignored' | 'hardware' | 'hint';

export interface FieldIR {
  /** Upper-case name as in the manual; reserved fields get a synthetic name such as `RES_63_32`. */
  name: string;
  msb: number;
  lsb: number;
  kind: FieldKind;
  description: string;
  /** For kind 'fixed': the value it reads. */
  fixedValue?: bigint;
  /** CPUID feature name (declared in the CPU model) without which the field is reserved-mbz. */
  feature?: string;
  /** The bit range as written in the spec (`MAXPHYADDR-1:12`), for docs. */
  rangeText?: string;
  pos: SourcePos;
}

/** A named layout of a register that applies in some paging mode (CR3's four formats). */
export interface LayoutIR {
  /** e.g. 'legacy', 'pae', 'long', 'long-pcid'; the default layout is named 'default'. */
  name: string;
  description: string;
  fields: FieldIR[];
  pos: SourcePos;
}

export interface RegisterIR {
  name: string; // 'CR0', 'EFER', ...
  width: 32 | 64;
  description: string;
  /** MSR index, for registers accessed with RDMSR/WRMSR. */
  msr?: number;
  layouts: LayoutIR[];
  /** Spec file the register came from (relative to the project root). */
  file: string;
  pos: SourcePos;
}

export interface CpuFeatureIR {
  name: string; // 'PAE', 'PCID', ...
  /** CPUID leaf, subleaf, register and bit where the feature is reported. */
  leaf: number;
  subleaf: number;
  reg: 'eax' | 'ebx' | 'ecx' | 'edx';
  bit: number;
  present: boolean;
  /** The CPUID bit reports the feature's absence (AMD's EferLmsleUnsupported). */
  inverted?: boolean;
  /** Why the feature is (not) modelled, from the spec. */
  description?: string;
  pos: SourcePos;
}

export interface CpuModelIR {
  name: string;
  vendor: string;
  maxPhysAddr: number;
  maxLinearAddr: number;
  features: CpuFeatureIR[];
  file: string;
  description?: string;
}

export interface SpecIR {
  cpu: CpuModelIR;
  registers: RegisterIR[];
}

/** A user-caused error in a spec file: reported as `file:line:col: message` + source line + caret. */
export interface SpecError {
  pos: SourcePos;
  message: string;
}
