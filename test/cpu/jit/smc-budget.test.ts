/**
 * Self-modifying code inside a hot compiled loop, stores to data next to compiled code, and
 * budget exactness: a run stops after exactly the same number of instructions, in the same state,
 * with and without the block compiler.
 */
import { describe, expect, it } from 'vitest';
import { CODE } from '../core/harness.ts';
import { jitMachine, snapshot, type JitMode } from './jit-harness.ts';

function load(mode: JitMode, hex: string) {
  const m = jitMachine(32, mode);
  m.mem.loadBytes(CODE, Uint8Array.from(Buffer.from(hex, 'hex')));
  m.cpu.decoded.clear();
  m.cpu.ip = CODE;
  return m;
}

// The bench guest's alu loop: l: add eax,ebx / xor edx,eax / rol edx,5 / sub ebx,edx /
// lea eax,[eax+edx*2+7] / add edi,eax / dec ecx / jnz l / hlt
const ALU = '01d831c2c1c20529d38d44500701c74975eef4';

describe('block compiler: self-modifying code', () => {
  it('a loop that rewrites its own immediate sees every new value', () => {
    // mov ecx,100 / l: mov eax,5 / add ebx,eax / inc dword [l+1] / dec ecx / jnz l / hlt
    const hex = 'b964000000b80500000001c3ff05061000004975f0f4';
    const results = (['off', 'eager'] as const).map((mode) => {
      const m = load(mode, hex);
      const stop = m.cpu.run(10_000);
      expect(stop?.kind).toBe('halted');
      return { snap: snapshot(m), jit: m.cpu.decoded.jit };
    });
    // 5 + 6 + … + 104
    expect(results[1]!.snap.regs[3]).toBe((100 * 5 + (99 * 100) / 2).toString(16));
    expect(results[1]!.snap).toEqual(results[0]!.snap);
    expect(results[1]!.jit.compiled).toBeGreaterThan(1);
    expect(results[1]!.jit.dropped).toBeGreaterThan(0);
  });

  it('stores to data on the code page keep the compiled loop (no invalidation of untouched bytes)', () => {
    // mov ecx,1000 / l: mov [0x1100],ecx / add ebx,ecx / dec ecx / jnz l / hlt
    const hex = 'b9e8030000890d0011000001cb4975f5f4';
    const snaps = (['off', 'eager'] as const).map((mode) => {
      const m = load(mode, hex);
      expect(m.cpu.run(100_000)?.kind).toBe('halted');
      if (mode === 'eager') expect(m.cpu.decoded.jit.dropped).toBe(0);
      return snapshot(m);
    });
    expect(snaps[1]).toEqual(snaps[0]);
    expect(snaps[1]!.regs[3]).toBe(((1000 * 1001) / 2).toString(16));
  });
});

describe('block compiler: monitor callbacks inside a block', () => {
  it('a store to a watched frame whose callback stops the run ends the block right after the store', () => {
    // mov ecx,1000 / l: mov [0x1100],ecx / add ebx,ecx / dec ecx / jnz l / hlt — frame 0x1000 watched
    const hex = 'b9e8030000890d0011000001cb4975f5f4';
    const snaps = (['off', 'eager'] as const).map((mode) => {
      const m = load(mode, hex);
      let hits = 0;
      m.cpu.watchFrame(0x1000);
      m.cpu.onWatchedWrite = () => {
        if (++hits === 5) m.cpu.requestStop({ kind: 'monitor-error', detail: 'watch' });
      };
      expect(m.cpu.run(100_000)?.kind).toBe('monitor-error');
      if (mode === 'eager') expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(0);
      return snapshot(m);
    });
    expect(snaps[1]).toEqual(snaps[0]);
    expect(snaps[1]!.ip).toBe(CODE + 11);
    expect(snaps[1]!.instructions).toBe(1 + 4 * 4 + 1);
  });
});

describe('block compiler: budget exactness', () => {
  it('stops at the same instruction, in the same state, for every budget', () => {
    for (let budget = 1; budget <= 60; budget++) {
      const snaps = (['off', 'eager'] as const).map((mode) => {
        const m = load(mode, ALU);
        m.cpu.lo[1] = 5;
        m.cpu.lo[3] = 0x1234567;
        expect(m.cpu.run(budget)?.kind).toBe(budget >= 41 ? 'halted' : 'max-insns');
        return snapshot(m);
      });
      expect(snaps[1]).toEqual(snaps[0]);
    }
  });

  it('runs split into chunks retire the same instructions as one run', () => {
    const whole = load('off', ALU);
    whole.cpu.lo[1] = 100_000;
    expect(whole.cpu.run(1_000_000)?.kind).toBe('halted');
    const chunked = load('eager', ALU);
    chunked.cpu.lo[1] = 100_000;
    let stop = chunked.cpu.run(7);
    let runs = 1;
    while (stop?.kind === 'max-insns') {
      stop = chunked.cpu.run(runs % 2 === 0 ? 1000 : 13);
      runs++;
    }
    expect(stop?.kind).toBe('halted');
    expect(snapshot(chunked)).toEqual(snapshot(whole));
    expect(chunked.cpu.stats.instructions).toBe(8 * 100_000 + 1);
  });
});
