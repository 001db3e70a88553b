import type { StopReason } from '../../vmm/monitor.ts';

/** A device on the I/O port bus, claiming `count` ports from `base`. */
export interface PortDevice {
  readonly name: string;
  readonly base: number;
  readonly count: number;
  /** `offset` is port - base. Values are masked to `size` bytes by the bus. */
  in(offset: number, size: 1 | 2 | 4): number;
  out(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** A device that can end the run (debug exit). The I/O bus polls it after each OUT. */
export interface StoppingDevice extends PortDevice {
  takeStop(): StopReason | null;
}

/** A PortDevice from a name, a port range and two handlers (devices with several ranges). */
export function portRange(
  name: string,
  base: number,
  count: number,
  read: (offset: number, size: 1 | 2 | 4) => number,
  write: (offset: number, size: 1 | 2 | 4, value: number) => void,
): PortDevice {
  return { name, base, count, in: read, out: write };
}
