/**
 * The bus as the CPU (and everything reaching memory through `cpu.bus`: the system side's
 * descriptor/stack-frame accesses, the monitor's walks) sees it: the machine's bus, with every
 * write checked against the pages that hold decoded code, so no store can leave a stale entry
 * in the decode cache. Reads are forwarded unchanged.
 */
import type { PhysicalBus } from '../machine/bus.ts';

export interface WriteWatcher {
  /** Physical bytes [pa, pa+size) were written. */
  noteWrite(pa: number, size: number): void;
}

export class CodeWatchBus implements PhysicalBus {
  readonly ramSize: number;
  readonly ram: Uint8Array;

  constructor(
    private readonly inner: PhysicalBus,
    private readonly watcher: WriteWatcher,
  ) {
    this.ramSize = inner.ramSize;
    this.ram = inner.ram;
  }

  read8(pa: number): number {
    return this.inner.read8(pa);
  }
  read16(pa: number): number {
    return this.inner.read16(pa);
  }
  read32(pa: number): number {
    return this.inner.read32(pa);
  }
  read64(pa: number): bigint {
    return this.inner.read64(pa);
  }
  write8(pa: number, value: number): void {
    this.inner.write8(pa, value);
    if (pa < this.ramSize) this.watcher.noteWrite(pa, 1);
  }
  write16(pa: number, value: number): void {
    this.inner.write16(pa, value);
    if (pa < this.ramSize) this.watcher.noteWrite(pa, 2);
  }
  write32(pa: number, value: number): void {
    this.inner.write32(pa, value);
    if (pa < this.ramSize) this.watcher.noteWrite(pa, 4);
  }
  write64(pa: number, value: bigint): void {
    this.inner.write64(pa, value);
    if (pa < this.ramSize) this.watcher.noteWrite(pa, 8);
  }
}
