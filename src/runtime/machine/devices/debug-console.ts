import type { OutputSink } from '../output.ts';
import type { PortDevice } from './port-device.ts';

/** QEMU's -debugcon at port 0xE9: each byte written goes to the sink; reads return 0xE9. */
export class DebugConsole implements PortDevice {
  readonly name = 'debugcon';
  readonly count = 1;
  bytesWritten = 0;

  constructor(
    readonly base: number,
    private readonly sink: OutputSink,
  ) {}

  in(): number {
    return 0xe9; // QEMU's "is the debug console present" answer
  }

  out(_offset: number, _size: 1 | 2 | 4, value: number): void {
    this.bytesWritten++;
    this.sink.writeByte(value & 0xff);
  }
}
