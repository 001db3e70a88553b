import type { Monitor, StopReason } from '../vmm/monitor.ts';
import type { GuestControl } from '../vmm/paging.ts';
import type { Vcpu } from '../vmm/vcpu.ts';
import { applyBootState } from './boot-cpu.ts';
import type { SerialInput } from './devices/uart16550.ts';
import { ACPI_BASE, acpiTableRanges, installAcpiTables } from './firmware/acpi.ts';
import type { StopSource } from './io-bus.ts';
import type { LoadOutcome } from './loaders/load-error.ts';
import { loadImage, type LoadedImage, type LoadImageOptions } from './loaders/load-image.ts';
import { E820Type } from './loaders/linux/e820.ts';
import { PhysicalMemory } from './memory.ts';
import { defaultMonitorFactory, type MonitorFactory, type PagingModeName } from './monitor-factory.ts';
import type { OutputSink } from './output.ts';
import { OutputMarker } from './output-marker.ts';
import { Platform } from './platform.ts';
import { cpuCounters, createCpu, type CpuCounters, type MachineCpu, type TraceSink } from './cpu-port.ts';
import { MachineClock, TSC_HZ, type ClockMode } from './clock.ts';
import { createInterruptControllers, type InterruptControllers } from './interrupt-controllers.ts';

export type { MonitorContext, MonitorFactory, PagingModeName } from './monitor-factory.ts';

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
  /** Virtual time (clock.ts): 'deterministic' (default) or 'realtime' (--clock). */
  clock?: ClockMode;
  /** COM1's receive side (the host console; takeStop for its quit key). */
  serialInput?: SerialInput & Partial<StopSource>;
  /** RTC wall time at power-on (Unix seconds); default a fixed date (devices/rtc.ts). */
  rtcStartSec?: number;
  /**
   * Output text that marks "boot reached init" for --stats (default for a Linux kernel: its
   * "Run /init as init process" line).
   */
  initMarker?: string;
}

/** The line a Linux kernel prints just before it starts init (init/main.c, run_init_process). */
export const LINUX_INIT_MARKER = ' as init process';

/** When the guest reached init (the init marker appeared in its output). */
export interface InitReached {
  instructions: number;
  seconds: number;
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
  /** Interrupts injected into the guest, by vector (external interrupts; NMIs under 'nmi'). */
  interrupts: Map<string, number>;
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
  /** The PC platform's devices on the port bus (platform.ts). */
  readonly devices: Platform;
  readonly monitor: Monitor;
  readonly cpu: MachineCpu;
  readonly clock: MachineClock;
  /** The local APIC and the IO-APIC (interrupt-controllers.ts). */
  readonly interrupts: InterruptControllers;
  /** Can input still arrive that would raise an interrupt (a device with an open input)? */
  inputPossible: () => boolean = () => false;
  private instructions = 0;
  private seconds = 0;
  private attached = false;
  private readonly output: OutputMarker;
  private readonly initMarker: string | undefined;
  /** performance.now() when the current run() started (for the init time). */
  private runStart = 0;
  private runBefore = 0;
  initReached: InitReached | null = null;
  private cpuAtRunStart = 0;

  constructor(options: MachineOptions) {
    this.memory = new PhysicalMemory({ memMiB: options.memMiB });
    this.output = new OutputMarker(options.output);
    this.initMarker = options.initMarker;
    // The clock reads the CPU's instruction counter, and the APIC the CPU's TSC: both through
    // closures, since the CPU is made last (after the monitor, which needs the APIC).
    let cpu: MachineCpu | null = null;
    this.clock = new MachineClock(() => (cpu === null ? 0 : cpu.stats.instructions), options.clock ?? 'deterministic');
    let monitor: Monitor | null = null;
    this.interrupts = createInterruptControllers({
      clock: this.clock,
      mmio: this.memory.mmio,
      tscNow: () => (cpu === null ? 0n : cpu.peekTsc()),
      onIntrChange: () => monitor?.interruptsChanged?.(),
    });
    this.devices = new Platform({
      clock: this.clock,
      output: this.output,
      ramBytes: this.memory.ramSize,
      serialInput: options.serialInput,
      rtcStartSec: options.rtcStartSec,
      onIntrChange: () => monitor?.interruptsChanged?.(),
    });
    // The 8259 pair behind LINT0 (ExtINT), the ISA IRQ lines also on the IO-APIC's pins.
    this.interrupts.lapic.extInt = this.devices.pic;
    this.devices.router.connectIoApic(this.interrupts.ioapic);
    // COM1 input needs no inputPossible: once the guest has touched COM1 the UART polls it on
    // a timer (so a HLT sleeps to that deadline); before that no byte can reach the guest.
    const factory = options.monitorFactory ?? defaultMonitorFactory;
    monitor = this.monitor = factory({
      memory: this.memory,
      io: this.devices.io,
      paging: options.paging,
      crPolicy: options.crPolicy,
      interrupts: this.interrupts.lapic,
    });
    cpu = this.cpu = createCpu({ bus: this.memory, monitor: this.monitor, trace: options.trace });
    const clock = this.clock;
    this.cpu.tscTicks = () => clock.nowNs() * (TSC_HZ / 1e9);
    this.cpu.msrDevice = this.interrupts.lapic;
    const ferr = this.devices.ferr;
    this.cpu.onFerr = (asserted) => ferr.setFerr(asserted); // CR0.NE = 0: x87 errors on IRQ13
  }

  /** The CPU as the monitor sees it. */
  get vcpu(): Vcpu {
    return this.cpu;
  }

  /** Load an image into RAM and put the CPU in its entry state; the monitor then attaches. */
  load(image: Uint8Array, options: LoadImageOptions): LoadOutcome<LoadedImage> {
    // Firmware tables first: an image that overlaps the BIOS area wins (it is the guest's RAM).
    const acpi = installAcpiTables(this.memory.ram);
    // A Linux kernel's e820 map marks the tables as ACPI data and boot_params names the RSDP.
    const firmware: Partial<LoadImageOptions> = acpi
      ? { reserved: acpiTableRanges().map((r) => ({ ...r, type: E820Type.ACPI })), acpiRsdp: ACPI_BASE }
      : {};
    const loaded = loadImage(this.memory.ram, image, { ...firmware, ...options });
    if (!loaded.ok) return loaded;
    applyBootState(this.cpu, loaded.value.boot);
    const marker = this.initMarker ?? (loaded.value.kind === 'linux-bzimage' ? LINUX_INIT_MARKER : undefined);
    if (marker !== undefined) {
      this.output.watch(marker, () => {
        this.initReached = {
          instructions: this.runBefore + this.cpu.stats.instructions - this.cpuAtRunStart,
          seconds: this.seconds + (performance.now() - this.runStart) / 1000,
        };
      });
    }
    this.monitor.attach(this.cpu);
    this.attached = true;
    return loaded;
  }

  /**
   * Run until the guest stops or `maxInsns` instructions have run (then 'max-insns'). Timers fire
   * at instruction boundaries: the CPU never runs past the clock's next deadline. A CPU asleep in
   * HLT skips to the next deadline (deterministic clock) or waits for it (realtime); with no timer
   * armed and no input possible nothing can wake it, and the run ends 'halted'. With input
   * possible but no timer, run() returns 'idle' (runAsync waits for the input then).
   */
  run(maxInsns = Infinity): RunResult {
    if (!this.attached) throw new Error('Machine.run before load');
    const start = performance.now();
    const before = this.instructions;
    this.runStart = start;
    this.runBefore = before;
    this.cpuAtRunStart = this.cpu.stats.instructions;
    const clock = this.clock;
    let stop: StopReason | null = null;
    while (stop === null) {
      const left = maxInsns - (this.instructions - before);
      if (left <= 0) {
        stop = { kind: 'max-insns' };
        break;
      }
      clock.runDue();
      const budget = Math.min(SLICE, left, clock.instructionsUntilDeadline());
      const countBefore = this.cpu.stats.instructions;
      stop = this.cpu.run(budget);
      this.instructions += this.cpu.stats.instructions - countBefore;
      // A reset (i8042, port 0x92, 0xCF9) comes back from the OUT; the console's quit from here.
      const requested = this.devices.takeStop();
      if (requested !== null) {
        stop = requested;
        break;
      }
      // The CPU reports an exhausted slice as 'max-insns'; only the overall limit ends the run.
      const progressed = this.cpu.stats.instructions !== countBefore;
      if (stop?.kind === 'max-insns' && progressed && this.instructions - before < maxInsns) stop = null;
      else if (stop?.kind === 'max-insns' && !progressed && budget < left) stop = null;
      else if (stop?.kind === 'idle') stop = this.sleep();
    }
    const seconds = (performance.now() - start) / 1000;
    this.seconds += seconds;
    return { stop, instructions: this.instructions - before, seconds };
  }

  /** The CPU sleeps in HLT: advance or wait for time; null to go on, or why the run ends. */
  private sleep(): StopReason | null {
    if (this.clock.sleepUntilDeadline()) return null;
    if (this.inputPossible()) return { kind: 'idle' };
    return { kind: 'halted', why: 'no timer armed, no input possible' };
  }

  /**
   * run() for interactive use: while the guest sleeps waiting for input, yield to the event
   * loop (stdin data arrives there) and go on.
   */
  async runAsync(maxInsns = Infinity, pollMs = 5): Promise<RunResult> {
    let total = 0;
    let seconds = 0;
    for (;;) {
      const r = this.run(maxInsns - total);
      total += r.instructions;
      seconds += r.seconds;
      if (r.stop.kind !== 'idle') return { stop: r.stop, instructions: total, seconds };
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
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
      ...this.devices.stats(),
    };
    // The real monitor's paging strategy has its own counters (shadow fills, injected #PF, ...).
    const inner = this.monitor as Partial<{ paging: { stats(): Record<string, number> } }>;
    if (inner.paging !== undefined) {
      for (const [k, v] of Object.entries(inner.paging.stats())) extra[`paging.${k}`] = v;
    }
    if (this.initReached !== null) {
      extra['boot.toInit.instructions'] = this.initReached.instructions;
      extra['boot.toInit.ms'] = Math.round(this.initReached.seconds * 1000);
    }
    const interrupts = new Map<string, number>();
    const inj = this.monitor.interrupts;
    if (inj !== undefined) {
      for (let v = 0; v < 256; v++) if (inj.byVector[v]! > 0) interrupts.set(`vector 0x${v.toString(16).padStart(2, '0')}`, inj.byVector[v]!);
      if (inj.nmis > 0) interrupts.set('nmi', inj.nmis);
      extra['interrupts.hltSleeps'] = inj.hltSleeps;
    }
    extra['clock.timerCallbacks'] = this.clock.fired;
    extra['clock.apicTimerTicks'] = this.interrupts.lapic.timer.expirations;
    extra['clock.sleptNs'] = this.clock.sleptNs;
    extra['clock.virtualNs'] = this.clock.nowNs();
    for (const [k, v] of Object.entries(this.interrupts.lapic.counters)) extra[`lapic.${k}`] = v;
    extra['ioapic.delivered'] = this.interrupts.ioapic.delivered;
    extra['mmio.reads'] = this.memory.mmio.reads;
    extra['mmio.writes'] = this.memory.mmio.writes;
    return {
      interrupts,
      instructions: this.instructions,
      seconds: this.seconds,
      exits: this.cpu.stats.exits.toMap(),
      cpu: cpuCounters(this.cpu),
      unknownPorts: this.devices.io.unknownPorts,
      extra,
    };
  }
}
