import { describe, expect, it } from 'vitest';
import { Mnemonic } from 'iced-x86';
import { NestedPageFault } from '../../../src/runtime/mmu/nested-fault.ts';
import { CODE, F, machine, setMode, status } from './harness.ts';

describe('data movement and misc', () => {
  it('movzx/movsx/movsxd and cbw/cwde/cdq/cdqe/cqo', () => {
    const m = machine(32);
    // mov eax,0x80 ; movsx ebx,al ; movzx ecx,al ; cbw ; cwde ; cdq
    m.run('b8 80000000 0f be d8 0f b6 c8 66 98 98 99');
    expect(m.cpu.lo[3]).toBe(0xffffff80);
    expect(m.cpu.lo[1]).toBe(0x80);
    expect(m.cpu.lo[0]).toBe(0xffffff80);
    expect(m.cpu.lo[2]).toBe(0xffffffff);
    const m64 = machine(64);
    // mov eax,0x80000000 ; cdqe ; cqo ; movsxd rbx,eax (48 63 d8)
    m64.run('b8 00000080 48 98 48 99 48 63 d8');
    expect(m64.cpu.readGpr(0)).toBe(0xffffffff80000000n);
    expect(m64.cpu.readGpr(2)).toBe(0xffffffffffffffffn);
    expect(m64.cpu.readGpr(3)).toBe(0xffffffff80000000n);
  });
  it('xchg, xadd, cmpxchg (equal and not equal)', () => {
    const m = machine(32);
    // mov eax,1 ; mov ebx,2 ; xchg eax,ebx ; xadd ebx,eax -> ebx=3, eax=1
    m.run('b8 01000000 bb 02000000 93 0f c1 c3');
    expect(m.cpu.lo[0]).toBe(1);
    expect(m.cpu.lo[3]).toBe(3);
    const m2 = machine(32);
    m2.mem.write32(0x2000, 5);
    // mov eax,5 ; mov ecx,9 ; cmpxchg [0x2000],ecx -> mem=9, ZF ; cmpxchg [0x2000],ecx -> eax=9? (mem 9 == eax 5? no) eax=9
    m2.run('b8 05000000 b9 09000000 0f b1 0d 00200000');
    expect(m2.mem.read32(0x2000)).toBe(9);
    expect(status(m2.cpu) & F.ZF).toBe(F.ZF);
    m2.run('b8 05000000 0f b1 0d 00200000');
    expect(m2.cpu.lo[0]).toBe(9);
    expect(status(m2.cpu) & F.ZF).toBe(0);
  });
  it('cmpxchg8b and cmpxchg16b', () => {
    const m = machine(32);
    m.mem.write32(0x2000, 0x11111111);
    m.mem.write32(0x2004, 0x22222222);
    // edx:eax = 22222222:11111111 ; ecx:ebx = 44444444:33333333 ; cmpxchg8b [0x2000]
    m.run('b8 11111111 ba 22222222 bb 33333333 b9 44444444 0f c7 0d 00200000');
    expect(m.mem.read32(0x2000)).toBe(0x33333333);
    expect(m.mem.read32(0x2004)).toBe(0x44444444);
    expect(status(m.cpu) & F.ZF).toBe(F.ZF);
    const m64 = machine(64);
    m64.mem.write64(0x2000, 7n);
    m64.mem.write64(0x2008, 8n);
    // rax=1, rdx=0 -> mismatch: rdx:rax <- mem ; cmpxchg16b [0x2000]
    m64.run('b8 01000000 31 d2 48 0f c7 0c 25 00200000');
    expect(m64.cpu.readGpr(0)).toBe(7n);
    expect(m64.cpu.readGpr(2)).toBe(8n);
    expect(status(m64.cpu) & F.ZF).toBe(0);
  });
  it('bt/bts/btr/btc, bsf/bsr, bit string addressing in memory', () => {
    const m = machine(32);
    // mov eax,0x10 ; bt eax,4 (CF=1) ; bts eax,0 ; btr eax,4 ; btc eax,31 ; bsr ebx,eax ; bsf ecx,eax
    m.run('b8 10000000 0f ba e0 04 0f ba e8 00 0f ba f0 04 0f ba f8 1f 0f bd d8 0f bc c8');
    expect(m.cpu.lo[0]).toBe(0x80000001);
    expect(m.cpu.lo[3]).toBe(31);
    expect(m.cpu.lo[1]).toBe(0);
    expect(status(m.cpu) & F.ZF).toBe(0);
    const m2 = machine(32);
    // mov edx,-1 ; bts [0x2004],edx -> sets bit 31 of dword at 0x2000
    m2.run('ba ffffffff 0f ab 15 04200000');
    expect(m2.mem.read32(0x2000)).toBe(0x80000000);
    // bsf of zero: ZF=1, destination unchanged
    m2.run('bb 55000000 31 c0 0f bc d8');
    expect(m2.cpu.lo[3]).toBe(0x55);
    expect(status(m2.cpu) & F.ZF).toBe(F.ZF);
  });
  it('cmovcc, setcc, lahf/sahf, xlat, bswap', () => {
    const m = machine(32);
    // mov eax,1 ; mov ebx,2 ; cmp eax,ebx ; cmovl ecx,ebx ; cmovg edx,ebx ; setne al
    m.run('b8 01000000 bb 02000000 39 d8 0f 4c cb 0f 4f d3 0f 95 c0');
    expect(m.cpu.lo[1]).toBe(2);
    expect(m.cpu.lo[2]).toBe(0);
    expect(m.cpu.lo[0]! & 0xff).toBe(1);
    const m2 = machine(32);
    m2.mem.write8(0x2003, 0x7e);
    // stc ; lahf ; mov bl,ah ; mov ah,0xc1 (SF ZF CF) ; sahf ; mov ebx... xlat: mov ebx,0x2000 ; mov al,3 ; xlatb
    m2.run('f9 9f 88 e1 b4 c1 9e bb 00200000 b0 03 d7');
    expect(m2.cpu.lo[1]! & 0xff).toBe(0x03); // CF | bit 1
    expect(status(m2.cpu)).toBe(F.SF | F.ZF | F.CF);
    expect(m2.cpu.lo[0]! & 0xff).toBe(0x7e);
    const m3 = machine(64);
    m3.run('48 b8 0102030405060708 48 0f c8'); // mov rax,... ; bswap rax
    expect(m3.cpu.readGpr(0)).toBe(0x0102030405060708n);
  });
  it('cmov with a false condition still zero-extends a 32-bit destination in 64-bit mode', () => {
    const m = machine(64);
    // mov rcx,-1 ; xor eax,eax (ZF=1) ; cmovne ecx,eax
    m.run('48 c7 c1 ffffffff 31 c0 0f 45 c8');
    expect(m.cpu.readGpr(1)).toBe(0xffffffffn);
  });
  it('mov r/m, sreg reads the selector', () => {
    const m = machine(32);
    m.run('8c d8'); // mov eax,ds
    expect(m.cpu.lo[0]).toBe(0x10);
  });
});

describe('decode cache, #UD accounting, trace, budget', () => {
  it('self-modifying code: a write to a cached instruction re-decodes it', () => {
    const m = machine(32);
    // L: mov eax,1 ; mov byte [L+1],2 ; dec ecx ; jnz L  (ecx=2: second pass sees mov eax,2)
    const L = CODE + 5;
    const l1 = (L + 1).toString(16).padStart(8, '0');
    const le = l1.match(/../g)!.reverse().join('');
    m.run(`b9 02000000 b8 01000000 c6 05 ${le} 02 49 75 f1`);
    expect(m.cpu.lo[0]).toBe(2);
  });
  it('the same bytes decode per mode: cached 32-bit code is not reused in 16-bit mode', () => {
    const m = machine(32);
    const code = 'b8 34120000'; // 32-bit: mov eax,0x1234 ; 16-bit: mov ax,0x1234 ; add [bx+si],al
    m.run(code);
    expect(m.cpu.lo[0]).toBe(0x1234);
    expect(m.cpu.ip).toBe(CODE + 5);
    setMode(m.cpu, 16);
    m.cpu.lo[0] = 0xffff0000;
    m.cpu.ip = CODE;
    m.cpu.run(1);
    expect(m.cpu.ip).toBe(CODE + 3);
    expect(m.cpu.lo[0]).toBe(0xffff1234);
  });
  it('a write through cpu.bus (system side, monitor) also drops stale decoded code', () => {
    const m = machine(32);
    m.run('b8 01000000'); // mov eax,1
    expect(m.cpu.lo[0]).toBe(1);
    m.cpu.bus.write32(CODE + 1, 7);
    m.cpu.ip = CODE;
    m.cpu.run(1);
    expect(m.cpu.lo[0]).toBe(7);
  });
  it('a warm loop decodes each instruction once', () => {
    const m = machine(32);
    m.run('b9 10270000 49 75 fd', 30_000); // mov ecx,10000 ; L: dec ecx ; jnz L
    expect(m.cpu.lo[1]).toBe(0);
    expect(m.cpu.stats.decodeMisses).toBe(3);
  });
  it('unsupported instructions raise #UD and are counted by mnemonic', () => {
    const m = machine(32);
    m.cpu.intercepts.exceptionBitmap = 1 << 6;
    m.run('c5 f8 58 c1'); // vaddps xmm0,xmm0,xmm1 (AVX: not implemented, not in the CPU model)
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 6 });
    expect(m.cpu.stats.udByMnemonic.get('Vaddps')).toBe(1);
    expect(Mnemonic.Vaddps).toBeGreaterThan(0);
  });
  it('bound raises #BR outside the bounds; wait raises #NM with CR0.MP and TS', () => {
    const m = machine(32);
    m.mem.write32(0x2000, 10);
    m.mem.write32(0x2004, 20);
    m.cpu.intercepts.exceptionBitmap = (1 << 5) | (1 << 7);
    m.run('b8 0f000000 62 05 00200000 9b'); // eax=15 ; bound eax,[0x2000] ; wait
    expect(m.monitor.exits).toEqual([]);
    m.run('b8 15000000 62 05 00200000'); // eax=21
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 5 });
    const m2 = machine(32);
    m2.cpu.intercepts.exceptionBitmap = 1 << 7;
    m2.cpu.setControl({ cr0: 0x1bn });
    m2.run('9b');
    expect(m2.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 7 });
  });
  it('ud2 raises #UD', () => {
    const m = machine(32);
    m.cpu.intercepts.exceptionBitmap = 1 << 6;
    m.run('0f 0b');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 6 });
  });
  it('--trace prints address, bytes, disassembly and changed registers', () => {
    const m = machine(32);
    const lines: string[] = [];
    m.cpu.trace = (l) => lines.push(l);
    m.run('b8 2a000000 40');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^0008:00001000 \(00001000\)\s+b82a000000\s+mov eax,2Ah\s+; eax=0000002a$/);
    expect(lines[1]).toMatch(/inc eax\s+; eax=0000002b eflags=00000006$/);
  });
  it('run returns max-insns when the budget ends, and resumes where it stopped', () => {
    const m = machine(32);
    m.mem.loadBytes(CODE, new Uint8Array([0x40, 0xeb, 0xfd])); // L: inc eax ; jmp L
    m.cpu.ip = CODE;
    expect(m.cpu.run(1001)).toEqual({ kind: 'max-insns' });
    expect(m.cpu.lo[0]).toBe(501);
    expect(m.cpu.stats.instructions).toBe(1001);
  });
  it('a JavaScript error inside the loop becomes a monitor-error stop', () => {
    const m = machine(32);
    m.cpu.mmu = {
      translate: () => {
        throw new Error('boom');
      },
      flush: () => undefined,
    };
    m.cpu.setControl({ cr0: 0x80000011n });
    const stop = m.run('90');
    expect(stop?.kind).toBe('monitor-error');
    expect(stop?.kind === 'monitor-error' && stop.detail).toMatch(/boom/);
  });
});

describe('decimal adjust', () => {
  it('daa after packed-BCD add: 0x19 + 0x28 = 0x47; 0x99 + 0x01 = 0x00 carry', () => {
    const m = machine(32);
    m.run('b0 19 04 28 27'); // mov al,0x19 ; add al,0x28 ; daa
    expect(m.cpu.lo[0]! & 0xff).toBe(0x47);
    expect(status(m.cpu) & (F.CF | F.AF)).toBe(F.AF);
    m.run('b0 99 04 01 27');
    expect(m.cpu.lo[0]! & 0xff).toBe(0x00);
    expect(status(m.cpu) & (F.CF | F.ZF)).toBe(F.CF | F.ZF);
  });
  it('das, aaa, aam, aad', () => {
    const m = machine(32);
    m.run('b0 47 2c 28 2f'); // 0x47 - 0x28 = 0x19 after das
    expect(m.cpu.lo[0]! & 0xff).toBe(0x19);
    m.run('66 b8 0800 04 05 37'); // ax=8 ; add al,5 ; aaa -> ax=0x0103
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x0103);
    m.run('b0 3f d4 0a'); // al=63 ; aam -> ah=6 al=3
    expect(m.cpu.lo[0]! & 0xffff).toBe(0x0603);
    m.run('d5 0a'); // aad -> al=63, ah=0
    expect(m.cpu.lo[0]! & 0xffff).toBe(63);
  });
});

describe('run loop safety', () => {
  it('an event whose delivery exits forever (monitor re-injects, never fixes) ends the run', () => {
    const m = machine(32);
    m.cpu.mmu = {
      translate: (linear: number) => {
        throw new NestedPageFault(linear, 0);
      },
      flush: () => undefined,
    };
    m.cpu.setControl({ ncr3: 0x1000n });
    let exits = 0;
    const monitor = {
      attach: () => undefined,
      handleExit: () => {
        exits++;
        m.cpu.injectException(13, 0);
        return { kind: 'resume' as const };
      },
    };
    Object.assign(m.cpu, { monitor });
    m.cpu.injectException(13, 0);
    const stop = m.cpu.run(10);
    expect(stop?.kind).toBe('monitor-error');
    expect(stop?.kind === 'monitor-error' && stop.detail).toMatch(/no progress/);
    expect(exits).toBeGreaterThan(1000);
    expect(m.cpu.stats.instructions).toBe(0);
  });
});
