import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as regs from '../../src/generated/registers/index.ts';
import { loadSpec } from '../../codegen/load.ts';
import { className, constPrefix, fieldRep, fieldWidth, namedFields } from '../../codegen/emit/register-model.ts';
import { ROOT } from './fixtures.ts';

/** The generated value classes, looked up by the name the generator gives them. */
interface ValueClass {
  fromRawBits(raw: bigint): Value;
  of(fields: Record<string, unknown>): Value;
  decode(raw: bigint): string;
  [k: string]: unknown;
}
interface Value {
  rawBits: bigint;
  with(update: Record<string, unknown>): Value;
  fields(): Record<string, unknown>;
  [k: string]: unknown;
}

const loaded = loadSpec(ROOT);
if ('errors' in loaded) throw new Error('spec does not load');
const spec = loaded.spec;
const mod = regs as unknown as Record<string, ValueClass>;

function sample(width: number, rep: string, seed: number): unknown {
  if (rep === 'boolean') return true;
  const max = (1n << BigInt(width)) - 1n;
  const v = seed % 2 === 0 ? max : max / 3n; // all ones, then 0101…
  return rep === 'number' ? Number(v) : v;
}

describe('generated accessors round-trip every field', () => {
  for (const reg of spec.registers) {
    for (const layout of reg.layouts) {
      const name = className(reg, layout);
      it(`${name}: get/set/with for each field`, () => {
        const Cls = mod[name]!;
        expect(Cls).toBeDefined();
        const background = [0n, (1n << BigInt(reg.width)) - 1n];
        for (const bg of background) {
          for (const [i, f] of namedFields(layout).entries()) {
            const rep = fieldRep(f);
            const v = sample(fieldWidth(f), rep, i);
            const zero = rep === 'boolean' ? false : rep === 'number' ? 0 : 0n;
            const base = Cls.fromRawBits(bg);
            const set = base.with({ [f.name]: v });
            expect(set[f.name]).toBe(v);
            // Only this field's bits changed.
            const mask = ((1n << BigInt(fieldWidth(f))) - 1n) << BigInt(f.lsb);
            expect((set.rawBits ^ bg) & ~mask).toBe(0n);
            // Static raw helpers agree with the instance API.
            const setRaw = Cls[`set${f.name}`] as (raw: bigint, v: unknown) => bigint;
            const getRaw = Cls[`get${f.name}`] as (raw: bigint) => unknown;
            expect(setRaw(bg, v)).toBe(set.rawBits);
            expect(getRaw(set.rawBits)).toBe(v);
            // Clearing restores the field to zero; immutability: base unchanged.
            expect(set.with({ [f.name]: zero })[f.name]).toBe(zero);
            expect(base.rawBits).toBe(bg);
          }
        }
      });
    }
  }

  it('rejects a value wider than its field (a caller bug)', () => {
    expect(() => regs.Cr8.of({ TPR: 16 })).toThrow(RangeError);
    expect(() => regs.Cr3LongPcid.of({ PCID: 0x1000 })).toThrow('CR3.PCID: 4096 is not a 12-bit value');
  });

  it('of() starts from the fixed value (CR0.ET reads 1, cr-rules §1.1)', () => {
    expect(regs.Cr0.of({ PE: true, PG: true }).rawBits).toBe(0x8000_0011n);
    expect(regs.Cr0.of({}).ET).toBe(true);
  });

  it('fields() lists the named fields', () => {
    expect(regs.Cr8.fromRawBits(0xan).fields()).toEqual({ TPR: 10 });
  });
});

describe('fields() and with() agree on any raw value', () => {
  for (const reg of spec.registers) {
    for (const layout of reg.layouts) {
      const name = className(reg, layout);
      it(`${name}: of(fields(raw)) keeps every named bit; with(fields()) is the identity`, () => {
        const Cls = mod[name]!;
        const named = namedFields(layout).reduce(
          (m, f) => m | (((1n << BigInt(fieldWidth(f))) - 1n) << BigInt(f.lsb)),
          0n,
        );
        const fixed = (regs as unknown as Record<string, bigint>)[`${constPrefix(reg, layout)}_FIXED_MASK`]!;
        expect(typeof fixed).toBe('bigint');
        fc.assert(
          fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (raw) => {
            const v = Cls.fromRawBits(raw);
            expect(v.with(v.fields()).rawBits).toBe(raw);
            const rebuilt = Cls.of(v.fields()).rawBits;
            expect(rebuilt & named).toBe(raw & named);
            expect(rebuilt & ~named & ~fixed).toBe(0n);
          }),
          { numRuns: 200 },
        );
      });
    }
  }
});

describe('masks equal the reference values', () => {
  it('CR0 (cr-rules §1.1: writable E005003Fh, 6-15/17/19-28 ignored, 63:32 must be zero)', () => {
    expect(regs.CR0_WRITABLE_MASK).toBe(0xe005_003fn);
    expect(regs.CR0_RW_MASK).toBe(0xe005_002fn);
    expect(regs.CR0_IGNORED_MASK).toBe(0x1ffa_ffc0n);
    expect(regs.CR0_RESERVED_MASK).toBe(0xffff_ffff_0000_0000n);
    expect([regs.CR0_FIXED_MASK, regs.CR0_FIXED_VALUE]).toEqual([0x10n, 0x10n]);
    expect([regs.CR0_PG_SHIFT, regs.CR0_PG_WIDTH, regs.CR0_PG_MASK]).toEqual([31, 1, 0x8000_0000n]);
  });

  it('CR4 reserved bits follow the CPU model (cr-rules §1.4)', () => {
    // Present: TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP | FSGSBASE PCIDE OSXSAVE | SMEP SMAP.
    const writable = 0xffcn | (0b111n << 16n) | (0b11n << 20n);
    expect(regs.CR4_WRITABLE_MASK).toBe(writable);
    expect(regs.CR4_RESERVED_MASK).toBe(~writable & 0xffff_ffff_ffff_ffffn);
    // Absent features: VME 0, PVI 1, LA57 12, VMXE 13, SMXE 14, KL 19, PKE 22, CET 23, PKS 24, UINTR 25, LASS 27, LAM_SUP 28, FRED 32.
    const absent = [0, 1, 12, 13, 14, 19, 22, 23, 24, 25, 27, 28, 32].reduce((m, b) => m | (1n << BigInt(b)), 0n);
    expect(regs.CR4_UNSUPPORTED_MASK).toBe(absent);
  });

  it('CR3 per layout (cr-rules §1.3, MAXPHYADDR 40)', () => {
    expect(regs.CR3_LONG_RESERVED_MASK).toBe(0xffff_ff00_0000_0000n);
    expect(regs.CR3_LONG_PCID_RESERVED_MASK).toBe(0x7fff_ff00_0000_0000n);
    expect(regs.CR3_LONG_PCID_HINT_MASK).toBe(1n << 63n);
    expect(regs.CR3_LONG_PCID_WRITABLE_MASK).toBe(0xff_ffff_ffffn);
    expect(regs.CR3_LEGACY_WRITABLE_MASK).toBe(0xffff_f018n);
    expect(regs.CR3_PAE_WRITABLE_MASK).toBe(0xffff_ffe0n);
    expect(regs.CR3_LAYOUTS).toEqual(['legacy', 'pae', 'long', 'long_pcid']);
  });

  it('EFER (cr-rules §1.6) and CR8 (§1.5), XCR0 (§1.7)', () => {
    expect(regs.EFER_MSR).toBe(0xc000_0080);
    expect(regs.EFER_WRITABLE_MASK).toBe(0x901n); // SCE LME NXE (no SVME: SVM is not modelled)
    expect(regs.EFER_HARDWARE_MASK).toBe(0x400n); // LMA
    expect(regs.EFER_RESERVED_MASK).toBe(~0xd01n & 0xffff_ffff_ffff_ffffn);
    expect(regs.CR8_RESERVED_MASK).toBe(0xffff_ffff_ffff_fff0n);
    expect(regs.XCR0_WRITABLE_MASK).toBe(0x3n); // x87 SSE (AVX absent: no AVX instructions; PKRU absent: PKU dropped)
  });
});

describe('decode', () => {
  it('names set bits low to high, wide fields in hex, reserved bits last', () => {
    expect(regs.Cr0.decode(0x8000_0011n)).toBe('PE|ET|PG');
    expect(regs.Cr0.decode(0n)).toBe('0');
    expect(regs.Cr0.decode(0x1_0000_0001n)).toBe('PE|reserved=0x100000000');
    expect(regs.Cr3LongPcid.fromRawBits(0x1234_5000n | 7n).decode()).toBe('PCID=0x7|PML4=0x12345');
    expect(String(regs.Efer.of({ LME: true, LMA: true }))).toBe('EFER=0x500 (LME|LMA)');
  });
});
