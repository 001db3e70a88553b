/**
 * Precise exceptions out of compiled blocks: a #PF or #GP in the middle of a block or of a
 * compiled loop leaves exactly the interpreter's state (ip at the faulting instruction, registers
 * and flags after the previous one, memory untouched by the faulting store, retired count).
 */
import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import type { Machine } from '../core/harness.ts';
import { CODE } from '../core/harness.ts';
import { jitMachine, pagedMachine, snapshot, type JitMode, type Snapshot } from './jit-harness.ts';

const PF = 14;
const GP = 13;

/** Run `hex` at CODE in a fresh machine (of `make`) with the compiler off and eager; both snapshots. */
function both(make: (mode: JitMode) => Machine, hex: string, setup: (m: Machine) => void, budget = 100_000): [Snapshot, Snapshot, Machine] {
  const out: Snapshot[] = [];
  let last: Machine | null = null;
  for (const mode of ['off', 'eager'] as const) {
    const m = make(mode);
    setup(m);
    m.mem.loadBytes(CODE, Uint8Array.from(Buffer.from(hex, 'hex')));
    m.cpu.decoded.clear();
    m.cpu.ip = CODE;
    m.cpu.run(budget);
    out.push(snapshot(m));
    last = m;
  }
  return [out[0]!, out[1]!, last!];
}

describe('block compiler: precise faults', () => {
  it('#PF on a load in the middle of a block: ip, registers, flags and count as interpreted', () => {
    // mov eax,0x11111111 / add ebx,eax / mov ecx,[0x3000] (not present) / add edx,1 / hlt
    const [off, on, m] = both(pagedMachine, 'b81111111101c38b0d0030000083c201f4', (m) => {
      m.cpu.intercepts.exceptionBitmap = 1 << PF;
      m.cpu.lo[3] = 0xf0000000;
      m.cpu.lo[1] = 0x12345678;
    });
    expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(0);
    expect(on).toEqual(off);
    expect(on.ip).toBe(CODE + 7);
    expect(on.instructions).toBe(3);
    expect(on.regs[1]).toBe('12345678'); // ECX untouched
    expect(m.cpu.decoded.jit.returnedFaults).toBe(1); // handed over by the block, not thrown
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: PF, faultAddress: 0x3000 });
  });

  it('#PF inside a compiled read-modify-write loop: stops at the first unmapped dword', () => {
    // mov esi,0x2000 / l: add [esi],eax / add esi,4 / cmp esi,0x4000 / jb l / hlt
    const [off, on, m] = both(pagedMachine, 'be00200000010683c60481fe0040000072f3f4', (m) => {
      m.cpu.intercepts.exceptionBitmap = 1 << PF;
      m.cpu.lo[0] = 0x01010101;
    });
    expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(0);
    expect(on).toEqual(off);
    expect(on.ip).toBe(CODE + 5);
    expect(on.regs[6]).toBe('3000');
    expect(on.instructions).toBe(1 + 4 * 1024 + 1);
    expect(m.mem.read32(0x2ffc)).toBe(0x01010101);
    expect(m.cpu.decoded.jit.returnedFaults).toBe(1);
  });

  it('a store to a read-only page (CR0.WP) faults after the read, leaving memory and flags alone', () => {
    // mov esi,0x4f00 / l: add [esi],eax / add esi,4 / cmp esi,0x6000 / jb l / hlt
    const [off, on, m] = both(pagedMachine, 'be004f0000010683c60481fe0060000072f3f4', (m) => {
      m.cpu.intercepts.exceptionBitmap = 1 << PF;
      m.cpu.lo[0] = 7;
      m.mem.write32(0x5000, 0xdeadbeef);
    });
    expect(on).toEqual(off);
    expect(on.ip).toBe(CODE + 5);
    expect(on.regs[6]).toBe('5000');
    expect(m.mem.read32(0x5000)).toBe(0xdeadbeef);
    expect(m.mem.read32(0x4ffc)).toBe(7);
    expect(m.monitor.exits[0]).toMatchObject({ vector: PF, faultAddress: 0x5000, errorCode: 3 });
    expect(m.cpu.decoded.jit.returnedFaults).toBe(1); // the store's walk fault, after the read
  });

  it('#GP from the DS limit inside a compiled loop', () => {
    // mov esi,0xfff0 / l: mov [esi],eax / add esi,4 / jmp l
    const [off, on, m] = both(
      (mode) => jitMachine(32, mode),
      'bef0ff0000890683c604ebf9',
      (m) => {
        m.cpu.intercepts.exceptionBitmap = 1 << GP;
        m.cpu.seg[Seg.DS]!.limit = 0xffff;
        m.cpu.lo[0] = 0xabcd;
      },
    );
    expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(0);
    expect(on).toEqual(off);
    expect(on.ip).toBe(CODE + 5);
    expect(on.regs[6]).toBe('10000');
    expect(on.instructions).toBe(1 + 3 * 4 + 1);
    expect(m.monitor.exits[0]).toMatchObject({ vector: GP, errorCode: 0 });
  });

  it('64-bit compiled loop: a non-canonical address raises #GP at the right instruction', () => {
    // mov rsi,0x7ffffffffff0 / l: add [rsi],rax / add rsi,8 / mov rdx,0x900000000000 / cmp rsi,rdx / jb l / hlt
    const [off, on, m] = both(
      (mode) => jitMachine(64, mode, 4),
      '48bef0ffffffff7f00004801064883c60848ba00000000009000004839d672eaf4',
      (m) => {
        m.cpu.intercepts.exceptionBitmap = 1 << GP;
      },
    );
    expect(on).toEqual(off);
    expect(on.regs[6]).toBe('800000000000');
    expect(on.ip).toBe(CODE + 10);
    expect(on.instructions).toBe(1 + 2 * 5 + 1);
    expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(0);
  });

  it('calls, returns, pushes and pops in compiled blocks; a push into an unmapped page faults precisely', () => {
    // mov ecx,50 / l: push ecx / call f / pop edx / add ebx,edx / dec ecx / jnz l / hlt
    // f: mov eax,[esp+4] / add eax,eax / add edi,eax / ret
    const hex = 'b93200000051e8070000005a01d34975f4f48b44240401c001c7c3';
    const [off, on, m] = both(pagedMachine, hex, (m) => {
      m.cpu.setSp(0x8000);
    });
    expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(2);
    expect(on).toEqual(off);
    expect(on.regs[3]).toBe(((50 * 51) / 2).toString(16));
    expect(on.regs[7]).toBe((50 * 51).toString(16));
    // The call's push runs into the not-present page 0x3000.
    const [off2, on2, m2] = both(pagedMachine, hex, (m) => {
      m.cpu.intercepts.exceptionBitmap = 1 << PF;
      m.cpu.setSp(0x4004);
    });
    expect(on2).toEqual(off2);
    expect(m2.monitor.exits[0]).toMatchObject({ vector: PF, faultAddress: 0x3ffc });
    expect(on2.regs[4]).toBe('4000');
    expect(on2.ip).toBe(CODE + 6);
    expect(on2.instructions).toBe(3);
  });

  it('64-bit push imm, call, ret imm16 and pop in compiled blocks', () => {
    // mov ecx,50 / l: push rcx / push 7 / call f / pop rdx / add rbx,rdx / dec ecx / jnz l / hlt
    // f: mov rax,[rsp+8] / add rax,rax / add rdi,rax / ret 8
    const hex = 'b932000000516a07e8090000005a4801d3ffc975f0f4488b4424084801c04801c7c20800';
    const [off, on, m] = both((mode) => jitMachine(64, mode, 4), hex, (m) => m.cpu.setSp(0x8000));
    expect(m.cpu.decoded.jit.compiled).toBeGreaterThan(2);
    expect(on).toEqual(off);
    expect(on.regs[3]).toBe(((50 * 51) / 2).toString(16));
    expect(on.regs[7]).toBe((50 * 14).toString(16));
    expect(on.regs[4]).toBe('8000');
  });
});
