import { describe, expect, it } from 'vitest';
import { createStandardDevices } from '../../src/runtime/machine/devices/standard.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';
import { BareMonitor, bareCpuid } from '../../src/runtime/vmm/bare-monitor.ts';
import type { VmExit } from '../../src/runtime/vmm/exit.ts';
import { FakeVcpu } from './fake-vcpu.ts';

function setup() {
  const out = new CapturedOutput();
  const devices = createStandardDevices(out);
  const monitor = new BareMonitor({ io: devices.io });
  const vcpu = new FakeVcpu();
  monitor.attach(vcpu);
  return { out, monitor, vcpu };
}

const movToCr = (cr: number, gpr = 0, size: 4 | 8 = 4): VmExit => ({
  reason: 'cr-access', cr, access: 'mov-to-cr', operand: { kind: 'reg', gpr, size }, lmswSource: 0, insnLength: 3,
});
const movFromCr = (cr: number, gpr = 0, size: 4 | 8 = 4): VmExit => ({
  reason: 'cr-access', cr, access: 'mov-from-cr', operand: { kind: 'reg', gpr, size }, lmswSource: 0, insnLength: 3,
});

describe('BareMonitor', () => {
  it('intercepts CR and EFER accesses and nothing in the exception bitmap', () => {
    const { vcpu } = setup();
    expect(vcpu.intercepts).toMatchObject({ crAccess: true, efer: true, exceptionBitmap: 0 });
  });

  it('applies MOV to CR0/CR3/CR4 to the hardware, advancing RIP, and reads them back', () => {
    const { monitor, vcpu } = setup();
    vcpu.gprs[0] = 0x10n; // PSE
    expect(monitor.handleExit(movToCr(4), vcpu)).toEqual({ kind: 'resume' });
    vcpu.gprs[0] = 0x1000n;
    monitor.handleExit(movToCr(3), vcpu);
    vcpu.gprs[0] = 0x8000_0001n; // PG | PE, ET forced (R18)
    monitor.handleExit(movToCr(0), vcpu);
    expect(vcpu.control).toMatchObject({ cr0: 0x8000_0011n, cr3: 0x1000n, cr4: 0x10n });
    expect(vcpu.rip).toBe(0x1000n + 9n);
    monitor.handleExit(movFromCr(0, 3), vcpu);
    expect(vcpu.gprs[3]).toBe(0x8000_0011n);
    expect(vcpu.flushes).toContainEqual({ kind: 'non-global' }); // R42
    expect(vcpu.flushes).toContainEqual({ kind: 'all' }); // R19/R20
  });

  it('injects #GP(0) without advancing RIP for PG without PE (R6), NW without CD (R7), reserved CR4 bits (R47)', () => {
    const { monitor, vcpu } = setup();
    for (const [cr, value] of [[0, 0x8000_0000n], [0, 0x2000_0001n], [4, 1n << 13n]] as const) {
      vcpu.gprs[0] = value;
      monitor.handleExit(movToCr(cr), vcpu);
    }
    expect(vcpu.injected).toEqual([[13, 0], [13, 0], [13, 0]]);
    expect(vcpu.rip).toBe(0x1000n);
    expect(vcpu.control.cr0).toBe(0x11n);
  });

  it('enters long mode: EFER.LME via WRMSR, then CR0.PG sets LMA (R12); PG without PAE faults (R9)', () => {
    const { monitor, vcpu } = setup();
    vcpu.gprs[1] = 0xc000_0080n;
    vcpu.gprs[0] = 0x100n;
    vcpu.gprs[2] = 0n;
    monitor.handleExit({ reason: 'wrmsr', msr: 0xc000_0080, insnLength: 2 }, vcpu);
    expect(vcpu.control.efer).toBe(0x100n);
    vcpu.gprs[0] = 0x8000_0011n;
    monitor.handleExit(movToCr(0), vcpu);
    expect(vcpu.injected).toEqual([[13, 0]]); // R9: PAE is off
    vcpu.gprs[0] = 0x20n;
    monitor.handleExit(movToCr(4), vcpu);
    vcpu.gprs[0] = 0x8000_0011n;
    monitor.handleExit(movToCr(0), vcpu);
    expect(vcpu.control.efer).toBe(0x500n);
    monitor.handleExit({ reason: 'rdmsr', msr: 0xc000_0080, insnLength: 2 }, vcpu);
    expect(vcpu.gprs[0]).toBe(0x500n);
    expect(vcpu.gprs[2]).toBe(0n);
    // R65: LME cannot change while paging is on.
    vcpu.gprs[0] = 0n;
    monitor.handleExit({ reason: 'wrmsr', msr: 0xc000_0080, insnLength: 2 }, vcpu);
    expect(vcpu.injected).toEqual([[13, 0], [13, 0]]);
  });

  it('LMSW cannot clear PE (R26), CLTS clears TS (R37), SMSW to memory stores 16 bits (R31)', () => {
    const { monitor, vcpu } = setup();
    vcpu.control.cr0 = 0x19n; // PE ET TS
    monitor.handleExit({ reason: 'cr-access', cr: 0, access: 'lmsw', operand: { kind: 'reg', gpr: 0, size: 2 }, lmswSource: 0x6, insnLength: 3 }, vcpu);
    expect(vcpu.control.cr0).toBe(0x17n); // PE kept, MP EM set, TS cleared by the source
    vcpu.control.cr0 = 0x8000_0019n;
    monitor.handleExit({ reason: 'cr-access', cr: 0, access: 'clts', operand: { kind: 'reg', gpr: 0, size: 4 }, lmswSource: 0, insnLength: 2 }, vcpu);
    expect(vcpu.control.cr0).toBe(0x8000_0011n);
    monitor.handleExit({ reason: 'cr-access', cr: 0, access: 'smsw', operand: { kind: 'mem', linear: 0x500, size: 2 }, lmswSource: 0, insnLength: 3 }, vcpu);
    expect(vcpu.stores).toEqual([[0x500, 0x0011]]);
  });

  it('answers CPUID from its fixed model', () => {
    const { monitor, vcpu } = setup();
    vcpu.gprs[0] = 0n;
    monitor.handleExit({ reason: 'cpuid', insnLength: 2 }, vcpu);
    const vendor = Buffer.alloc(12);
    vendor.writeUInt32LE(Number(vcpu.gprs[3]), 0);
    vendor.writeUInt32LE(Number(vcpu.gprs[2]), 4);
    vendor.writeUInt32LE(Number(vcpu.gprs[1]), 8);
    expect(vendor.toString('latin1')).toBe('trapspec x86');
    const [, , , edx1] = bareCpuid(1, 0);
    expect(edx1 & (1 << 6)).not.toBe(0); // PAE
    expect(edx1 & (1 << 3)).not.toBe(0); // PSE
    expect(edx1 & (1 << 13)).not.toBe(0); // PGE
    const [, , , edx81] = bareCpuid(0x8000_0001, 0);
    expect(edx81 >>> 29).toBe(1); // LM
    expect(bareCpuid(0x8000_0008, 0)[0] & 0xff).toBe(40);
  });

  it('forwards I/O: OUT to COM1 prints, IN from LSR fills AL only, OUT to 0xF4 stops', () => {
    const { monitor, vcpu, out } = setup();
    vcpu.gprs[0] = 0x1234_5641n;
    expect(monitor.handleExit({ reason: 'io', port: 0x3f8, size: 1, direction: 'out', insnLength: 1 }, vcpu)).toEqual({ kind: 'resume' });
    expect(out.text()).toBe('A');
    monitor.handleExit({ reason: 'io', port: 0x3fd, size: 1, direction: 'in', insnLength: 1 }, vcpu);
    expect(vcpu.gprs[0]).toBe(0x1234_5660n);
    vcpu.gprs[0] = 3n;
    expect(monitor.handleExit({ reason: 'io', port: 0xf4, size: 1, direction: 'out', insnLength: 1 }, vcpu)).toEqual({
      kind: 'stop',
      reason: { kind: 'debug-exit', status: 7 },
    });
    expect(vcpu.rip).toBe(0x1003n);
  });

  it('stops on HLT', () => {
    const { monitor, vcpu } = setup();
    expect(monitor.handleExit({ reason: 'hlt', insnLength: 1 }, vcpu)).toEqual({ kind: 'stop', reason: { kind: 'halted' } });
  });
});
