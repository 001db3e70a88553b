import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PhaseClock } from './phase-clock.ts';
import { phaseResults, type PeerResult } from './result.ts';

/**
 * One v86 run in its own process: argv[2] is a JSON V86ChildRequest; the PeerResult is printed
 * as JSON on stdout. v86 runs the multiboot image without a BIOS; its port 0xF4 handler ends the
 * run by throwing "HALT" out of the emulator loop, which this process catches.
 */
export interface V86ChildRequest {
  imagePath: string;
  cmdline: string;
  memMiB: number;
  /** Give up after this many seconds. */
  timeoutSeconds: number;
}

interface V86Emulator {
  add_listener(event: string, listener: (value: number) => void): void;
  stop(): Promise<void> | void;
  destroy(): Promise<void> | void;
}
type V86Ctor = new (options: Record<string, unknown>) => V86Emulator;

const request = JSON.parse(process.argv[2] ?? '{}') as V86ChildRequest;
const require = createRequire(import.meta.url);
const pkgPath = require.resolve('v86/package.json');
const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
const { V86 } = (await import('v86')) as unknown as { V86: V86Ctor };

const file = readFileSync(request.imagePath);
const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.length);
const clock = new PhaseClock();
let t0 = performance.now();
let finished = false;

function finish(reason?: string): void {
  if (finished) return;
  finished = true;
  const ok = reason === undefined && clock.done && clock.exception === undefined;
  const result: PeerResult = {
    peer: 'v86',
    status: ok ? 'ok' : 'failed',
    reason: ok ? undefined : (reason ?? clock.exception ?? 'the guest did not finish'),
    version,
    phases: phaseResults(clock.phases),
    wallSeconds: (performance.now() - t0) / 1000,
    output: clock.output,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

process.on('uncaughtException', (error: unknown) => {
  // v86's debug-exit handler (port 0xF4) throws the string "HALT".
  if (error === 'HALT') finish();
  else finish(`v86 threw: ${String(error instanceof Error ? error.stack : error)}`);
});
setTimeout(() => finish(`timed out after ${request.timeoutSeconds} s`), request.timeoutSeconds * 1000).unref();

const emulator = new V86({
  wasm_path: join(dirname(pkgPath), 'build', 'v86.wasm'),
  memory_size: request.memMiB * 1024 * 1024,
  multiboot: { buffer },
  cmdline: request.cmdline,
  autostart: true,
  disable_keyboard: true,
  disable_mouse: true,
  disable_speaker: true,
});
emulator.add_listener('emulator-ready', () => {
  t0 = performance.now();
});
emulator.add_listener('serial0-output-byte', (byte) => {
  clock.byte(byte, performance.now());
  if (clock.done || clock.exception !== undefined) {
    // The guest's next instructions write 0xF4 (v86 then throws HALT); stop either way.
    void emulator.stop();
    setTimeout(() => finish(), 50);
  }
});
