import type { CodegenTiming } from './codegen-child.ts';
import type { MachineInfo } from './machine-info.ts';
import { PHASE_NAMES, type PhaseName } from './phases.ts';
import type { PeerResult, PhaseResult } from './result.ts';

/** Everything one `npm run bench` measured; written as bench-results/bench-<date>.json. */
export interface BenchReport {
  machine: MachineInfo;
  options: {
    scale: number;
    phases: PhaseName[];
    peers: string[];
    calibrate: boolean;
    targetSeconds: number;
    repeat: number;
  };
  codegen?: CodegenTiming & { processMs?: number };
  /** The guest command line each peer ran with (calibration may raise a fast peer's counts). */
  cmdlines: Record<string, string>;
  peers: PeerResult[];
  /** ratios[phase]["trapspec-shadow/v86"] = rate(trapspec-shadow) / rate(v86). */
  ratios: Partial<Record<PhaseName, Record<string, number>>>;
}

export function phaseOf(peer: PeerResult, name: PhaseName): PhaseResult | undefined {
  return peer.phases.find((p) => p.name === name);
}

/** trapspec/peer speed ratios for every phase both ran. */
export function computeRatios(peers: readonly PeerResult[]): BenchReport['ratios'] {
  const out: BenchReport['ratios'] = {};
  const mine = peers.filter((p) => p.peer.startsWith('trapspec'));
  const others = peers.filter((p) => !p.peer.startsWith('trapspec'));
  for (const name of PHASE_NAMES) {
    const row: Record<string, number> = {};
    for (const t of mine) {
      const a = phaseOf(t, name);
      for (const o of others) {
        const b = phaseOf(o, name);
        if (a !== undefined && b !== undefined && b.rate > 0) row[`${t.peer}/${o.peer}`] = a.rate / b.rate;
      }
    }
    if (Object.keys(row).length > 0) out[name] = row;
  }
  return out;
}

/** 12345678 -> "12.3M". */
export function si(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(abs >= 10 ? 0 : 2);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

/** Issue 7's targets: trapspec/v86 at least this on each phase (measured in one run). */
export const V86_TARGETS: Partial<Record<PhaseName, number>> = { alu: 0.25, mem: 0.25, cr3: 2, pf: 2, crmix: 2 };
export const CODEGEN_TARGET_MS = 1000;

/** One line per target: met or not, with the measured value. */
export function targetLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const [name, want] of Object.entries(V86_TARGETS) as [PhaseName, number][]) {
    const row = report.ratios[name] ?? {};
    for (const [key, got] of Object.entries(row)) {
      if (!key.endsWith('/v86')) continue;
      lines.push(
        `  ${name.padEnd(6)} ${key.padEnd(22)} ${got.toFixed(3)}x (target >= ${want}x): ${got >= want ? 'met' : 'not met'}`,
      );
    }
  }
  const c = report.codegen;
  if (c?.ok === true) {
    const met = c.pipelineMs < CODEGEN_TARGET_MS ? 'met' : 'not met';
    lines.push(`  codegen pipeline ${c.pipelineMs.toFixed(0)} ms cold (target < ${CODEGEN_TARGET_MS} ms): ${met}`);
  }
  return lines;
}

/** The human-readable summary printed at the end of a run. */
export function formatReport(report: BenchReport): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB, node ${m.node}, load average ${m.loadAverage}, trapspec ${m.trapspec}`,
  );
  for (const p of report.peers) {
    const flags = p.engineFlags !== undefined && p.engineFlags.length > 0 ? ` (node ${p.engineFlags.join(' ')})` : '';
    const v = `${p.version !== undefined ? ` ${p.version}` : ''}${flags}`;
    const state = p.status === 'ok' ? `ok, ${p.wallSeconds.toFixed(1)} s` : `${p.status}: ${p.reason ?? ''}`;
    lines.push(`  ${p.peer}${v}: ${state}`);
  }
  if (report.codegen !== undefined) {
    const c = report.codegen;
    const proc = c.processMs !== undefined ? `, whole \`gen --check\` process ${c.processMs.toFixed(0)} ms` : '';
    lines.push(
      c.ok
        ? `codegen (whole spec, ${c.files} files): pipeline ${c.pipelineMs.toFixed(0)} ms cold, ${c.warmPipelineMs.toFixed(0)} ms warm; module import ${c.importMs.toFixed(0)} ms${proc}`
        : `codegen failed: ${c.error ?? ''}`,
    );
  }

  const ok = report.peers.filter((p) => p.phases.length > 0);
  const ratioKeys = [...new Set(Object.values(report.ratios).flatMap((r) => Object.keys(r)))];
  const head = ['phase', 'unit', ...ok.map((p) => `${p.peer}/s`), ...ratioKeys];
  const rows: string[][] = [head];
  for (const name of report.options.phases) {
    const unit = ok.map((p) => phaseOf(p, name)?.unit).find((u) => u !== undefined) ?? '';
    const ratios = report.ratios[name] ?? {};
    rows.push([
      name,
      unit,
      ...ok.map((p) => si(phaseOf(p, name)?.rate)),
      ...ratioKeys.map((k) => (ratios[k] !== undefined ? `${ratios[k]!.toFixed(3)}x` : '-')),
    ]);
  }
  lines.push(
    '',
    'rate per phase (instructions or faults per second, host-timed) and trapspec/peer ratios:',
    table(rows),
  );

  const mine = ok.filter((p) => p.peer.startsWith('trapspec'));
  if (mine.length > 0) {
    const head2 = ['phase', ...mine.flatMap((p) => [`${p.peer} s`, 'exits/s', 'paging faults/s', 'interp insns/s'])];
    const rows2: string[][] = [head2];
    for (const name of report.options.phases) {
      rows2.push([
        name,
        ...mine.flatMap((p) => {
          const r = phaseOf(p, name);
          const ips = r?.hostInstructions !== undefined && r.seconds > 0 ? r.hostInstructions / r.seconds : undefined;
          return [
            r !== undefined ? r.seconds.toFixed(3) : '-',
            si(r?.exitsPerSecond),
            si(r?.pagingFaultsPerSecond),
            si(ips),
          ];
        }),
      ]);
    }
    lines.push(
      '',
      'trapspec per phase: seconds, VM exits/s, page faults through the paging strategy/s (shadow faults), interpreted instructions/s:',
      table(rows2),
    );
  }
  const targets = targetLines(report);
  if (targets.length > 0) lines.push('', 'targets (issue 7):', ...targets);
  return lines.join('\n');
}
