/**
 * The block compiler and x87 code: x87 instructions are not compiled (a block ends before one and
 * the interpreter runs it), so a hot loop mixing integer and x87 code gives the same machine state
 * with the compiler eager as with it off, and a #NM from inside the loop is still precise.
 */
import { describe, expect, it } from 'vitest';
import { jitMachine, snapshot, type JitMode } from '../jit/jit-harness.ts';

// loop: add eax, 3; fild dword [0x4000]; fiadd dword [0x4004]; fistp dword [0x4000]; dec ecx; jnz loop
const LOOP = '83c003 db0500400000 da0504400000 db1d00400000 49 75e6'.replace(/ /g, '');

function runLoop(mode: JitMode): { m: ReturnType<typeof jitMachine>; snap: ReturnType<typeof snapshot> } {
  const m = jitMachine(32, mode);
  m.mem.write32(0x4000, 1);
  m.mem.write32(0x4004, 2);
  m.cpu.lo[1] = 500;
  expect(m.run(LOOP, 100_000)).toBeNull();
  return { m, snap: snapshot(m) };
}

describe('x87 under the block compiler', () => {
  it('a loop with x87 instructions computes the same with the compiler off and eager', () => {
    const off = runLoop('off');
    const eager = runLoop('eager');
    expect(off.m.mem.read32(0x4000)).toBe(1 + 2 * 500);
    expect(eager.snap).toEqual(off.snap);
    expect(eager.m.cpu.fpu.fsw).toBe(off.m.cpu.fpu.fsw);
    expect(eager.m.cpu.decoded.jit.compiled).toBeGreaterThan(0); // the integer part (DEC; JNZ) was compiled
    expect(off.m.cpu.decoded.jit.compiled).toBe(0);
  });

  it('CR0.TS set while the loop is hot: the next x87 instruction raises #NM at its own address', () => {
    const m = jitMachine(32, 'eager');
    m.mem.write32(0x4000, 1);
    m.mem.write32(0x4004, 2);
    m.cpu.lo[1] = 50;
    m.run(LOOP, 100_000);
    m.cpu.setControl({ cr0: m.cpu.control.cr0 | 8n });
    m.cpu.lo[1] = 5;
    m.run(LOOP, 100);
    expect(m.cpu.recentFaults).toContain(7);
  });
});
