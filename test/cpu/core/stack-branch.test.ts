import { describe, expect, it } from 'vitest';
import { CODE, F, STACK_TOP, machine, status } from './harness.ts';

describe('stack and near branches', () => {
  it('call pushes the return address; pop reads it', () => {
    const m = machine(32);
    // call +5 ; mov eax,1 (skipped) ; pop ebx
    m.run('e8 05000000 b8 01000000 5b');
    expect(m.cpu.lo[0]).toBe(0);
    expect(m.cpu.lo[3]).toBe(CODE + 5);
    expect(m.cpu.lo[4]).toBe(STACK_TOP);
  });
  it('ret imm16 pops the arguments', () => {
    const m = machine(32);
    // push 1 ; push 2 ; call f ; jmp end ; f: mov eax,[esp+4] ; ret 8 ; end:
    m.run('6a 01 6a 02 e8 02000000 eb 07 8b 44 24 04 c2 0800');
    expect(m.cpu.lo[0]).toBe(2);
    expect(m.cpu.lo[4]).toBe(STACK_TOP);
  });
  it('loop sums a countdown; jcc taken and not taken', () => {
    const m = machine(32);
    // mov ecx,5 ; xor eax,eax ; L: add eax,ecx ; loop L ; cmp eax,15 ; jne +5 ; mov ebx,1
    m.run('b9 05000000 31 c0 01 c8 e2 fc 83 f8 0f 75 05 bb 01000000');
    expect(m.cpu.lo[0]).toBe(15);
    expect(m.cpu.lo[3]).toBe(1);
  });
  it('jecxz and signed/unsigned conditions', () => {
    const m = machine(32);
    // xor ecx,ecx ; jecxz +2 ; jmp $ (skipped) ; mov eax,-1 ; cmp eax,1 ; setl bl ; setb bh ; seta dl ; setg dh
    m.run('31 c9 e3 02 eb fe b8 ffffffff 83 f8 01 0f 9c c3 0f 92 c7 0f 97 c2 0f 9f c6');
    expect(m.cpu.lo[3]! & 0xffff).toBe(0x0001); // bl = 1 (signed less), bh = 0
    expect(m.cpu.lo[2]! & 0xffff).toBe(0x0001); // dl = 1 (unsigned above), dh = 0
  });
  it('indirect jmp and call through register and memory', () => {
    const m = machine(32);
    m.mem.write32(0x2000, CODE + 16);
    // mov eax,CODE+9 ; jmp eax ; (CODE+7) nop nop ; (CODE+9) call [0x2000] ; ... (CODE+15) nop ; (CODE+16) pop edx
    m.run(`b8 ${hex32(CODE + 9)} ff e0 90 90 ff 15 00200000 90 5a`);
    expect(m.cpu.lo[2]).toBe(CODE + 15);
  });
  it('enter/leave build and tear down a frame', () => {
    const m = machine(32);
    // mov ebp,0x1234 ; enter 0x10,0 ; mov ebx,esp ; mov ecx,ebp ; leave
    m.run('bd 34120000 c8 1000 00 89 e3 89 e9 c9');
    expect(m.cpu.lo[1]).toBe(STACK_TOP - 4);
    expect(m.cpu.lo[3]).toBe(STACK_TOP - 4 - 0x10);
    expect(m.cpu.lo[5]).toBe(0x1234);
    expect(m.cpu.lo[4]).toBe(STACK_TOP);
    expect(m.mem.read32(STACK_TOP - 4)).toBe(0x1234);
  });
  it('enter with nesting level copies frame pointers', () => {
    const m = machine(32);
    m.mem.write32(0x6000 - 4, 0xaaaa);
    // mov ebp,0x6000 ; enter 8,2
    m.run('bd 00600000 c8 0800 02');
    // pushed: old ebp, [ebp-4], frame temp
    expect(m.mem.read32(STACK_TOP - 4)).toBe(0x6000);
    expect(m.mem.read32(STACK_TOP - 8)).toBe(0xaaaa);
    expect(m.mem.read32(STACK_TOP - 12)).toBe(STACK_TOP - 4);
    expect(m.cpu.lo[5]).toBe(STACK_TOP - 4);
    expect(m.cpu.lo[4]).toBe(STACK_TOP - 12 - 8);
  });
  it('pusha/popa round trip and push esp pushes the old value', () => {
    const m = machine(32);
    // mov eax,1 ; mov ebx,2 ; pusha ; xor eax,eax ; xor ebx,ebx ; popa ; push esp ; pop edx
    m.run('b8 01000000 bb 02000000 60 31 c0 31 db 61 54 5a');
    expect(m.cpu.lo[0]).toBe(1);
    expect(m.cpu.lo[3]).toBe(2);
    expect(m.cpu.lo[2]).toBe(STACK_TOP);
    expect(m.mem.read32(STACK_TOP - 20)).toBe(STACK_TOP); // pushed ESP slot
  });
  it('pushf/popf: CPL 0 may change IF; reserved bits are fixed', () => {
    const m = machine(32);
    // push 0xfffffeff (all but TF) ; popfd ; pushfd ; pop eax
    m.run('68 fffeffff 9d 9c 58');
    // VM, RF, VIF, VIP not set by POPF; bit 1 set, bits 3,5,15 clear
    expect(m.cpu.lo[0]).toBe(0x00247ed7);
    expect(m.cpu.getFlags() & F.IF).toBe(F.IF);
  });
  it('popf at CPL 3 keeps IF and IOPL', () => {
    const m = machine(32);
    m.cpu.cpl = 3;
    m.cpu.seg[1]!.dpl = 3;
    m.run('6a ff 9d');
    expect(m.cpu.getFlags() & (F.IF | 0x3000)).toBe(0);
    expect(status(m.cpu)).toBe(0x8d5);
  });
  it('cli at CPL 3 with IOPL 0 raises #GP(0)', () => {
    const m = machine(32);
    m.cpu.cpl = 3;
    m.cpu.intercepts.exceptionBitmap = 1 << 13;
    m.run('fa');
    expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13, errorCode: 0 });
  });
  it('virtual-8086 mode: cli/sti/pushf/popf raise #GP(0) unless IOPL is 3', () => {
    for (const [code, iopl, faults] of [
      ['fa', 0, true],
      ['fb', 0, true],
      ['9c', 0, true],
      ['9d', 0, true],
      ['fa', 3, false],
      ['9c', 3, false],
    ] as const) {
      const m = machine(16);
      m.cpu.setControl({ cr0: 0x11n });
      m.cpu.setFlags(0x20002 | (iopl << 12)); // VM
      m.cpu.updateMode();
      expect(m.cpu.mode).toBe('v86');
      m.cpu.cpl = 3;
      m.cpu.intercepts.exceptionBitmap = 1 << 13;
      m.run(code);
      if (faults) expect(m.monitor.exits[0]).toMatchObject({ reason: 'exception', vector: 13, errorCode: 0 });
      else expect(m.monitor.exits).toEqual([]);
    }
  });
  it('16-bit push/pop and call/ret in real mode', () => {
    const m = machine(16);
    // mov ax,0x1234 ; push ax ; call +1 ; nop ; pop bx ; pop cx
    m.run('b8 3412 50 e8 0100 90 5b 59');
    expect(m.cpu.lo[3]! & 0xffff).toBe(CODE + 7);
    expect(m.cpu.lo[1]! & 0xffff).toBe(0x1234);
    expect(m.cpu.lo[4]! & 0xffff).toBe(STACK_TOP);
  });
  it('64-bit push/pop, call/ret and push imm sign extension', () => {
    const m = machine(64);
    // push -2 ; pop rax ; call +1 ; nop ; pop rbx
    m.run('6a fe 58 e8 01000000 90 5b');
    expect(m.cpu.readGpr(0)).toBe(0xfffffffffffffffen);
    expect(m.cpu.readGpr(3)).toBe(BigInt(CODE + 8));
    expect(m.cpu.readGpr(4)).toBe(BigInt(STACK_TOP));
  });
});

function hex32(v: number): string {
  return [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, '0')).join('');
}
