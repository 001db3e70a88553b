import type { FlushScope } from '../mmu/types.ts';
import type { GuestState, HardwareReg, RuleEffects } from './effects.ts';
import type { PagingStrategy } from './paging.ts';
import type { CpuMode, HardwareControl, Vcpu } from './vcpu.ts';

/**
 * RuleEffects as the trap monitor provides it: effects go to the paging strategy, hardware
 * programming and exception injection to the Vcpu. One instance per monitor, re-armed for
 * each exit (no allocation on the exit path).
 */
export class RuleContext implements RuleEffects {
  cpl = 0;
  mode: CpuMode = 'real';
  index = 0n;
  /** Set by raise(): the exception to inject. */
  faultVector = -1;
  faultCode: number | undefined = undefined;
  /** Set by produce(): the value a read-type rule returns. */
  result = 0n;
  private vcpu: Vcpu | undefined;

  constructor(
    readonly guest: GuestState,
    private readonly paging: PagingStrategy,
  ) {}

  /** Prepare for one exit. */
  arm(vcpu: Vcpu, index: bigint): void {
    this.vcpu = vcpu;
    this.cpl = vcpu.cpl;
    this.mode = vcpu.mode;
    this.index = index;
    this.faultVector = -1;
    this.faultCode = undefined;
    this.result = 0n;
  }

  private cpu(): Vcpu {
    if (!this.vcpu) throw new Error('RuleContext used outside an exit');
    return this.vcpu;
  }

  setHardware(reg: HardwareReg, value: bigint, strategyOwned: bigint): void {
    const vcpu = this.cpu();
    const current = hardwareReg(vcpu.control, reg);
    // Every value here is within 0 … 2^64-1, so BigInt.asUintN(64, …) changes nothing; it lets
    // V8 compute on 64-bit machine integers instead of allocating a BigInt per operation.
    const diff = BigInt.asUintN(64, current ^ value);
    const ownedDiff = BigInt.asUintN(64, diff & strategyOwned);
    // Unchanged outside the strategy's bits (CR4.PGE toggles, repeated writes): nothing to do.
    if (ownedDiff === diff) return;
    // The strategy's bits from the hardware, the others from `value`.
    vcpu.setControlReg(reg, BigInt.asUintN(64, value ^ ownedDiff));
  }

  pagingModeChanged(): void {
    this.paging.pagingModeChanged(this.cpu(), this.guest);
  }

  cr3Loaded(scope: FlushScope): void {
    this.paging.cr3Loaded(this.cpu(), this.guest, scope);
  }

  flushTlb(scope: FlushScope): void {
    this.paging.flush(this.cpu(), this.guest, scope);
  }

  loadPdptes(cr3: bigint): boolean {
    return this.paging.loadPdptes(this.cpu(), this.guest, cr3);
  }

  raise(vector: number, errorCode: number | undefined): false {
    this.faultVector = vector;
    this.faultCode = errorCode;
    return false;
  }

  produce(value: bigint): void {
    this.result = value;
  }
}

/** A hardware register by name, with constant property loads (no keyed lookup). */
function hardwareReg(control: Readonly<HardwareControl>, reg: HardwareReg): bigint {
  switch (reg) {
    case 'cr0':
      return control.cr0;
    case 'cr4':
      return control.cr4;
    case 'cr8':
      return control.cr8;
    case 'efer':
      return control.efer;
    case 'xcr0':
      return control.xcr0;
  }
}
