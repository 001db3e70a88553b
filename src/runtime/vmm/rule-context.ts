import type { FlushScope } from '../mmu/types.ts';
import type { GuestState, HardwareReg, RuleEffects } from './effects.ts';
import type { PagingStrategy } from './paging.ts';
import type { CpuMode, Vcpu } from './vcpu.ts';

/**
 * RuleEffects as the trap monitor provides it: effects go to the paging strategy, hardware
 * programming and exception injection to the Vcpu. One instance per monitor, re-armed for
 * each exit (no allocation on the exit path).
 */
export class RuleContext implements RuleEffects {
  index = 0n;
  /** Set by raise(): the exception to inject. */
  faultVector = -1;
  faultCode: number | undefined = undefined;
  /** Set by raise(): the guard's index in the handler's RuleSites (exit traces). */
  faultSite = -1;
  /** Set by handlers with conditional actions (RuleEffects.taken). */
  taken = 0;
  /** Set by produce(): the value a read-type rule returns, as uint32 halves. */
  resultLo = 0;
  resultHi = 0;
  private vcpu: Vcpu | undefined;
  /**
   * The CPL the rules see: the Vcpu's, or 0 for a control-register load the hardware itself
   * performs (a task switch's CR3 and CR0.TS, armHardware), which no CPL check applies to.
   */
  private hardwareLoad = false;

  constructor(
    readonly guest: GuestState,
    private readonly paging: PagingStrategy,
  ) {}

  /**
   * Prepare for one exit (a few stores: it runs on every exit, issue 7). The fault fields need no
   * reset: they are read only after a handler returned false, which it does only through raise().
   */
  arm(vcpu: Vcpu, index: bigint): void {
    this.vcpu = vcpu;
    this.index = index;
    this.resultLo = 0;
    this.resultHi = 0;
    this.hardwareLoad = false;
  }

  /** arm() for a load the hardware performs (task switch): the rules' CPL checks see CPL 0. */
  armHardware(vcpu: Vcpu): void {
    this.arm(vcpu, 0n);
    this.hardwareLoad = true;
  }

  private cpu(): Vcpu {
    if (!this.vcpu) throw new Error('RuleContext used outside an exit');
    return this.vcpu;
  }

  /** CPL and mode at the exit, read from the Vcpu when a rule asks. */
  get cpl(): number {
    return this.hardwareLoad ? 0 : this.cpu().cpl;
  }

  get mode(): CpuMode {
    return this.cpu().mode;
  }

  setHardware(reg: HardwareReg, lo: number, hi: number, ownedLo: number, ownedHi: number): void {
    this.cpu().programControl(reg, lo, hi, ownedLo, ownedHi);
  }

  pagingModeChanged(flush: FlushScope | null): void {
    this.paging.pagingModeChanged(this.cpu(), this.guest, flush);
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

  raise(vector: number, errorCode: number | undefined, site: number): false {
    this.faultVector = vector;
    this.faultCode = errorCode;
    this.faultSite = site;
    return false;
  }

  produce(lo: number, hi: number): void {
    this.resultLo = lo >>> 0;
    this.resultHi = hi >>> 0;
  }
}
