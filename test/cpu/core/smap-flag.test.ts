import { describe, expect, it } from 'vitest';
import { CODE, gate, HANDLER, Sel, SysMachine } from '../system/harness.ts';

const AC = 1 << 18;

describe('CLAC / STAC', () => {
  it('at CPL 0 set and clear EFLAGS.AC and nothing else', () => {
    const m = new SysMachine();
    m.protected32(CODE, 0);
    // stac ; pushfd ; pop eax ; clac ; pushfd ; pop ebx ; hlt
    m.code(CODE, '0f01cb 9c 58 0f01ca 9c 5b f4');
    m.cpu.setFlags(0x2 | 0x1 | 0x40); // CF, ZF: must survive
    expect(m.run()).toEqual({ kind: 'halted' });
    expect(m.cpu.lo[0]! & AC).toBe(AC);
    expect(m.cpu.lo[0]! & 0x41).toBe(0x41);
    expect(m.cpu.lo[3]! & AC).toBe(0);
    expect(m.cpu.lo[3]! & 0x41).toBe(0x41);
  });

  it('at CPL 3 raise #UD and leave EFLAGS.AC unchanged', () => {
    for (const [name, bytes] of [
      ['clac', '0f01ca'],
      ['stac', '0f01cb'],
    ] as const) {
      const m = new SysMachine();
      m.protected32(CODE, 3);
      m.idtGate(6, gate(Sel.CODE32, HANDLER, 0xe, 0));
      m.code(CODE, `${bytes} f4`);
      m.code(HANDLER, 'f4');
      const before = name === 'clac' ? AC : 0;
      m.cpu.setFlags(0x2 | before);
      expect(m.run()).toEqual({ kind: 'halted' });
      expect(m.cpu.cpl).toBe(0); // in the #UD handler
      expect(m.cpu.ip).toBe(HANDLER + 1);
      expect(m.r32(m.cpu.lo[4]!)).toBe(CODE); // the faulting EIP: the instruction did not complete
      expect(m.r32(m.cpu.lo[4]! + 8) & AC).toBe(before);
    }
  });
});
