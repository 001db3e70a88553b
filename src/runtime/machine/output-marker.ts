import type { OutputSink } from './output.ts';

/**
 * Passes guest output through and notes the first time a marker text appears in it (a Linux
 * boot's "Run /init as init process": the boot-to-init point --stats reports). A byte-at-a-time
 * matcher with no allocation per byte; inactive (one compare) until a marker is set.
 */
export class OutputMarker implements OutputSink {
  private marker: Uint8Array | null = null;
  /** Failure function of the marker (KMP), so overlapping prefixes are not missed. */
  private fail: Int32Array = new Int32Array(0);
  private matched = 0;
  private onMatch: (() => void) | null = null;

  constructor(private readonly inner: OutputSink) {}

  /** Watch for `text`; `onMatch` runs once, when the marker's last byte is written. */
  watch(text: string, onMatch: () => void): void {
    const m = Buffer.from(text, 'utf8');
    if (m.length === 0) throw new RangeError('empty output marker');
    const fail = new Int32Array(m.length);
    for (let i = 1, k = 0; i < m.length; i++) {
      while (k > 0 && m[i] !== m[k]) k = fail[k - 1]!;
      if (m[i] === m[k]) k++;
      fail[i] = k;
    }
    this.marker = new Uint8Array(m);
    this.fail = fail;
    this.matched = 0;
    this.onMatch = onMatch;
  }

  writeByte(byte: number): void {
    this.inner.writeByte(byte);
    const m = this.marker;
    if (m === null) return;
    let k = this.matched;
    while (k > 0 && byte !== m[k]) k = this.fail[k - 1]!;
    if (byte === m[k]) k++;
    if (k === m.length) {
      const done = this.onMatch;
      this.marker = null;
      this.onMatch = null;
      done?.();
      return;
    }
    this.matched = k;
  }
}
