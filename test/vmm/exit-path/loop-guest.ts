import { Machine, type PagingModeName } from '../../../src/runtime/machine/machine.ts';
import { createTrapMonitor } from '../../../src/runtime/vmm/create-monitor.ts';
import type { TrapMonitor } from '../../../src/runtime/vmm/trap-monitor.ts';

/**
 * The bench guest's crmix loop as a real-mode flat image (the same bytes as
 * scripts/bench/exit-micro.ts): EBX = CR0 | TS, ESI = CR4 | toggle, EDI = CR4, then
 * `mov cr0, ebx; clts; mov cr4, esi; mov cr4, edi; mov eax, cr3; dec ecx; jnz` with ECX = count,
 * then HLT. 5 exits per 7-instruction iteration.
 */
export const SETUP_INSNS = 8;
export const LOOP_INSNS = 7;
export const CR4_PGE = 0x80;
export const CR4_OSXMMEXCPT = 0x400;

export function loopImage(iterations: number, cr4Toggle: number): Uint8Array {
  const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  // prettier-ignore
  return new Uint8Array([
    0x0f, 0x20, 0xc0, //       mov eax, cr0
    0x66, 0x89, 0xc3, //       mov ebx, eax
    0x66, 0x83, 0xcb, 0x08, // or ebx, 8 (TS)
    0x0f, 0x20, 0xe0, //       mov eax, cr4
    0x66, 0x89, 0xc7, //       mov edi, eax
    0x66, 0x89, 0xc6, //       mov esi, eax
    0x66, 0x81, 0xce, ...le(cr4Toggle), // or esi, toggle
    0x66, 0xb9, ...le(iterations), //     mov ecx, iterations
    0x0f, 0x22, 0xc3, //       loop: mov cr0, ebx
    0x0f, 0x06, //             clts
    0x0f, 0x22, 0xe6, //       mov cr4, esi
    0x0f, 0x22, 0xe7, //       mov cr4, edi
    0x0f, 0x20, 0xd8, //       mov eax, cr3
    0x66, 0x49, //             dec ecx
    0x75, 0xee, //             jnz loop
    0xf4, //                   hlt
  ]);
}

export interface LoopRun {
  machine: Machine;
  monitor: TrapMonitor;
}

/** A machine under the trap monitor with the loop loaded. */
export function loopMachine(paging: PagingModeName, iterations: number, cr4Toggle: number): LoopRun {
  let monitor: TrapMonitor | undefined;
  const machine = new Machine({
    memMiB: 16,
    paging,
    output: { writeByte: () => undefined },
    monitorFactory: (ctx) => (monitor = createTrapMonitor(ctx)),
  });
  const loaded = machine.load(loopImage(iterations, cr4Toggle), { file: 'loop.img', format: 'flat' });
  if (!loaded.ok) throw new Error('loop image did not load');
  return { machine, monitor: monitor! };
}
