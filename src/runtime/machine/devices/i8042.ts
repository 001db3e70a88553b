import type { StopReason } from '../../vmm/monitor.ts';
import type { IrqRouter } from '../irq-router.ts';
import { portRange, type PortDevice } from './port-device.ts';

export const I8042_DATA = 0x60;
export const I8042_COMMAND = 0x64;
const KBD_IRQ = 1;
const AUX_IRQ = 12;

const STAT_OBF = 0x01;
const STAT_SYS = 0x04;
const STAT_CMD = 0x08;
const STAT_UNLOCKED = 0x10;
const STAT_AUX_OBF = 0x20;
const MODE_KBD_INT = 0x01;
const MODE_AUX_INT = 0x02;
const MODE_SYS = 0x04;
const MODE_DISABLE_KBD = 0x10;
const MODE_DISABLE_AUX = 0x20;
/** Output port: reset line high (not in reset), A20 enabled, the unused lines high (QEMU). */
const OUTPORT_RESET = 0xcf;
const ACK = 0xfa;
const RESEND = 0xfe;

/** The controller's state as a guest sees it. */
export interface I8042State {
  status: number;
  /** The command byte (controller configuration). */
  mode: number;
  outport: number;
  /** The command waiting for its data byte at 0x60 (0 = none). */
  pendingCommand: number;
  /** The keyboard command waiting for its parameter byte (0 = none). */
  keyboardPending: number;
  /** Output buffer queue: bytes with bit 8 set come from the AUX (mouse) port. */
  queue: number[];
  keyboardEnabled: boolean;
  scancodeSet: number;
}

/**
 * The i8042 keyboard controller at 0x60 (data) / 0x64 (status, command), with a PS/2 keyboard
 * that answers its commands and never sends a key, and no mouse (the AUX port loops back only
 * what 0xD3 writes). Enough for Linux's and BIOS-style probing: the command byte (0x20/0x60),
 * self-test 0xAA → 0x55, interface tests 0xAB/0xA9 → 0x00, port enables, the output port
 * (0xD0/0xD1), keyboard reset (0xFF → ACK, 0xAA), identify, LEDs, scancode set, echo.
 * A pulse of output line 0 (0xF0–0xFE with bit 0 clear, e.g. 0xFE) or an output-port write with
 * bit 0 clear resets the machine, which trapspec reports as the end of the run (QEMU
 * -no-reboot). The output port's A20 bit reads back; the A20 gate itself is not modelled
 * (A20 is always enabled, guest contract).
 */
export class I8042 {
  readonly state: I8042State = {
    status: STAT_CMD | STAT_UNLOCKED,
    mode: MODE_KBD_INT | MODE_AUX_INT,
    outport: OUTPORT_RESET,
    pendingCommand: 0,
    keyboardPending: 0,
    queue: [],
    keyboardEnabled: true,
    scancodeSet: 2,
  };
  private stop: StopReason | null = null;

  constructor(private readonly irq: IrqRouter) {}

  portDevices(): PortDevice[] {
    return [
      portRange('i8042-data', I8042_DATA, 1, () => this.readData(), (_o, _s, v) => this.writeData(v & 0xff)),
      portRange('i8042-cmd', I8042_COMMAND, 1, () => this.readStatus(), (_o, _s, v) => this.writeCommand(v & 0xff)),
    ];
  }

  /** A reset the guest requested through the controller (consumed). */
  takeStop(): StopReason | null {
    const s = this.stop;
    this.stop = null;
    return s;
  }

  readStatus(): number {
    const s = this.state;
    let status = s.status & ~(STAT_OBF | STAT_AUX_OBF);
    if (s.queue.length > 0) status |= STAT_OBF | (s.queue[0]! & 0x100 ? STAT_AUX_OBF : 0);
    return status;
  }

  readData(): number {
    const s = this.state;
    const v = s.queue.shift();
    this.update();
    return v === undefined ? 0 : v & 0xff; // an empty buffer reads the last byte on hardware; 0 here
  }

  private push(byte: number, aux = false): void {
    this.state.queue.push(byte | (aux ? 0x100 : 0));
    this.update();
  }

  private update(): void {
    const s = this.state;
    const head = s.queue[0];
    const kbd = head !== undefined && (head & 0x100) === 0 && (s.mode & MODE_KBD_INT) !== 0;
    const aux = head !== undefined && (head & 0x100) !== 0 && (s.mode & MODE_AUX_INT) !== 0;
    this.irq.setIrq(KBD_IRQ, kbd);
    this.irq.setIrq(AUX_IRQ, aux);
  }

  private writeCommand(cmd: number): void {
    const s = this.state;
    s.status |= STAT_CMD;
    switch (cmd) {
      case 0x20:
        this.push(s.mode);
        return;
      case 0x60:
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        s.pendingCommand = cmd;
        return;
      case 0xa7:
        s.mode |= MODE_DISABLE_AUX;
        return;
      case 0xa8:
        s.mode &= ~MODE_DISABLE_AUX;
        return;
      case 0xa9: // AUX interface test: OK
      case 0xab: // keyboard interface test: OK
        this.push(0x00);
        return;
      case 0xaa: // controller self-test: passed; the system flag is set
        s.status |= STAT_SYS;
        s.mode |= MODE_SYS;
        this.push(0x55);
        return;
      case 0xad:
        s.mode |= MODE_DISABLE_KBD;
        return;
      case 0xae:
        s.mode &= ~MODE_DISABLE_KBD;
        return;
      case 0xc0: // read input port
      case 0xe0: // read test inputs
        this.push(0x00);
        return;
      case 0xd0:
        this.push(s.outport);
        return;
      default:
        if (cmd >= 0xf0 && (cmd & 1) === 0) this.requestReset('i8042 pulse of the reset line');
        return; // other commands: ignored
    }
  }

  private writeData(v: number): void {
    const s = this.state;
    s.status &= ~STAT_CMD;
    const cmd = s.pendingCommand;
    s.pendingCommand = 0;
    switch (cmd) {
      case 0x60:
        s.mode = v;
        s.status = (s.status & ~STAT_SYS) | (v & MODE_SYS);
        this.update();
        return;
      case 0xd1:
        s.outport = v | 0xcc;
        if ((v & 1) === 0) this.requestReset('i8042 output port reset line');
        return;
      case 0xd2:
        this.push(v);
        return;
      case 0xd3:
        this.push(v, true);
        return;
      case 0xd4:
        return; // to the mouse: none attached
      default:
        this.keyboard(v);
    }
  }

  /** A byte sent to the PS/2 keyboard. */
  private keyboard(v: number): void {
    const s = this.state;
    const pending = s.keyboardPending;
    if (pending !== 0) {
      s.keyboardPending = 0;
      if (pending === 0xf0 && v === 0) {
        this.push(ACK);
        this.push(s.scancodeSet);
        return;
      }
      if (pending === 0xf0 && v <= 3) s.scancodeSet = v;
      this.push(ACK);
      return;
    }
    switch (v) {
      case 0xed: // set LEDs
      case 0xf0: // scancode set
      case 0xf3: // typematic rate
        s.keyboardPending = v;
        this.push(ACK);
        return;
      case 0xee: // echo
        this.push(0xee);
        return;
      case 0xf2: // identify: MF2 keyboard
        this.push(ACK);
        this.push(0xab);
        this.push(0x83);
        return;
      case 0xf4:
        s.keyboardEnabled = true;
        this.push(ACK);
        return;
      case 0xf5:
        s.keyboardEnabled = false;
        this.push(ACK);
        return;
      case 0xf6:
        s.scancodeSet = 2;
        this.push(ACK);
        return;
      case 0xff: // reset: ACK, then the self-test result
        s.keyboardEnabled = true;
        s.scancodeSet = 2;
        this.push(ACK);
        this.push(0xaa);
        return;
      default:
        this.push(RESEND);
        return;
    }
  }

  private requestReset(source: string): void {
    this.stop = { kind: 'reset', source };
  }
}

/**
 * Port 0x92, "system control port A" (PS/2 fast A20 and reset): bit 1 is A20 (reads back; the
 * gate is not modelled, A20 stays enabled), a write with bit 0 set resets the machine.
 */
export class Port92 implements PortDevice {
  readonly name = 'port92';
  readonly base = 0x92;
  readonly count = 1;
  value = 0x02; // A20 on
  private stop: StopReason | null = null;

  in(): number {
    return this.value;
  }

  out(_offset: number, _size: 1 | 2 | 4, value: number): void {
    this.value = value & 0xfe;
    if ((value & 1) !== 0) this.stop = { kind: 'reset', source: 'port 0x92 fast reset' };
  }

  takeStop(): StopReason | null {
    const s = this.stop;
    this.stop = null;
    return s;
  }
}
