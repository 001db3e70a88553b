/**
 * Test harness for the CPU core: a Cpu over a small PhysicalMemory with a monitor that stops on
 * HLT, code given as hex bytes, and setup helpers for real/protected/long mode flat segments.
 */
import { PhysicalMemory } from '../../../src/runtime/machine/memory.ts';
import { Cpu } from '../../../src/runtime/cpu/cpu.ts';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import type { ExitOutcome, Monitor, StopReason } from '../../../src/runtime/vmm/monitor.ts';
import type { VmExit } from '../../../src/runtime/vmm/exit.ts';

export class TestMonitor implements Monitor {
  readonly exits: VmExit[] = [];
  attach(): void {}
  handleExit(exit: VmExit): ExitOutcome {
    this.exits.push(exit);
    if (exit.reason === 'hlt') return { kind: 'stop', reason: { kind: 'halted' } };
    return { kind: 'stop', reason: { kind: 'monitor-error', detail: `unexpected exit ${exit.reason}` } };
  }
}

export type Bits = 16 | 32 | 64;

export const CODE = 0x1000;
export const STACK_TOP = 0x8000;

export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/#[^\n]*/g, '').replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Put the CPU in a flat mode of the given bitness (no descriptor tables needed: caches only). */
export function setMode(cpu: Cpu, bits: Bits): void {
  if (bits === 16) {
    cpu.setControl({ cr0: 0x10n, efer: 0n });
    for (let s = 0; s < 6; s++) {
      const c = cpu.seg[s]!;
      c.selector = 0;
      c.base = 0;
      c.limit = 0xffff;
      c.db = false;
      c.l = false;
      c.type = s === Seg.CS ? 0xb : 0x3;
    }
  } else {
    cpu.setControl(bits === 64 ? { cr0: 0x80000011n, cr4: 0x20n, efer: 0x500n } : { cr0: 0x11n, efer: 0n });
    for (let s = 0; s < 6; s++) {
      const c = cpu.seg[s]!;
      c.selector = s === Seg.CS ? 8 : 0x10;
      c.base = 0;
      c.limit = 0xffffffff;
      c.g = true;
      c.type = s === Seg.CS ? 0xb : 0x3;
      c.db = bits === 32;
      c.l = bits === 64 && s === Seg.CS;
      c.usable = true;
    }
  }
  cpu.updateMode();
}

export interface Machine {
  cpu: Cpu;
  mem: PhysicalMemory;
  monitor: TestMonitor;
  /** Load code at CODE and run until it halts or leaves the code (ip == end) or budget runs out. */
  run(hex: string, budget?: number): StopReason | null;
}

export function machine(bits: Bits, memMiB = 1): Machine {
  const mem = new PhysicalMemory({ memMiB });
  const monitor = new TestMonitor();
  const cpu = new Cpu({ bus: mem, monitor });
  setMode(cpu, bits);
  cpu.setSp(STACK_TOP);
  return {
    cpu,
    mem,
    monitor,
    run(hex: string, budget = 10_000): StopReason | null {
      const code = hexBytes(hex);
      mem.loadBytes(CODE, code);
      cpu.decoded.clear();
      cpu.ip = CODE;
      const end = CODE + code.length;
      let last: StopReason | null = null;
      for (let i = 0; i < budget && cpu.ip !== end; i++) {
        last = cpu.run(1);
        if (last !== null && last.kind !== 'max-insns') return last;
      }
      return cpu.ip === end ? null : last;
    },
  };
}

/** Flags helpers. */
export const F = { CF: 1, PF: 4, AF: 0x10, ZF: 0x40, SF: 0x80, TF: 0x100, IF: 0x200, DF: 0x400, OF: 0x800 } as const;
export const STATUS = 0x8d5;

export function status(cpu: Cpu): number {
  return cpu.getFlags() & STATUS;
}
