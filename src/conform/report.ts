import { agreementLine, type ConformReport } from './conform.ts';

/** Text table and JSON form of a conformance report. */

export interface TableOptions {
  /** Only rows that do not agree (default: every row). */
  onlyDisagreements?: boolean;
  color?: { red(s: string): string; green(s: string): string; yellow(s: string): string };
}

export function formatTable(r: ConformReport, opts: TableOptions = {}): string {
  const c = opts.color ?? { red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s };
  const head = ['vector', 'spec', ...r.runners, 'agree'];
  const rows: string[][] = [];
  for (const v of r.vectors) {
    if (opts.onlyDisagreements === true && v.agree) continue;
    const cells = [v.id, v.expected];
    for (const name of r.runners) {
      const x = v.runs[name];
      cells.push(x === undefined ? '-' : x.text);
    }
    const notRun = Object.values(v.runs).some((x) => x.kind === 'not-run');
    const knownIds = [...new Set(Object.values(v.known).map((k) => k.id))];
    cells.push(v.agree ? 'yes' : notRun ? 'not run' : v.unknown.length === 0 ? `known: ${knownIds.join(', ')}` : 'NO');
    rows.push(cells);
  }
  const widths = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length))));
  const fmt = (cells: string[]): string =>
    cells.map((s, i) => (i === cells.length - 1 ? s : clip(s, widths[i] ?? 10).padEnd(widths[i] ?? 10))).join('  ');
  const lines = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) {
    const last = row[row.length - 1] ?? '';
    const line = fmt(row);
    lines.push(last === 'yes' ? line : last === 'NO' ? c.red(line) : c.yellow(line));
  }
  if (rows.length === 0) lines.push('(every vector agrees with the spec on every runner)');
  lines.push('');
  for (const v of r.vectors) for (const u of v.unknown) lines.push(c.red(`unknown disagreement ${v.id}: ${u}`));
  for (const n of r.notRunnable) lines.push(`not runnable ${n.id}: ${n.reason}`);
  if (r.unusedKnown.length > 0)
    lines.push(c.yellow(`known-disagreement entries that matched nothing in this run: ${r.unusedKnown.join(', ')}`));
  if (r.qemuVersion !== undefined) lines.push(`oracle: ${r.qemuVersion}, -accel tcg -cpu max`);
  for (const [name, s] of Object.entries(r.stats)) lines.push(`${name}: ${s.images} images, ${s.seconds.toFixed(1)} s`);
  const summary = agreementLine(r);
  lines.push(r.unknownDisagreements === 0 ? c.green(summary) : c.red(summary));
  return `${lines.join('\n')}\n`;
}

function clip(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, w - 1)}…`;
}

/** The report as plain JSON data (bigints never appear: every value is already text). */
export function toJson(r: ConformReport): unknown {
  return {
    runners: r.runners,
    agreement: { agreeing: r.agreeing, total: r.total, line: agreementLine(r) },
    unknownDisagreements: r.unknownDisagreements,
    knownDisagreements: r.knownDisagreements,
    notRunnable: r.notRunnable,
    unusedKnown: r.unusedKnown,
    qemuVersion: r.qemuVersion ?? null,
    stats: r.stats,
    vectors: r.vectors.map((v) => ({
      id: v.id,
      cites: v.cites,
      spec: v.expected,
      runs: v.runs,
      agree: v.agree,
      known: Object.fromEntries(Object.entries(v.known).map(([k, d]) => [k, { id: d.id, sdm: d.sdm }])),
      unknown: v.unknown,
    })),
  };
}
