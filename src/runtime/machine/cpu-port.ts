import { Cpu } from '../cpu/index.ts';
import { HardwareMmu } from '../mmu/hardware-mmu.ts';
import type { Monitor } from '../vmm/monitor.ts';
import type { PhysicalBus } from './bus.ts';

/** --trace: receives one line per executed instruction. */
export type TraceSink = (line: string) => void;

/** The CPU the machine runs: the interpreter, which is also the Vcpu the monitor sees. */
export type MachineCpu = Cpu;

/** CPU-side counters for --stats. */
export interface CpuCounters {
  instructions: number;
  udByMnemonic: ReadonlyMap<string, number>;
  extra: Record<string, number>;
}

export interface CpuParts {
  bus: PhysicalBus;
  monitor: Monitor;
  trace?: TraceSink;
}

/** Build the interpreter CPU with the hardware MMU (TLB + walker over its paging registers). */
export function createCpu(parts: CpuParts): MachineCpu {
  const cpu = new Cpu({ bus: parts.bus, monitor: parts.monitor });
  cpu.mmu = new HardwareMmu(parts.bus, cpu.pagingRegs);
  cpu.trace = parts.trace ?? null;
  return cpu;
}

export function cpuCounters(cpu: MachineCpu): CpuCounters {
  const s = cpu.stats;
  const extra: Record<string, number> = { 'cpu.decodeMisses': s.decodeMisses };
  if (cpu.mmu instanceof HardwareMmu) {
    for (const [k, v] of Object.entries(cpu.mmu.stats())) extra[`mmu.${k}`] = v;
  }
  return { instructions: s.instructions, udByMnemonic: s.udByMnemonic, extra };
}
