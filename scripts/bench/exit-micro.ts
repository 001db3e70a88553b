/**
 * Micro-benchmark of the VM-exit path (issue 7): what one control-register exit costs, apart
 * from the paging work the bench guest's crmix phase also does.
 *
 *   npx tsx scripts/bench/exit-micro.ts [--paging nested,shadow,direct] [--iters N] [--runs R]
 *
 * Cases (each on a fresh machine, best of R timed runs after a warm-up run):
 * - `guest crmix`: a real-mode flat guest running the bench guest's crmix loop (mov cr0 with TS,
 *   clts, mov cr4 PGE=1, mov cr4 PGE=0, mov eax cr3, dec ecx, jnz): 5 exits per 7 instructions,
 *   including the TLB flushes and paging-mode changes a PGE toggle causes;
 * - `guest quiet`: the same loop toggling CR4.OSXMMEXCPT instead of PGE: no flush, no paging
 *   effect, so the time is the interpreter plus the exit path alone;
 * - `dispatch`, `dispatch-quiet`: the monitor's handleExit called directly with the loop's five
 *   exits (no interpreter, no decode): the exit path from the machine's exit counter down to
 *   the generated handlers and the Vcpu, with the PGE or the quiet CR4 toggle.
 * `--clock cpu` times by this process's CPU time instead of wall time (a shared machine).
 * Prints instructions/s, exits/s and ns per exit. Timing only; never a test.
 */
import { parseArgs } from 'node:util';
import { Machine, type PagingModeName } from '../../src/runtime/machine/machine.ts';
import type { VmExit } from '../../src/runtime/vmm/exit.ts';
import { applyV8Flags } from '../../src/runtime/v8-flags.ts';

const v8Flags = applyV8Flags(); // as the CLI runs guests

const { values } = parseArgs({
  options: {
    paging: { type: 'string', default: 'nested,shadow' },
    iters: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '5' },
    cases: { type: 'string', default: 'crmix,quiet,dispatch,dispatch-quiet' },
    // cpu: this process's CPU time (user + system) instead of wall time; on a machine shared
    // with other work, preemption then does not count.
    clock: { type: 'string', default: 'wall' },
  },
});

const CPU_CLOCK = values.clock === 'cpu';
/** Seconds, by the chosen clock. */
function now(): number {
  if (!CPU_CLOCK) return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
const ITERS = Number(values.iters);
const RUNS = Number(values.runs);
const INSNS_PER_ITER = 7;
const EXITS_PER_ITER = 5;

const CR4_PGE = 0x80;
const CR4_OSXMMEXCPT = 0x400;

/** Real-mode flat image (loaded at 0x7C00): set up EBX/ESI/EDI, then the crmix loop forever. */
function loopImage(cr4Toggle: number): Uint8Array {
  const t = [cr4Toggle & 0xff, (cr4Toggle >>> 8) & 0xff, (cr4Toggle >>> 16) & 0xff, cr4Toggle >>> 24];
  // prettier-ignore
  return new Uint8Array([
    0x0f, 0x20, 0xc0, //       mov eax, cr0
    0x66, 0x89, 0xc3, //       mov ebx, eax
    0x66, 0x83, 0xcb, 0x08, // or ebx, 8 (TS)
    0x0f, 0x20, 0xe0, //       mov eax, cr4
    0x66, 0x89, 0xc7, //       mov edi, eax
    0x66, 0x89, 0xc6, //       mov esi, eax
    0x66, 0x81, 0xce, ...t, // or esi, toggle
    0x66, 0x31, 0xc9, //       xor ecx, ecx
    // loop: 7 instructions, 5 exits
    0x0f, 0x22, 0xc3, //       mov cr0, ebx
    0x0f, 0x06, //             clts
    0x0f, 0x22, 0xe6, //       mov cr4, esi
    0x0f, 0x22, 0xe7, //       mov cr4, edi
    0x0f, 0x20, 0xd8, //       mov eax, cr3
    0x66, 0x49, //             dec ecx
    0x75, 0xee, //             jnz loop
    0xf4, //                   hlt
  ]);
}
const SETUP_INSNS = 8;

function newMachine(paging: PagingModeName, image: Uint8Array): Machine {
  const m = new Machine({ memMiB: 32, paging, output: { writeByte: () => undefined } });
  const loaded = m.load(image, { file: 'exit-micro.img', format: 'flat' });
  if (!loaded.ok) throw new Error('exit-micro: cannot load the loop image');
  return m;
}

function totalExits(m: Machine): number {
  let n = 0;
  for (const c of m.stats().exits.values()) n += c;
  return n;
}

interface Sample {
  seconds: number;
  insns: number;
  exits: number;
}

function guestCase(paging: PagingModeName, cr4Toggle: number): Sample {
  const m = newMachine(paging, loopImage(cr4Toggle));
  m.run(SETUP_INSNS + ITERS * INSNS_PER_ITER); // warm-up (JIT)
  let best: Sample | undefined;
  for (let r = 0; r < RUNS; r++) {
    const exits0 = totalExits(m);
    const t0 = now();
    const res = m.run(ITERS * INSNS_PER_ITER);
    const seconds = CPU_CLOCK ? now() - t0 : res.seconds;
    if (res.stop.kind !== 'max-insns') throw new Error(`exit-micro: guest stopped: ${JSON.stringify(res.stop)}`);
    const s = { seconds, insns: res.instructions, exits: totalExits(m) - exits0 };
    if (best === undefined || s.seconds < best.seconds) best = s;
  }
  return best!;
}

function dispatchCase(paging: PagingModeName, cr4Toggle: number): Sample {
  const m = newMachine(paging, loopImage(cr4Toggle));
  m.run(SETUP_INSNS); // registers set up, RIP at the loop
  const cpu = m.cpu;
  const monitor = m.monitor;
  const crExit = (cr: number, access: 'mov-to-cr' | 'mov-from-cr' | 'clts', gpr: number): VmExit => ({
    reason: 'cr-access',
    cr,
    access,
    operand: { kind: 'reg', gpr, size: 4 },
    lmswSource: 0,
    insnLength: access === 'clts' ? 2 : 3,
  });
  const loop: VmExit[] = [crExit(0, 'mov-to-cr', 3), crExit(0, 'clts', 0), crExit(4, 'mov-to-cr', 6), crExit(4, 'mov-to-cr', 7), crExit(3, 'mov-from-cr', 0)];
  const ip = cpu.ip;
  const once = (): number => {
    const t0 = now();
    for (let i = 0; i < ITERS; i++) {
      for (let k = 0; k < EXITS_PER_ITER; k++) {
        const out = monitor.handleExit(loop[k]!, cpu);
        if (out.kind !== 'resume') throw new Error('exit-micro: dispatch did not resume');
      }
      cpu.ip = ip;
    }
    return now() - t0;
  };
  once();
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) best = Math.min(best, once());
  return { seconds: best, insns: 0, exits: ITERS * EXITS_PER_ITER };
}

function fmt(rate: number): string {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : `${(rate / 1e3).toFixed(1)}k`;
}

const pagings = values.paging.split(',') as PagingModeName[];
const cases = values.cases.split(',');
console.log(`exit-micro: ${ITERS} iterations x ${EXITS_PER_ITER} exits, best of ${RUNS}, node ${process.version} ${v8Flags.join(' ')}`);
console.log(`${'case'.padEnd(24)}${'insns/s'.padStart(10)}${'exits/s'.padStart(10)}${'ns/exit'.padStart(10)}`);
for (const paging of pagings) {
  for (const c of cases) {
    const toggle = c.endsWith('quiet') ? CR4_OSXMMEXCPT : CR4_PGE;
    const dispatch = c.startsWith('dispatch');
    const s = dispatch ? dispatchCase(paging, toggle) : guestCase(paging, toggle);
    if (!dispatch && s.exits !== (s.insns / INSNS_PER_ITER) * EXITS_PER_ITER) {
      throw new Error(`exit-micro: ${s.exits} exits for ${s.insns} instructions`);
    }
    const label = `${paging} ${dispatch ? c : `guest ${c}`}`;
    const insns = s.insns > 0 ? fmt(s.insns / s.seconds) : '-';
    console.log(`${label.padEnd(24)}${insns.padStart(10)}${fmt(s.exits / s.seconds).padStart(10)}${((s.seconds * 1e9) / s.exits).toFixed(0).padStart(10)}`);
  }
}
