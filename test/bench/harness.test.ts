import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeProfile } from '../../scripts/bench/profile-summary.ts';
import { computeRatios, formatReport, si, targetLines, type BenchReport } from '../../scripts/bench/report.ts';
import type { PeerResult, PhaseResult } from '../../scripts/bench/result.ts';

/** The bench harness's arithmetic on made-up measurements (no guest runs, no clocks). */
function phase(name: PhaseResult['name'], rate: number): PhaseResult {
  return {
    name,
    unit: name === 'pf' ? 'faults' : 'insns',
    count: rate,
    seconds: 1,
    rate,
    extra: '',
    repetitions: 1,
    coldRate: rate,
  };
}
function peer(name: string, phases: PhaseResult[]): PeerResult {
  return { peer: name, status: 'ok', phases, wallSeconds: 1, output: '' };
}

describe('bench report', () => {
  const peers = [
    peer('trapspec-shadow', [phase('alu', 10e6), phase('pf', 200e3), phase('mem64', 5e6)]),
    peer('v86', [phase('alu', 100e6), phase('pf', 50e3)]),
    peer('qemu', [phase('alu', 1e9), phase('mem64', 1e9)]),
  ];

  it('computes trapspec/peer ratios for the phases both ran', () => {
    const ratios = computeRatios(peers);
    expect(ratios.alu).toEqual({ 'trapspec-shadow/v86': 0.1, 'trapspec-shadow/qemu': 0.01 });
    expect(ratios.pf).toEqual({ 'trapspec-shadow/v86': 4 });
    expect(ratios.mem64).toEqual({ 'trapspec-shadow/qemu': 0.005 });
    expect(ratios.cr3).toBeUndefined();
  });

  it('checks the issue targets against v86 and the codegen time', () => {
    const report = {
      ratios: computeRatios(peers),
      codegen: { ok: true, importMs: 0, pipelineMs: 400, warmPipelineMs: 200, files: 1, timings: {} },
    } as unknown as BenchReport;
    const lines = targetLines(report);
    expect(lines.find((l) => l.includes('alu'))).toMatch(/0\.100x \(target >= 0\.25x\): not met/);
    expect(lines.find((l) => l.includes('pf'))).toMatch(/4\.000x \(target >= 2x\): met/);
    expect(lines.find((l) => l.includes('codegen'))).toMatch(/400 ms cold \(target < 1000 ms\): met/);
  });

  it('names the V8 flags a peer ran with', () => {
    const flagged = { ...peers[0]!, engineFlags: ['--max-inlined-bytecode-size-cumulative=3000'] };
    const report: BenchReport = {
      machine: { cpuModel: 'cpu', cores: 2, memGiB: 1, node: 'v20', platform: 'linux', loadAverage: 0, trapspec: 'x', date: '' },
      options: { scale: 1, phases: ['alu', 'pf'], peers: ['trapspec-shadow', 'v86'], calibrate: false, targetSeconds: 1, repeat: 1 },
      cmdlines: {},
      peers: [flagged, peers[1]!],
      ratios: computeRatios([flagged, peers[1]!]),
    };
    const text = formatReport(report);
    expect(text).toContain('trapspec-shadow (node --max-inlined-bytecode-size-cumulative=3000): ok');
    expect(text).toMatch(/\n {2}v86: ok/);
  });

  it('formats rates', () => {
    expect(si(12_345_678)).toBe('12.35M');
    expect(si(2.5e9)).toBe('2.50G');
    expect(si(1500)).toBe('1.5k');
    expect(si(undefined)).toBe('-');
  });
});

describe('profile summary', () => {
  it('counts self time only inside the phase window', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('setup', 'file:///p/a.ts') },
        { id: 3, callFrame: frame('hot', 'file:///p/b.ts') },
        { id: 4, callFrame: frame('cold', 'file:///p/b.ts') },
      ],
      startTime: 1000,
      endTime: 2000,
      // Sample times 1100 (setup), 1200, 1300, 1400 (hot x2, cold), 1500 (setup): 100 us apart.
      samples: [2, 3, 3, 4, 2],
      timeDeltas: [100, 100, 100, 100, 100],
    };
    const path = join(mkdtempSync(join(tmpdir(), 'trapspec-prof-')), 'x.cpuprofile');
    writeFileSync(path, JSON.stringify(profile));
    const s = summarizeProfile(path, '/p', [1150, 1450]);
    expect(s.hot.map((h) => [h.name, h.selfShare])).toEqual([
      ['hot b.ts:1', 2 / 3],
      ['cold b.ts:1', 1 / 3],
    ]);
    expect(s.byFile).toEqual([{ file: 'b.ts', selfShare: 1 }]);
  });
});
