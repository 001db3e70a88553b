import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../codegen/load.ts';
import { loadRules } from '../../codegen/rules/load.ts';
import { interpretRule, type GuestRegs } from '../../codegen/rules/interp.ts';
import { MODE_CLASSES, REG_NAMES, type ModeClass, type RegName } from '../../codegen/rules/ir.ts';
import { RULE_IDS } from '../../src/generated/handlers/index.ts';
import type { GuestState, HardwareReg, RuleEffects } from '../../src/runtime/vmm/effects.ts';
import { GuestRegs as MonitorGuestRegs, type GuestRegName } from '../../src/runtime/vmm/guest-regs.ts';
import type { FlushScope } from '../../src/runtime/mmu/types.ts';
import type { CpuMode } from '../../src/runtime/vmm/vcpu.ts';

/**
 * Property: on random states and operands (not only the selected vectors), every emitted
 * handler does exactly what the reference interpreter says its rule does.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const spec = loadSpec(root);
if ('errors' in spec) throw new Error('spec does not load');
const loaded = loadRules(root, spec.spec);
if ('errors' in loaded) throw new Error('rules do not load');
const rules = loaded.rules.rules;

const FIELD: Record<RegName, GuestRegName> = { CR0: 'cr0', CR3: 'cr3', CR4: 'cr4', CR8: 'cr8', EFER: 'efer', XCR0: 'xcr0', TPR: 'tpr' };
const CPU_MODE: Record<ModeClass, CpuMode> = { real: 'real', v86: 'v86', protected: 'protected32', compat: 'compat32', long64: 'long64' };
const hex = (v: bigint): string => `0x${v.toString(16)}`;
/** Halves (int32 or uint32 numbers, as handlers pass them) to the 64-bit value. */
const join = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

function scopeText(s: FlushScope): string {
  return s.kind === 'pcid' ? `pcid ${s.pcid}` : s.kind === 'page' ? `page ${s.linear}` : s.kind;
}

/** Run an emitted handler on a recording RuleEffects. */
function runHandler(id: string, guest: GuestRegs, mode: ModeClass, cpl: number, index: bigint, pdptesValid: boolean, operand: bigint) {
  const g: GuestState = new MonitorGuestRegs();
  for (const r of REG_NAMES) g[FIELD[r]] = guest[r];
  const hardware: Partial<Record<HardwareReg, string>> = {};
  const effects: string[] = [];
  let exception: string | null = null;
  let result: string | null = null;
  const cx: RuleEffects = {
    cpl,
    taken: 0,
    mode: CPU_MODE[mode],
    index,
    guest: g,
    setHardware: (reg, lo, hi, ownedLo, ownedHi) => void (hardware[reg] = hex(join(lo, hi) & ~join(ownedLo, ownedHi) & ((1n << 64n) - 1n))),
    pagingModeChanged: (f) => void (f !== null && effects.push(`flush_tlb ${scopeText(f)}`), effects.push('paging_mode_changed')),
    cr3Loaded: (s) => void effects.push(`cr3_loaded ${scopeText(s)}`),
    flushTlb: (s) => void effects.push(`flush_tlb ${scopeText(s)}`),
    loadPdptes: (cr3) => (effects.push(`load_pdptes ${hex(cr3)}`), pdptesValid),
    raise: (v, code) => ((exception = `${v}/${code}`), false),
    produce: (lo, hi) => void (result = hex(join(lo, hi))),
  };
  const done = RULE_IDS[id]!(cx, Number(operand & 0xffff_ffffn), Number(operand >> 32n));
  const out = {} as Record<RegName, string>;
  for (const r of REG_NAMES) out[r] = hex(g[FIELD[r]]);
  return { done, exception, guest: out, hardware, effects, result };
}

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
/** Mostly-small values with a few bits set: hits the interesting bits more often than uniform. */
const regValue = fc.oneof(u64, fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 5 }).map((bits) => bits.reduce((a, b) => a | (1n << BigInt(b)), 0n)));

describe('emitted handlers agree with the rule interpreter', () => {
  for (const rule of rules) {
    it(rule.id, () => {
      fc.assert(
        fc.property(
          fc.record({ CR0: regValue, CR3: regValue, CR4: regValue, CR8: regValue, EFER: regValue, XCR0: regValue, TPR: regValue }),
          fc.constantFrom(...MODE_CLASSES),
          fc.constantFrom(0, 3),
          fc.constantFrom(0n, 1n, 0xc000_0080n),
          fc.boolean(),
          regValue,
          (guest, mode, cpl, index, pdptesValid, operand) => {
            const want = interpretRule(rule, { guest, cpl, mode, index, pdptesValid }, operand);
            const got = runHandler(rule.id, guest, mode, cpl, index, pdptesValid, operand);
            expect(got.done).toBe(want.exception === undefined);
            expect(got.exception).toBe(want.exception ? `${want.exception.vector}/${want.exception.errorCode}` : null);
            expect(got.effects).toEqual(
              want.effects.map((e) =>
                e.name === 'paging_mode_changed'
                  ? e.name
                  : e.name === 'load_pdptes'
                    ? `load_pdptes ${hex(e.cr3)}`
                    : `${e.name} ${e.scope.kind === 'pcid' ? `pcid ${e.scope.pcid}` : e.scope.kind === 'page' ? `page ${e.scope.linear}` : e.scope.kind}`,
              ),
            );
            if (want.exception) return;
            const wantGuest = {} as Record<RegName, string>;
            for (const r of REG_NAMES) wantGuest[r] = hex(want.guest[r]);
            expect(got.guest).toEqual(wantGuest);
            const wantHw: Partial<Record<HardwareReg, string>> = {};
            for (const [r, h] of Object.entries(want.hardware)) wantHw[FIELD[r as RegName] as HardwareReg] = hex(h.value);
            expect(got.hardware).toEqual(wantHw);
            expect(got.result).toBe(want.result === undefined ? null : hex(want.result));
          },
        ),
        { seed: 3, numRuns: 400 },
      );
    });
  }
});
