import type { PortDevice } from './port-device.ts';

/**
 * Port 0x80, the POST code port guests also write to for a short I/O delay: writes are
 * ignored (counted) and reads return all ones, as QEMU's ioport80. Claimed so it is not an
 * "unknown port" in --stats.
 */
export class PostPort implements PortDevice {
  readonly name = 'post';
  readonly base = 0x80;
  readonly count = 1;
  writes = 0;
  /** The last value written (a POST code). */
  last = 0;

  in(): number {
    return 0xffff_ffff;
  }

  out(_offset: number, _size: 1 | 2 | 4, value: number): void {
    this.writes++;
    this.last = value;
  }
}
