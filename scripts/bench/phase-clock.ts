import { isPhaseName, type PhaseName } from './phases.ts';

/** One phase as the host saw it: when its start and end lines arrived, and what the end line said. */
export interface PhaseTiming {
  name: PhaseName;
  /** Host milliseconds (performance.now()) when the start / end line's newline arrived. */
  startMs: number;
  endMs: number;
  unit: 'insns' | 'faults';
  /** The count on the end line. */
  count: number;
  /** The rest of the end line after the count (e.g. "check=1A2B3C4D"), trimmed. */
  extra: string;
}

export type LineEvent =
  | { kind: 'start'; phase: PhaseName }
  | { kind: 'end'; phase: PhaseName }
  | { kind: 'done' }
  | { kind: 'exception'; line: string }
  | { kind: 'other' };

const START = /^phase (\w+) start$/;
const END = /^phase (\w+) end (insns|faults)=(\d+)(.*)$/;

/** Classify one guest output line (without its newline). */
export function classifyLine(line: string): LineEvent {
  const start = START.exec(line);
  if (start !== null && isPhaseName(start[1]!)) return { kind: 'start', phase: start[1] };
  const end = END.exec(line);
  if (end !== null && isPhaseName(end[1]!)) return { kind: 'end', phase: end[1] };
  if (line === 'bench done') return { kind: 'done' };
  if (line.startsWith('bench exception')) return { kind: 'exception', line };
  return { kind: 'other' };
}

/**
 * Receives the guest's serial bytes as they arrive on the host and timestamps each phase's start
 * and end lines. `onLine` runs at each complete line (after it is recorded), so a peer can take
 * its own counters at the same moment. QEMU's firmware may print empty lines first; they are
 * kept in `lines` and ignored.
 */
export class PhaseClock {
  readonly lines: string[] = [];
  readonly phases: PhaseTiming[] = [];
  done = false;
  exception: string | undefined;
  private pending: number[] = [];
  private startedAt = new Map<PhaseName, number>();

  constructor(private readonly onLine?: (event: LineEvent, nowMs: number) => void) {}

  /** Feed one byte received at host time `nowMs`. */
  byte(value: number, nowMs: number): void {
    if (value === 0x0a) {
      const line = Buffer.from(this.pending).toString('latin1').replace(/\r$/, '');
      this.pending = [];
      this.line(line, nowMs);
    } else {
      this.pending.push(value);
    }
  }

  /** Feed a chunk of bytes received together at `nowMs`. */
  chunk(bytes: Uint8Array, nowMs: number): void {
    for (const b of bytes) this.byte(b, nowMs);
  }

  get output(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  private line(line: string, nowMs: number): void {
    this.lines.push(line);
    const event = classifyLine(line);
    if (event.kind === 'start') {
      this.startedAt.set(event.phase, nowMs);
    } else if (event.kind === 'end') {
      const m = END.exec(line)!;
      const startMs = this.startedAt.get(event.phase);
      if (startMs !== undefined) {
        this.phases.push({
          name: event.phase,
          startMs,
          endMs: nowMs,
          unit: m[2] as 'insns' | 'faults',
          count: Number(m[3]),
          extra: m[4]!.trim(),
        });
      }
    } else if (event.kind === 'done') {
      this.done = true;
    } else if (event.kind === 'exception') {
      this.exception = line;
    }
    this.onLine?.(event, nowMs);
  }
}
