import { describe, expect, it } from 'vitest';
import { MONITOR_BASE } from '../../src/runtime/machine/bus.ts';
import { PhysicalMemory } from '../../src/runtime/machine/memory.ts';
import { createPagingStrategy, type PagingStrategyName } from '../../src/runtime/vmm/paging/index.ts';
import { TrapMonitor } from '../../src/runtime/vmm/trap-monitor.ts';
import type { HardwareControl } from '../../src/runtime/vmm/vcpu.ts';
import { CR0, CR4, EFER } from './support/harness.ts';
import { TestVcpu } from './support/test-vcpu.ts';

/**
 * The hardware/guest split with the real paging strategies: the generated handlers decide the
 * guest view and the non-paging hardware bits, the strategy the paging bits.
 */

function setup(name: PagingStrategyName, control: Partial<HardwareControl>): { vcpu: TestVcpu; monitor: TrapMonitor } {
  const memory = new PhysicalMemory({ memMiB: 2 });
  const vcpu = new TestVcpu('protected32', 0, control);
  vcpu.memory = memory;
  const monitor = new TrapMonitor({ io: { in: () => 0, out: () => undefined }, paging: createPagingStrategy(name, { memory }) });
  monitor.attach(vcpu);
  return { vcpu, monitor };
}

function movToCr(vcpu: TestVcpu, monitor: TrapMonitor, cr: number, value: bigint): void {
  vcpu.gprs[3] = value;
  monitor.handleExit({ reason: 'cr-access', cr, access: 'mov-to-cr', operand: { kind: 'reg', gpr: 3, size: 4 }, lmswSource: 0, insnLength: 3 }, vcpu);
  expect(vcpu.injected).toEqual([]);
}

describe('guest view vs hardware under each paging strategy', () => {
  it('shadow: guest paging off runs on passthrough tables with hardware PG=1, WP=1', () => {
    const { vcpu, monitor } = setup('shadow', { cr0: CR0.PE | CR0.ET });
    expect(monitor.guest.cr0).toBe(CR0.PE | CR0.ET);
    expect(vcpu.control.cr0 & (CR0.PG | CR0.WP)).toBe(CR0.PG | CR0.WP);
    expect(vcpu.control.cr3 >= BigInt(MONITOR_BASE)).toBe(true);
    movToCr(vcpu, monitor, 0, CR0.PE | CR0.TS | CR0.NE);
    expect(monitor.guest.cr0).toBe(CR0.PE | CR0.ET | CR0.TS | CR0.NE);
    expect(vcpu.control.cr0 & (CR0.TS | CR0.NE | CR0.PG)).toBe(CR0.TS | CR0.NE | CR0.PG); // TS, NE from the handler
  });

  it('shadow: guest CR3 is the guest’s; the hardware CR3 points at monitor tables', () => {
    const { vcpu, monitor } = setup('shadow', { cr0: CR0.PE | CR0.ET });
    movToCr(vcpu, monitor, 3, 0x1000n);
    movToCr(vcpu, monitor, 0, CR0.PG | CR0.PE | CR0.WP);
    expect(monitor.guest.cr3).toBe(0x1000n);
    expect(monitor.guest.cr0).toBe(CR0.PG | CR0.PE | CR0.ET | CR0.WP);
    expect(vcpu.control.cr3 >= BigInt(MONITOR_BASE)).toBe(true);
    expect(vcpu.control.cr0 & CR0.PG).toBe(CR0.PG);
  });

  it('nested: a CR3 write passes through to the hardware', () => {
    const { vcpu, monitor } = setup('nested', { cr0: CR0.PG | CR0.PE | CR0.ET, cr3: 0x1000n });
    movToCr(vcpu, monitor, 3, 0x5000n);
    expect(monitor.guest.cr3).toBe(0x5000n);
    expect(vcpu.control.cr3).toBe(0x5000n);
    expect(vcpu.control.ncr3).not.toBeNull();
  });

  it('nested: CR0.TS changes between PGE toggles reach the hardware without a full reprogram', () => {
    const { vcpu, monitor } = setup('nested', { cr0: CR0.PG | CR0.PE | CR0.ET, cr3: 0x1000n });
    movToCr(vcpu, monitor, 3, 0x1000n); // the strategy programs the hardware once after attach
    let reprograms = 0;
    const setControl = vcpu.setControl.bind(vcpu);
    vcpu.setControl = (update) => {
      if ('cr3' in update) reprograms++; // programHardware's whole set (programControl's single registers carry no CR3 here)
      setControl(update);
    };
    const base = CR0.PG | CR0.PE | CR0.ET;
    movToCr(vcpu, monitor, 0, base | CR0.TS);
    movToCr(vcpu, monitor, 4, CR4.PGE);
    expect(vcpu.control.cr0 & CR0.TS).toBe(CR0.TS);
    expect(vcpu.control.cr4 & CR4.PGE).toBe(CR4.PGE);
    monitor.handleExit({ reason: 'cr-access', cr: 0, access: 'clts', operand: { kind: 'reg', gpr: 0, size: 4 }, lmswSource: 0, insnLength: 2 }, vcpu);
    movToCr(vcpu, monitor, 4, 0n);
    expect(vcpu.control.cr0 & CR0.TS).toBe(0n);
    expect(vcpu.control.cr4 & CR4.PGE).toBe(0n);
    expect(monitor.guest.cr0).toBe(base);
    // Only CR4's paging bits were programmed (programControl), never the whole set (programHardware).
    expect(reprograms).toBe(0);
  });

  it('shadow, paging off: PGE and PE changes keep the passthrough tables; a PAE change switches them', () => {
    const { vcpu, monitor } = setup('shadow', { cr0: CR0.ET });
    const root32 = vcpu.control.cr3;
    expect(vcpu.control.cr0 & CR0.PG).toBe(CR0.PG); // passthrough: the hardware pages
    let reprograms = 0;
    const setControl = vcpu.setControl.bind(vcpu);
    vcpu.setControl = (update) => {
      if ('cr3' in update) reprograms++; // programHardware's whole set
      setControl(update);
    };
    movToCr(vcpu, monitor, 4, CR4.PGE);
    movToCr(vcpu, monitor, 4, 0n);
    movToCr(vcpu, monitor, 0, CR0.PE | CR0.ET);
    expect(reprograms).toBe(0);
    expect(vcpu.control.cr3).toBe(root32);
    expect(vcpu.control.cr0 & (CR0.PG | CR0.PE)).toBe(CR0.PG | CR0.PE);
    expect(monitor.guest.cr4).toBe(0n);
    // PAE with paging off: the PAE passthrough tables, then back.
    movToCr(vcpu, monitor, 4, CR4.PAE);
    expect(reprograms).toBe(1);
    expect(vcpu.control.cr4 & CR4.PAE).toBe(CR4.PAE);
    expect(vcpu.control.cr3).not.toBe(root32);
    movToCr(vcpu, monitor, 4, CR4.PAE | CR4.PGE);
    expect(reprograms).toBe(1);
    movToCr(vcpu, monitor, 4, 0n);
    expect(reprograms).toBe(2);
    expect(vcpu.control.cr3).toBe(root32);
    expect(vcpu.control.cr4 & CR4.PAE).toBe(0n);
    expect(vcpu.injected).toEqual([]);
  });

  it('direct: entering long mode puts PG and LMA in the hardware as in the guest', () => {
    const { vcpu, monitor } = setup('direct', { cr0: CR0.PE | CR0.ET, cr4: CR4.PAE, efer: EFER.LME, cr3: 0x2000n });
    movToCr(vcpu, monitor, 0, CR0.PG | CR0.PE);
    expect(monitor.guest.efer).toBe(EFER.LME | EFER.LMA);
    expect(vcpu.control.efer & (EFER.LME | EFER.LMA)).toBe(EFER.LME | EFER.LMA);
    expect(vcpu.control.cr0).toBe(CR0.PG | CR0.PE | CR0.ET);
  });

  it('shadow: bits the strategy owns survive a handler programming the rest (EFER.NXE)', () => {
    const { vcpu, monitor } = setup('shadow', { cr0: CR0.PG | CR0.PE | CR0.ET, cr3: 0x1000n });
    const nxe = vcpu.control.efer & EFER.NXE;
    expect(nxe).toBe(EFER.NXE); // shadow tables use XD whatever the guest's NXE
    vcpu.gprs[1] = 0xc000_0080n;
    vcpu.gprs[0] = EFER.SCE;
    vcpu.gprs[2] = 0n;
    monitor.handleExit({ reason: 'wrmsr', msr: 0xc000_0080, insnLength: 2 }, vcpu);
    expect(vcpu.injected).toEqual([]);
    expect(monitor.guest.efer).toBe(EFER.SCE);
    expect(vcpu.control.efer & EFER.SCE).toBe(EFER.SCE);
    expect(vcpu.control.efer & EFER.NXE).toBe(nxe);
  });
});
