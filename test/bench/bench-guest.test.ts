import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyLine, PhaseClock } from '../../scripts/bench/phase-clock.ts';
import {
  aluCheck,
  expectedLines,
  guestCmdline,
  scaledCounts,
  type IterationCounts,
  type PhaseName,
} from '../../scripts/bench/phases.ts';
import { phaseResults } from '../../scripts/bench/result.ts';
import { runTrapspec, type TrapspecPaging } from '../../scripts/bench/trapspec-run.ts';

/**
 * The benchmark guest (guests/bench) under trapspec: exact phase lines and counts with small
 * iteration counts, the same bytes QEMU prints, and the interpreter's own instruction count
 * agreeing with the guest's. Nothing here depends on time.
 */
const IMAGE = new Uint8Array(readFileSync('guests/bench/bench.img'));
const SMALL: IterationCounts = { alu: 1000, mem: 1, cr3: 20, pf: 1500, crmix: 20, mem64: 1, cr364: 20 };
const ALL: PhaseName[] = ['alu', 'mem', 'cr3', 'pf', 'crmix', 'mem64', 'cr364'];
/** The phases without a 4 MiB pass (cheap enough to run under every strategy, twice). */
const QUICK: PhaseName[] = ['alu', 'cr3', 'pf', 'crmix', 'cr364'];
const QEMU_ARGS = [
  '-accel',
  'tcg',
  '-cpu',
  'max',
  '-m',
  '128',
  '-display',
  'none',
  '-no-reboot',
  '-device',
  'isa-debug-exit,iobase=0xf4,iosize=0x04',
];
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const hasNasm = spawnSync('nasm', ['-v']).status === 0;

function lines(output: string): string[] {
  return output.split('\n').filter((l) => l !== '');
}

describe('bench guest under trapspec', () => {
  it('all phases, shadow paging: the lines QEMU printed (guests/bench/expected-output.txt)', async () => {
    const cmdline = guestCmdline(SMALL, ALL, 1);
    const expected = readFileSync('guests/bench/expected-output.txt', 'latin1');
    expect(lines(expected)).toEqual(expectedLines(SMALL, ALL, 1));
    const r = await runTrapspec({ image: IMAGE, cmdline, paging: 'shadow' });
    expect(r.output).toBe(expected);
    expect(r.status).toBe('ok');
    expect(r.phases.map((p) => [p.name, p.count])).toEqual([
      ['alu', 8000],
      ['mem', 4194307],
      ['cr3', 380],
      ['pf', 1500],
      ['crmix', 140],
      ['mem64', 4194307],
      ['cr364', 380],
    ]);
    // Every fresh page of the pf phase is a #PF the shadow pager sees (missing in the guest's
    // tables: reflected to the guest), so at least one paging fault per guest fault.
    const pf = r.phases.find((p) => p.name === 'pf')!;
    expect(pf.pagingFaults).toBeGreaterThanOrEqual(1500);
    // crmix: five control-register accesses per iteration, each one an exit (R-rules on CR0/CR4
    // writes and CLTS; MOV from CR3 reads the guest's CR3 under shadow paging).
    const crmix = r.phases.find((p) => p.name === 'crmix')!;
    expect(crmix.exits).toBeGreaterThanOrEqual(5 * 20);
  });

  it.each<TrapspecPaging>(['shadow', 'nested', 'direct'])(
    '%s paging: exact lines for the quick phases, each run twice',
    async (paging) => {
      const r = await runTrapspec({ image: IMAGE, cmdline: guestCmdline(SMALL, QUICK, 2), paging });
      expect(lines(r.output)).toEqual(expectedLines(SMALL, QUICK, 2));
      expect(r.status).toBe('ok');
      expect(r.phases.every((p) => p.repetitions === 2)).toBe(true);
    },
  );

  it('the interpreter executes exactly the instructions the guest counts (alu: 8 per iteration)', async () => {
    const run = async (alu: number): Promise<{ host: number; guest: number }> => {
      const r = await runTrapspec({
        image: IMAGE,
        cmdline: guestCmdline({ ...SMALL, alu }, ['alu'], 1),
        paging: 'nested',
      });
      const p = r.phases[0]!;
      return { host: p.hostInstructions!, guest: p.count };
    };
    const a = await run(1000);
    const b = await run(1100);
    expect(b.guest - a.guest).toBe(800);
    // The same fixed overhead (printing lines with as many digits) around loops of different lengths.
    expect(b.host - a.host).toBe(800);
    expect(a.host).toBeGreaterThan(a.guest);
  });

  it('the alu check value is what the loop computes', () => {
    // Recorded from QEMU and v86 (bench.asm's alu loop).
    expect(aluCheck(100)).toBe('A146B680');
    expect(aluCheck(1_000_000)).toBe('47F14401');
  });
});

describe('bench guest image', () => {
  it('is a multiboot a.out-kludge kernel and what bench.asm assembles to (when nasm is installed)', () => {
    const header = IMAGE.subarray(0, 12);
    const view = new DataView(header.buffer, header.byteOffset, 12);
    expect(view.getUint32(0, true)).toBe(0x1badb002);
    expect(view.getUint32(4, true) & (1 << 16)).not.toBe(0);
    if (hasNasm) {
      const out = join(mkdtempSync(join(tmpdir(), 'trapspec-bench-')), 'bench.img');
      execFileSync('nasm', ['-f', 'bin', '-o', out, 'guests/bench/bench.asm']);
      expect(
        readFileSync(out).equals(Buffer.from(IMAGE)),
        'guests/bench/bench.img is stale: run guests/bench/build.sh',
      ).toBe(true);
    }
  });
});

describe('bench guest under QEMU (when installed)', () => {
  it('prints the recorded reference output for the test command line', () => {
    const expected = readFileSync('guests/bench/expected-output.txt', 'latin1');
    expect(expected.endsWith('bench done\n')).toBe(true);
    if (hasQemu) {
      // Serial output to a file: QEMU's stdio chardev can drop bytes on a busy machine.
      const serial = join(mkdtempSync(join(tmpdir(), 'trapspec-bench-qemu-')), 'serial.txt');
      const args = [
        ...QEMU_ARGS,
        '-serial',
        `file:${serial}`,
        '-kernel',
        'guests/bench/bench.img',
        '-append',
        guestCmdline(SMALL, ALL, 1),
      ];
      const r = spawnSync('qemu-system-x86_64', args, { encoding: 'latin1', timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(readFileSync(serial, 'latin1')).toBe(expected);
    }
  });
});

describe('bench harness parts', () => {
  it('classifies phase lines', () => {
    expect(classifyLine('phase cr3 start')).toEqual({ kind: 'start', phase: 'cr3' });
    expect(classifyLine('phase pf end faults=12')).toEqual({ kind: 'end', phase: 'pf' });
    expect(classifyLine('phase nope start')).toEqual({ kind: 'other' });
    expect(classifyLine('bench done')).toEqual({ kind: 'done' });
    expect(classifyLine('bench exception 14')).toEqual({ kind: 'exception', line: 'bench exception 14' });
  });

  it('timestamps lines as bytes arrive and keeps the last repetition', () => {
    const clock = new PhaseClock();
    const feed = (text: string, ms: number): void => clock.chunk(Buffer.from(text, 'latin1'), ms);
    feed('\n\rbench x\nphase alu start\n', 10);
    feed('phase alu end insns=80 check=0000000A\nphase alu st', 30);
    feed('art\n', 40);
    feed('phase alu end insns=80 check=0000000A\nbench done\n', 50);
    expect(clock.done).toBe(true);
    expect(clock.phases).toHaveLength(2);
    const [alu] = phaseResults(clock.phases);
    expect(alu).toMatchObject({
      name: 'alu',
      count: 80,
      seconds: 0.01,
      rate: 8000,
      coldRate: 4000,
      repetitions: 2,
      extra: 'check=0000000A',
    });
  });

  it('builds the command line and the counts for a scale', () => {
    expect(guestCmdline(SMALL, ['alu', 'pf'], 3)).toBe(
      'alu=1000 mem=1 cr3=20 pf=1500 crmix=20 mem64=1 cr364=20 repeat=3 phases=alu,pf',
    );
    const half = scaledCounts(0.5);
    expect(half.alu).toBe(500_000);
    expect(half.mem).toBe(1);
  });
});
