import type { StopReason } from '../../vmm/monitor.ts';
import type { StoppingDevice } from './port-device.ts';

/**
 * QEMU's isa-debug-exit (iobase=0xf4, iosize=4): a write of v ends the run with exit status
 * (v << 1) | 1 (guest contract, "Devices"). The status keeps every bit; a process exit status
 * keeps its low 8 bits, as QEMU's does.
 */
export class DebugExit implements StoppingDevice {
  readonly name = 'debug-exit';
  readonly count = 4;
  private pending: StopReason | null = null;

  constructor(readonly base: number) {}

  in(): number {
    return 0xffff_ffff;
  }

  out(_offset: number, _size: 1 | 2 | 4, value: number): void {
    this.pending = { kind: 'debug-exit', status: ((value << 1) | 1) >>> 0 };
  }

  takeStop(): StopReason | null {
    const stop = this.pending;
    this.pending = null;
    return stop;
  }
}
