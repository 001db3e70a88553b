import type { PhysicalBus } from '../../../src/runtime/machine/bus.ts';
import type { FlushScope } from '../../../src/runtime/mmu/types.ts';
import type { CpuMode, HardwareControl, Intercepts, Vcpu } from '../../../src/runtime/vmm/vcpu.ts';
import { BigIntRegsVcpu } from '../../support/vcpu-halves.ts';

/** A Vcpu for handler tests: registers in arrays, every service recorded. */
export class TestVcpu extends BigIntRegsVcpu implements Vcpu {
  readonly gprs: bigint[] = new Array<bigint>(16).fill(0n);
  rip = 0x1000n;
  rflags = 0x2;
  cr2 = 0n;
  intercepts: Intercepts = { crAccess: false, efer: false, exceptionBitmap: 0, invlpg: false };
  control: HardwareControl;
  readonly injected: { vector: number; errorCode: number | undefined }[] = [];
  readonly flushes: FlushScope[] = [];
  readonly stores16: { linear: number; value: number }[] = [];
  /** writeLinear16 fails (as if the store faulted) when true. */
  failStores = false;

  constructor(
    public mode: CpuMode,
    public cpl: number,
    control: Partial<HardwareControl> = {},
  ) {
    super();
    this.control = { cr0: 0x10n, cr3: 0n, cr4: 0n, efer: 0n, cr8: 0n, xcr0: 1n, ncr3: null, ...control };
  }

  /** Memory for paging strategies that need it; handlers themselves never touch it. */
  memory: PhysicalBus | undefined = undefined;

  get bus(): PhysicalBus {
    if (!this.memory) throw new Error('TestVcpu has no memory: handlers must not touch guest memory');
    return this.memory;
  }

  readGpr(n: number): bigint {
    return this.gprs[n]!;
  }

  writeGpr(n: number, value: bigint, size: 2 | 4 | 8): void {
    if (size === 2) this.gprs[n] = (this.gprs[n]! & ~0xffffn) | (value & 0xffffn);
    else if (size === 4) this.gprs[n] = value & 0xffff_ffffn;
    else this.gprs[n] = BigInt.asUintN(64, value);
  }

  advanceRip(length: number): void {
    this.rip += BigInt(length);
  }

  setControl(update: Partial<HardwareControl>): void {
    this.control = { ...this.control, ...update };
  }

  injectException(vector: number, errorCode?: number): void {
    this.injected.push({ vector, errorCode });
  }
  flushTlb(scope: FlushScope): void {
    this.flushes.push(scope);
  }

  /** Guest flushes are never skipped here (no modelled hardware TLB). */
  flushGuestTlb(scope: FlushScope): void {
    this.flushTlb(scope);
  }

  writeLinear16(linear: number, value: number): boolean {
    if (this.failStores) {
      this.injected.push({ vector: 14, errorCode: 2 });
      return false;
    }
    this.stores16.push({ linear, value });
    return true;
  }

  /** Write watch: not modelled here (the shadow strategy then rebuilds on every flush). */
  onWatchedWrite: ((frame: number) => void) | null = null;
  watchFrame(): boolean {
    return false;
  }
  unwatchAllFrames(): void {}
}
