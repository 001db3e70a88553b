/**
 * `npm run bench [-- --scale N --phases a,b --peers p,q --profile]`: the benchmark guest
 * (guests/bench) under trapspec (shadow and nested paging), v86 and QEMU TCG; per-phase rates
 * timed on the host, trapspec/peer ratios, trapspec exits and shadow faults per second, codegen
 * time; results also in bench-results/bench-<date>.json. See README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, runChild } from './bench/child.ts';
import type { CodegenTiming } from './bench/codegen-child.ts';
import { machineInfo } from './bench/machine-info.ts';
import {
  aluCheck,
  guestCmdline,
  isPhaseName,
  PHASE_NAMES,
  PHASES_32,
  scaledCounts,
  expectedCount,
  type IterationCounts,
  type PhaseName,
} from './bench/phases.ts';
import { formatProfile, summarizeProfile, type ProfileSummary } from './bench/profile-summary.ts';
import { runQemu } from './bench/qemu-peer.ts';
import { computeRatios, formatReport, type BenchReport } from './bench/report.ts';
import { unavailable, type PeerResult } from './bench/result.ts';
import type { TrapspecChildRequest } from './bench/trapspec-child.ts';
import type { TrapspecPaging } from './bench/trapspec-run.ts';
import type { V86ChildRequest } from './bench/v86-child.ts';

const PEERS = ['trapspec-shadow', 'trapspec-nested', 'trapspec-direct', 'v86', 'qemu'] as const;
type PeerName = (typeof PEERS)[number];
const DEFAULT_PEERS: PeerName[] = ['trapspec-shadow', 'trapspec-nested', 'v86', 'qemu'];
const IMAGE = join(ROOT, 'guests', 'bench', 'bench.img');
const MEM_MIB = 128;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  scale: { type: 'string', default: '1' },
  phases: { type: 'string' },
  peers: { type: 'string' },
  target: { type: 'string', default: '1' },
  repeat: { type: 'string', default: '2' },
  'no-calibrate': { type: 'boolean', default: false },
  'no-codegen': { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  'profile-paging': { type: 'string', default: 'shadow' },
  timeout: { type: 'string', default: '900' },
  out: { type: 'string', default: join(ROOT, 'bench-results') },
  help: { type: 'boolean', default: false },
} as const;

function parseOptions(): ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'] {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    fail(`${(error as Error).message} (see --help)`);
  }
}
const values = parseOptions();
if (values.help) {
  process.stdout.write(
    [
      'usage: npm run bench -- [options]',
      "  --scale N          multiply every phase's iterations (default 1: about 1 s per phase under trapspec)",
      `  --phases LIST      phases to run (default all: ${PHASE_NAMES.join(',')})`,
      `  --peers LIST       peers (default ${DEFAULT_PEERS.join(',')}; also trapspec-direct; "trapspec" = shadow+nested)`,
      '  --repeat R         run each phase R times in a row and time the last (default 2: JITs warm)',
      '  --target S         calibrate each peer so each phase runs at least about S seconds (default 1)',
      '  --no-calibrate     run every peer with the same iteration counts',
      '  --no-codegen       skip timing the code generator',
      '  --profile          also run each phase of trapspec under node --cpu-prof and summarize the hot functions',
      '  --profile-paging M paging strategy for --profile (default shadow)',
      '  --timeout S        give up on a peer after S seconds (default 900)',
      '  --out DIR          where the JSON results and profiles go (default bench-results/)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const scale = Number(values.scale);
if (!(scale > 0)) fail(`--scale: expected a positive number, got ${values.scale}`);
const targetSeconds = Number(values.target);
if (!(targetSeconds > 0)) fail(`--target: expected a positive number of seconds, got ${values.target}`);
const timeoutSeconds = Number(values.timeout);
if (!(timeoutSeconds > 0)) fail(`--timeout: expected a positive number of seconds, got ${values.timeout}`);

const phases: PhaseName[] = [];
for (const word of (values.phases ?? PHASE_NAMES.join(',')).split(',').filter((w) => w !== '')) {
  if (!isPhaseName(word)) fail(`--phases: unknown phase ${word} (phases: ${PHASE_NAMES.join(', ')})`);
  if (!phases.includes(word)) phases.push(word);
}
phases.sort((a, b) => PHASE_NAMES.indexOf(a) - PHASE_NAMES.indexOf(b));
const peers: PeerName[] = [];
for (const word of (values.peers ?? DEFAULT_PEERS.join(',')).split(',').filter((w) => w !== '')) {
  const names = word === 'trapspec' ? (['trapspec-shadow', 'trapspec-nested'] as const) : [word];
  for (const name of names) {
    if (!(PEERS as readonly string[]).includes(name))
      fail(`--peers: unknown peer ${name} (peers: ${PEERS.join(', ')})`);
    if (!peers.includes(name as PeerName)) peers.push(name as PeerName);
  }
}
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) fail(`--repeat: expected a whole number >= 1, got ${values.repeat}`);
const calibrate = !values['no-calibrate'];
const baseCounts = scaledCounts(scale);
const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

async function runTrapspecPeer(paging: TrapspecPaging, cmdline: string, nodeFlags: string[] = []): Promise<PeerResult> {
  const request: TrapspecChildRequest = { imagePath: IMAGE, cmdline, paging, memMiB: MEM_MIB };
  const r = await runChild<PeerResult>('trapspec-child.ts', request, nodeFlags, timeoutSeconds);
  return r.value ?? { ...unavailable(`trapspec-${paging}`, r.error ?? 'no result'), status: 'failed' };
}

async function runV86Peer(cmdline: string): Promise<PeerResult> {
  const request: V86ChildRequest = { imagePath: IMAGE, cmdline, memMiB: MEM_MIB, timeoutSeconds };
  const r = await runChild<PeerResult>('v86-child.ts', request, [], timeoutSeconds + 30);
  if (r.value !== undefined) return r.value;
  const missing = /Cannot find (package|module) 'v86'/.test(r.stderr);
  return missing
    ? unavailable('v86', 'the v86 package is not installed (npm install --save-dev v86)')
    : { ...unavailable('v86', r.error ?? 'no result'), status: 'failed' };
}

/**
 * Every peer runs the --scale counts once, then again with each phase's iterations multiplied so
 * that it lasts about --target seconds (short phases are dominated by timer resolution and by
 * JIT compilers warming up; v86 and QEMU are 10-1000x faster than trapspec on some phases).
 */
async function calibrated(
  name: string,
  selected: readonly PhaseName[],
  run: (cmdline: string) => Promise<PeerResult>,
): Promise<{ result: PeerResult; cmdline: string }> {
  const first = guestCmdline(baseCounts, selected, repeat);
  if (!calibrate) return { result: await run(first), cmdline: first };
  log(`bench: ${name}: calibration run`);
  const probe = await run(first);
  if (probe.status !== 'ok') return { result: probe, cmdline: first };
  const counts: IterationCounts = { ...baseCounts };
  for (const p of probe.phases) {
    const factor = Math.min(1000, Math.max(1, Math.ceil(targetSeconds / Math.max(p.seconds, 1e-4))));
    counts[p.name] = baseCounts[p.name] * factor;
  }
  const cmdline = guestCmdline(counts, selected, repeat);
  log(`bench: ${name}: measuring (${cmdline})`);
  return { result: await run(cmdline), cmdline };
}

function checkCounts(result: PeerResult, cmdline: string): PeerResult {
  // The end lines must carry what the guest was asked to do, or the rates mean nothing.
  const counts = Object.fromEntries(cmdline.split(' ').map((w) => w.split('='))) as Record<string, string>;
  for (const p of result.phases) {
    const want = expectedCount(p.name, Number(counts[p.name]));
    if (p.count !== want)
      return { ...result, status: 'failed', reason: `phase ${p.name}: end line says ${p.count}, expected ${want}` };
    if (p.name === 'alu' && p.extra !== `check=${aluCheck(Number(counts.alu))}`) {
      return {
        ...result,
        status: 'failed',
        reason: `phase alu: wrong result (${p.extra}, expected check=${aluCheck(Number(counts.alu))})`,
      };
    }
  }
  return result;
}

async function timeCodegen(): Promise<BenchReport['codegen']> {
  log('bench: timing codegen');
  const r = await runChild<CodegenTiming>('codegen-child.ts', {}, [], 300);
  if (r.value === undefined)
    return { ok: false, importMs: 0, pipelineMs: 0, warmPipelineMs: 0, files: 0, timings: {}, error: r.error };
  const t0 = performance.now();
  const check = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'codegen', 'main.ts'), 'gen', '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const processMs = performance.now() - t0;
  return { ...r.value, processMs: check.status === 0 ? processMs : undefined };
}

async function profilePhases(outDir: string, paging: TrapspecPaging): Promise<Record<string, ProfileSummary>> {
  const dir = join(outDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const out: Record<string, ProfileSummary> = {};
  for (const name of phases) {
    const file = `${name}-${paging}.cpuprofile`;
    log(`bench: profiling ${name} (trapspec, ${paging} paging)`);
    const r = await runTrapspecPeer(paging, guestCmdline(baseCounts, [name], repeat), [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      `--cpu-prof-name=${file}`,
    ]);
    if (r.status !== 'ok') {
      log(`bench: profiling ${name}: ${r.status}: ${r.reason ?? ''}`);
      continue;
    }
    const summary = summarizeProfile(join(dir, file), ROOT, r.phases.find((p) => p.name === name)?.windowUs);
    out[name] = summary;
    log(formatProfile(`profile of phase ${name} (${join(dir, file)})`, summary));
  }
  return out;
}

const report: BenchReport & { profiles?: Record<string, ProfileSummary> } = {
  machine: machineInfo(),
  options: { scale, phases, peers, calibrate, targetSeconds, repeat },
  cmdlines: {},
  peers: [],
  ratios: {},
};
if (!values['no-codegen']) report.codegen = await timeCodegen();

for (const peer of peers) {
  if (peer.startsWith('trapspec-')) {
    const paging = peer.slice('trapspec-'.length) as TrapspecPaging;
    const { result, cmdline } = await calibrated(peer, phases, (c) => runTrapspecPeer(paging, c));
    report.cmdlines[peer] = cmdline;
    report.peers.push(checkCounts(result, cmdline));
  } else if (peer === 'v86') {
    const selected = phases.filter((p) => PHASES_32.includes(p));
    if (selected.length === 0) {
      report.peers.push(unavailable('v86', 'no 32-bit phase selected (v86 has no long mode)'));
      continue;
    }
    const { result, cmdline } = await calibrated('v86', selected, runV86Peer);
    report.cmdlines.v86 = cmdline;
    report.peers.push(checkCounts(result, cmdline));
  } else {
    const { result, cmdline } = await calibrated('qemu', phases, (c) => runQemu(IMAGE, c, MEM_MIB, timeoutSeconds));
    report.cmdlines.qemu = cmdline;
    report.peers.push(result.status === 'unavailable' ? result : checkCounts(result, cmdline));
  }
}
report.ratios = computeRatios(report.peers);
if (values.profile) {
  const paging = values['profile-paging'];
  if (paging !== 'shadow' && paging !== 'nested' && paging !== 'direct')
    fail(`--profile-paging: expected shadow, nested or direct, got ${paging}`);
  report.profiles = await profilePhases(values.out, paging);
}

process.stdout.write(`${formatReport(report)}\n`);
mkdirSync(values.out, { recursive: true });
const file = join(values.out, `bench-${report.machine.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nresults: ${file}\n`);
