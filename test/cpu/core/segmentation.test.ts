import { describe, expect, it } from 'vitest';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { machine } from './harness.ts';

function gpOrSs(m: ReturnType<typeof machine>): void {
  m.cpu.intercepts.exceptionBitmap = (1 << 12) | (1 << 13);
}

describe('segment checks on data accesses (protected mode)', () => {
  it('a write through a read-only data segment raises #GP(0); a read is fine', () => {
    const m = machine(32);
    gpOrSs(m);
    m.cpu.seg[Seg.ES]!.type = 0x1; // data, read-only, accessed
    m.mem.write32(0x2000, 0x1234);
    m.run('26 a1 00200000'); // mov eax,es:[0x2000]
    expect(m.cpu.lo[0]).toBe(0x1234);
    m.run('26 a3 00200000'); // mov es:[0x2000],eax
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13, errorCode: 0 });
  });
  it('reading execute-only code through CS raises #GP(0); readable code is fine', () => {
    const m = machine(32);
    gpOrSs(m);
    m.run('2e a1 00200000'); // mov eax,cs:[0x2000] with CS type 0xB (readable)
    expect(m.monitor.exits).toEqual([]);
    m.cpu.seg[Seg.CS]!.type = 0x9; // execute-only
    m.run('2e a1 00200000');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13 });
  });
  it('expand-down segments allow offsets above the limit only', () => {
    const m = machine(32);
    gpOrSs(m);
    const ds = m.cpu.seg[Seg.DS]!;
    ds.type = 0x7; // data, expand-down, writable, accessed
    ds.limit = 0x0fff;
    ds.db = true;
    m.run('a1 00200000'); // offset 0x2000 > limit: fine
    expect(m.monitor.exits).toEqual([]);
    m.run('a1 000f0000'); // offset 0xf00 <= limit: #GP
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13 });
  });
  it('a push below a stack segment limit raises #SS(0) and leaves ESP', () => {
    const m = machine(32);
    gpOrSs(m);
    const ss = m.cpu.seg[Seg.SS]!;
    ss.limit = 0x7fff; // expand-up
    m.cpu.setSp(0x8002);
    m.run('50'); // push eax: bytes 0x7ffe..0x8001 cross the limit
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 12, errorCode: 0 });
    expect(m.cpu.lo[4]).toBe(0x8002);
  });
  it('an unusable (null) DS faults in protected mode but not in 64-bit mode', () => {
    const m = machine(32);
    gpOrSs(m);
    m.cpu.seg[Seg.DS]!.usable = false;
    m.run('a1 00200000');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13 });
    const m64 = machine(64);
    gpOrSs(m64);
    m64.cpu.seg[Seg.DS]!.usable = false;
    m64.run('8b 04 25 00200000'); // mov eax,[0x2000]
    expect(m64.monitor.exits).toEqual([]);
  });
  it('FS base applies in 64-bit mode; DS base is ignored there', () => {
    const m = machine(64);
    m.cpu.seg[Seg.FS]!.base = 0x3000;
    m.cpu.seg[Seg.DS]!.base = 0x5000;
    m.mem.write32(0x3010, 0xf5);
    m.mem.write32(0x0010, 0xd5);
    m.run('64 8b 04 25 10000000 8b 1c 25 10000000'); // mov eax,fs:[0x10] ; mov ebx,[0x10]
    expect(m.cpu.lo[0]).toBe(0xf5);
    expect(m.cpu.lo[3]).toBe(0xd5);
  });
});
