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
  private readonly updates = updateObjects();

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
    const merged = (vcpu.control[reg] & strategyOwned) | (value & ~strategyOwned);
    if (merged === vcpu.control[reg]) return;
    // One reusable update object per register: no allocation on the exit path.
    vcpu.setControl(this.updates[reg](merged));
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

type UpdateFor = Record<HardwareReg, (value: bigint) => Partial<HardwareControl>>;

function updateObjects(): UpdateFor {
  const make = (reg: HardwareReg): ((value: bigint) => Partial<HardwareControl>) => {
    const obj: Partial<HardwareControl> = { [reg]: 0n };
    return (value) => {
      obj[reg] = value;
      return obj;
    };
  };
  return { cr0: make('cr0'), cr4: make('cr4'), cr8: make('cr8'), efer: make('efer'), xcr0: make('xcr0') };
}
