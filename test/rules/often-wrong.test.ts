import { describe, expect, it } from 'vitest';
import { CR0, CR4, EFER, EFER_MSR, Harness, LONG } from './support/harness.ts';

/**
 * The rules most often implemented wrong (cr-rules.md "Quick list"), run through the trap
 * monitor and the handlers generated from spec/rules. Each asserts the values the guest reads
 * back and the exception it gets.
 */

describe('R25-R27: LMSW loads PE MP EM TS and cannot clear PE (Palacios P1)', () => {
  it('LMSW 0 in protected mode keeps PE, clears MP EM TS, leaves the rest', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.MP | CR0.TS | CR0.ET | CR0.NE | CR0.WP });
    expect(h.lmsw(0)).toBe('none');
    expect(h.movFromCr(0)).toBe(CR0.PE | CR0.ET | CR0.NE | CR0.WP);
    expect(h.effects()).toEqual([]);
  });

  it('LMSW sets PE from real mode (R27) and reports the paging-mode change', () => {
    const h = new Harness('real', 0, { cr0: CR0.ET });
    expect(h.lmsw(0xfff1)).toBe('none');
    expect(h.guest.cr0).toBe(CR0.PE | CR0.ET);
    expect(h.effects()).toEqual(['flush_tlb(all)', 'paging_mode_changed']);
  });

  it('LMSW at CPL 3 is #GP(0) and changes nothing (R28)', () => {
    const h = new Harness('protected32', 3, { cr0: CR0.PE | CR0.ET });
    const rip = h.vcpu.rip;
    expect(h.lmsw(0xe)).toBe('#GP(0)');
    expect(h.guest.cr0).toBe(CR0.PE | CR0.ET);
    expect(h.vcpu.rip).toBe(rip);
  });
});

describe('R17/R18: CR0.ET reads 1, reserved low bits are dropped', () => {
  it('MOV CR0 with ET clear reads back with ET set; bits 6-15 are not stored', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    expect(h.movToCr(0, CR0.PE | 0xffc0n)).toBe('none');
    expect(h.movFromCr(0)).toBe(CR0.PE | CR0.ET);
  });

  it('SMSW r16 stores 0x0011 and keeps the register upper bits (R32)', () => {
    const h = new Harness('protected32', 3, { cr0: CR0.PE | CR0.ET });
    h.vcpu.gprs[3] = 0x1234_0000n;
    expect(h.smsw({ kind: 'reg', gpr: 3, size: 2 })).toBe('none');
    expect(h.vcpu.gprs[3]).toBe(0x1234_0011n);
  });

  it('SMSW to memory stores 16 bits (R31); with UMIP at CPL 3 it is #GP(0) (R35)', () => {
    const h = new Harness('protected32', 3, { cr0: CR0.PG | CR0.PE | CR0.ET | CR0.WP });
    expect(h.smsw({ kind: 'mem', linear: 0x5000, size: 2 })).toBe('none');
    expect(h.vcpu.stores16).toEqual([{ linear: 0x5000, value: 0x0011 }]);
    h.guest.cr4 = CR4.UMIP;
    expect(h.smsw({ kind: 'mem', linear: 0x5000, size: 2 })).toBe('#GP(0)');
    expect(h.vcpu.stores16).toHaveLength(1);
  });

  it('MOV CR0 with bits 63:32 set in 64-bit mode is #GP(0) (R5)', () => {
    const h = new Harness('long64', 0, LONG);
    expect(h.movToCr(0, (1n << 32n) | LONG.cr0!)).toBe('#GP(0)');
    expect(h.guest.cr0).toBe(LONG.cr0);
  });
});

describe('R9/R12/R15: EFER.LMA follows PG with LME', () => {
  it('PG 0->1 with LME and PAE sets LMA; the strategy sees the new state', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET, cr4: CR4.PAE, efer: EFER.LME });
    expect(h.movToCr(0, CR0.PG | CR0.PE)).toBe('none');
    expect(h.effects()).toEqual(['flush_tlb(all)', 'paging_mode_changed']);
    expect(h.rdmsr(EFER_MSR)).toBe(EFER.LME | EFER.LMA);
    expect(h.strategy.seenAtModeChange.at(-1)?.efer).toBe(EFER.LME | EFER.LMA);
  });

  it('PG 0->1 with LME but without PAE is #GP(0) and LMA stays 0 (R9)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET, efer: EFER.LME });
    expect(h.movToCr(0, CR0.PG | CR0.PE)).toBe('#GP(0)');
    expect(h.guest.cr0).toBe(CR0.PE | CR0.ET);
    expect(h.guest.efer).toBe(EFER.LME);
    expect(h.effects()).toEqual([]);
  });

  it('PG 1->0 from compatibility mode clears LMA (R15); from 64-bit mode it is #GP(0) (R13)', () => {
    const compat = new Harness('compat32', 0, LONG);
    expect(compat.movToCr(0, CR0.PE | CR0.ET)).toBe('none');
    expect(compat.guest.efer).toBe(EFER.LME);
    const long = new Harness('long64', 0, LONG);
    expect(long.movToCr(0, CR0.PE | CR0.ET)).toBe('#GP(0)');
    expect(long.guest.efer).toBe(EFER.LME | EFER.LMA);
  });

  it('WRMSR cannot write LMA (R66)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    expect(h.wrmsr(EFER_MSR, EFER.LMA | EFER.SCE)).toBe('none');
    expect(h.rdmsr(EFER_MSR)).toBe(EFER.SCE);
  });
});

describe('R48: CR4.PAE cannot be cleared in long mode', () => {
  it('MOV CR4 without PAE in 64-bit mode is #GP(0), CR4 and RIP unchanged', () => {
    const h = new Harness('long64', 0, LONG);
    const rip = h.vcpu.rip;
    expect(h.movToCr(4, 0n)).toBe('#GP(0)');
    expect(h.movFromCr(4)).toBe(CR4.PAE);
    expect(h.vcpu.rip).toBe(rip + 3n); // only the MOV from CR4 completed
  });

  it('clearing PAE is legal outside long mode with paging off (Palacios P10)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET, cr4: CR4.PAE });
    expect(h.movToCr(4, 0n)).toBe('none');
    expect(h.guest.cr4).toBe(0n);
    expect(h.effects()).toEqual(['flush_tlb(all)', 'paging_mode_changed']);
  });
});

describe('R65: EFER.LME cannot change while paging is on', () => {
  it('setting LME with 32-bit paging on is #GP(0)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PG | CR0.PE | CR0.ET });
    expect(h.wrmsr(EFER_MSR, EFER.LME)).toBe('#GP(0)');
    expect(h.guest.efer).toBe(0n);
  });

  it('clearing LME in long mode is #GP(0)', () => {
    const h = new Harness('long64', 0, LONG);
    expect(h.wrmsr(EFER_MSR, 0n)).toBe('#GP(0)');
    expect(h.rdmsr(EFER_MSR)).toBe(EFER.LME | EFER.LMA);
  });

  it('with paging off LME may change (R67)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    expect(h.wrmsr(EFER_MSR, EFER.LME | EFER.NXE)).toBe('none');
    expect(h.guest.efer).toBe(EFER.LME | EFER.NXE);
    expect(h.effects()).toEqual(['paging_mode_changed']);
  });

  it('an absent feature bit (FFXSR, bit 14) is reserved: #GP(0) (R64)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    expect(h.wrmsr(EFER_MSR, 1n << 14n)).toBe('#GP(0)');
  });
});

describe('R39/R43/R44: CR3 bit 63 with PCIDE', () => {
  const pcid = { ...LONG, cr4: CR4.PAE | CR4.PCIDE };

  it('bit 63 is the no-flush hint: accepted, not stored', () => {
    const h = new Harness('long64', 0, pcid);
    expect(h.movToCr(3, (1n << 63n) | 0x5000n | 5n)).toBe('none');
    expect(h.effects()).toEqual(['cr3_loaded(pcid 5)']);
    expect(h.movFromCr(3)).toBe(0x5005n);
  });

  it('without PCIDE bit 63 is reserved in long mode: #GP(0)', () => {
    const h = new Harness('long64', 0, LONG);
    expect(h.movToCr(3, (1n << 63n) | 0x5000n)).toBe('#GP(0)');
    expect(h.guest.cr3).toBe(0x3000n);
  });

  it('bits above MAXPHYADDR (40) are reserved in long mode: #GP(0)', () => {
    const h = new Harness('long64', 0, pcid);
    expect(h.movToCr(3, 1n << 40n)).toBe('#GP(0)');
  });
});

describe('R42/R57: which CR writes flush global translations', () => {
  it('toggling PGE flushes everything, both ways', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PG | CR0.PE | CR0.ET, cr3: 0x1000n, cr4: CR4.PGE });
    expect(h.movToCr(4, 0n)).toBe('none');
    expect(h.effects()).toEqual(['flush_tlb(all)', 'paging_mode_changed']);
    expect(h.movToCr(4, CR4.PGE)).toBe('none');
    expect(h.effects()).toEqual(['flush_tlb(all)', 'paging_mode_changed']);
  });

  it('MOV CR3 keeps globals (non-global flush) even with the same value', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PG | CR0.PE | CR0.ET, cr3: 0x1000n, cr4: CR4.PGE });
    expect(h.movToCr(3, 0x1000n)).toBe('none');
    expect(h.effects()).toEqual(['cr3_loaded(non-global)']);
  });

  it('a PAE CR3 load checks the PDPTEs and raises #GP(0) on bad ones (R41)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PG | CR0.PE | CR0.ET, cr3: 0x2000n, cr4: CR4.PAE });
    h.strategy.pdptesValid = false;
    expect(h.movToCr(3, 0x4000n)).toBe('#GP(0)');
    expect(h.effects()).toEqual(['load_pdptes(0x4000)']);
    expect(h.guest.cr3).toBe(0x2000n);
  });
});
