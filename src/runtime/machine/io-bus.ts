import type { IoBus } from './bus.ts';
import type { StopReason } from '../vmm/monitor.ts';
import type { PortDevice, StoppingDevice } from './devices/port-device.ts';

/** Something that can end the run after an OUT (a device owning several port ranges). */
export interface StopSource {
  takeStop(): StopReason | null;
}

const NO_DEVICE = 0;
const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffff_ffff] as const;

/**
 * The port I/O bus: dispatches IN/OUT to the device claiming the port (a 64 K table, no search
 * on the hot path). Ports no device claims read all ones and drop writes; they are counted per
 * port for --stats. An access wider than one byte goes to the device owning its first port.
 */
export class PortIoBus implements IoBus {
  private readonly devices: PortDevice[] = [];
  /** port → 1 + index into devices, or 0. */
  private readonly table = new Uint8Array(0x10000);
  private readonly stoppers: StopSource[] = [];
  /** Unknown-port accesses: port → count. */
  readonly unknownPorts = new Map<number, number>();
  reads = 0;
  writes = 0;

  attach(device: PortDevice): void {
    const slot = this.devices.length + 1;
    if (slot > 255) throw new RangeError('too many port devices');
    for (let p = device.base; p < device.base + device.count; p++) {
      if (this.table[p] !== NO_DEVICE) {
        throw new RangeError(`port 0x${p.toString(16)} claimed twice (${device.name})`);
      }
      this.table[p] = slot;
    }
    this.devices.push(device);
    if (isStopping(device)) this.stoppers.push(device);
  }

  in(port: number, size: 1 | 2 | 4): number {
    this.reads++;
    const slot = this.table[port & 0xffff]!;
    if (slot === NO_DEVICE) {
      this.countUnknown(port);
      return SIZE_MASK[size];
    }
    const device = this.devices[slot - 1]!;
    return (device.in(port - device.base, size) & SIZE_MASK[size]) >>> 0;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    this.writes++;
    const slot = this.table[port & 0xffff]!;
    if (slot === NO_DEVICE) {
      this.countUnknown(port);
      return;
    }
    const device = this.devices[slot - 1]!;
    device.out(port - device.base, size, (value & SIZE_MASK[size]) >>> 0);
  }

  /** Poll `source` for a stop after each OUT, like a StoppingDevice. */
  addStopSource(source: StopSource): void {
    if (!this.stoppers.includes(source)) this.stoppers.push(source);
  }

  /** A stop a device requested (debug exit, reset), consumed; null if none. */
  takeStop(): StopReason | null {
    for (const device of this.stoppers) {
      const stop = device.takeStop();
      if (stop !== null) return stop;
    }
    return null;
  }

  private countUnknown(port: number): void {
    this.unknownPorts.set(port, (this.unknownPorts.get(port) ?? 0) + 1);
  }
}

function isStopping(device: PortDevice): device is StoppingDevice {
  return typeof (device as Partial<StoppingDevice>).takeStop === 'function';
}
