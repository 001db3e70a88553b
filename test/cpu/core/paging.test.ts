import { describe, expect, it } from 'vitest';
import { HardwareMmu } from '../../../src/runtime/mmu/hardware-mmu.ts';
import { machine } from './harness.ts';

/** 32-bit paging: identity for the first 1 MiB except linear page 0x2000 → physical 0x9000, page 0x3000 not present. */
function paged() {
  const m = machine(32);
  const pd = 0x10000;
  const pt = 0x11000;
  m.mem.write32(pd, pt | 7);
  for (let i = 0; i < 256; i++) m.mem.write32(pt + 4 * i, (i * 4096) | 7);
  m.mem.write32(pt + 4 * 2, 0x9000 | 7);
  m.mem.write32(pt + 4 * 3, 0);
  m.cpu.mmu = new HardwareMmu(m.mem, m.cpu.pagingRegs);
  m.cpu.setControl({ cr3: BigInt(pd), cr0: 0x80000011n });
  return m;
}

describe('memory access through the MMU', () => {
  it('a dword write that crosses into a remapped page is split per page', () => {
    const m = paged();
    // mov dword [0x1ffe],0x44332211
    m.run('c7 05 fe1f0000 11223344');
    expect(m.mem.read8(0x1ffe)).toBe(0x11);
    expect(m.mem.read8(0x1fff)).toBe(0x22);
    expect(m.mem.read8(0x9000)).toBe(0x33);
    expect(m.mem.read8(0x9001)).toBe(0x44);
    expect(m.mem.read8(0x2000)).toBe(0);
    // and reads back the same way: mov eax,[0x1ffe]
    m.run('a1 fe1f0000');
    expect(m.cpu.lo[0]).toBe(0x44332211);
  });

  it('an instruction that crosses a page boundary is fetched from both physical pages', () => {
    const m = paged();
    m.mem.loadBytes(0x1ffd, new Uint8Array([0xb8, 0x11, 0x22])); // mov eax, imm32 (first 3 bytes)
    m.mem.loadBytes(0x9000, new Uint8Array([0x33, 0x44]));
    m.cpu.ip = 0x1ffd;
    m.cpu.run(1);
    expect(m.cpu.lo[0]).toBe(0x44332211);
    expect(m.cpu.ip).toBe(0x2002);
  });

  it('fetch of a second, unmapped page raises #PF with that page as the address', () => {
    const m = paged();
    m.cpu.intercepts.exceptionBitmap = 1 << 14;
    m.mem.loadBytes(0x9ffe, new Uint8Array([0xb8, 0x11])); // linear 0x2ffe
    m.cpu.ip = 0x2ffe;
    const stop = m.cpu.run(1);
    expect(stop?.kind).toBe('monitor-error');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 14, faultAddress: 0x3000 });
    expect(m.cpu.ip).toBe(0x2ffe);
  });

  it('a write faulting on the second page leaves the first page unchanged', () => {
    const m = paged();
    m.cpu.intercepts.exceptionBitmap = 1 << 14;
    m.mem.write32(0x9ffc, 0xaaaaaaaa);
    // mov dword [0x2ffe],0 : bytes on 0x2ffe..0x2fff then 0x3000 (not present)
    m.run('c7 05 fe2f0000 00000000');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 14, faultAddress: 0x3000 });
    expect(m.mem.read32(0x9ffc)).toBe(0xaaaaaaaa);
  });
});
