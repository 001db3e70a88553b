/** Where guest output bytes go (COM1, debug console). */
export interface OutputSink {
  writeByte(byte: number): void;
}

/**
 * Collects guest output and hands it on in chunks: at each newline, when the buffer fills, and
 * on flush() (the machine flushes when a run stops). No allocation per byte.
 */
export class BufferedOutput implements OutputSink {
  private readonly buffer: Uint8Array;
  private length = 0;

  constructor(
    private readonly emit: (chunk: Uint8Array) => void,
    capacity = 4096,
  ) {
    this.buffer = new Uint8Array(capacity);
  }

  writeByte(byte: number): void {
    this.buffer[this.length++] = byte;
    if (byte === 0x0a || this.length === this.buffer.length) this.flush();
  }

  flush(): void {
    if (this.length === 0) return;
    this.emit(this.buffer.slice(0, this.length));
    this.length = 0;
  }
}

/** Keeps every byte in memory (tests, and callers that want the output as a string). */
export class CapturedOutput implements OutputSink {
  private chunks: number[] = [];

  writeByte(byte: number): void {
    this.chunks.push(byte);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  text(): string {
    return Buffer.from(this.bytes()).toString('latin1');
  }
}
