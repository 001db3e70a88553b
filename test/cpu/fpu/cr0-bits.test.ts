/**
 * CR0.EM, MP, TS, NE and ET as behaviour of x87 instructions (SDM Vol. 3A §2.5, Table 2-2 "Action
 * taken by x87 FPU instructions for different combinations of EM, MP and TS", §6.15 #NM/#MF):
 * each combination in real, protected, compatibility and 64-bit mode, delivered through the
 * guest's IVT/IDT. Handlers for #NM (7) and #MF (16) load AL with the vector and halt; code that
 * runs through ends with MOV AL, 0xEE; HLT.
 */
import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { CODE, gate, HANDLER, Sel, SysMachine } from '../system/harness.ts';

type Mode = 'real' | 'protected' | 'compat' | 'long64';
const MODES: Mode[] = ['real', 'protected', 'compat', 'long64'];
const H7 = HANDLER;
const H16 = HANDLER + 0x100;
const DONE = 0xee;

function setup(mode: Mode, cr0Bits: number): SysMachine {
  const m = new SysMachine();
  if (mode === 'real') {
    m.real(CODE & 0xffff);
    m.cpu.seg[Seg.CS]!.base = CODE & ~0xffff;
    m.cpu.seg[Seg.CS]!.selector = (CODE & ~0xffff) >>> 4;
    for (const [v, h] of [[7, H7], [16, H16]] as const) {
      m.w16(v * 4, h & 0xffff);
      m.w16(v * 4 + 2, (h & ~0xffff) >>> 4);
    }
  } else if (mode === 'protected') {
    m.protected32(CODE);
    m.idtGate(7, gate(Sel.CODE32, H7, 0xe, 0));
    m.idtGate(16, gate(Sel.CODE32, H16, 0xe, 0));
  } else {
    m.long64(CODE);
    m.idtGate64(7, Sel.CODE64, H7, 0xe, 0);
    m.idtGate64(16, Sel.CODE64, H16, 0xe, 0);
    if (mode === 'compat') {
      m.load(Seg.CS, Sel.CODE32);
      expect(m.cpu.mode).toBe('compat32');
    }
  }
  m.code(H7, 'b007f4');
  m.code(H16, 'b010f4');
  const cr0 = m.cpu.control.cr0;
  m.cpu.setControl({ cr0: (cr0 & ~0x2en) | BigInt(cr0Bits) });
  return m;
}

/** Run `hex` (then MOV AL, DONE; HLT); the AL the run halted with. */
function outcome(m: SysMachine, hex: string): number {
  m.code(CODE, hex + 'b0eef4');
  m.cpu.ip = CODE & (m.cpu.mode === 'real' ? 0xffff : 0xffffffff);
  m.cpu.lo[0] = 0;
  expect(m.run()).toEqual({ kind: 'halted' });
  return m.cpu.lo[0]! & 0xff;
}

const EM = 4;
const MP = 2;
const TS = 8;
const NE = 0x20;

// SDM Vol. 3A Table 2-2: [EM, MP, TS] → [ESC instruction, WAIT/FWAIT]
const TABLE: [number, number, number, number, number][] = [
  [0, 0, 0, DONE, DONE],
  [0, 0, 1, 7, DONE],
  [0, 1, 0, DONE, DONE],
  [0, 1, 1, 7, 7],
  [1, 0, 0, 7, DONE],
  [1, 0, 1, 7, DONE],
  [1, 1, 0, 7, DONE],
  [1, 1, 1, 7, 7],
];

describe.each(MODES)('%s mode', (mode) => {
  it.each(TABLE)('EM=%i MP=%i TS=%i: ESC → %i, WAIT → %i', (em, mp, ts, esc, wait) => {
    const bits = (em ? EM : 0) | (mp ? MP : 0) | (ts ? TS : 0);
    for (const insn of ['d9e8', 'd9d0', 'dbe3', 'dfe0']) expect(outcome(setup(mode, bits), insn), insn).toBe(esc); // FLD1, FNOP, FNINIT, FNSTSW AX
    expect(outcome(setup(mode, bits), '9b'), 'FWAIT').toBe(wait);
  });

  it('NE=1: an unmasked exception is delivered as #MF by the next waiting instruction only', () => {
    // FLDCW [mem] (ZM clear: 0x037B); FLDZ; FLD1; FDIVRP → 1/0 with ZE unmasked: pending, no fault yet.
    const mem = 0x6000;
    const pend = 'd92d00600000 d9ee d9e8 def1'.replace(/ /g, '');
    const pend64 = 'd92c2500600000 d9ee d9e8 def1'.replace(/ /g, ''); // [disp32] without RIP-relative
    const pend16 = 'd92e0060 d9ee d9e8 def1'.replace(/ /g, '');
    const code = mode === 'real' ? pend16 : mode === 'long64' ? pend64 : pend;
    const make = (): SysMachine => {
      const m = setup(mode, NE | MP);
      m.w16(mode === 'real' ? (CODE & ~0xffff) + mem : mem, 0x037b);
      if (mode === 'real') m.cpu.seg[Seg.DS]!.base = CODE & ~0xffff;
      return m;
    };
    let m = make();
    expect(outcome(m, code)).toBe(DONE);
    expect(m.cpu.fpu.fsw & 0x8084).toBe(0x8084); // B, ES, ZE
    for (const [insn, want] of [
      ['9b', 16], // FWAIT
      ['d9d0', 16], // FNOP
      ['d9e8', 16], // FLD1
      ['dbe2', DONE], // FNCLEX: non-waiting
      ['dbe3', DONE], // FNINIT
      ['dfe0', DONE], // FNSTSW AX
      ['9bdfe0', 16], // FSTSW AX = FWAIT + FNSTSW
    ] as const) {
      m = make();
      expect(outcome(m, code + insn), insn).toBe(want);
    }
    // #MF is a fault: the saved return address is the waiting instruction.
    m = make();
    outcome(m, code + 'd9d0');
    const ipOff = code.length / 2;
    if (mode === 'real') expect(m.r16(m.cpu.getSp() + m.cpu.seg[Seg.SS]!.base)).toBe((CODE & 0xffff) + ipOff);
    else if (mode === 'protected') expect(m.r32(m.cpu.lo[4]!)).toBe(CODE + ipOff);
    else expect(Number(m.r64(m.cpu.lo[4]!))).toBe(CODE + ipOff);
    // #NM has priority over #MF (TS=1 and a pending exception).
    m = make();
    outcome(m, code);
    m.cpu.setControl({ cr0: m.cpu.control.cr0 | BigInt(TS) });
    m.code(CODE, 'd9d0b0eef4');
    m.cpu.ip = CODE & (mode === 'real' ? 0xffff : 0xffffffff);
    m.run();
    expect(m.cpu.lo[0]! & 0xff).toBe(7);
  });

  it('NE=0: no #MF; FERR# (onFerr) is asserted when the exception becomes pending and released by FNCLEX', () => {
    const m = setup(mode, MP);
    const events: boolean[] = [];
    m.cpu.onFerr = (a) => events.push(a);
    const mem = 0x6000;
    m.w16(mode === 'real' ? (CODE & ~0xffff) + mem : mem, 0x037b);
    if (mode === 'real') m.cpu.seg[Seg.DS]!.base = CODE & ~0xffff;
    const fldcw = mode === 'real' ? 'd92e0060' : mode === 'long64' ? 'd92c2500600000' : 'd92d00600000';
    expect(outcome(m, fldcw + 'd9eed9e8def1' + '9bd9d0')).toBe(DONE); // FWAIT, FNOP run on
    expect(events).toEqual([true]);
    expect(outcome(m, 'dbe2')).toBe(DONE); // FNCLEX
    expect(events).toEqual([true, false]);
    expect(m.cpu.fpu.fsw & 0x80).toBe(0);
  });

  it('ET reads 1 whatever MOV CR0 writes (through the monitor; SMSW shows it)', () => {
    const m = setup(mode, 0);
    // MOV EAX, CR0; AND EAX, ~0x10; MOV CR0, EAX; SMSW BX
    expect(outcome(m, '0f20c0 83e0ef 0f22c0 0f01e3'.replace(/ /g, ''))).toBe(DONE);
    expect(m.cpu.lo[3]! & 0x10).toBe(0x10);
    expect(Number(m.cpu.control.cr0) & 0x10).toBe(0x10);
  });
});
