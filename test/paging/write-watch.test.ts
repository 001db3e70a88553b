/**
 * The CPU's write watch (Vcpu.watchFrame, a modelled hardware assist; Memory.codePages bit
 * PAGE_WATCHED): guest stores to a watched frame report it, whatever instruction makes them;
 * the monitor's stores (cpu.bus) and the hardware walker's A/D updates do not; the watch and the
 * decode cache's code bit live side by side in the same byte.
 */
import { describe, expect, it } from 'vitest';
import { HardwareMmu } from '../../src/runtime/mmu/hardware-mmu.ts';
import { PAGE_CODE, PAGE_WATCHED } from '../../src/runtime/cpu/memory.ts';
import { CODE, machine, type Machine } from '../cpu/core/harness.ts';

function watched(bits = 32 as const): { m: Machine; hits: number[] } {
  const m = machine(bits);
  const hits: number[] = [];
  m.cpu.onWatchedWrite = (frame) => hits.push(frame);
  return { m, hits };
}

describe('write watch', () => {
  it('a store to a watched frame reports the frame once; other frames stay silent', () => {
    const { m, hits } = watched();
    expect(m.cpu.watchFrame(0x5abc)).toBe(true);
    m.run('c7 05 04500000 78563412'); // mov dword [0x5004], 0x12345678
    expect(m.mem.read32(0x5004)).toBe(0x12345678);
    expect(hits).toEqual([0x5000]);
    m.run('c7 05 04600000 01000000'); // mov dword [0x6004], 1
    expect(hits).toEqual([0x5000]);
  });

  it('string stores, pushes and a store straddling two frames report', () => {
    const { m, hits } = watched();
    m.cpu.watchFrame(0x7000);
    m.run('bf f8 6f 00 00 b9 04 00 00 00 31 c0 f3 ab'); // mov edi,0x6ff8; mov ecx,4; xor eax,eax; rep stosd
    expect(hits.length).toBeGreaterThan(0);
    expect(new Set(hits)).toEqual(new Set([0x7000]));
    hits.length = 0;
    m.cpu.watchFrame(0x3000);
    m.cpu.setSp(0x3004);
    m.run('68 44 33 22 11'); // push 0x11223344 (to 0x3000)
    expect(hits).toEqual([0x3000]);
    hits.length = 0;
    m.run('c7 05 fe 6f 00 00 11 22 33 44'); // mov dword [0x6ffe], … (crosses into 0x7000)
    expect(hits).toEqual([0x7000]);
  });

  it('the monitor\'s stores through cpu.bus do not report', () => {
    const { m, hits } = watched();
    m.cpu.watchFrame(0x5000);
    m.cpu.bus.write32(0x5000, 7);
    m.cpu.bus.write8(0x5fff, 7);
    expect(hits).toEqual([]);
  });

  it('the hardware walker\'s A/D updates do not report; the guest editing the PTE does', () => {
    const { m, hits } = watched();
    const pd = 0x10000;
    const pt = 0x11000;
    m.mem.write32(pd, pt | 7);
    for (let i = 0; i < 256; i++) m.mem.write32(pt + 4 * i, (i * 4096) | 7);
    m.cpu.mmu = new HardwareMmu(m.mem, m.cpu.pagingRegs);
    m.cpu.setControl({ cr3: BigInt(pd), cr0: 0x80000011n });
    m.cpu.watchFrame(pd);
    m.cpu.watchFrame(pt);
    m.run('c7 05 04 50 00 00 01 00 00 00'); // mov dword [0x5004], 1: walks, sets A and D
    expect(m.mem.read32(pt + 5 * 4) & 0x60).toBe(0x60);
    expect(hits).toEqual([]);
    m.run('c7 05 14 10 01 00 00 00 00 00'); // mov dword [pt + 5*4], 0: the guest's own edit
    expect(hits).toEqual([pt]);
  });

  it('unwatchAllFrames ends the reports and leaves the code bit', () => {
    const { m, hits } = watched();
    m.run('90'); // nop at CODE: decoded, code bit set
    m.cpu.watchFrame(CODE);
    m.cpu.watchFrame(0x5000);
    expect(m.cpu.mem.codePages[CODE >>> 12]).toBe(PAGE_CODE | PAGE_WATCHED);
    m.cpu.unwatchAllFrames();
    expect(m.cpu.mem.codePages[CODE >>> 12]).toBe(PAGE_CODE);
    expect(m.cpu.mem.codePages[5]).toBe(0);
    m.run('c7 05 04 50 00 00 01 00 00 00');
    expect(hits).toEqual([]);
  });

  it('clearing the decode cache keeps the watch; self-modifying code in a watched frame still works', () => {
    const { m, hits } = watched();
    m.cpu.watchFrame(CODE);
    // mov byte [CODE+9], 0x40 (turns the following nop into inc eax); nop
    m.run('c6 05 09 10 00 00 40 31 c0 90');
    expect(m.cpu.lo[0]).toBe(1);
    expect(hits).toEqual([CODE]);
    expect(m.cpu.mem.codePages[CODE >>> 12]! & PAGE_WATCHED).toBe(PAGE_WATCHED);
  });

  it('frames outside RAM cannot be watched', () => {
    const { m } = watched();
    expect(m.cpu.watchFrame(0x1000_0000)).toBe(false);
    expect(m.cpu.watchFrame(-4096)).toBe(false);
  });
});
