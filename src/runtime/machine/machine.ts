import type { Monitor, StopReason } from '../vmm/monitor.ts';
import type { GuestControl } from '../vmm/paging.ts';
import type { Vcpu } from '../vmm/vcpu.ts';
import { applyBootState } from './boot-cpu.ts';
import { createStandardDevices, type StandardDevices } from './devices/standard.ts';
import type { PortIoBus } from './io-bus.ts';
import type { LoadOutcome } from './loaders/load-error.ts';
import { loadImage, type LoadedImage, type LoadImageOptions } from './loaders/load-image.ts';
import { PhysicalMemory } from './memory.ts';
import { defaultMonitorFactory, type PagingModeName } from './monitor-factory.ts';
import type { OutputSink } from './output.ts';
import { cpuCounters, createCpu, type CpuCounters, type MachineCpu, type TraceSink } from './cpu-port.ts';

export type { PagingModeName } from './monitor-factory.ts';

/** What a monitor is built from. */
export interface MonitorContext {
  memory: PhysicalMemory;
  io: PortIoBus;
  paging: PagingModeName;
  /** CR-ownership policy (spec/rules/ownership.rules); default 'trap-all': every CR access exits. */
  crPolicy?: string;
}

export type MonitorFactory = (context: MonitorContext) => Monitor;

export interface MachineOptions {
  /** RAM size in MiB (guest contract default 128). */
  memMiB: number;
  paging: PagingModeName;
  /** CR-ownership policy (`--cr-policy`): 'trap-all' (default) or a policy of spec/rules. */
  crPolicy?: string;
  /** Guest output (COM1 and the debug console). */
  output: OutputSink;
  /** Builds the monitor; default: defaultMonitorFactory (monitor-factory.ts). */
  monitorFactory?: MonitorFactory;
  /** One call per executed instruction (--trace). */
  trace?: TraceSink;
}

export interface RunResult {
  stop: StopReason;
  /** Instructions executed in this run. */
  instructions: number;
  /** Wall-clock seconds spent running guest code. */
  seconds: number;
}

export interface RunStats {
  instructions: number;
  seconds: number;
  exits: Map<string, number>;
  cpu: CpuCounters;
  unknownPorts: Map<number, number>;
  /** Extra counters from the monitor (paging strategies) and memory, by name. */
  extra: Record<string, number>;
}

/** Instructions per call into the CPU when no budget is given: keeps each call bounded. */
const SLICE = 1 << 20;

/**
 * The whole machine: RAM + monitor memory, the contract's devices, the CPU (the "hardware") and
 * the monitor in front of it. load() places an image and sets the boot state; run() executes to
 * a StopReason.
 */
export class Machine {
  readonly memory: PhysicalMemory;
  readonly devices: StandardDevices;
  readonly monitor: Monitor;
  readonly cpu: MachineCpu;
  private instructions = 0;
  private seconds = 0;
  private attached = false;

  constructor(options: MachineOptions) {
    this.memory = new PhysicalMemory({ memMiB: options.memMiB });
    this.devices = createStandardDevices(options.output);
    const factory = options.monitorFactory ?? defaultMonitorFactory;
    this.monitor = factory({ memory: this.memory, io: this.devices.io, paging: options.paging, crPolicy: options.crPolicy });
    this.cpu = createCpu({ bus: this.memory, monitor: this.monitor, trace: options.trace });
  }

  /** The CPU as the monitor sees it. */
  get vcpu(): Vcpu {
    return this.cpu;
  }

  /** Load an image into RAM and put the CPU in its entry state; the monitor then attaches. */
  load(image: Uint8Array, options: LoadImageOptions): LoadOutcome<LoadedImage> {
    const loaded = loadImage(this.memory.ram, image, options);
    if (!loaded.ok) return loaded;
    applyBootState(this.cpu, loaded.value.boot);
    this.monitor.attach(this.cpu);
    this.attached = true;
    return loaded;
  }

  /** Run until the guest stops or `maxInsns` instructions have run (then 'max-insns'). */
  run(maxInsns = Infinity): RunResult {
    if (!this.attached) throw new Error('Machine.run before load');
    const start = performance.now();
    const before = this.instructions;
    let stop: StopReason | null = null;
    while (stop === null) {
      const left = maxInsns - (this.instructions - before);
      if (left <= 0) {
        stop = { kind: 'max-insns' };
        break;
      }
      const budget = Math.min(SLICE, left);
      const countBefore = this.cpu.stats.instructions;
      stop = this.cpu.run(budget);
      this.instructions += this.cpu.stats.instructions - countBefore;
      // The CPU reports an exhausted slice as 'max-insns'; only the overall limit ends the run.
      const progressed = this.cpu.stats.instructions !== countBefore;
      if (stop?.kind === 'max-insns' && progressed && this.instructions - before < maxInsns) stop = null;
    }
    const seconds = (performance.now() - start) / 1000;
    this.seconds += seconds;
    return { stop, instructions: this.instructions - before, seconds };
  }

  /** The guest's control registers as the monitor keeps them, if it keeps its own copy. */
  guestControl(): GuestControl | undefined {
    return (this.monitor as Partial<{ guest: GuestControl }>).guest;
  }

  stats(): RunStats {
    const extra: Record<string, number> = {
      'memory.unbackedReads': this.memory.counters.unbackedReads,
      'memory.unbackedWrites': this.memory.counters.unbackedWrites,
      'memory.monitorPages': this.memory.monitorPagesInUse,
    };
    // The real monitor's paging strategy has its own counters (shadow fills, injected #PF, ...).
    const inner = this.monitor as Partial<{ paging: { stats(): Record<string, number> } }>;
    if (inner.paging !== undefined) {
      for (const [k, v] of Object.entries(inner.paging.stats())) extra[`paging.${k}`] = v;
    }
    return {
      instructions: this.instructions,
      seconds: this.seconds,
      exits: this.cpu.stats.exits.toMap(),
      cpu: cpuCounters(this.cpu),
      unknownPorts: this.devices.io.unknownPorts,
      extra,
    };
  }
}
