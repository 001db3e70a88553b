/**
 * The SSE floating-point instructions wired into the CPU (simd/fparith.ts, simd/fpconvert.ts):
 * a subset of the host vectors (native/fp-vectors.txt.gz) run as real instructions in a
 * 64-bit guest (and in 32-bit protected mode), every instruction form at least once with register operands (XMM0-15 through
 * REX) and with a memory operand, with MXCSR loaded as recorded: results, MXCSR, RFLAGS and
 * #XM (destination unchanged) must match the host. Plus the alignment rules (#GP(0) for a
 * misaligned packed m128, none for scalar/m64 sources) and #UD for an unmasked exception
 * when CR4.OSXMMEXCPT=0.
 */
import { describe, expect, it } from 'vitest';
import { machine } from '../../core/harness.ts';
import { hex, loadVectors, type Vector } from './replay.ts';

const UD = 6;
const GP = 13;
const XM = 19;
const MEM = 0x3000;

/** Kind of the ModRM operands: x = xmm, g = GPR, m = MMX. */
interface Form {
  /** Mandatory prefix (66/F2/F3) or ''. */
  pre: string;
  /** Opcode bytes after 0F. */
  op: string;
  /** reg-field operand kind, rm-field operand kind. */
  reg: 'x' | 'g' | 'm';
  rm: 'x' | 'g' | 'm';
  rexW?: boolean;
  imm?: number;
  /** Packed m128 source: memory must be 16-byte aligned. */
  aligned?: boolean;
  /** Memory operand width in bytes (also what of B goes to memory). */
  size: number;
}

function form(name: string): Form {
  const [base, immText] = name.split('_') as [string, string | undefined];
  const imm = immText === undefined ? undefined : Number(immText);
  const sfx = base.slice(-2);
  const fmtPre: Record<string, string> = { ps: '', pd: '66', ss: 'f3', sd: 'f2' };
  const packedSize = (s: string): number => (s === 'ps' || s === 'pd' ? 16 : s === 'ss' ? 4 : 8);
  const ar: Record<string, string> = { add: '58', mul: '59', sub: '5c', min: '5d', div: '5e', max: '5f', sqrt: '51', rsqrt: '52', rcp: '53' };
  const stem = base.slice(0, -2);
  if (ar[stem] !== undefined) return { pre: fmtPre[sfx]!, op: ar[stem]!, reg: 'x', rm: 'x', aligned: packedSize(sfx) === 16, size: packedSize(sfx) };
  if (stem === 'cmp') return { pre: fmtPre[sfx]!, op: 'c2', reg: 'x', rm: 'x', imm, aligned: packedSize(sfx) === 16, size: packedSize(sfx) };
  if (stem === 'round') {
    const op = { ps: '3a08', pd: '3a09', ss: '3a0a', sd: '3a0b' }[sfx]!;
    return { pre: '66', op, reg: 'x', rm: 'x', imm, aligned: packedSize(sfx) === 16, size: packedSize(sfx) };
  }
  const fixed: Record<string, Form> = {
    comiss: { pre: '', op: '2f', reg: 'x', rm: 'x', size: 4 },
    comisd: { pre: '66', op: '2f', reg: 'x', rm: 'x', size: 8 },
    ucomiss: { pre: '', op: '2e', reg: 'x', rm: 'x', size: 4 },
    ucomisd: { pre: '66', op: '2e', reg: 'x', rm: 'x', size: 8 },
    dpps: { pre: '66', op: '3a40', reg: 'x', rm: 'x', aligned: true, size: 16 },
    dppd: { pre: '66', op: '3a41', reg: 'x', rm: 'x', aligned: true, size: 16 },
    haddps: { pre: 'f2', op: '7c', reg: 'x', rm: 'x', aligned: true, size: 16 },
    haddpd: { pre: '66', op: '7c', reg: 'x', rm: 'x', aligned: true, size: 16 },
    hsubps: { pre: 'f2', op: '7d', reg: 'x', rm: 'x', aligned: true, size: 16 },
    hsubpd: { pre: '66', op: '7d', reg: 'x', rm: 'x', aligned: true, size: 16 },
    addsubps: { pre: 'f2', op: 'd0', reg: 'x', rm: 'x', aligned: true, size: 16 },
    addsubpd: { pre: '66', op: 'd0', reg: 'x', rm: 'x', aligned: true, size: 16 },
    cvtsi2ss32: { pre: 'f3', op: '2a', reg: 'x', rm: 'g', size: 4 },
    cvtsi2ss64: { pre: 'f3', op: '2a', reg: 'x', rm: 'g', rexW: true, size: 8 },
    cvtsi2sd32: { pre: 'f2', op: '2a', reg: 'x', rm: 'g', size: 4 },
    cvtsi2sd64: { pre: 'f2', op: '2a', reg: 'x', rm: 'g', rexW: true, size: 8 },
    cvtss2si32: { pre: 'f3', op: '2d', reg: 'g', rm: 'x', size: 4 },
    cvtss2si64: { pre: 'f3', op: '2d', reg: 'g', rm: 'x', rexW: true, size: 4 },
    cvttss2si32: { pre: 'f3', op: '2c', reg: 'g', rm: 'x', size: 4 },
    cvttss2si64: { pre: 'f3', op: '2c', reg: 'g', rm: 'x', rexW: true, size: 4 },
    cvtsd2si32: { pre: 'f2', op: '2d', reg: 'g', rm: 'x', size: 8 },
    cvtsd2si64: { pre: 'f2', op: '2d', reg: 'g', rm: 'x', rexW: true, size: 8 },
    cvttsd2si32: { pre: 'f2', op: '2c', reg: 'g', rm: 'x', size: 8 },
    cvttsd2si64: { pre: 'f2', op: '2c', reg: 'g', rm: 'x', rexW: true, size: 8 },
    cvtps2pd: { pre: '', op: '5a', reg: 'x', rm: 'x', size: 8 },
    cvtpd2ps: { pre: '66', op: '5a', reg: 'x', rm: 'x', aligned: true, size: 16 },
    cvtss2sd: { pre: 'f3', op: '5a', reg: 'x', rm: 'x', size: 4 },
    cvtsd2ss: { pre: 'f2', op: '5a', reg: 'x', rm: 'x', size: 8 },
    cvtdq2ps: { pre: '', op: '5b', reg: 'x', rm: 'x', aligned: true, size: 16 },
    cvtps2dq: { pre: '66', op: '5b', reg: 'x', rm: 'x', aligned: true, size: 16 },
    cvttps2dq: { pre: 'f3', op: '5b', reg: 'x', rm: 'x', aligned: true, size: 16 },
    cvtdq2pd: { pre: 'f3', op: 'e6', reg: 'x', rm: 'x', size: 8 },
    cvtpd2dq: { pre: 'f2', op: 'e6', reg: 'x', rm: 'x', aligned: true, size: 16 },
    cvttpd2dq: { pre: '66', op: 'e6', reg: 'x', rm: 'x', aligned: true, size: 16 },
    cvtpi2ps: { pre: '', op: '2a', reg: 'x', rm: 'm', size: 8 },
    cvtpi2pd: { pre: '66', op: '2a', reg: 'x', rm: 'm', size: 8 },
    cvtps2pi: { pre: '', op: '2d', reg: 'm', rm: 'x', size: 8 },
    cvttps2pi: { pre: '', op: '2c', reg: 'm', rm: 'x', size: 8 },
    cvtpd2pi: { pre: '66', op: '2d', reg: 'm', rm: 'x', aligned: true, size: 16 },
    cvttpd2pi: { pre: '66', op: '2c', reg: 'm', rm: 'x', aligned: true, size: 16 },
  };
  const f = fixed[name] ?? fixed[base];
  if (f === undefined) throw new Error(`no encoding for ${name}`);
  return imm === undefined ? f : { ...f, imm };
}

/** Encodes the form with reg-field register `r`, and rm register `s` or [rbx] (s < 0). */
function encode(f: Form, r: number, s: number): string {
  const rex = (f.rexW ? 8 : 0) | (r >= 8 ? 4 : 0) | (s >= 8 ? 1 : 0);
  const modrm = s < 0 ? ((r & 7) << 3) | 3 : 0xc0 | ((r & 7) << 3) | (s & 7);
  const imm = f.imm === undefined ? '' : f.imm.toString(16).padStart(2, '0');
  return f.pre + (rex !== 0 ? (0x40 | rex).toString(16) : '') + '0f' + f.op + modrm.toString(16).padStart(2, '0') + imm;
}

type M = ReturnType<typeof machine>;
function guest(cr4: bigint, bits: 32 | 64 = 64): M {
  const m = machine(bits);
  m.cpu.setControl({ cr4 });
  m.cpu.intercepts.exceptionBitmap = 0xffffffff;
  return m;
}

function setX(m: M, r: number, w: Uint32Array): void {
  m.cpu.sse.setDwords(r, w[0]!, w[1]!, w[2]!, w[3]!);
}

/** Runs vector v as form f; `mem` puts B in memory at MEM + off. Returns mismatch text or ''. */
function runOne(m: M, v: Vector, f: Form, r: number, s: number, mem: boolean, off = 0): string {
  const c = m.cpu;
  c.fpu.init();
  for (let i = 0; i < 16; i++) c.sse.setDwords(i, 0x11111111 * i, 0, 0, 0);
  if (f.reg === 'x') setX(m, r, v.a);
  else if (f.reg === 'm') c.fpu.writeMmx(r, 0, 0);
  else c.setReg64(r, 0n);
  if (mem) {
    for (let i = 0; i < 16; i++) m.mem.write8(MEM + off + i, (v.b[i >> 2]! >>> (8 * (i & 3))) & 0xff);
    c.setReg64(3, BigInt(MEM + off));
  } else if (f.rm === 'x') setX(m, s, v.b);
  else if (f.rm === 'm') c.fpu.writeMmx(s, v.b[0]!, v.b[1]!);
  else c.setReg64(s, (BigInt(v.b[1]!) << 32n) | BigInt(v.b[0]!));
  c.sse.mxcsr = v.mxcsr;
  c.setFlags(0x8d5);
  m.monitor.exits.length = 0;
  m.run(encode(f, r, mem ? -1 : s));
  const exit = m.monitor.exits[0];
  const vec = exit?.reason === 'exception' ? exit.vector : undefined;
  let got: string;
  if (f.reg === 'x') got = hex(c.sse.u32.subarray(r * 4, r * 4 + 4));
  else if (f.reg === 'm') got = c.fpu.readMmxHi(r).toString(16).padStart(8, '0') + c.fpu.readMmxLo(r).toString(16).padStart(8, '0');
  else got = c.readGpr(r).toString(16).padStart(16, '0');
  const want = v.trap ? (f.reg === 'x' ? hex(v.a) : got) : hex(v.r);
  const errs: string[] = [];
  if ((vec ?? -1) !== (v.trap ? XM : -1)) errs.push(`exception ${vec}`);
  if (got !== want) errs.push(`result ${got}`);
  if (c.sse.mxcsr !== v.mxout) errs.push(`mxcsr ${c.sse.mxcsr.toString(16)}`);
  if (/comis/.test(v.name) && !v.trap && (c.getFlags() & 0x8d5) !== v.rflags) errs.push(`rflags ${(c.getFlags() & 0x8d5).toString(16)}`);
  return errs.length === 0 ? '' : `${v.line} [${encode(f, r, mem ? -1 : s)}${mem ? ` @${(MEM + off).toString(16)}` : ''}]: ${errs.join(', ')}`;
}

const vectors = loadVectors();
const byName = new Map<string, Vector[]>();
for (const v of vectors) {
  if (!byName.has(v.name)) byName.set(v.name, []);
  byName.get(v.name)!.push(v);
}
/** Per form: three ordinary vectors and one #XM vector where there is one. */
function sample(list: Vector[]): Vector[] {
  const t = list.find((v) => v.trap);
  return [...list.filter((v) => !v.trap).slice(0, 3), ...(t ? [t] : [])];
}

/** Every form's sample as register and memory forms; returns [mismatches, runs]. */
function replayForms(bits: 32 | 64): [string[], number] {
  const m = guest(bits === 64 ? 0x620n : 0x600n, bits);
  const bad: string[] = [];
  let runs = 0;
  let k = 0;
  for (const [name, list] of byName) {
    if (/^r(cp|sqrt)/.test(name)) continue;
    const f = form(name);
    if (bits === 32 && f.rexW) continue;
    for (const v of sample(list)) {
      k++;
      const limit = f.reg === 'x' && bits === 64 ? 16 : 8;
      const r = f.reg === 'g' ? (bits === 64 ? [1, 9, 12] : [1, 6, 7])[k % 3]! : (k * 5 + 3) % limit;
      let s = f.rm === 'g' ? (bits === 64 ? [0, 10, 13] : [0, 2, 5])[k % 3]! : (k * 7 + 1) % (f.rm === 'x' && bits === 64 ? 16 : 8);
      if (s === r && f.reg === f.rm) s = (s + 1) % limit;
      for (const mem of [false, true]) {
        runs++;
        // Scalar and m64 sources are read at a misaligned address: no alignment is required.
        const e = runOne(m, v, f, r, s, mem, mem && !f.aligned ? 4 : 0);
        if (e !== '') bad.push(e);
      }
    }
  }
  return [bad, runs];
}

describe('SSE floating-point instructions in the CPU', () => {
  it(`every form (${byName.size}) with register and memory operands matches the host in 64-bit mode`, () => {
    const [bad, runs] = replayForms(64);
    expect(bad.slice(0, 20)).toEqual([]);
    expect(runs).toBeGreaterThan(1000);
  });

  it('and in 32-bit protected mode (XMM0-7, no 64-bit integer forms)', () => {
    const [bad, runs] = replayForms(32);
    expect(bad.slice(0, 20)).toEqual([]);
    expect(runs).toBeGreaterThan(1000);
  });

  it('RCPPS/RCPSS/RSQRTPS/RSQRTSS run (register and memory) within the bound and leave MXCSR alone', () => {
    const m = guest(0x620n);
    for (const name of ['rcpps', 'rcpss', 'rsqrtps', 'rsqrtss']) {
      const v = byName.get(name)![0]!;
      const f = form(name);
      for (const mem of [false, true]) {
        runOne(m, v, f, 10, 3, mem);
        expect(m.monitor.exits).toEqual([]);
        expect(m.cpu.sse.mxcsr).toBe(v.mxcsr);
        const got = m.cpu.sse.u32.subarray(40, 44);
        for (let i = 0; i < 4; i++) {
          if (name.endsWith('ss') && i > 0) expect(got[i]).toBe(v.a[i]);
          else if ((v.b[i]! & 0x7f800000) !== 0 && (v.b[i]! & 0x7f800000) !== 0x7f800000) {
            const x = new Float32Array(Uint32Array.of(v.b[i]!).buffer)[0]!;
            const y = new Float32Array(Uint32Array.of(got[i]!).buffer)[0]!;
            const want = name.startsWith('rcp') ? 1 / x : 1 / Math.sqrt(x);
            if (Number.isFinite(want) && Math.abs(want) > 2 ** -126 && Math.abs(x) < 2 ** 125) expect(Math.abs(y - want) / Math.abs(want)).toBeLessThanOrEqual(1.5 * 2 ** -12);
          }
        }
      }
    }
  });

  it('a packed m128 source must be 16-byte aligned (#GP(0)); MXCSR and the destination are untouched', () => {
    const m = guest(0x620n);
    let packedForms = 0;
    for (const [name, list] of byName) {
      const f = form(name);
      if (!f.aligned) continue;
      packedForms++;
      const v = list[0]!;
      const e = runOne(m, v, f, 2, 0, true, 8);
      expect(e).toContain('exception 13');
      expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: GP, errorCode: 0 });
      expect(m.cpu.sse.mxcsr).toBe(v.mxcsr);
    }
    expect(packedForms).toBeGreaterThan(40);
  });

  it('an unmasked exception raises #UD instead of #XM when CR4.OSXMMEXCPT=0', () => {
    const m = guest(0x220n);
    let n = 0;
    for (const name of ['addps', 'divsd', 'cmpps_1', 'cvtsd2si64', 'cvtpd2ps', 'dpps_0xff', 'roundpd_4', 'ucomiss', 'cvtps2pi']) {
      const v = byName.get(name)!.find((x) => x.trap)!;
      runOne(m, v, form(name), 1, 2, false);
      expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: UD });
      expect(m.cpu.sse.mxcsr).toBe(v.mxout);
      n++;
    }
    expect(n).toBe(9);
  });

  it('the MMX forms: #MF for a pending x87 exception, MMX state when they name an MMX register', () => {
    const MF = 16;
    const m = guest(0x620n);
    m.cpu.setControl({ cr0: 0x80000031n }); // PG | NE | ET | PE
    const c = m.cpu;
    const cases: [string, string, boolean, boolean][] = [
      // code, what, #MF when pending, enters MMX state
      ['0f2ac1', 'cvtpi2ps xmm0, mm1', true, true],
      ['0f2a03', 'cvtpi2ps xmm0, [rbx]', false, false],
      ['660f2ac1', 'cvtpi2pd xmm0, mm1', true, true],
      ['660f2a03', 'cvtpi2pd xmm0, [rbx]', false, false],
      ['0f2dc1', 'cvtps2pi mm0, xmm1', true, true],
      ['660f2c03', 'cvttpd2pi mm0, [rbx]', true, true],
    ];
    for (const [code, what, mf, mmx] of cases) {
      for (const pending of [true, false]) {
        c.fpu.init();
        if (pending) c.fpu.fsw = 0x84; // ES | ZE (x87 ZE unmasked earlier)
        c.setReg64(3, BigInt(MEM));
        m.monitor.exits.length = 0;
        m.run(code);
        const vec = m.monitor.exits[0]?.reason === 'exception' ? (m.monitor.exits[0] as { vector: number }).vector : undefined;
        expect([what, pending, vec]).toEqual([what, pending, pending && mf ? MF : undefined]);
        if (!pending) expect([what, c.fpu.ftw === 0xffff ? 'x87' : 'mmx', c.fpu.top]).toEqual([what, mmx ? 'mmx' : 'x87', 0]);
      }
    }
  });
});
