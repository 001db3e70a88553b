import type { EffectRecord, GuestRegs } from '../rules/interp.ts';
import { REG_NAMES, type RegName } from '../rules/ir.ts';
import type { CpuMode } from '../../src/runtime/vmm/vcpu.ts';
import type { VectorMode } from './vector-modes.ts';

/** The JSON form of conformance vectors (schema `trapspec-vectors/1`, docs/vectors-schema.md). */

export interface VectorInstruction {
  kind: 'mov-to-cr' | 'mov-from-cr' | 'lmsw' | 'clts' | 'smsw' | 'wrmsr' | 'rdmsr' | 'xsetbv';
  cr?: number;
  msr?: string;
  /** Operand size in bytes: 4 outside 64-bit mode, 8 in it (MOV CR, SMSW r); 2 for LMSW. */
  size: number;
}

export type EffectJson =
  | { effect: 'paging_mode_changed' }
  | { effect: 'cr3_loaded' | 'flush_tlb'; scope: { kind: string; pcid?: number; linear?: string } }
  | { effect: 'load_pdptes'; cr3: string };

export interface VectorJson {
  id: string;
  rule: string;
  source: string;
  /** What this vector covers: guard ids with /violated or /satisfied, field/<name>, action/<n>. */
  covers: string[];
  cites: string[];
  initial: { mode: VectorMode; cpuMode: CpuMode; cpl: number; guest: Record<RegName, string>; pdptesValid: boolean };
  instruction: VectorInstruction;
  operand: string | null;
  /** ECX (RDMSR/WRMSR: the MSR index; XSETBV: the XCR number). */
  index: string | null;
  expected: {
    exception: { vector: number; mnemonic: string; errorCode: number | null; guard: string } | null;
    guest: Record<RegName, string>;
    hardware: Partial<Record<RegName, { value: string; mask: string }>>;
    result: string | null;
    /** Write-type rules: what MOV from CRn / RDMSR returns right after (null after a fault, for XCR0). */
    readBack: string | null;
    effects: EffectJson[];
    ripAdvanced: boolean;
  };
}

export interface VectorsDoc {
  schema: string;
  sources: string[];
  cpu: { name: string; vendor: string; maxPhysAddr: number };
  modes: { mode: VectorMode; cpuMode: CpuMode; cpls: number[] }[];
  count: number;
  /** Targets no candidate reached (with this CPU model some guards are dominated by others). */
  uncovered: { rule: string; mode: VectorMode; target: string }[];
  vectors: VectorJson[];
}

export const hex = (v: bigint): string => `0x${v.toString(16)}`;

export function guestJson(g: GuestRegs): Record<RegName, string> {
  const o = {} as Record<RegName, string>;
  for (const n of REG_NAMES) o[n] = hex(g[n]);
  return o;
}

export function effectJson(e: EffectRecord): EffectJson {
  if (e.name === 'paging_mode_changed') return { effect: e.name };
  if (e.name === 'load_pdptes') return { effect: e.name, cr3: hex(e.cr3) };
  const s = e.scope;
  const scope =
    s.kind === 'pcid' ? { kind: s.kind, pcid: Number(s.pcid) } : s.kind === 'page' ? { kind: s.kind, linear: hex(s.linear) } : { kind: s.kind };
  return { effect: e.name, scope };
}
