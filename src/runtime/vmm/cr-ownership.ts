import type { CrPolicy } from '../../generated/handlers/cr-policies.ts';
import type { CrAccessExit, VmExit } from './exit.ts';
import type { GuestRegs } from './guest-regs.ts';
import type { CrExitHandler, ExitOutcome, InterruptInjectorLike, Monitor } from './monitor.ts';
import type { PagingStrategy } from './paging.ts';
import type { CrMask, CrMasks, Vcpu } from './vcpu.ts';

/** What CrOwnershipMonitor needs of the monitor it wraps (TrapMonitor has it). */
export interface OwnableMonitor extends Monitor {
  readonly guest: GuestRegs;
  readonly paging: PagingStrategy;
  readonly exitCounts: Map<string, number>;
  stats(): Record<string, number>;
  readonly interrupts?: InterruptInjectorLike;
  interruptsChanged?(): void;
}

/**
 * A CR-ownership policy (spec/rules/ownership.rules, generated into cr-policies.ts) in front of
 * the trap monitor: the hardware gets VMX-style guest/host masks and read shadows
 * (Intercepts.crMasks), so accesses that only touch guest-owned bits never exit. The rules stay
 * the only place CR values are decided: the generator proved that for every guest-owned bit they
 * do exactly what the hardware does. Around each exit, the guest-owned bits of the monitor's
 * guest CR0/CR4 are taken from the hardware (where the guest wrote them) before the rules run,
 * and the read shadows are set to the guest values after.
 */
export class CrOwnershipMonitor implements Monitor {
  private readonly masks: CrMasks;
  private vcpu: Vcpu | null = null;

  constructor(
    private readonly inner: OwnableMonitor,
    readonly policy: CrPolicy,
  ) {
    const mask = (owned: number | null): CrMask | null => (owned === null ? null : { mask: ~owned >>> 0, shadow: 0 });
    this.masks = { cr0: mask(policy.cr0), cr4: mask(policy.cr4), cr3Targets: [] };
  }

  /** The guest-visible control registers, current (guest-owned bits read from the hardware). */
  get guest(): GuestRegs {
    if (this.vcpu !== null) this.sync(this.vcpu);
    return this.inner.guest;
  }

  get paging(): PagingStrategy {
    return this.inner.paging;
  }

  /** Interrupt injection is the trap monitor's (vmm/interrupt-injection.ts). */
  get interrupts(): InterruptInjectorLike | undefined {
    return this.inner.interrupts;
  }

  interruptsChanged(): void {
    this.inner.interruptsChanged?.();
  }

  get exitCounts(): Map<string, number> {
    return this.inner.exitCounts;
  }

  stats(): Record<string, number> {
    return this.inner.stats();
  }

  attach(vcpu: Vcpu): void {
    this.inner.attach(vcpu);
    this.vcpu = vcpu;
    this.publish();
    vcpu.intercepts = { ...vcpu.intercepts, crMasks: this.masks };
  }

  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    this.sync(vcpu);
    const outcome = this.inner.handleExit(exit, vcpu);
    this.publish();
    return outcome;
  }

  handleCrAccess(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome {
    this.sync(vcpu);
    const inner = this.inner;
    const outcome = inner.handleCrAccess !== undefined ? inner.handleCrAccess(exit, vcpu) : inner.handleExit(exit, vcpu);
    this.publish();
    return outcome;
  }

  crExitHandler(exit: CrAccessExit): CrExitHandler | undefined {
    const h = this.inner.crExitHandler?.(exit);
    if (h === undefined) return undefined;
    return (vcpu) => {
      this.sync(vcpu);
      const outcome = h(vcpu);
      this.publish();
      return outcome;
    };
  }

  /** Guest-owned bits: the hardware has the guest's value (it was written there without an exit). */
  private sync(vcpu: Vcpu): void {
    const g = this.inner.guest;
    const { cr0, cr4 } = this.masks;
    if (cr0 !== null) {
      const lo = ((g.cr0Lo & cr0.mask) | (vcpu.controlLow('cr0') & ~cr0.mask)) >>> 0;
      if (lo !== g.cr0Lo) g.setCr0(lo, g.cr0Hi);
    }
    if (cr4 !== null) {
      const lo = ((g.cr4Lo & cr4.mask) | (vcpu.controlLow('cr4') & ~cr4.mask)) >>> 0;
      if (lo !== g.cr4Lo) g.setCr4(lo, g.cr4Hi);
    }
  }

  /** Read shadows := the guest's values (what a read of a host-owned bit must return). */
  private publish(): void {
    const g = this.inner.guest;
    if (this.masks.cr0 !== null) this.masks.cr0.shadow = g.cr0Lo;
    if (this.masks.cr4 !== null) this.masks.cr4.shadow = g.cr4Lo;
  }
}
