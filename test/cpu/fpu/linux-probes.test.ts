/**
 * The x87 code 32-bit Linux runs at boot: the FPU presence probe of fpu__init_system_early_generic
 * (arch/x86/kernel/fpu/init.c: FNINIT; FNSTSW; FNSTCW; present when FSW = 0 and
 * (FCW & 0x103F) = 0x3F) and check_fpu's Pentium FDIV test (arch/x86/kernel/fpu/bugs.c:
 * x − (x / y) · y for x = 4195835, y = 3145727 must be 0), instruction bytes as GCC emits them.
 */
import { describe, expect, it } from 'vitest';
import { machine } from '../core/harness.ts';

describe('Linux boot-time FPU checks', () => {
  it('the presence probe sees an FPU', () => {
    const m = machine(32);
    m.mem.write32(0x4000, 0xffffffff);
    // FNINIT; FNSTSW [0x4000]; FNSTCW [0x4002]
    expect(m.run('dbe3 dd3d00400000 d93d02400000'.replace(/ /g, ''))).toBeNull();
    const fsw = m.mem.read32(0x4000) & 0xffff;
    const fcw = m.mem.read32(0x4000) >>> 16;
    expect(fsw).toBe(0);
    expect(fcw & 0x103f).toBe(0x3f);
  });

  it('check_fpu: no FDIV bug', () => {
    const m = machine(32);
    const v = new DataView(m.mem.ram.buffer);
    v.setFloat64(0x4000, 4195835.0, true);
    v.setFloat64(0x4008, 3145727.0, true);
    m.mem.write32(0x4010, 0xdeadbeef);
    // FNINIT; FLDL x; FDIVL y; FMULL y; FLDL x; FSUBP; FISTPL bug; FWAIT; FNINIT
    const code = 'dbe3 dd0500400000 dc3508400000 dc0d08400000 dd0500400000 dee9 db1d10400000 9b dbe3';
    expect(m.run(code.replace(/ /g, ''))).toBeNull();
    expect(m.mem.read32(0x4010)).toBe(0);
    expect(m.cpu.stats.udByMnemonic.size).toBe(0);
  });
});

describe('FCW reserved bits', () => {
  it('read as the host stores them: FLDCW 0 → 0x0040, FLDCW 0xFFFF → 0x1F7F', () => {
    const m = machine(32);
    m.mem.write32(0x4000, 0xffff0000);
    // FLDCW [0x4000]; FNSTCW [0x4004]; FLDCW [0x4002]; FNSTCW [0x4006]
    expect(m.run('d92d00400000 d93d04400000 d92d02400000 d93d06400000'.replace(/ /g, ''))).toBeNull();
    expect(m.mem.read32(0x4004)).toBe((0x1f7f << 16) | 0x0040);
  });
});
