import { describe, expect, it } from 'vitest';
import { CR0, CR4, EFER, EFER_MSR, Harness, LONG } from './support/harness.ts';

/** The trap monitor's own dispatch: CPUID, I/O, HLT, INVLPG, MSRs, attach, CR8, XSETBV. */

function cpuid(h: Harness, leaf: number, subleaf = 0): [bigint, bigint, bigint, bigint] {
  h.vcpu.gprs[0] = BigInt(leaf);
  h.vcpu.gprs[1] = BigInt(subleaf);
  expect(h.exit({ reason: 'cpuid', insnLength: 2 })).toEqual({ kind: 'resume' });
  return [h.vcpu.gprs[0]!, h.vcpu.gprs[3]!, h.vcpu.gprs[1]!, h.vcpu.gprs[2]!];
}

const ascii = (...regs: bigint[]): string => Buffer.concat(regs.map((r) => { const b = Buffer.alloc(4); b.writeUInt32LE(Number(r)); return b; })).toString('latin1');

describe('attach', () => {
  it('takes the CPU control registers as the guest state and hands over to the strategy', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET, cr4: CR4.PSE, efer: EFER.SCE, xcr0: 1n });
    expect(h.guest.values()).toEqual({ cr0: CR0.PE | CR0.ET, cr3: 0n, cr4: CR4.PSE, efer: EFER.SCE, cr8: 0n, xcr0: 1n, tpr: 0n });
    expect(h.strategy.attached).toBe(1);
    expect(h.vcpu.intercepts.crAccess && h.vcpu.intercepts.efer).toBe(true);
  });
});

describe('CPUID from the CPU model (spec/cpu)', () => {
  it('leaf 0: vendor string and highest leaf', () => {
    const h = new Harness('protected32', 3, { cr0: CR0.PE | CR0.ET });
    const [a, b, c, d] = cpuid(h, 0);
    expect(ascii(b, d, c)).toBe('AuthenticAMD');
    expect(a).toBeGreaterThanOrEqual(0xdn);
  });

  it('leaf 1: PAE PGE PSE reported; OSXSAVE mirrors the guest CR4', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    let [, , c, d] = cpuid(h, 1);
    expect(d & ((1n << 6n) | (1n << 13n) | (1n << 3n))).toBe((1n << 6n) | (1n << 13n) | (1n << 3n));
    expect(c & (1n << 27n)).toBe(0n);
    expect(h.movToCr(4, CR4.OSXSAVE)).toBe('none');
    [, , c, d] = cpuid(h, 1);
    expect(c & (1n << 27n)).toBe(1n << 27n);
    expect(c & (1n << 5n)).toBe(0n); // VMX absent: CR4.VMXE is reserved, consistently
  });

  it('leaf 7, 0xD, 0x80000001 and 0x80000008 agree with the rules', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET, cr4: CR4.OSXSAVE });
    const [, b7, c7] = cpuid(h, 7);
    expect(b7 & (1n << 7n)).toBe(1n << 7n); // SMEP
    expect(c7 & (1n << 16n)).toBe(0n); // LA57 dropped: CR4.LA57 is reserved, consistently
    expect(c7 & (1n << 3n)).toBe(0n); // PKU dropped: CR4.PKE is reserved
    const [a, b] = cpuid(h, 0xd, 0);
    expect(a & 0x207n).toBe(0x3n); // x87 SSE; AVX and PKRU absent
    expect(b).toBe(576n); // XCR0 = x87 only
    const [, , , d81] = cpuid(h, 0x8000_0001);
    expect(d81 & (1n << 29n)).toBe(1n << 29n); // LM
    expect(d81 & (1n << 25n)).toBe(0n); // FFXSR absent, so EFER.FFXSR is reserved
    const [a88] = cpuid(h, 0x8000_0008);
    expect(a88 & 0xffn).toBe(40n);
  });
});

describe('other exits', () => {
  it('HLT stops the run as halted (no interrupt source exists), after advancing RIP', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    const rip = h.vcpu.rip;
    expect(h.exit({ reason: 'hlt', insnLength: 1 })).toEqual({ kind: 'stop', reason: { kind: 'halted' } });
    expect(h.vcpu.rip).toBe(rip + 1n);
  });

  it('OUT goes to the I/O bus; IN fills AL keeping the rest of RAX; a stopping device ends the run', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    h.vcpu.gprs[0] = 0x1234_5641n;
    expect(h.exit({ reason: 'io', port: 0x3f8, size: 1, direction: 'out', insnLength: 1 })).toEqual({ kind: 'resume' });
    expect(h.out).toEqual([{ port: 0x3f8, size: 1, value: 0x41 }]);
    h.exit({ reason: 'io', port: 0x3fd, size: 1, direction: 'in', insnLength: 1 });
    expect(h.vcpu.gprs[0]).toBe(0x1234_5660n);
    h.stopNext = { kind: 'debug-exit', status: 3 };
    expect(h.exit({ reason: 'io', port: 0xf4, size: 4, direction: 'out', insnLength: 1 })).toEqual({
      kind: 'stop',
      reason: { kind: 'debug-exit', status: 3 },
    });
  });

  it('INVLPG goes to the strategy as a one-page flush, also with paging off (P21)', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    h.exit({ reason: 'invlpg', linear: 0x40_1000, insnLength: 3 });
    expect(h.effects()).toEqual(['flush_tlb(page)']);
    expect(h.fault).toBe('none');
  });

  it('an unknown MSR is #GP(0) (R72); RDMSR of EFER zero-extends into EDX:EAX (R63)', () => {
    const h = new Harness('long64', 0, LONG);
    h.vcpu.gprs[1] = 0x1234n;
    h.exit({ reason: 'rdmsr', msr: 0x1234, insnLength: 2 });
    expect(h.fault).toBe('#GP(0)');
    h.vcpu.gprs[0] = 0xffff_ffff_ffff_ffffn;
    h.vcpu.gprs[2] = 0xffff_ffff_ffff_ffffn;
    expect(h.rdmsr(EFER_MSR)).toBe(EFER.LME | EFER.LMA);
    expect(h.vcpu.gprs[2]).toBe(0n);
  });

  it('a non-#PF exception in the bitmap is reinjected; #PF goes to the strategy', () => {
    const h = new Harness('protected32', 0, { cr0: CR0.PE | CR0.ET });
    h.exit({ reason: 'exception', vector: 13, errorCode: 0x10, faultAddress: 0 });
    expect(h.vcpu.injected).toEqual([{ vector: 13, errorCode: 0x10 }]);
  });
});

describe('CR8 and XSETBV', () => {
  it('MOV CR8 outside 64-bit mode is #UD (R73); in 64-bit mode it is TPR[7:4], reserved bits #GP (R75)', () => {
    const prot = new Harness('compat32', 0, LONG);
    expect(prot.movToCr(8, 3n)).toBe('#UD');
    const h = new Harness('long64', 0, LONG);
    h.guest.tpr = 0x37n;
    expect(h.movToCr(8, 0xan)).toBe('none');
    expect(h.guest.tpr).toBe(0xa0n); // TPR[7:4] = CR8[3:0], TPR[3:0] = 0 (R76)
    expect(h.movFromCr(8)).toBe(0xan);
    h.guest.tpr = 0x5fn;
    expect(h.movFromCr(8)).toBe(0x5n); // TPR[7:4] (R77)
    expect(h.movToCr(8, 0x10n)).toBe('#GP(0)');
  });

  it('XSETBV: needs OSXSAVE (#UD), ECX=0, x87 set, AVX absent; sets hardware XCR0', () => {
    const h = new Harness('long64', 0, { ...LONG, cr4: CR4.PAE | CR4.OSXSAVE });
    const xsetbv = (ecx: bigint, value: bigint): string => {
      h.vcpu.gprs[1] = ecx;
      h.vcpu.gprs[0] = value;
      h.vcpu.gprs[2] = 0n;
      h.exit({ reason: 'xsetbv', insnLength: 3 });
      return h.fault;
    };
    expect(xsetbv(1n, 3n)).toBe('#GP(0)');
    expect(xsetbv(0n, 2n)).toBe('#GP(0)');
    expect(xsetbv(0n, 5n)).toBe('#GP(0)');
    expect(xsetbv(0n, 0x20n | 7n)).toBe('#GP(0)'); // AVX-512 opmask: absent in the model
    expect(xsetbv(0n, 7n)).toBe('#GP(0)'); // AVX: absent in the model
    expect(xsetbv(0n, 3n)).toBe('none');
    expect(h.guest.xcr0).toBe(3n);
    expect(h.vcpu.control.xcr0).toBe(3n);
    h.guest.cr4 = CR4.PAE;
    expect(xsetbv(0n, 3n)).toBe('#UD');
  });
});
