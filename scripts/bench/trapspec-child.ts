import { readFileSync } from 'node:fs';
import { applyV8Flags } from '../../src/runtime/v8-flags.ts';
import { runTrapspec, type TrapspecPaging } from './trapspec-run.ts';

/**
 * One trapspec run in its own process (fresh JIT state per paging strategy, and a process that
 * `node --cpu-prof` can profile): argv[2] is a JSON TrapspecChildRequest, the PeerResult is
 * printed as JSON on stdout.
 */
export interface TrapspecChildRequest {
  imagePath: string;
  cmdline: string;
  paging: TrapspecPaging;
  memMiB: number;
}

const v8Flags = applyV8Flags(); // as the CLI runs guests
const request = JSON.parse(process.argv[2] ?? '{}') as TrapspecChildRequest;
const result = await runTrapspec({
  image: new Uint8Array(readFileSync(request.imagePath)),
  cmdline: request.cmdline,
  paging: request.paging,
  memMiB: request.memMiB,
});
process.stdout.write(`${JSON.stringify({ ...result, engineFlags: v8Flags })}\n`);
