import type { FlushScope } from '../../src/runtime/mmu/types.ts';
import { PhysicalMemory } from '../../src/runtime/machine/memory.ts';
import type { CpuMode, HardwareControl, Intercepts, Vcpu } from '../../src/runtime/vmm/vcpu.ts';
import { BigIntRegsVcpu } from '../support/vcpu-halves.ts';

/** A Vcpu with plain fields, recording what the monitor does to it. */
export class FakeVcpu extends BigIntRegsVcpu implements Vcpu {
  readonly bus = new PhysicalMemory({ memMiB: 1 });
  readonly gprs: bigint[] = new Array<bigint>(16).fill(0n);
  cpl = 0;
  mode: CpuMode = 'protected32';
  rflags = 0x2;
  rip = 0x1000n;
  control: HardwareControl = { cr0: 0x11n, cr3: 0n, cr4: 0n, efer: 0n, cr8: 0n, xcr0: 1n, ncr3: null };
  cr2 = 0n;
  intercepts: Intercepts = { crAccess: false, efer: false, exceptionBitmap: 0, invlpg: false };
  readonly injected: [number, number | undefined][] = [];
  readonly flushes: FlushScope[] = [];
  readonly stores: [number, number][] = [];

  readGpr(n: number): bigint {
    return this.gprs[n]!;
  }

  writeGpr(n: number, value: bigint, size: 2 | 4 | 8): void {
    const v = BigInt.asUintN(size * 8, value);
    this.gprs[n] = size === 2 ? (this.gprs[n]! & ~0xffffn) | v : v;
  }

  advanceRip(length: number): void {
    this.rip += BigInt(length);
  }

  setControl(update: Partial<HardwareControl>): void {
    this.control = { ...this.control, ...update };
  }

  injectException(vector: number, errorCode?: number): void {
    this.injected.push([vector, errorCode]);
  }
  flushTlb(scope: FlushScope): void {
    this.flushes.push(scope);
  }

  /** Guest flushes are never skipped here (no modelled hardware TLB). */
  flushGuestTlb(scope: FlushScope): void {
    this.flushTlb(scope);
  }

  writeLinear16(linear: number, value: number): boolean {
    this.stores.push([linear, value]);
    return true;
  }

  /** Write watch: not modelled here (the shadow strategy then rebuilds on every flush). */
  onWatchedWrite: ((frame: number) => void) | null = null;
  watchFrame(): boolean {
    return false;
  }
  unwatchAllFrames(): void {}
}
