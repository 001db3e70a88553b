import type { SpecIR } from '../ir.ts';
import type { GeneratedFile } from '../pipeline.ts';
import { regFacts } from '../rules/facts.ts';
import { interpretRule, type GuestRegs, type Outcome, type RuleState } from '../rules/interp.ts';
import type { RegFacts, RegName, RuleIR, RuleSetIR } from '../rules/ir.ts';
import { visitRule } from '../rules/walk.ts';
import { layoutMasks } from './register-model.ts';
import { MODES, type ModeSpec } from './vector-modes.ts';
import { effectJson, guestJson, hex, type VectorInstruction, type VectorJson, type VectorsDoc } from './vector-schema.ts';

export type { VectorInstruction, VectorJson, VectorsDoc, EffectJson } from './vector-schema.ts';
export { MODES, type VectorMode } from './vector-modes.ts';

/**
 * Conformance vectors derived from the rules by the reference interpreter (rules/interp.ts).
 * For each rule and each operating mode: every guard with a violating and a satisfying case,
 * every field of the target register written (and read back through the expected guest
 * state), every conditional action and effect triggered, at CPL 0 and 3. Candidate states and
 * operands are enumerated deterministically; the first candidate that hits a target is kept.
 * Schema: docs/vectors-schema.md.
 */

export const VECTORS_DIR = 'src/generated/vectors';
export const VECTORS_PATH = `${VECTORS_DIR}/vectors.json`;
export const VECTORS_SCHEMA = 'trapspec-vectors/1';
const MASK64 = (1n << 64n) - 1n;
/** Operands tried per state at CPL 3 (the privilege guard fires first in every rule that has one). */
const CPL3_OPERANDS = 2;

// ---- candidates ---------------------------------------------------------------------------

function rangeMask(msb: number, lsb: number): bigint {
  return (((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb)) & MASK64;
}

/** Field bit ranges of the rule's operand (or its register) that the rule looks at. */
function referencedRanges(rule: RuleIR): { msb: number; lsb: number }[] {
  const out = new Map<string, { msb: number; lsb: number }>();
  visitRule(rule, (e) => {
    if (e.k === 'bits' && (e.e.k === 'var' || (e.e.k === 'reg' && e.e.reg === rule.reg))) out.set(`${e.msb}:${e.lsb}`, { msb: e.msb, lsb: e.lsb });
    // changed()/rising()/falling() compare under a mask: each set bit is a field bit.
    if (e.k === 'bin' && e.op === '&' && e.b.k === 'num' && e.a.k === 'bin' && e.a.op === '^')
      for (let b = 0; b < 64; b++) if ((e.b.v >> BigInt(b)) & 1n) out.set(`${b}:${b}`, { msb: b, lsb: b });
  });
  return [...out.values()].sort((a, b) => a.lsb - b.lsb);
}

/**
 * Operand candidates for a rule: XOR masks applied to the register's current value — each
 * field's low and high bit, whole multi-bit fields set or cleared, each reserved/ignored/hint
 * range's edge bits, and pairs of the fields the rule's conditions read. Computed once per rule.
 */
interface OperandPlan {
  xors: bigint[];
  sets: bigint[];
  clears: bigint[];
}

function operandPlan(rule: RuleIR, facts: RegFacts): OperandPlan {
  const plan: OperandPlan = { xors: [], sets: [], clears: [] };
  const ranges = new Map<string, { msb: number; lsb: number }>();
  for (const l of facts.layouts.values()) for (const f of l.fields.values()) ranges.set(`${f.msb}:${f.lsb}`, f);
  const sorted = [...ranges.values()].sort((a, b) => a.lsb - b.lsb || a.msb - b.msb);
  for (const f of sorted) {
    plan.xors.push(1n << BigInt(f.lsb));
    if (f.msb !== f.lsb) {
      plan.xors.push(1n << BigInt(f.msb));
      plan.sets.push(rangeMask(f.msb, f.lsb));
      plan.clears.push(rangeMask(f.msb, f.lsb));
    }
  }
  for (const l of facts.layouts.values()) {
    for (const m of [l.reserved, l.ignored, l.hint]) {
      for (let b = 0; b < 64; b++) {
        const bit = 1n << BigInt(b);
        if ((m & bit) !== 0n && ((m & (bit >> 1n)) === 0n || (m & (bit << 1n)) === 0n)) plan.sets.push(bit);
      }
    }
  }
  const refs = referencedRanges(rule);
  for (let i = 0; i < refs.length; i++) {
    for (let j = i + 1; j < refs.length; j++) plan.xors.push((1n << BigInt(refs[i]!.lsb)) ^ (1n << BigInt(refs[j]!.lsb)));
  }
  return plan;
}

function operands(plan: OperandPlan, base: bigint, width: bigint): bigint[] {
  const out: bigint[] = [];
  const seen = new Set<bigint>();
  const add = (v: bigint): void => {
    const x = v & width;
    if (!seen.has(x)) {
      seen.add(x);
      out.push(x);
    }
  };
  add(base);
  // Same order as the plan was built: single-field flips, whole fields, reserved bits, pairs.
  for (const x of plan.xors.slice(0, plan.xors.length)) add(base ^ x);
  for (const m of plan.sets) add(base | m);
  for (const m of plan.clears) add(base & ~m);
  add(0n);
  return out;
}

const INSTRUCTION_KIND: Record<string, VectorInstruction['kind']> = {
  write: 'mov-to-cr',
  read: 'mov-from-cr',
  lmsw: 'lmsw',
  clts: 'clts',
  smsw: 'smsw',
  wrmsr: 'wrmsr',
  rdmsr: 'rdmsr',
  xsetbv: 'xsetbv',
};

function instructionFor(rule: RuleIR, m: ModeSpec, spec: SpecIR): VectorInstruction {
  const kind = INSTRUCTION_KIND[rule.access]!;
  const size = m.cls === 'long64' ? 8 : 4;
  switch (rule.access) {
    case 'write':
    case 'read':
      return { kind, cr: Number(rule.reg.slice(2)), size };
    case 'lmsw':
      return { kind, size: 2 };
    case 'clts':
      return { kind, size: 0 };
    case 'smsw':
      return { kind, size };
    case 'wrmsr':
    case 'rdmsr': {
      const msr = spec.registers.find((r) => r.name.toUpperCase() === rule.reg)?.msr ?? 0;
      return { kind, msr: hex(BigInt(msr)), size: 8 };
    }
    case 'xsetbv':
      return { kind, size: 8 };
  }
}

/** Operand width mask as the hardware delivers it (R4, R38: 32-bit outside 64-bit mode). */
function operandWidth(rule: RuleIR, m: ModeSpec): bigint {
  if (rule.access === 'lmsw') return 0xffffn;
  if (rule.access === 'write' && m.cls !== 'long64') return 0xffff_ffffn;
  return MASK64;
}

function baseOperand(rule: RuleIR, g: GuestRegs): bigint {
  return g[rule.reg];
}

// ---- selection ----------------------------------------------------------------------------

interface Candidate {
  m: ModeSpec;
  state: RuleState;
  operand: bigint | null;
  index: bigint | null;
  out: Outcome;
}

/** The guest registers a rule reads (its own always: operands start from it) and whether it loads PDPTEs. */
function ruleReads(rule: RuleIR): { regs: Set<RegName>; pdptes: boolean } {
  const regs = new Set<RegName>([rule.reg]);
  let pdptes = false;
  visitRule(rule, (e) => {
    if (e.k === 'reg') regs.add(e.reg);
    if (e.k === 'pdptes') pdptes = true;
  });
  for (const st of rule.stmts) if (st.k === 'action' && st.action.k === 'guest' && !st.action.whole) regs.add(st.action.reg);
  return { regs, pdptes };
}

/** Fields of a register across its layouts, by name (first layout wins), with their masks. */
function fieldMasks(facts: RegFacts): { name: string; mask: bigint }[] {
  const out = new Map<string, bigint>();
  for (const l of facts.layouts.values()) for (const [name, f] of l.fields) if (!out.has(name)) out.set(name, rangeMask(f.msb, f.lsb));
  return [...out].map(([name, mask]) => ({ name, mask }));
}

/** Target names, built once per rule (the selection loop only pushes existing strings). */
interface TargetNames {
  guard: Map<string, [satisfied: string, violated: string]>;
  action: string[];
  fields: { mask: bigint; written: string; notStored: string }[];
  modesViolated: string;
  modesSatisfied: string;
  completed: string[];
  faulted: string[];
}

function targetNames(rule: RuleIR, facts: RegFacts): TargetNames {
  const guard = new Map<string, [string, string]>();
  for (const s of rule.stmts) if (s.k === 'guard') guard.set(s.guard.id, [`${s.guard.id}/satisfied`, `${s.guard.id}/violated`]);
  return {
    guard,
    action: rule.stmts.map((_, i) => `action/${i}`),
    fields: fieldMasks(facts).map(({ name, mask }) => ({ mask, written: `field/${name}/written`, notStored: `field/${name}/written-not-stored` })),
    modesViolated: `${rule.id}/modes/violated`,
    modesSatisfied: `${rule.id}/modes/satisfied`,
    completed: ['cpl0/completed', 'cpl1/completed', 'cpl2/completed', 'cpl3/completed'],
    faulted: ['cpl0/faulted', 'cpl1/faulted', 'cpl2/faulted', 'cpl3/faulted'],
  };
}

function targetsOf(rule: RuleIR, c: Candidate, names: TargetNames): string[] {
  const t: string[] = [];
  for (const g of c.out.guards) t.push(names.guard.get(g.id)![g.fired ? 1 : 0]);
  if (c.out.exception?.guard.endsWith('/modes')) t.push(names.modesViolated);
  if (c.out.exception === undefined) {
    if (rule.modes) t.push(names.modesSatisfied);
    t.push(names.completed[c.state.cpl]!);
    for (const i of c.out.actions) t.push(names.action[i]!);
    if (c.operand !== null) {
      const diff = c.operand ^ c.state.guest[rule.reg];
      const after = c.out.guest[rule.reg];
      if (diff !== 0n)
        for (const f of names.fields) {
          if ((diff & f.mask) !== 0n) t.push((after & f.mask) === (c.operand & f.mask) ? f.written : f.notStored);
        }
    } else {
      t.push('read');
    }
  } else {
    t.push(names.faulted[c.state.cpl]!);
  }
  return t;
}

function allTargets(rule: RuleIR, facts: RegFacts, m: ModeSpec): string[] {
  const t: string[] = [];
  if (rule.modes) t.push(`${rule.id}/modes/${rule.modes.includes(m.cls) ? 'satisfied' : 'violated'}`);
  if (rule.modes && !rule.modes.includes(m.cls)) return t;
  for (const s of rule.stmts) if (s.k === 'guard') t.push(`${s.guard.id}/violated`, `${s.guard.id}/satisfied`);
  rule.stmts.forEach((s, i) => {
    if (s.k === 'action' && s.action.k !== 'result') t.push(`action/${i}`);
  });
  return t;
}

function describe(rule: RuleIR, target: string): string[] {
  const gid = /^(.*\/g\d+)\//.exec(target)?.[1];
  if (gid) {
    const s = rule.stmts.find((x) => x.k === 'guard' && x.guard.id === gid);
    if (s && s.k === 'guard') return s.guard.cites;
  }
  const a = /^action\/(\d+)$/.exec(target);
  if (a) {
    const s = rule.stmts[Number(a[1])];
    if (s && s.k === 'action') return s.cites;
  }
  return [];
}

/** The rule a guest uses to read back what a write-type rule stored (none for XCR0: XGETBV does not exit). */
function readBackRule(rule: RuleIR, all: RuleIR[]): RuleIR | undefined {
  const access = rule.access === 'wrmsr' ? 'rdmsr' : ['write', 'lmsw', 'clts'].includes(rule.access) ? 'read' : undefined;
  return access ? all.find((r) => r.access === access && r.reg === rule.reg) : undefined;
}

/**
 * A mode variant's guest state is reachable only with the features it uses: a bit whose CPUID
 * feature the CPU model lacks (in any layout of its register) rules the variant out.
 */
function variantPossible(guest: GuestRegs, spec: SpecIR): boolean {
  for (const reg of spec.registers) {
    const v = guest[reg.name as RegName];
    if (v === undefined) continue;
    let unsupported = 0n;
    for (const layout of reg.layouts) unsupported |= layoutMasks(layout, spec.cpu).unsupported;
    if ((v & unsupported) !== 0n) return false;
  }
  return true;
}

function vectorsForRule(rule: RuleIR, facts: RegFacts, spec: SpecIR, doc: VectorsDoc, all: RuleIR[]): void {
  const reader = readBackRule(rule, all);
  const plan = operandPlan(rule, facts);
  const names = targetNames(rule, facts);
  const reads = ruleReads(rule);
  for (const m of MODES) {
    const wanted = new Set(allTargets(rule, facts, m));
    const seen = new Set<string>();
    const picked: { c: Candidate; covers: string[] }[] = [];
    const consider = (c: Candidate): void => {
      const covers = targetsOf(rule, c, names).filter((t) => !seen.has(t));
      // Keep a candidate only if it reaches something new that matters.
      const useful = covers.filter((t) => wanted.has(t) || t.startsWith('field/') || t.startsWith('cpl') || t === 'read');
      if (useful.length === 0) return;
      for (const t of useful) seen.add(t);
      picked.push({ c, covers: useful });
    };
    for (const cpl of m.cpls) {
      // Variants that agree on everything the rule reads give the same outcomes: try one.
      const tried = new Set<string>();
      for (const v of m.variants) {
        const guest = { ...m.guest, ...(v.guest ?? {}) };
        if (!variantPossible(guest, spec)) continue;
        const key = [...reads.regs].map((r) => guest[r].toString(16)).join(',') + (reads.pdptes ? `,${v.pdptesValid ?? true}` : '');
        if (tried.has(key)) continue;
        tried.add(key);
        const state: RuleState = { guest, cpl, mode: m.cls, index: 0n, pdptesValid: v.pdptesValid ?? true };
        const indices: bigint[] =
          rule.access === 'xsetbv' ? [0n, 1n] : rule.access === 'wrmsr' || rule.access === 'rdmsr' ? [BigInt(instructionFor(rule, m, spec).msr ?? 0)] : [-1n];
        for (const idx of indices) {
          const st: RuleState = { ...state, index: idx < 0n ? 0n : idx };
          const index = idx < 0n ? null : idx;
          if (rule.param === undefined) {
            consider({ m, state: st, operand: null, index, out: interpretRule(rule, st, 0n) });
            continue;
          }
          const width = operandWidth(rule, m);
          // At CPL > 0 the privilege guard decides before any operand check: a few operands do.
          const ops = operands(plan, baseOperand(rule, guest) & width, width);
          for (const op of cpl === 0 ? ops : ops.slice(0, CPL3_OPERANDS)) {
            consider({ m, state: st, operand: op, index, out: interpretRule(rule, st, op) });
          }
        }
      }
    }
    for (const t of wanted) if (!seen.has(t)) doc.uncovered.push({ rule: rule.id, mode: m.mode, target: t });
    picked.forEach(({ c, covers }, n) => {
      const ex = c.out.exception;
      const guardStmt = ex ? rule.stmts.find((s) => s.k === 'guard' && s.guard.id === ex.guard) : undefined;
      doc.vectors.push({
        id: `${rule.id}/${m.mode}/${n + 1}`,
        rule: rule.id,
        source: `${rule.file}:${rule.pos.line}`,
        covers,
        cites: [...new Set(covers.flatMap((t) => describe(rule, t)))],
        initial: { mode: m.mode, cpuMode: m.cpuMode, cpl: c.state.cpl, guest: guestJson(c.state.guest), pdptesValid: c.state.pdptesValid },
        instruction: instructionFor(rule, m, spec),
        operand: c.operand === null ? null : hex(c.operand),
        index: c.index === null ? null : hex(c.index),
        expected: {
          exception: ex
            ? {
                vector: ex.vector,
                mnemonic: guardStmt && guardStmt.k === 'guard' ? guardStmt.guard.mnemonic : '#UD',
                errorCode: ex.errorCode ?? null,
                guard: ex.guard,
              }
            : null,
          guest: guestJson(c.out.guest),
          hardware: Object.fromEntries(
            Object.entries(c.out.hardware).map(([k, v]) => [k, { value: hex(v.value), mask: hex(v.mask) }]),
          ) as VectorJson['expected']['hardware'],
          result: c.out.result === undefined ? null : hex(c.out.result),
          readBack: readBack(reader, c),
          effects: c.out.effects.map(effectJson),
          ripAdvanced: ex === undefined,
        },
      });
    });
  }
}

/** What the read-back instruction returns right after the vector's instruction completed. */
function readBack(reader: RuleIR | undefined, c: Candidate): string | null {
  if (!reader || c.out.exception) return null;
  const out = interpretRule(reader, { ...c.state, guest: c.out.guest }, 0n);
  return out.exception || out.result === undefined ? null : hex(out.result);
}

export function buildVectors(set: RuleSetIR, spec: SpecIR): VectorsDoc {
  const facts = regFacts(spec);
  const doc: VectorsDoc = {
    schema: VECTORS_SCHEMA,
    sources: set.files,
    cpu: { name: spec.cpu.name, vendor: spec.cpu.vendor, maxPhysAddr: spec.cpu.maxPhysAddr },
    modes: MODES.map((m) => ({ mode: m.mode, cpuMode: m.cpuMode, cpls: m.cpls })),
    count: 0,
    uncovered: [],
    vectors: [],
  };
  for (const rule of set.rules) vectorsForRule(rule, facts.get(rule.reg)!, spec, doc, set.rules);
  doc.count = doc.vectors.length;
  return doc;
}

/** One vector per line: diffable, and still plain JSON. */
export function vectorsJson(doc: VectorsDoc): string {
  const { vectors, uncovered, ...head } = doc;
  const lines = [
    '{',
    `  "generated": ${JSON.stringify(`generated by trapspec — do not edit. Source: ${doc.sources.join(', ')}. Regenerate with \`npm run gen\` or \`trapspec vectors\`.`)},`,
    ...Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`),
    `  "uncovered": [${uncovered.map((u) => `\n    ${JSON.stringify(u)}`).join(',')}${uncovered.length ? '\n  ' : ''}],`,
    `  "vectors": [${vectors.map((v) => `\n    ${JSON.stringify(v)}`).join(',')}\n  ]`,
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

export function emitVectors(set: RuleSetIR, spec: SpecIR): { files: GeneratedFile[]; doc: VectorsDoc } {
  const doc = buildVectors(set, spec);
  return { files: [{ path: VECTORS_PATH, contents: vectorsJson(doc) }], doc };
}
