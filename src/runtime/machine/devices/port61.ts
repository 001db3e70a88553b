import type { Clock } from '../clock.ts';
import type { Pit8254 } from './pit.ts';
import type { PortDevice } from './port-device.ts';

export const PORT61 = 0x61;
/** The DRAM refresh request toggles every 15.085 µs (bit 4), as on a PC/AT and in QEMU. */
const REFRESH_PERIOD_NS = 15_085;

/**
 * Port 0x61, "system control port B" (NMI status and control): bit 0 gates PIT counter 2,
 * bit 1 drives the speaker data (no sound is made), bits 2–3 (parity/channel-check enables)
 * read back; read-only bit 4 toggles with the refresh clock and bit 5 is counter 2's OUT.
 * Bits 6–7 (SERR#/IOCHK# NMI sources) read 0: nothing raises them.
 */
export class Port61 implements PortDevice {
  readonly name = 'port61';
  readonly base = PORT61;
  readonly count = 1;
  /** Bits 3:0 as written. */
  control = 0;

  constructor(
    private readonly clock: Clock,
    private readonly pit: Pit8254,
  ) {}

  reset(): void {
    this.control = 0;
    this.pit.setGate(2, false);
  }

  in(): number {
    const refresh = Math.floor(this.clock.nowNs() / REFRESH_PERIOD_NS) & 1;
    return this.control | (refresh << 4) | (this.pit.output(2) ? 0x20 : 0);
  }

  out(_offset: number, _size: 1 | 2 | 4, value: number): void {
    this.control = value & 0x0f;
    this.pit.setGate(2, (value & 1) !== 0);
  }
}
