/**
 * The TCP side of the gdb stub (node:net): one gdb at a time on HOST:PORT (127.0.0.1 unless
 * told otherwise), `+`/`-` acknowledgements, resending the last packet on `-`. A second client
 * while one is attached is turned away; a dropped connection is reported as `onClose` (the
 * session then lets the guest run on, like a detach) and the server keeps listening.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { frame, PacketReader, type PacketEvent } from './packets.ts';

export interface ConnectionHandlers {
  onPacket(payload: string): void;
  onInterrupt(): void;
  onClose(): void;
}

/** One attached gdb. */
export class GdbConnection {
  private readonly reader = new PacketReader();
  private lastSent = '';
  /** False once we close it or the peer does (no more writes). */
  private open = true;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: ConnectionHandlers,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => {
      for (const ev of this.reader.feed(data)) this.event(ev);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.open = false;
      this.handlers.onClose();
    });
  }

  private event(ev: PacketEvent): void {
    switch (ev.kind) {
      case 'packet':
        this.write('+');
        this.handlers.onPacket(ev.payload);
        break;
      case 'bad-checksum':
        this.write('-');
        break;
      case 'nack':
        if (this.lastSent !== '') this.write(this.lastSent);
        break;
      case 'interrupt':
        this.handlers.onInterrupt();
        break;
      case 'ack':
        break;
    }
  }

  private write(text: string): void {
    if (this.open && !this.socket.destroyed) this.socket.write(text, 'latin1');
  }

  send(payload: string): void {
    this.lastSent = frame(payload);
    this.write(this.lastSent);
  }

  /** Close after what was sent has been written. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.socket.end();
  }

  get isOpen(): boolean {
    return this.open;
  }
}

export class GdbServer {
  private readonly server: Server;
  private current: GdbConnection | null = null;

  constructor(onConnect: (connection: GdbConnection) => ConnectionHandlers) {
    this.server = createServer((socket: Socket) => {
      if (this.current?.isOpen === true) {
        socket.end('$E01#a6'); // one gdb at a time
        return;
      }
      let handlers: ConnectionHandlers | null = null;
      const connection = new GdbConnection(socket, {
        onPacket: (p) => handlers?.onPacket(p),
        onInterrupt: () => handlers?.onInterrupt(),
        onClose: () => {
          if (this.current === connection) this.current = null;
          handlers?.onClose();
        },
      });
      this.current = connection;
      handlers = onConnect(connection);
    });
  }

  get connection(): GdbConnection | null {
    return this.current;
  }

  /** Listen; resolves with the bound port (an ephemeral one for port 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.current?.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
