import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { ReadStream } from 'node:tty';
import type { SerialInput } from '../runtime/machine/devices/uart16550.ts';
import type { StopSource } from '../runtime/machine/io-bus.ts';
import type { StopReason } from '../runtime/vmm/monitor.ts';

/**
 * `--console`: where COM1's input comes from.
 * - auto: the host's stdin when it is a pipe or a file (a TTY is left alone: cooked, unread);
 * - raw: the TTY in raw mode, every key to the guest; Ctrl-A X quits, Ctrl-A Ctrl-A sends one
 *   Ctrl-A (QEMU -nographic's escape keys); stdin must be a TTY;
 * - none: nothing is ever received.
 */
export type ConsoleMode = 'auto' | 'raw' | 'none';
export const CONSOLE_MODES: readonly ConsoleMode[] = ['auto', 'raw', 'none'];

const CTRL_A = 0x01;
const CHUNK = 256;

/**
 * The host side of COM1's receiver: polled, never blocking. stdin is reopened through
 * /dev/stdin with O_NONBLOCK, a file description of its own, so the shell's stdin keeps its
 * flags; a read with nothing there (EAGAIN) returns -1, end of file ends the input. A stdin
 * that cannot be reopened (a socket, as a parent process's pipe may be) is read as fd 0, where
 * a read with nothing there waits for the writer.
 */
export class HostConsole implements SerialInput, StopSource {
  ended = false;
  private readonly chunk = new Uint8Array(CHUNK);
  private head = 0;
  private tail = 0;
  private escape = false;
  private quit = false;

  private constructor(
    private fd: number,
    private readonly tty: ReadStream | null,
  ) {}

  /** The console for `mode`, null for none, or an error message for a bad combination. */
  static open(mode: ConsoleMode, stdin: NodeJS.ReadStream = process.stdin): HostConsole | null | string {
    if (mode === 'none') return null;
    const isTty = stdin.isTTY === true;
    if (mode === 'auto' && isTty) return null;
    if (mode === 'raw' && !isTty) return '--console raw needs a terminal on stdin';
    let fd: number;
    try {
      fd = openSync('/dev/stdin', constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if (mode === 'raw') return `--console raw: cannot open the terminal: ${(error as Error).message}`;
      // A socket cannot be reopened: read fd 0 itself (a read may then wait for the writer).
      fd = 0;
    }
    let tty: ReadStream | null = null;
    if (mode === 'raw') {
      tty = stdin as ReadStream;
      tty.setRawMode(true);
    }
    return new HostConsole(fd, tty);
  }

  read(): number {
    for (;;) {
      if (this.head === this.tail && !this.fill()) return -1;
      const byte = this.chunk[this.head++]!;
      if (this.tty === null) return byte;
      // Raw mode: the escape key and its commands stay on the host.
      if (this.escape) {
        this.escape = false;
        if (byte === 0x78 || byte === 0x58) {
          this.quit = true;
          return -1;
        }
        if (byte === CTRL_A) return CTRL_A;
        continue; // other commands: none
      }
      if (byte === CTRL_A) {
        this.escape = true;
        continue;
      }
      return byte;
    }
  }

  takeStop(): StopReason | null {
    if (!this.quit) return null;
    this.quit = false;
    return { kind: 'console-quit' };
  }

  /** Restore the terminal and close the descriptor. */
  close(): void {
    if (this.tty !== null) {
      this.tty.setRawMode(false);
      this.tty.pause();
    }
    if (this.fd > 0) closeSync(this.fd);
    this.fd = -1;
    this.ended = true;
  }

  private fill(): boolean {
    if (this.ended) return false;
    let n: number;
    try {
      n = readSync(this.fd, this.chunk, 0, CHUNK, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
      this.ended = true;
      return false;
    }
    if (n === 0) {
      this.ended = true;
      return false;
    }
    this.head = 0;
    this.tail = n;
    return true;
  }
}
