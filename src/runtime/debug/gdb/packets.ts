/**
 * GDB remote serial protocol framing (gdb manual, "Overview" of the Remote Protocol):
 * `$payload#cs` with cs the modulo-256 sum of the payload bytes as two hex digits, `+`/`-`
 * acknowledgements, `}` escapes (byte ^ 0x20) in binary data, `*` run-length encoding from gdb,
 * and the 0x03 interrupt byte outside packets.
 *
 * PacketReader takes bytes as they arrive (any split) and yields events; it never throws on
 * malformed input — garbage between packets is skipped, a bad checksum is an event (the stub
 * answers `-` and gdb resends), an oversized packet is dropped.
 */

export type PacketEvent =
  | { kind: 'packet'; payload: string }
  | { kind: 'bad-checksum' }
  | { kind: 'ack' }
  | { kind: 'nack' }
  | { kind: 'interrupt' };

/** Largest packet accepted (and announced as PacketSize). */
export const MAX_PACKET = 0x4000;

export function checksum(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum = (sum + text.charCodeAt(i)) & 0xff;
  return sum;
}

/** `$payload#cs`, with `#`, `$`, `}` and `*` in the payload escaped. */
export function frame(payload: string): string {
  const body = escapeBinary(payload);
  return `$${body}#${checksum(body).toString(16).padStart(2, '0')}`;
}

export function escapeBinary(text: string): string {
  return text.replace(/[#$}*]/g, (c) => `}${String.fromCharCode(c.charCodeAt(0) ^ 0x20)}`);
}

/** Undo `}` escapes (X packets carry binary data). */
export function unescapeBinary(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '}' && i + 1 < text.length) out += String.fromCharCode(text.charCodeAt(++i) ^ 0x20);
    else out += c;
  }
  return out;
}

/** Expand gdb's run-length encoding: `X*n` repeats X (n - 29) more times. */
function expandRle(text: string): string {
  if (!text.includes('*')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '*' && out.length > 0 && i + 1 < text.length) {
      out += out[out.length - 1]!.repeat(Math.max(0, text.charCodeAt(++i) - 29));
    } else {
      out += c;
    }
  }
  return out;
}

export class PacketReader {
  private state: 'idle' | 'body' | 'sum1' | 'sum2' = 'idle';
  private body = '';
  private sum = '';

  /** Feed received bytes; returns the events they complete, in order. */
  feed(bytes: Uint8Array): PacketEvent[] {
    const out: PacketEvent[] = [];
    for (const b of bytes) {
      const c = String.fromCharCode(b);
      switch (this.state) {
        case 'idle':
          if (c === '$') {
            this.state = 'body';
            this.body = '';
          } else if (c === '+') out.push({ kind: 'ack' });
          else if (c === '-') out.push({ kind: 'nack' });
          else if (b === 0x03) out.push({ kind: 'interrupt' });
          break; // anything else between packets is noise
        case 'body':
          // An escaped byte is never '#' ('}' is followed by byte ^ 0x20), so '#' always ends the body.
          if (c === '#') {
            this.state = 'sum1';
          } else if (this.body.length >= MAX_PACKET) {
            this.state = 'idle'; // oversized: drop it (gdb resends after no ack)
            out.push({ kind: 'bad-checksum' });
          } else {
            this.body += c;
          }
          break;
        case 'sum1':
          this.sum = c;
          this.state = 'sum2';
          break;
        case 'sum2': {
          this.sum += c;
          this.state = 'idle';
          const want = /^[0-9a-fA-F]{2}$/.test(this.sum) ? parseInt(this.sum, 16) : -1;
          if (want !== checksum(this.body)) out.push({ kind: 'bad-checksum' });
          else out.push({ kind: 'packet', payload: expandRle(this.body) });
          break;
        }
      }
    }
    return out;
  }
}

/** Bytes as hex (m replies, qRcmd output). */
export function toHex(bytes: Uint8Array | string): string {
  let out = '';
  if (typeof bytes === 'string') for (let i = 0; i < bytes.length; i++) out += (bytes.charCodeAt(i) & 0xff).toString(16).padStart(2, '0');
  else for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Hex → bytes (undefined for odd length or a non-hex digit). */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
