/**
 * A fake Vcpu over the real HardwareMmu: enough of the CPU for the paging strategies. `access()`
 * plays the CPU's memory access: translate; on a #PF the strategy intercepts, call
 * handlePageFault and retry; on a nested fault call handleNestedFault and retry; a #PF the guest
 * gets (injected, or delivered directly when not intercepted) is returned as the outcome.
 */
import { GuestFault } from '../../src/runtime/cpu/fault.ts';
import { HardwareMmu } from '../../src/runtime/mmu/hardware-mmu.ts';
import { NestedPageFault } from '../../src/runtime/mmu/nested-fault.ts';
import { Access, type FlushScope, type FrameWatch, type PagingRegs } from '../../src/runtime/mmu/types.ts';
import type { GuestControl, PagingStrategy } from '../../src/runtime/vmm/paging.ts';
import type { CpuMode, HardwareControl, Intercepts, Vcpu } from '../../src/runtime/vmm/vcpu.ts';
import type { ExitOutcome } from '../../src/runtime/vmm/monitor.ts';
import { TestBus } from '../mmu/helpers.ts';
import { BigIntRegsVcpu } from '../support/vcpu-halves.ts';

export type AccessOutcome =
  | { kind: 'ok'; phys: number }
  | { kind: 'pf'; code: number; cr2: bigint }
  | { kind: 'stop'; detail: string };

export class FakeVcpu extends BigIntRegsVcpu implements Vcpu {
  readonly regs: PagingRegs = { cr0: 0, cr3: 0n, cr4: 0, efer: 0, ncr3: null };
  readonly mmu: HardwareMmu;
  control: HardwareControl = { cr0: 0x11n, cr3: 0n, cr4: 0n, efer: 0n, cr8: 0n, xcr0: 1n, ncr3: null };
  cr2 = 0n;
  cpl = 0;
  rflags = 2;
  readonly rip = 0n;
  mode: CpuMode = 'protected32';
  intercepts: Intercepts = { crAccess: true, efer: true, exceptionBitmap: 0, invlpg: false };
  injected: Array<{ vector: number; errorCode?: number }> = [];
  flushes: FlushScope[] = [];
  exits = 0;

  /** Write watch (Vcpu.watchFrame): watched frame numbers. */
  onWatchedWrite: ((frame: number) => void) | null = null;
  readonly watched = new Set<number>();
  /** The MMU's source watch (Translator.watchSources), as the CPU's Memory.sourceWatch. */
  readonly sourceFrames = new Set<number>();
  readonly sourceWatch: FrameWatch = {
    watch: (pa) => {
      if (!(pa >= 0 && pa < this.bus.ramSize)) return false;
      this.sourceFrames.add(Math.floor(pa / 4096));
      return true;
    },
    unwatchAll: () => this.sourceFrames.clear(),
    onWrite: null,
  };
  /** Guest flushes (flushGuestTlb) the hardware skipped. */
  skippedFlushes = 0;
  /** Inside access(): stores are the hardware walker's or the monitor's, not the guest's. */
  private inside = false;

  constructor(readonly bus: TestBus) {
    super();
    this.mmu = new HardwareMmu(bus, this.regs);
    this.mmu.watchSources(this.sourceWatch);
    // Every store the test makes on the bus outside access() plays a guest store (TableBuilder
    // edits are the guest editing its tables); the watch reports those that hit a watched frame.
    const w8 = bus.write8.bind(bus);
    const w16 = bus.write16.bind(bus);
    const w32 = bus.write32.bind(bus);
    const w64 = bus.write64.bind(bus);
    bus.write8 = (pa, v) => {
      w8(pa, v);
      this.stored(pa, 1);
    };
    bus.write16 = (pa, v) => {
      w16(pa, v);
      this.stored(pa, 2);
    };
    bus.write32 = (pa, v) => {
      w32(pa, v);
      this.stored(pa, 4);
    };
    bus.write64 = (pa, v) => {
      w64(pa, v);
      this.stored(pa, 8);
    };
  }

  private stored(pa: number, size: number): void {
    if (this.inside) return;
    for (const p of new Set([Math.floor(pa / 4096), Math.floor((pa + size - 1) / 4096)])) {
      if (this.watched.has(p)) this.onWatchedWrite?.(p * 4096);
      if (this.sourceFrames.has(p)) this.sourceWatch.onWrite?.(p * 4096);
    }
  }

  watchFrame(pa: number): boolean {
    if (!(pa >= 0 && pa < this.bus.ramSize)) return false;
    this.watched.add(Math.floor(pa / 4096));
    return true;
  }
  unwatchAllFrames(): void {
    this.watched.clear();
  }

  readGpr(_n: number): bigint {
    return 0n;
  }
  writeGpr(_n: number, _value: bigint, _size: 2 | 4 | 8): void {}
  advanceRip(): void {}
  setControl(update: Partial<HardwareControl>): void {
    this.control = { ...this.control, ...update };
    this.regs.cr0 = Number(this.control.cr0 & 0xffff_ffffn);
    this.regs.cr3 = this.control.cr3;
    this.regs.cr4 = Number(this.control.cr4 & 0xffff_ffffn);
    this.regs.efer = Number(this.control.efer & 0xffff_ffffn);
    this.regs.ncr3 = this.control.ncr3;
  }
  injectException(vector: number, errorCode?: number): void {
    this.injected.push({ vector, errorCode });
  }
  flushTlb(scope: FlushScope): void {
    this.flushes.push(scope);
    this.mmu.flush(scope);
  }
  flushGuestTlb(scope: FlushScope): void {
    if (this.mmu.canSkipFlush(scope)) this.skippedFlushes++;
    else this.flushTlb(scope);
  }
  writeLinear16(): boolean {
    return false;
  }

  /** One guest memory access through the hardware and the monitor. */
  access(strategy: PagingStrategy, guest: GuestControl, linear: number, access: Access, user = false): AccessOutcome {
    this.inside = true;
    try {
      return this.accessInside(strategy, guest, linear, access, user);
    } finally {
      this.inside = false;
    }
  }

  private accessInside(strategy: PagingStrategy, guest: GuestControl, linear: number, access: Access, user: boolean): AccessOutcome {
    for (let tries = 0; tries < 16; tries++) {
      try {
        return { kind: 'ok', phys: this.mmu.translate(linear, access, user, (this.rflags & (1 << 18)) !== 0) };
      } catch (e) {
        let out: ExitOutcome;
        if (e instanceof GuestFault && e.vector === 14) {
          if ((this.intercepts.exceptionBitmap & (1 << 14)) === 0) {
            this.cr2 = BigInt.asUintN(64, BigInt(e.address));
            return { kind: 'pf', code: e.errorCode ?? -1, cr2: this.cr2 };
          }
          this.exits++;
          const before = this.injected.length;
          out = strategy.handlePageFault(
            { reason: 'exception', vector: 14, errorCode: e.errorCode, faultAddress: e.address },
            this,
            guest,
          );
          if (out.kind === 'resume' && this.injected.length > before) {
            const inj = this.injected[this.injected.length - 1];
            return { kind: 'pf', code: inj.errorCode ?? -1, cr2: this.cr2 };
          }
        } else if (e instanceof NestedPageFault) {
          this.exits++;
          out = strategy.handleNestedFault({ reason: 'npf', guestPhysical: e.guestPhysical, errorCode: e.errorCode }, this, guest);
        } else {
          throw e;
        }
        if (out.kind === 'stop') return { kind: 'stop', detail: out.reason.kind === 'monitor-error' ? out.reason.detail : out.reason.kind };
      }
    }
    return { kind: 'stop', detail: 'no progress' };
  }
}
