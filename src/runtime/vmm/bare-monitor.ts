import type { PortIoBus } from '../machine/io-bus.ts';
import type { CrAccessExit, MsrExit, VmExit } from './exit.ts';
import { handleIoExit } from './io-exits.ts';
import type { ExitOutcome, Monitor } from './monitor.ts';
import type { Vcpu } from './vcpu.ts';
import { InterruptInjector, type VirtualInterruptController } from './interrupt-injection.ts';

/**
 * The plain pass-through monitor: the guest's control registers *are* the hardware's (paging off
 * means hardware paging off, guest page tables are walked directly). It stands in for the
 * generated handlers + paging strategies until they exist, behind the same Monitor interface.
 *
 * It checks the value rules a guest is most likely to trip over (rule numbers from
 * cr-rules.md) and injects #GP(0) for them; the generated handlers are the complete version.
 */

const RESUME: ExitOutcome = { kind: 'resume' };
const GP = 13;
const EFER_MSR = 0xc000_0080;

const CR0 = { PE: 1n, ET: 1n << 4n, WP: 1n << 16n, NW: 1n << 29n, CD: 1n << 30n, PG: 1n << 31n, TS: 1n << 3n };
/** Architecturally defined CR0 bits: PE MP EM TS ET NE WP AM NW CD PG. */
const CR0_DEFINED = 0xe005_003fn;
const CR4 = { PSE: 1n << 4n, PAE: 1n << 5n, PGE: 1n << 7n, PCIDE: 1n << 17n, SMEP: 1n << 20n };
/** CR4 bits this model supports: TSD DE PSE PAE MCE PGE PCE (others reserved, R47). */
export const BARE_CR4_SUPPORTED = 0x1fcn;
const EFER = { SCE: 1n, LME: 1n << 8n, LMA: 1n << 10n, NXE: 1n << 11n };
/** EFER bits this model supports: SCE LME LMA NXE (R64). */
export const BARE_EFER_SUPPORTED = 0xd01n;
const GUEST_PHYS_BITS = 40n;

/** The CPUID model the bare monitor answers with: [eax, ebx, ecx, edx] per leaf. */
export function bareCpuid(leaf: number, subleaf: number): [number, number, number, number] {
  void subleaf;
  const ascii = (s: string): number => Buffer.from(s, 'latin1').readUInt32LE(0);
  switch (leaf >>> 0) {
    case 0:
      // Vendor "trapspec x86" in EBX, EDX, ECX.
      return [1, ascii('trap'), ascii(' x86'), ascii('spec')];
    case 1:
      // Family 6. EDX: DE PSE TSC MSR PAE MCE CX8 PGE CMOV. ECX: CX16.
      return [0x0000_06f1, 0, 1 << 13, 0xa1fc];
    case 0x8000_0000:
      return [0x8000_0008, 0, 0, 0];
    case 0x8000_0001:
      // ECX: LAHF/SAHF in 64-bit mode. EDX: SYSCALL, NX, LM.
      return [0, 0, 1, (1 << 11) | (1 << 20) | (1 << 29)];
    case 0x8000_0008:
      // 40-bit physical, 48-bit linear addresses.
      return [0x3028, 0, 0, 0];
    default:
      return [0, 0, 0, 0];
  }
}

export interface BareMonitorOptions {
  io: PortIoBus;
  /** The platform's interrupt controller (the local APIC); none: HLT ends the run. */
  interrupts?: VirtualInterruptController;
}

export class BareMonitor implements Monitor {
  private readonly io: PortIoBus;
  readonly interrupts: InterruptInjector | undefined;

  constructor(options: BareMonitorOptions) {
    this.io = options.io;
    this.interrupts = options.interrupts !== undefined ? new InterruptInjector(options.interrupts) : undefined;
  }

  interruptsChanged(): void {
    this.interrupts?.update();
  }

  attach(vcpu: Vcpu): void {
    // The hardware state the loader left is the guest's; nothing to reprogram.
    vcpu.intercepts = { crAccess: true, efer: true, exceptionBitmap: 0, invlpg: true };
    this.interrupts?.attach(vcpu);
  }

  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    switch (exit.reason) {
      case 'cr-access':
        return this.crAccess(exit, vcpu);
      case 'rdmsr':
      case 'wrmsr':
        return this.msr(exit, vcpu);
      case 'xsetbv': {
        const value = (vcpu.readGpr(2) << 32n) | (vcpu.readGpr(0) & 0xffff_ffffn);
        // XCR0 bit 0 (x87) must be 1; only XCR0 (ECX = 0) exists.
        if ((vcpu.readGpr(1) & 0xffff_ffffn) !== 0n || (value & 1n) === 0n || (value & ~0x7n) !== 0n) return gp(vcpu);
        vcpu.setControl({ xcr0: value });
        return done(vcpu, exit.insnLength);
      }
      case 'cpuid': {
        const [a, b, c, d] = bareCpuid(Number(vcpu.readGpr(0) & 0xffff_ffffn), Number(vcpu.readGpr(1) & 0xffff_ffffn));
        vcpu.writeGpr(0, BigInt(a >>> 0), 4);
        vcpu.writeGpr(3, BigInt(b >>> 0), 4);
        vcpu.writeGpr(1, BigInt(c >>> 0), 4);
        vcpu.writeGpr(2, BigInt(d >>> 0), 4);
        return done(vcpu, exit.insnLength);
      }
      case 'hlt':
        // Without an interrupt controller HLT never wakes: with IF=0 or IF=1 the run is over.
        vcpu.advanceRip(exit.insnLength);
        return this.interrupts !== undefined ? this.interrupts.hlt(vcpu) : { kind: 'stop', reason: { kind: 'halted' } };
      case 'interrupt-window':
        if (this.interrupts !== undefined) return this.interrupts.interruptWindow(vcpu);
        vcpu.setInterruptWindowExiting(false);
        return RESUME;
      case 'nmi-window':
        if (this.interrupts !== undefined) return this.interrupts.nmiWindow(vcpu);
        vcpu.setNmiWindowExiting(false);
        return RESUME;
      case 'io':
        return handleIoExit(exit, vcpu, this.io);
      case 'invlpg':
        vcpu.flushTlb({ kind: 'page', linear: exit.linear });
        return done(vcpu, exit.insnLength);
      case 'exception':
        // Nothing is in the exception bitmap; deliver anything that arrives anyway.
        vcpu.injectException(exit.vector, exit.errorCode);
        if (exit.vector === 14) vcpu.cr2 = BigInt.asUintN(64, BigInt(exit.faultAddress));
        return RESUME;
      case 'task-switch': {
        // The hardware's own loads (no CPL check, RIP not advanced): CR3 from a 32-bit TSS
        // (flushing non-global translations, R42) and CR0.TS.
        const hw = vcpu.control;
        if (exit.cr3 !== null) {
          vcpu.setControl({ cr3: BigInt(exit.cr3 >>> 0) });
          vcpu.flushTlb(has(hw.cr4, CR4.PCIDE) ? { kind: 'pcid', pcid: exit.cr3 & 0xfff } : { kind: 'non-global' });
        }
        vcpu.setControl({ cr0: hw.cr0 | CR0.TS });
        return RESUME;
      }
      case 'npf':
        return {
          kind: 'stop',
          reason: { kind: 'monitor-error', detail: `nested page fault at 0x${exit.guestPhysical.toString(16)} without nested paging` },
        };
    }
  }

  private crAccess(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome {
    const hw = vcpu.control;
    switch (exit.access) {
      case 'mov-from-cr': {
        if (exit.operand.kind !== 'reg') return gp(vcpu);
        const value = exit.cr === 0 ? hw.cr0 : exit.cr === 3 ? hw.cr3 : exit.cr === 4 ? hw.cr4 : hw.cr8;
        vcpu.writeGpr(exit.operand.gpr, value, exit.operand.size);
        return done(vcpu, exit.insnLength);
      }
      case 'clts':
        return this.writeCr0(vcpu, hw.cr0 & ~CR0.TS, exit.insnLength); // R37
      case 'lmsw':
        // R25/R26: bits 3:0 from the source, PE can be set but not cleared.
        return this.writeCr0(vcpu, (hw.cr0 & ~0xen) | (BigInt(exit.lmswSource) & 0xfn), exit.insnLength);
      case 'smsw': {
        const op = exit.operand;
        if (op.kind === 'mem') {
          // R31: 16 bits to memory. A fault has been queued for injection.
          if (!vcpu.writeLinear16(op.linear, Number(hw.cr0 & 0xffffn))) return RESUME;
        } else {
          // R32-R34: r16 gets bits 15:0; r32/r64 the whole CR0.
          vcpu.writeGpr(op.gpr, op.size === 2 ? hw.cr0 & 0xffffn : hw.cr0, op.size);
        }
        return done(vcpu, exit.insnLength);
      }
      case 'mov-to-cr': {
        if (exit.operand.kind !== 'reg') return gp(vcpu);
        const raw = vcpu.readGpr(exit.operand.gpr);
        const value = exit.operand.size === 8 ? raw : raw & 0xffff_ffffn; // R4/R38
        switch (exit.cr) {
          case 0:
            return this.writeCr0(vcpu, value, exit.insnLength);
          case 3:
            return this.writeCr3(vcpu, value, exit.insnLength);
          case 4:
            return this.writeCr4(vcpu, value, exit.insnLength);
          case 8:
            if (value >> 4n !== 0n) return gp(vcpu); // R75
            vcpu.setControl({ cr8: value });
            return done(vcpu, exit.insnLength);
          default:
            return gp(vcpu);
        }
      }
    }
  }

  private writeCr0(vcpu: Vcpu, value: bigint, insnLength: number): ExitOutcome {
    const hw = vcpu.control;
    if (value >> 32n !== 0n) return gp(vcpu); // R5
    if (has(value, CR0.PG) && !has(value, CR0.PE)) return gp(vcpu); // R6
    if (has(value, CR0.NW) && !has(value, CR0.CD)) return gp(vcpu); // R7
    const oldPg = has(hw.cr0, CR0.PG);
    const newPg = has(value, CR0.PG);
    const lme = has(hw.efer, EFER.LME);
    if (!oldPg && newPg && lme && !has(hw.cr4, CR4.PAE)) return gp(vcpu); // R9
    if (oldPg && !newPg && vcpu.mode === 'long64') return gp(vcpu); // R13
    if (!newPg && has(hw.cr4, CR4.PCIDE)) return gp(vcpu); // R14
    const cr0 = (value & CR0_DEFINED) | CR0.ET; // R17, R18
    // R12/R15: LMA = LME ∧ PG.
    const efer = lme && newPg ? hw.efer | EFER.LMA : hw.efer & ~EFER.LMA;
    const changed = cr0 ^ hw.cr0;
    vcpu.setControl({ cr0, efer });
    if ((changed & (CR0.PG | CR0.WP | CR0.PE | CR0.CD)) !== 0n) vcpu.flushTlb({ kind: 'all' }); // R19/R20
    return done(vcpu, insnLength);
  }

  private writeCr3(vcpu: Vcpu, value: bigint, insnLength: number): ExitOutcome {
    const hw = vcpu.control;
    const pcide = has(hw.cr4, CR4.PCIDE);
    let cr3 = value;
    let flush = true;
    if (has(hw.efer, EFER.LMA)) {
      if (pcide && has(cr3, 1n << 63n)) {
        cr3 &= ~(1n << 63n); // R44: no-flush hint, not stored
        flush = false;
      }
      if (cr3 >> GUEST_PHYS_BITS !== 0n) return gp(vcpu); // R39
    }
    vcpu.setControl({ cr3 });
    if (flush) vcpu.flushTlb(pcide ? { kind: 'pcid', pcid: Number(cr3 & 0xfffn) } : { kind: 'non-global' }); // R42/R43
    return done(vcpu, insnLength);
  }

  private writeCr4(vcpu: Vcpu, value: bigint, insnLength: number): ExitOutcome {
    const hw = vcpu.control;
    if ((value & ~BARE_CR4_SUPPORTED) !== 0n) return gp(vcpu); // R47
    const lma = has(hw.efer, EFER.LMA);
    if (lma && !has(value, CR4.PAE)) return gp(vcpu); // R48
    if (!lma && has(value, CR4.PCIDE)) return gp(vcpu); // R50
    if (!has(hw.cr4, CR4.PCIDE) && has(value, CR4.PCIDE) && (hw.cr3 & 0xfffn) !== 0n) return gp(vcpu); // R51
    const changed = value ^ hw.cr4;
    vcpu.setControl({ cr4: value });
    if ((changed & (CR4.PGE | CR4.PAE | CR4.PSE | CR4.PCIDE | CR4.SMEP)) !== 0n) vcpu.flushTlb({ kind: 'all' }); // R57-R59
    return done(vcpu, insnLength);
  }

  private msr(exit: MsrExit, vcpu: Vcpu): ExitOutcome {
    if (exit.msr >>> 0 !== EFER_MSR) return gp(vcpu); // R72
    const hw = vcpu.control;
    if (exit.reason === 'rdmsr') {
      vcpu.writeGpr(0, hw.efer & 0xffff_ffffn, 4); // R63
      vcpu.writeGpr(2, hw.efer >> 32n, 4);
      return done(vcpu, exit.insnLength);
    }
    const value = ((vcpu.readGpr(2) & 0xffff_ffffn) << 32n) | (vcpu.readGpr(0) & 0xffff_ffffn);
    if ((value & ~BARE_EFER_SUPPORTED) !== 0n) return gp(vcpu); // R64
    if (has(hw.cr0, CR0.PG) && has(value, EFER.LME) !== has(hw.efer, EFER.LME)) return gp(vcpu); // R65
    const efer = (value & ~EFER.LMA) | (hw.efer & EFER.LMA); // R66
    const changed = efer ^ hw.efer;
    vcpu.setControl({ efer });
    if ((changed & EFER.NXE) !== 0n) vcpu.flushTlb({ kind: 'all' }); // R69
    return done(vcpu, exit.insnLength);
  }
}

function has(value: bigint, bit: bigint): boolean {
  return (value & bit) !== 0n;
}

function done(vcpu: Vcpu, insnLength: number): ExitOutcome {
  vcpu.advanceRip(insnLength);
  return RESUME;
}

function gp(vcpu: Vcpu): ExitOutcome {
  vcpu.injectException(GP, 0);
  return RESUME;
}
