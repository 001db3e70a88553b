import type { IoBus } from '../machine/bus.ts';
import type { CpuidResult } from '../../generated/cpu-model.ts';
import * as GENERATED from '../../generated/handlers/index.ts';
import { answerCpuid, SPEC_CPU_MODEL, type CpuModel } from './cpuid.ts';
import type { GuestState, RuleHandler } from './effects.ts';
import type { CrAccessExit, IoExit, MsrExit, TaskSwitchExit, VmExit } from './exit.ts';
import { CR_ACCESS_SLOT, ReasonCounts } from './exit-counts.ts';
import { GuestRegs } from './guest-regs.ts';
import type { CrExitHandler, ExitOutcome, Monitor, StopReason } from './monitor.ts';
import type { PagingStrategy } from './paging.ts';
import { RuleContext } from './rule-context.ts';
import type { Vcpu } from './vcpu.ts';
import { InterruptInjector, type VirtualInterruptController } from './interrupt-injection.ts';

/**
 * The trap-and-emulate monitor. Control-register, EFER and XCR0 exits go to the handlers
 * generated from spec/rules (through RuleContext, the RuleEffects implementation); CPUID is
 * answered from the CPU model; port I/O goes to the I/O bus; INVLPG, #PF and nested faults go
 * to the paging strategy. The monitor never decodes guest instructions: everything it needs is
 * in the exit (VMX-style qualification) and the Vcpu's registers.
 */

export interface TrapMonitorOptions {
  /** Port I/O; `takeStop` (PortIoBus) reports a device that ended the run (debug exit). */
  io: IoBus & { takeStop?(): StopReason | null };
  paging: PagingStrategy;
  cpuModel?: CpuModel;
  /**
   * The generated handlers (default: src/generated/handlers/index.ts). Tests pass handlers
   * generated from an edited copy of spec/ (the exit trace's rule locations follow the edit).
   */
  handlers?: HandlerTables;
  /** The platform's interrupt controller (the local APIC); none: HLT ends the run. */
  interrupts?: VirtualInterruptController;
}

/** The dispatch tables and site tables of a generated handlers module (src/generated/handlers/index.ts). */
export type HandlerTables = Pick<typeof GENERATED, 'CR_WRITE' | 'CR_READ' | 'LMSW' | 'CLTS' | 'SMSW' | 'WRMSR' | 'RDMSR' | 'XSETBV' | 'RULE_SITES'>;

const RESUME: ExitOutcome = { kind: 'resume' };
const HALTED: ExitOutcome = { kind: 'stop', reason: { kind: 'halted' } };
const GP = 13;
const UD = 6;
const PF = 14;
const RAX = 0;
const RCX = 1;
const RDX = 2;
const RBX = 3;
const LOW32 = 0xffff_ffffn;
const CR0_TS = 8n;
const CPUID1_EDX_APIC = 1 << 9;

export class TrapMonitor implements Monitor {
  /** The guest-visible control registers (read by the paging strategy, owned by the rules). */
  readonly guest = new GuestRegs();
  readonly paging: PagingStrategy;
  private readonly io: TrapMonitorOptions['io'];
  private readonly cpuModel: CpuModel;
  /** The RuleEffects the handlers run with (an exit tracer reads its faultSite and taken). */
  readonly cx: RuleContext;
  /** The generated handlers this monitor dispatches to. */
  readonly handlers: HandlerTables;
  private readonly cpuidOut: CpuidResult = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  /** Exits by reason (slots; see exitCounts). */
  private readonly reasons = new ReasonCounts();
  /** Interrupt injection (null without an interrupt controller: HLT ends the run). */
  readonly interrupts: InterruptInjector | undefined;
  private readonly apic: VirtualInterruptController | undefined;

  constructor(options: TrapMonitorOptions) {
    this.io = options.io;
    this.paging = options.paging;
    this.cpuModel = options.cpuModel ?? SPEC_CPU_MODEL;
    this.cx = new RuleContext(this.guest, this.paging);
    this.handlers = options.handlers ?? GENERATED;
    this.interrupts = options.interrupts !== undefined ? new InterruptInjector(options.interrupts) : undefined;
    this.apic = options.interrupts;
    // The guest's TPR (CR8's class) is the APIC's own register.
    if (options.interrupts !== undefined) this.guest.tprPort = options.interrupts;
  }

  /**
   * The generated handler an exit is dispatched to, or undefined (not a rule exit, or no rule:
   * #UD / #GP(0)). For exit traces; the exit path itself dispatches inline below.
   */
  ruleFor(exit: VmExit): RuleHandler | undefined {
    const t = this.handlers;
    switch (exit.reason) {
      case 'cr-access':
        switch (exit.access) {
          case 'mov-to-cr':
            return exit.operand.kind === 'reg' ? t.CR_WRITE[exit.cr] : undefined;
          case 'mov-from-cr':
            return exit.operand.kind === 'reg' ? t.CR_READ[exit.cr] : undefined;
          case 'clts':
            return t.CLTS;
          case 'lmsw':
            return t.LMSW;
          case 'smsw':
            return t.SMSW;
        }
        return undefined;
      case 'wrmsr':
        return t.WRMSR.get(exit.msr >>> 0);
      case 'rdmsr':
        return t.RDMSR.get(exit.msr >>> 0);
      case 'xsetbv':
        return t.XSETBV;
      default:
        return undefined;
    }
  }

  interruptsChanged(): void {
    this.interrupts?.update();
  }

  /** The CPU's architectural control registers become the guest's; the strategy programs the hardware. */
  attach(vcpu: Vcpu): void {
    const hw = vcpu.control;
    this.guest.cr0 = hw.cr0 | 0x10n; // R18: ET reads 1
    this.guest.cr3 = hw.cr3;
    this.guest.cr4 = hw.cr4;
    this.guest.efer = hw.efer;
    this.guest.cr8 = hw.cr8;
    this.guest.xcr0 = hw.xcr0;
    vcpu.intercepts = { ...vcpu.intercepts, crAccess: true, efer: true };
    this.paging.attach(vcpu, this.guest);
    this.interrupts?.attach(vcpu);
  }

  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    this.reasons.count(exit);
    switch (exit.reason) {
      case 'cr-access':
        return this.crAccess(exit, vcpu);
      case 'rdmsr':
      case 'wrmsr':
        return this.msr(exit, vcpu);
      case 'xsetbv': {
        return this.run(this.handlers.XSETBV, vcpu, vcpu.gprLo(RAX), vcpu.gprLo(RDX), BigInt(vcpu.gprLo(RCX)), exit.insnLength);
      }
      case 'cpuid':
        return this.cpuid(vcpu, exit.insnLength);
      case 'hlt':
        // Without an interrupt controller HLT never wakes: with IF=0 it is the guest contract's
        // "halted", and with IF=1 it would wait forever — stop as halted too.
        vcpu.advanceRip(exit.insnLength);
        return this.interrupts !== undefined ? this.interrupts.hlt(vcpu) : HALTED;
      case 'interrupt-window':
        return this.interrupts !== undefined ? this.interrupts.interruptWindow(vcpu) : this.noWindows(vcpu);
      case 'nmi-window':
        return this.interrupts !== undefined ? this.interrupts.nmiWindow(vcpu) : this.noWindows(vcpu);
      case 'io':
        return this.ioExit(exit, vcpu);
      case 'invlpg':
        // R107: legal in every mode at CPL 0 (Palacios P21 stopped the VM with paging off).
        if (vcpu.cpl !== 0) return this.inject(vcpu, GP, 0);
        this.paging.flush(vcpu, this.guest, { kind: 'page', linear: exit.linear });
        vcpu.advanceRip(exit.insnLength);
        return RESUME;
      case 'exception':
        if (exit.vector === PF) return this.paging.handlePageFault(exit, vcpu, this.guest);
        return this.inject(vcpu, exit.vector, exit.errorCode);
      case 'npf':
        return this.paging.handleNestedFault(exit, vcpu, this.guest);
      case 'task-switch':
        return this.taskSwitch(exit, vcpu);
    }
  }

  /** A window exit without an interrupt controller: stop asking. */
  private noWindows(vcpu: Vcpu): ExitOutcome {
    vcpu.setInterruptWindowExiting(false);
    vcpu.setNmiWindowExiting(false);
    return RESUME;
  }

  /**
   * A task switch's control-register loads (TaskSwitchExit), through the same rules as the
   * instructions: CR3 from the new TSS as a MOV to CR3 (its faults, its cr3_loaded effect: new
   * shadow roots under shadow paging), then CR0.TS set as a MOV to CR0 of the guest's CR0 with TS
   * (the guest CR0 and the hardware CR0 the rules derive from it). The hardware does both, so no
   * CPL check applies (armHardware). RIP is the new task's: nothing is advanced.
   */
  private taskSwitch(exit: TaskSwitchExit, vcpu: Vcpu): ExitOutcome {
    const cx = this.cx;
    if (exit.cr3 !== null) {
      const h = this.handlers.CR_WRITE[3];
      if (!h) return this.inject(vcpu, GP, 0);
      cx.armHardware(vcpu);
      if (!h(cx, exit.cr3 >>> 0, 0)) return this.inject(vcpu, cx.faultVector, cx.faultCode);
    }
    const h0 = this.handlers.CR_WRITE[0];
    if (!h0) return this.inject(vcpu, GP, 0);
    const cr0 = this.guest.cr0 | CR0_TS;
    cx.armHardware(vcpu);
    if (!h0(cx, Number(cr0 & LOW32), Number(cr0 >> 32n))) return this.inject(vcpu, cx.faultVector, cx.faultCode);
    return RESUME;
  }

  /** Run a generated handler; complete the instruction or inject what it raised. */
  private run(handler: RuleHandler | undefined, vcpu: Vcpu, lo: number, hi: number, index: bigint, insnLength: number): ExitOutcome {
    if (!handler) return this.inject(vcpu, UD, undefined);
    this.cx.arm(vcpu, index);
    if (!handler(this.cx, lo, hi)) return this.inject(vcpu, this.cx.faultVector, this.cx.faultCode);
    vcpu.advanceRip(insnLength);
    return RESUME;
  }

  private inject(vcpu: Vcpu, vector: number, errorCode: number | undefined): ExitOutcome {
    vcpu.injectException(vector, errorCode);
    return RESUME;
  }

  handleCrAccess(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome {
    this.reasons.countCrAccess();
    return this.crAccess(exit, vcpu);
  }

  /**
   * handleCrAccess for one MOV to/from CR or CLTS exit, bound to its register, size and generated
   * handler (Monitor.crExitHandler); the other CR accesses go through handleCrAccess. The closures
   * repeat crAccess's few lines rather than call shared helpers: every call level costs V8
   * inlining budget in the compiled block that calls them (a shared writeCr/readCr measured about
   * 3 % slower on crmix).
   */
  crExitHandler(exit: CrAccessExit): CrExitHandler | undefined {
    const op = exit.operand;
    if (op.kind !== 'reg') return undefined;
    const n = op.gpr;
    const size = op.size;
    const len = exit.insnLength;
    const counts = this.reasons.slots;
    const cx = this.cx;
    switch (exit.access) {
      case 'mov-to-cr': {
        const h = this.handlers.CR_WRITE[exit.cr];
        if (h === undefined) return undefined;
        // R4, R38: 32-bit operand outside 64-bit mode, 64-bit in it (the exit says which).
        return (vcpu) => {
          counts[CR_ACCESS_SLOT]++;
          cx.arm(vcpu, 0n);
          const lo = size === 2 ? vcpu.gprLo(n) & 0xffff : vcpu.gprLo(n);
          if (!h(cx, lo, size === 8 ? vcpu.gprHi(n) : 0)) return this.inject(vcpu, cx.faultVector, cx.faultCode);
          vcpu.advanceRip(len);
          return RESUME;
        };
      }
      case 'mov-from-cr': {
        const h = this.handlers.CR_READ[exit.cr];
        if (h === undefined) return undefined;
        return (vcpu) => {
          counts[CR_ACCESS_SLOT]++;
          cx.arm(vcpu, 0n);
          if (!h(cx, 0, 0)) return this.inject(vcpu, cx.faultVector, cx.faultCode);
          vcpu.writeGprHalves(n, cx.resultLo, cx.resultHi, size);
          vcpu.advanceRip(len);
          return RESUME;
        };
      }
      case 'clts': {
        const h = this.handlers.CLTS;
        if (h === undefined) return undefined;
        return (vcpu) => {
          counts[CR_ACCESS_SLOT]++;
          cx.arm(vcpu, 0n);
          if (!h(cx, 0, 0)) return this.inject(vcpu, cx.faultVector, cx.faultCode);
          vcpu.advanceRip(len);
          return RESUME;
        };
      }
      default:
        return undefined;
    }
  }

  private crAccess(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome {
    const op = exit.operand;
    switch (exit.access) {
      case 'mov-to-cr': {
        if (op.kind !== 'reg') return this.inject(vcpu, UD, undefined);
        // R4, R38: 32-bit operand outside 64-bit mode, 64-bit in it (the exit says which).
        const n = op.gpr;
        const size = op.size;
        const lo = size === 2 ? vcpu.gprLo(n) & 0xffff : vcpu.gprLo(n);
        return this.run(this.handlers.CR_WRITE[exit.cr], vcpu, lo, size === 8 ? vcpu.gprHi(n) : 0, 0n, exit.insnLength);
      }
      case 'mov-from-cr': {
        if (op.kind !== 'reg') return this.inject(vcpu, UD, undefined);
        const h = this.handlers.CR_READ[exit.cr];
        if (!h) return this.inject(vcpu, UD, undefined);
        this.cx.arm(vcpu, 0n);
        if (!h(this.cx, 0, 0)) return this.inject(vcpu, this.cx.faultVector, this.cx.faultCode);
        vcpu.writeGprHalves(op.gpr, this.cx.resultLo, this.cx.resultHi, op.size);
        vcpu.advanceRip(exit.insnLength);
        return RESUME;
      }
      case 'clts':
        return this.run(this.handlers.CLTS, vcpu, 0, 0, 0n, exit.insnLength);
      case 'lmsw':
        return this.run(this.handlers.LMSW, vcpu, exit.lmswSource & 0xffff, 0, 0n, exit.insnLength);
      case 'smsw': {
        const smsw = this.handlers.SMSW;
        if (!smsw) return this.inject(vcpu, UD, undefined);
        this.cx.arm(vcpu, 0n);
        if (!smsw(this.cx, 0, 0)) return this.inject(vcpu, this.cx.faultVector, this.cx.faultCode);
        if (op.kind === 'mem') {
          // R31: always 16 bits to memory; a failed store has queued its own fault.
          if (!vcpu.writeLinear16(op.linear, this.cx.resultLo & 0xffff)) return RESUME;
        } else {
          // R32: r16 keeps the register's upper bits (writeGpr size 2); R33/R34: r32/r64 get CR0.
          vcpu.writeGprHalves(op.gpr, this.cx.resultLo, this.cx.resultHi, op.size);
        }
        vcpu.advanceRip(exit.insnLength);
        return RESUME;
      }
    }
  }

  private msr(exit: MsrExit, vcpu: Vcpu): ExitOutcome {
    const index = BigInt(exit.msr >>> 0);
    if (exit.reason === 'wrmsr') {
      const h = this.handlers.WRMSR.get(exit.msr >>> 0);
      if (!h) return this.inject(vcpu, GP, 0); // R72: unknown MSR
      return this.run(h, vcpu, vcpu.gprLo(RAX), vcpu.gprLo(RDX), index, exit.insnLength); // R63: EDX:EAX
    }
    const h = this.handlers.RDMSR.get(exit.msr >>> 0);
    if (!h) return this.inject(vcpu, GP, 0); // R72
    this.cx.arm(vcpu, index);
    if (!h(this.cx, 0, 0)) return this.inject(vcpu, this.cx.faultVector, this.cx.faultCode);
    vcpu.writeGprHalves(RAX, this.cx.resultLo, 0, 4); // R63: upper halves zeroed
    vcpu.writeGprHalves(RDX, this.cx.resultHi, 0, 4);
    vcpu.advanceRip(exit.insnLength);
    return RESUME;
  }

  private cpuid(vcpu: Vcpu, insnLength: number): ExitOutcome {
    const leaf = Number(vcpu.readGpr(RAX) & LOW32);
    const subleaf = Number(vcpu.readGpr(RCX) & LOW32);
    const r = this.cpuidOut;
    answerCpuid(this.cpuModel, leaf, subleaf, this.guest.cr4, this.guest.xcr0, r);
    // CPUID.01H:EDX[9] reads 0 while the APIC is globally disabled (SDM Vol. 3A §10.4.3).
    if (leaf === 1 && this.apic !== undefined && !this.apic.globallyEnabled) r.edx = (r.edx & ~CPUID1_EDX_APIC) >>> 0;
    vcpu.writeGpr(RAX, BigInt(r.eax >>> 0), 4);
    vcpu.writeGpr(RBX, BigInt(r.ebx >>> 0), 4);
    vcpu.writeGpr(RCX, BigInt(r.ecx >>> 0), 4);
    vcpu.writeGpr(RDX, BigInt(r.edx >>> 0), 4);
    vcpu.advanceRip(insnLength);
    return RESUME;
  }

  private ioExit(exit: IoExit, vcpu: Vcpu): ExitOutcome {
    if (exit.direction === 'out') {
      const mask = exit.size === 1 ? 0xffn : exit.size === 2 ? 0xffffn : LOW32;
      this.io.out(exit.port, exit.size, Number(vcpu.readGpr(RAX) & mask));
    } else {
      const value = BigInt(this.io.in(exit.port, exit.size) >>> 0);
      if (exit.size === 1) vcpu.writeGpr(RAX, (vcpu.readGpr(RAX) & ~0xffn) | (value & 0xffn), 8);
      else vcpu.writeGpr(RAX, value, exit.size);
    }
    vcpu.advanceRip(exit.insnLength);
    const stop = this.io.takeStop?.() ?? null;
    return stop === null ? RESUME : { kind: 'stop', reason: stop };
  }

  /** Exits handled so far by reason ('cr-access', 'wrmsr', ...): a fresh Map on each read. */
  get exitCounts(): Map<string, number> {
    return this.reasons.toMap();
  }

  /** The strategy's counters (exits are counted by the machine; `exitCounts` has them by reason). */
  stats(): Record<string, number> {
    return this.paging.stats();
  }
}
