import { describe, expect, it } from 'vitest';
import { loadSpec, loadSpecFromSources } from '../../codegen/load.ts';
import { formatSpecError, formatSpecErrors } from '../../codegen/diagnostics.ts';
import { parseRegisterFile } from '../../codegen/registers/parse.ts';
import { brief, CPU_FILE, CPU_TEXT, errorsOf, ROOT } from './fixtures.ts';

describe('register spec: valid', () => {
  it('loads the project spec with every register and the CPU model', () => {
    const r = loadSpec(ROOT);
    if ('errors' in r) throw new Error(formatSpecErrors(r.errors, r.sources));
    expect(r.spec.registers.map((x) => x.name)).toEqual(['CR0', 'CR2', 'CR3', 'CR4', 'CR8', 'EFER', 'TPR', 'XCR0']);
    expect(r.spec.cpu.maxPhysAddr).toBe(40);
    const cr3 = r.spec.registers.find((x) => x.name === 'CR3')!;
    expect(cr3.layouts.map((l) => l.name)).toEqual(['legacy', 'pae', 'long', 'long_pcid']);
    // MAXPHYADDR-1:12 resolves against the model (cr-rules §1.3).
    const pml4 = cr3.layouts[2]!.fields.find((f) => f.name === 'PML4')!;
    expect([pml4.msb, pml4.lsb, pml4.rangeText]).toEqual([39, 12, 'MAXPHYADDR-1:12']);
    const efer = r.spec.registers.find((x) => x.name === 'EFER')!;
    expect(efer.msr).toBe(0xc0000080);
    expect(efer.layouts[0]!.fields.find((f) => f.name === 'LMA')!.kind).toBe('hardware');
  });

  it('every bit of every layout is covered exactly once', () => {
    const r = loadSpec(ROOT);
    if ('errors' in r) throw new Error('spec does not load');
    for (const reg of r.spec.registers) {
      for (const layout of reg.layouts) {
        let covered = 0n;
        for (const f of layout.fields) {
          const m = ((1n << BigInt(f.msb - f.lsb + 1)) - 1n) << BigInt(f.lsb);
          expect(covered & m).toBe(0n);
          covered |= m;
        }
        expect(covered).toBe((1n << BigInt(reg.width)) - 1n);
      }
    }
  });

  it('parses every construct: layouts, fixed, hint, hardware, requires, msr, parameters', () => {
    const src = `register R : 64 msr 0x10 "r" {
  layout a "A" {
    63      H "hint" hint requires PCID
    62:MAXPHYADDR reserved must_be_zero
    MAXPHYADDR-1:12 B "base"
    11:5    reserved ignored "gap"
    4       F "fixed" fixed 0b1
    3       W "hw" hardware
    2:0     X "rw" rw
  }
}`;
    const r = parseRegisterFile('t.reg', src);
    if ('errors' in r) throw new Error(r.errors[0]!.message);
    expect(r.ast.items).toHaveLength(1);
    expect(errorsOf(src)).toEqual([]);
  });
});

describe('register spec: one error per kind, exact position and message', () => {
  it('syntax error at ohm’s failure position', () => {
    const errs = errorsOf('register R : 64 "r" {\n  63:1 reserved ignored\n  0 PE Protection\n}\n');
    expect(brief(errs)).toEqual(['3:8: syntax error: expected a quoted description']);
  });

  it('overlapping fields', () => {
    const errs = errorsOf('register R : 32 "r" {\n  31:8 A "a"\n  8:0 B "b"\n}\n');
    expect(brief(errs)).toEqual(['3:3: field B (bits 8:0) overlaps field A (bits 31:8) at line 2']);
  });

  it('field out of range', () => {
    const errs = errorsOf('register R : 32 "r" {\n  32 A "a"\n  31:0 B "b"\n}\n');
    expect(brief(errs)).toEqual(['2:3: bit 32 is out of range for the 32-bit register R (bits 31:0)']);
  });

  it('bits not accounted for', () => {
    const errs = errorsOf('register R : 32 "r" {\n  31:20 A "a"\n  18 B "b"\n  7:0 C "c"\n}\n');
    expect(brief(errs)).toEqual([
      '1:10: register R: bits 19, 17:8 are not accounted for (name them or declare them reserved)',
    ]);
  });

  it('one bit not accounted for, in a layout', () => {
    const errs = errorsOf('register R : 32 "r" {\n  layout x "X" {\n    31:1 A "a"\n  }\n}\n');
    expect(brief(errs)).toEqual([
      '2:10: register R layout x: bit 0 is not accounted for (name them or declare them reserved)',
    ]);
  });

  it('duplicate register name', () => {
    const errs = errorsOf('register R : 32 "r" {\n  31:0 A "a"\n}\nregister R : 32 "again" {\n  31:0 A "a"\n}\n');
    expect(brief(errs)).toEqual(["4:10: duplicate register 'R' (first declared at spec/registers/t.reg:1:10)"]);
  });

  it('duplicate field name', () => {
    const errs = errorsOf('register R : 32 "r" {\n  31:16 A "a"\n  15:0 A "again"\n}\n');
    expect(brief(errs)).toEqual(["3:8: duplicate field 'A' in register R (first at line 2)"]);
  });

  it('unknown feature name', () => {
    const errs = errorsOf('register R : 32 "r" {\n  31:1 reserved ignored\n  0 A "a" requires PCIDX\n}\n');
    expect(brief(errs)).toEqual([
      "3:20: unknown feature 'PCIDX' (not declared in the cpu model spec/cpu/qemu-max.cpu)",
    ]);
  });

  it('fixed value wider than its field', () => {
    const errs = errorsOf('register R : 32 "r" {\n  31:2 reserved ignored\n  1:0 A "a" fixed 4\n}\n');
    expect(brief(errs)).toEqual(['3:19: fixed value 4 does not fit in the 2-bit field A']);
  });

  it('unknown bit parameter and reversed range', () => {
    const errs = errorsOf('register R : 64 "r" {\n  63:MAXPHYS reserved ignored\n  3:7 A "a"\n  39:0 B "b"\n}\n');
    expect(brief(errs)).toEqual([
      "2:6: unknown bit parameter 'MAXPHYS' (known: MAXPHYADDR, MAXLINADDR)",
      '3:3: bit range 3:7 is reversed (3:7): write the high bit first',
    ]);
  });

  it('reports every error of a file in one run', () => {
    const errs = errorsOf('register R : 32 "r" {\n  32 A "a"\n  31:0 B "b"\n  0 B "c"\n  5 C "x" requires NOPE\n}\n');
    expect(errs.length).toBe(4);
  });

  it('formats file:line:col, the source line and a caret', () => {
    const src = 'register R : 32 "r" {\n  31:16 A "a"\n  15:0 A "again"\n}\n';
    const [err] = errorsOf(src);
    expect(formatSpecError(err!, src)).toBe(
      'spec/registers/t.reg:3:8: duplicate field \'A\' in register R (first at line 2)\n    15:0 A "again"\n         ^',
    );
  });

  it('a missing CPU model is an error, not a crash', () => {
    const r = loadSpecFromSources(new Map([['spec/registers/a.reg', 'register R : 32 "r" {\n  31:0 A "a"\n}\n']]));
    expect('errors' in r && brief(r.errors)).toEqual([
      '1:1: no cpu model declared (expected a `cpu` block in spec/cpu/*.cpu)',
    ]);
  });

  it('the CPU model: duplicate feature', () => {
    const cpu = CPU_TEXT.replace(
      'feature FPU        01H:EDX[0]   present "x87 on chip"',
      'feature FPU 01H:EDX[0] present\n  feature FPU 01H:EDX[0] present',
    );
    const line = cpu.split('\n').findIndex((l) => l.includes('feature FPU')) + 1;
    const r = loadSpecFromSources(new Map([[CPU_FILE, cpu]]));
    expect('errors' in r && brief(r.errors)).toEqual([
      `${line + 1}:11: duplicate feature 'FPU' (first declared at ${CPU_FILE}:${line}:11)`,
    ]);
  });
});

describe('register spec: several errors in one run', () => {
  it('an overlap does not hide a gap elsewhere in the register', () => {
    const errs = errorsOf('register R : 32 "r" {\n  31:16 A "a"\n  16 B "b"\n  7:0 C "c"\n}\n');
    expect(brief(errs)).toEqual([
      '1:10: register R: bits 15:8 are not accounted for (name them or declare them reserved)',
      '3:3: field B (bit 16) overlaps field A (bits 31:16) at line 2',
    ]);
  });
});
